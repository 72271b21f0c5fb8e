"""Generic vector files -> FeatureTable via pyogrio (Shapefile, GeoPackage, GeoJSON, FlatGeobuf, GeoParquet, CSV-WKT).

GDAL opens many things it should not be trusted with (see shared/PITFALLS.md), so
:func:`read_vector` validates what it opened instead of trusting a successful open:

* the GDAL driver must be the one expected for the suffix (a PNG named
  ``.geojson`` is rejected before GDAL sees it, by its magic number);
* a Shapefile needs its ``.shx`` and ``.dbf`` beside the ``.shp`` (GDAL would read
  geometry only without the .dbf, and could only rebuild a .shx by writing into
  the user's folder); a ``.shp`` shorter than its header says is truncated;
* the number of features read must equal the layer's feature count;
* NULL or empty geometries are an error (``null_geometry="error"``, default) or
  are dropped and counted (``"drop"``) — a truncated .shp yields NULLs silently;
* invalid geometries are repaired with :func:`shapely.make_valid` (``invalid="repair"``,
  default, counted in ``report.geometries_repaired``), rejected (``"reject"``:
  :class:`~eolink.errors.GeometryError`) or dropped (``"drop"``);
* a CRS is required: :class:`~eolink.errors.CRSError` unless ``crs=`` is given.

Columns: ``id`` (the ``id_field`` values as strings, else the row number
``"0"``, ``"1"``, …), every attribute of the layer, ``geometry`` in the source CRS.
The caller gives the ``product_type`` (the registry in :mod:`eolink.etl.readers`
detects it); the product record is minimal (file name, driver, CRS).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, Literal

import numpy as np

from eolink.errors import GeometryError, InputError
from eolink.etl.readers._common import check_file, epsg_of, fail, resolve_crs, sniff_image
from eolink.etl.table import FeatureTable, ProductRecord, ReadReport

__all__ = ["read_vector", "open_vector", "VECTOR_DRIVERS", "InvalidPolicy", "NullPolicy"]

InvalidPolicy = Literal["repair", "reject", "drop"]
NullPolicy = Literal["error", "drop"]

#: File suffix -> GDAL drivers accepted for it.
VECTOR_DRIVERS: dict[str, tuple[str, ...]] = {
    ".shp": ("ESRI Shapefile",),
    ".gpkg": ("GPKG",),
    ".geojson": ("GeoJSON",),
    ".json": ("GeoJSON",),
    ".geojsonl": ("GeoJSONSeq",),
    ".geojsons": ("GeoJSONSeq",),
    ".fgb": ("FlatGeobuf",),
    ".parquet": ("Parquet",),
    ".geoparquet": ("Parquet",),
    ".csv": ("CSV",),
}

_CSV_OPEN_OPTIONS = {
    "GEOM_POSSIBLE_NAMES": "WKT,wkt,geometry,geom,footprint,the_geom",
    "KEEP_GEOM_COLUMNS": "NO",
}


def _check_shapefile(path: Path) -> None:
    """Sidecars present, and the .shp as long as its header says."""
    for ext in (".shx", ".dbf"):
        sidecar = _sidecar(path, ext)
        if sidecar is None:
            raise fail(path, f"Shapefile without its {ext} file (every .shp needs .shx and .dbf beside it)")
        if sidecar.stat().st_size == 0:
            raise fail(path, f"Shapefile's {ext} file is empty")
    with path.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or struct.unpack(">i", header[0:4])[0] != 9994:
        raise fail(path, "not a Shapefile (bad .shp header)")
    declared = struct.unpack(">i", header[24:28])[0] * 2
    actual = path.stat().st_size
    if actual < declared:
        raise fail(path, f"truncated .shp: {actual} bytes, the header declares {declared}")


def _sidecar(path: Path, ext: str) -> Path | None:
    for candidate in (path.with_suffix(ext), path.with_suffix(ext.upper())):
        if candidate.exists():
            return candidate
    return None


def open_vector(path: Path | str, *, layer: str | int | None = None) -> dict[str, Any]:
    """Validate a vector file and return pyogrio's ``read_info`` for the layer.

    Raises :class:`~eolink.errors.InputError` (message starting with the file
    name) when the file is missing, empty, an image in disguise, not of the driver
    its suffix promises, or a broken Shapefile.

    >>> open_vector(Path("missing.geojson"))
    Traceback (most recent call last):
    ...
    eolink.errors.InputError: missing.geojson: no such file
    """
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    path = check_file(path)
    suffix = path.suffix.lower()
    image = sniff_image(path)
    if image is not None:
        raise fail(path, f"is a {image}, not a vector file")
    if suffix == ".shp":
        _check_shapefile(path)
    if suffix in _PARQUET:
        # GDAL here has no Parquet driver: GeoParquet is read by geopandas/pyarrow.
        from eolink.etl.readers._common import head_bytes

        if head_bytes(path, 4) != b"PAR1":
            raise fail(path, "not a Parquet file (missing PAR1 magic)")
        return {"driver": "Parquet", "features": None}
    kwargs: dict[str, Any] = {}
    if suffix == ".csv":
        kwargs.update(_CSV_OPEN_OPTIONS)
    try:
        info = pyogrio.read_info(path, layer=layer, **kwargs)
    except (DataSourceError, DataLayerError, OSError) as err:
        raise fail(path, f"cannot be opened as a vector file ({err})") from err
    except Exception as err:  # noqa: BLE001 - GDAL raises a variety of errors for corrupt files
        raise fail(path, f"cannot be opened as a vector file ({type(err).__name__}: {err})") from err
    expected = VECTOR_DRIVERS.get(suffix)
    if expected is not None and info.get("driver") not in expected:
        raise fail(path, f"opened by GDAL driver {info.get('driver')}, expected {' or '.join(expected)}")
    if suffix == ".csv":
        # GDAL turns a recognised WKT column into the geometry and drops it from the fields
        header = set(map(str, pyogrio.read_info(path, layer=layer).get("fields", [])))
        if not header & set(_CSV_OPEN_OPTIONS["GEOM_POSSIBLE_NAMES"].split(",")):
            raise fail(path, "CSV without a WKT geometry column (WKT, geometry, geom, footprint, the_geom)")
    return info


_PARQUET = (".parquet", ".geoparquet")


def _read_frame(path: Path, layer: str | int | None, info: dict[str, Any]):
    import geopandas as gpd
    import pyogrio

    if path.suffix.lower() in _PARQUET:
        try:
            return gpd.read_parquet(path)
        except Exception as err:  # noqa: BLE001 - pyarrow/geopandas raise various errors for bad files
            raise fail(path, f"cannot be read as GeoParquet ({type(err).__name__}: {err})") from err
    kwargs: dict[str, Any] = {}
    if path.suffix.lower() == ".csv":
        kwargs.update(_CSV_OPEN_OPTIONS)
    try:
        return pyogrio.read_dataframe(path, layer=layer, **kwargs)
    except Exception as err:  # noqa: BLE001 - corrupt content surfaces as several GDAL error types
        raise fail(path, f"cannot be read ({type(err).__name__}: {err})") from err


def read_vector(
    path: Path | str,
    *,
    product_type: str,
    crs: Any = None,
    layer: str | int | None = None,
    invalid: InvalidPolicy = "repair",
    null_geometry: NullPolicy = "error",
    id_field: str | None = None,
    product_id: str | None = None,
    title: str | None = None,
) -> FeatureTable:
    """Read and validate a vector file.

    Parameters
    ----------
    path
        Shapefile (.shp), GeoPackage, GeoJSON, FlatGeobuf, GeoParquet or CSV with a WKT column.
    product_type
        One of :data:`eolink.etl.table.PRODUCT_TYPES`.
    crs
        CRS to assume when the file declares none; ignored otherwise.
    layer
        Layer name or index (multi-layer GeoPackages); default the first.
    invalid
        ``"repair"`` (make_valid, counted), ``"reject"`` (GeometryError) or ``"drop"`` (counted).
    null_geometry
        ``"error"`` (InputError) or ``"drop"`` (counted) for NULL or empty geometries.
    id_field
        Attribute holding unique feature ids; default the row number.
    product_id, title
        Product identifier and title; default the file stem.

    Returns
    -------
    FeatureTable
        ``id``, the layer's attributes, ``geometry`` (source CRS).

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import box
    >>> path = Path(tempfile.mkdtemp()) / "zones.geojson"
    >>> gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(path)
    >>> read_vector(path, product_type="sea-ice-chart").features.columns.tolist()
    ['id', 'name', 'geometry']
    """
    import geopandas as gpd
    import shapely

    if invalid not in ("repair", "reject", "drop"):
        raise InputError(f"invalid= must be 'repair', 'reject' or 'drop', not {invalid!r}")
    if null_geometry not in ("error", "drop"):
        raise InputError(f"null_geometry= must be 'error' or 'drop', not {null_geometry!r}")
    path = Path(path)
    info = open_vector(path, layer=layer)
    frame = _read_frame(path, layer, info)
    report = ReadReport(rows_read=len(frame))

    expected_count = info.get("features")
    if expected_count is not None and expected_count >= 0 and expected_count != len(frame):
        raise fail(path, f"read {len(frame)} features but the layer declares {expected_count}")
    if "geometry" not in frame.columns or not isinstance(frame, gpd.GeoDataFrame):
        raise fail(path, "has no geometry column")

    src_crs = resolve_crs(path, frame.crs, crs)
    if frame.crs is None:
        frame = frame.set_crs(src_crs)
        report.notes.append(f"no CRS in file; assumed {src_crs}")

    geoms = np.asarray(frame.geometry.values, dtype=object)
    null = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if null.any():
        rows = np.flatnonzero(null)
        if null_geometry == "error":
            raise fail(path, f"{int(null.sum())} features without geometry (NULL or empty), first at row {rows[0]};"
                             " the file may be truncated (pass null_geometry='drop' to skip them)")
        report.geometries_dropped += int(null.sum())
        report.notes.append(f"dropped {int(null.sum())} features without geometry")
        frame = frame.loc[~null]
        geoms = geoms[~null]

    bad = ~shapely.is_valid(geoms)
    if bad.any():
        n_bad = int(bad.sum())
        if invalid == "reject":
            reason = shapely.is_valid_reason(geoms[np.flatnonzero(bad)[0]])
            raise fail(path, f"{n_bad} invalid geometries, first: {reason}", GeometryError)
        if invalid == "drop":
            report.geometries_dropped += n_bad
            report.notes.append(f"dropped {n_bad} invalid geometries")
            frame = frame.loc[~bad]
        else:
            fixed = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
            frame = frame.copy()
            col = frame.geometry.name
            frame.loc[frame.index[bad], col] = fixed
            report.geometries_repaired += n_bad
            report.notes.append(f"repaired {n_bad} invalid geometries with make_valid")

    frame = frame.reset_index(drop=True)
    if id_field is not None:
        if id_field not in frame.columns:
            raise fail(path, f"has no attribute {id_field!r} to use as feature id")
        ids = frame[id_field].astype(str)
        if ids.duplicated().any():
            raise fail(path, f"attribute {id_field!r} has duplicate values; it cannot be the feature id")
    else:
        ids = [str(i) for i in range(len(frame))]
    if "id" in frame.columns and id_field != "id":
        frame = frame.rename(columns={"id": "source_id"})
    frame.insert(0, "id", ids)
    geometry_name = frame.geometry.name
    if geometry_name != "geometry":
        frame = frame.rename_geometry("geometry")
    frame = frame[[c for c in frame.columns if c != "geometry"] + ["geometry"]]
    report.rows_kept = len(frame)

    record = ProductRecord(
        product_id=product_id or path.stem,
        product_type=product_type,
        title=title or path.stem,
        source_file=path.name,
        file_format=str(info.get("driver", "")),
        crs_epsg=epsg_of(src_crs),
    )
    return FeatureTable(gpd.GeoDataFrame(frame, geometry="geometry", crs=frame.crs), record, report)
