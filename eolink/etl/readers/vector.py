"""Generic vector files -> FeatureTable via pyogrio (Shapefile, GeoPackage, GeoJSON, FlatGeobuf, GeoParquet,
CSV with a WKT column or lon/lat columns, KML, GML).

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
* a CRS is required: :class:`~eolink.errors.CRSError` unless ``crs=`` is given
  (a CSV with lon/lat columns and a KML file are WGS84 by definition: EPSG:4326);
* a GML file is read without writing a ``.gfs`` schema file beside it.

:func:`read_features` returns the validated GeoDataFrame alone (what the RML
engine reads for a vector logical source); :func:`iter_features` yields it in
chunks of rows, so that files larger than memory can be mapped piece by piece;
:func:`list_layers` names the layers of a multi-layer file (GeoPackage, KML).

Columns: ``id`` (the ``id_field`` values as strings, else the row number
``"0"``, ``"1"``, …), every attribute of the layer, ``geometry`` in the source CRS.
The caller gives the ``product_type`` (the registry in :mod:`eolink.etl.readers`
detects it); the product record is minimal (file name, driver, CRS).
"""

from __future__ import annotations

import struct
from pathlib import Path
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np

from eolink.errors import GeometryError, InputError
from eolink.etl.readers._common import check_file, epsg_of, fail, resolve_crs, sniff_image
from eolink.etl.table import FeatureTable, ProductRecord, ReadReport

__all__ = [
    "read_vector",
    "read_features",
    "iter_features",
    "open_vector",
    "list_layers",
    "feature_count",
    "VECTOR_DRIVERS",
    "InvalidPolicy",
    "NullPolicy",
]

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
    ".kml": ("LIBKML", "KML"),
    ".gml": ("GML",),
}

#: Column names (lower-case) recognised as longitude / latitude in a CSV without WKT.
LON_NAMES = ("lon", "lng", "long", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")

_WKT_NAMES = ("WKT", "wkt", "geometry", "geom", "footprint", "the_geom")
_CSV_OPEN_OPTIONS = {
    "GEOM_POSSIBLE_NAMES": ",".join(_WKT_NAMES),
    "KEEP_GEOM_COLUMNS": "NO",
}


def _open_options(path: Path, header: list[str] | None = None) -> dict[str, Any]:
    """GDAL open options for ``path``: WKT or lon/lat columns of CSVs, no .gfs written for GML."""
    suffix = path.suffix.lower()
    if suffix == ".gml":
        return {"WRITE_GFS": "NO"}
    if suffix != ".csv":
        return {}
    lonlat = _lonlat_columns(header or [])
    if lonlat is not None and not set(h.strip() for h in header or []) & set(_WKT_NAMES):
        return {"X_POSSIBLE_NAMES": lonlat[0], "Y_POSSIBLE_NAMES": lonlat[1], "KEEP_GEOM_COLUMNS": "NO"}
    return dict(_CSV_OPEN_OPTIONS)


def _lonlat_columns(header: list[str]) -> tuple[str, str] | None:
    lower = {h.strip().lower(): h.strip() for h in header}
    lon = next((lower[n] for n in LON_NAMES if n in lower), None)
    lat = next((lower[n] for n in LAT_NAMES if n in lower), None)
    return (lon, lat) if lon and lat else None


def _csv_header(path: Path) -> list[str]:
    import csv

    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        return next(csv.reader([fh.readline()]), [])


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
    kwargs = _open_options(path, _csv_header(path) if suffix == ".csv" else None)
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
        header = [str(h) for h in pyogrio.read_info(path, layer=layer).get("fields", [])]
        if not set(header) & set(_WKT_NAMES) and _lonlat_columns(header) is None:
            raise fail(path, "CSV without a WKT geometry column (WKT, geometry, geom, footprint, the_geom) "
                             "or longitude/latitude columns (lon/lat, longitude/latitude, x/y)")
    if info.get("geometry_type") in (None, "None") and suffix in (".kml", ".gml"):
        raise fail(path, f"layer {info.get('layer_name', layer)!r} has no geometry")
    return info


def list_layers(path: Path | str) -> list[str]:
    """Names of the layers of a vector file (one for single-layer formats).

    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> path = Path(tempfile.mkdtemp()) / "two.gpkg"
    >>> gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4326).to_file(path, layer="x")
    >>> gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4326).to_file(path, layer="y")
    >>> list_layers(path)
    ['x', 'y']
    """
    import pyogrio

    path = check_file(path)
    if path.suffix.lower() in _PARQUET:
        return [path.stem]
    open_vector(path, layer=0)
    if path.suffix.lower() == ".gml":
        # list_layers takes no open options, and the GML driver would write a .gfs beside the file
        names: list[str] = []
        while True:
            try:
                names.append(str(pyogrio.read_info(path, layer=len(names), WRITE_GFS="NO")["layer_name"]))
            except Exception:  # noqa: BLE001 - past the last layer GDAL raises a layer error
                return names
    try:
        layers = pyogrio.list_layers(path)
    except Exception as err:  # noqa: BLE001 - GDAL raises a variety of errors for corrupt files
        raise fail(path, f"cannot list layers ({type(err).__name__}: {err})") from err
    return [str(name) for name, _ in layers]


_PARQUET = (".parquet", ".geoparquet")


def _read_frame(path: Path, layer: str | int | None, info: dict[str, Any], *,
                skip: int = 0, limit: int | None = None):
    import geopandas as gpd
    import pyogrio

    if path.suffix.lower() in _PARQUET:
        try:
            if skip or limit is not None:
                return _parquet_slice(path, skip, limit)
            return gpd.read_parquet(path)
        except InputError:
            raise
        except Exception as err:  # noqa: BLE001 - pyarrow/geopandas raise various errors for bad files
            raise fail(path, f"cannot be read as GeoParquet ({type(err).__name__}: {err})") from err
    kwargs = _open_options(path, _csv_header(path) if path.suffix.lower() == ".csv" else None)
    if skip or limit is not None:
        kwargs.update(skip_features=skip, max_features=limit)
    try:
        return pyogrio.read_dataframe(path, layer=layer, **kwargs)
    except Exception as err:  # noqa: BLE001 - corrupt content surfaces as several GDAL error types
        raise fail(path, f"cannot be read ({type(err).__name__}: {err})") from err


def _parquet_slice(path: Path, skip: int, limit: int | None) -> Any:
    """Rows ``skip:skip+limit`` of a GeoParquet file, read batch by batch (only those rows kept in memory)."""
    import json

    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely
    from pyproj import CRS

    pf = pq.ParquetFile(path)
    meta = json.loads((pf.schema_arrow.metadata or {}).get(b"geo", b"null") or "null")
    if not meta or "primary_column" not in meta:
        raise fail(path, "Parquet file without GeoParquet 'geo' metadata")
    column = meta["primary_column"]
    info = meta.get("columns", {}).get(column, {})
    if info.get("encoding", "WKB").upper() != "WKB":
        raise fail(path, f"GeoParquet geometry encoding {info.get('encoding')!r} is not supported (WKB only)")
    crs = CRS.from_json_dict(info["crs"]) if info.get("crs") else (None if "crs" in info else CRS.from_user_input("OGC:CRS84"))
    batches, seen, stop = [], 0, None if limit is None else skip + limit
    for batch in pf.iter_batches(batch_size=65_536):
        lo, hi = seen, seen + len(batch)
        seen = hi
        if hi <= skip:
            continue
        start = max(skip - lo, 0)
        end = len(batch) if stop is None else min(len(batch), stop - lo)
        if end > start:
            batches.append(batch.slice(start, end - start))
        if stop is not None and seen >= stop:
            break
    table = pa.Table.from_batches(batches, schema=pf.schema_arrow)
    frame = table.drop([column]).to_pandas()
    geoms = shapely.from_wkb(np.asarray(table.column(column).to_pylist(), dtype=object))
    frame[column] = geoms
    out = gpd.GeoDataFrame(frame[[c for c in table.column_names]], geometry=column, crs=crs)
    return out.reset_index(drop=True)


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception as err:  # noqa: BLE001 - pyarrow raises various errors for bad files
        raise fail(path, f"cannot be read as GeoParquet ({type(err).__name__}: {err})") from err


def _validate(
    path: Path,
    frame: Any,
    *,
    crs: Any,
    invalid: InvalidPolicy,
    null_geometry: NullPolicy,
    report: ReadReport,
    first_row: int = 0,
) -> Any:
    """Check CRS, NULL/empty and invalid geometries of a frame just read (see the module docstring)."""
    import geopandas as gpd
    import shapely

    if "geometry" not in frame.columns or not isinstance(frame, gpd.GeoDataFrame):
        raise fail(path, "has no geometry column")
    declared = frame.crs
    if declared is None and path.suffix.lower() in (".csv", ".kml") and crs is None:
        header = _csv_header(path) if path.suffix.lower() == ".csv" else []
        if path.suffix.lower() == ".kml" or (_lonlat_columns(header) and not set(header) & set(_WKT_NAMES)):
            declared = "EPSG:4326"
    src_crs = resolve_crs(path, declared, crs)
    if frame.crs is None:
        frame = frame.set_crs(src_crs)
        if first_row == 0:
            report.notes.append(f"no CRS in file; assumed {src_crs}")

    geoms = np.asarray(frame.geometry.values, dtype=object)
    null = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if null.any():
        rows = np.flatnonzero(null)
        if null_geometry == "error":
            raise fail(path, f"{int(null.sum())} features without geometry (NULL or empty), first at row "
                             f"{first_row + rows[0]}; the file may be truncated (pass null_geometry='drop' to skip them)")
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
    return frame


def _finish(path: Path, frame: Any, *, id_field: str | None, first_row: int) -> Any:
    """Columns ``id``, attributes, ``geometry`` (the geometry column renamed and moved last)."""
    import geopandas as gpd

    frame = frame.reset_index(drop=True)
    if id_field is not None:
        if id_field not in frame.columns:
            raise fail(path, f"has no attribute {id_field!r} to use as feature id")
        ids = frame[id_field].astype(str)
        if ids.duplicated().any():
            raise fail(path, f"attribute {id_field!r} has duplicate values; it cannot be the feature id")
    else:
        ids = np.arange(first_row, first_row + len(frame)).astype(str)
    if "id" in frame.columns and id_field != "id":
        frame = frame.rename(columns={"id": "source_id"})
    frame.insert(0, "id", ids)
    geometry_name = frame.geometry.name
    if geometry_name != "geometry":
        frame = frame.rename_geometry("geometry")
    frame = frame[[c for c in frame.columns if c != "geometry"] + ["geometry"]]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=frame.crs)


def _check_policies(invalid: str, null_geometry: str) -> None:
    if invalid not in ("repair", "reject", "drop"):
        raise InputError(f"invalid= must be 'repair', 'reject' or 'drop', not {invalid!r}")
    if null_geometry not in ("error", "drop"):
        raise InputError(f"null_geometry= must be 'error' or 'drop', not {null_geometry!r}")


def read_features(
    path: Path | str,
    *,
    crs: Any = None,
    layer: str | int | None = None,
    invalid: InvalidPolicy = "repair",
    null_geometry: NullPolicy = "error",
    id_field: str | None = None,
    report: ReadReport | None = None,
) -> Any:
    """Read and validate a vector file into a GeoDataFrame (``id``, attributes, ``geometry``).

    The checks and parameters are those of :func:`read_vector`; ``report``, when
    given, receives the counts of what was repaired or dropped.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "points.csv"
    >>> _ = path.write_text("name,lon,lat\\nA,24.9,60.2\\n")
    >>> frame = read_features(path)
    >>> frame.crs.to_epsg(), frame.geometry[0].wkt, frame["name"].tolist()
    (4326, 'POINT (24.9 60.2)', ['A'])
    """
    _check_policies(invalid, null_geometry)
    path = Path(path)
    report = report if report is not None else ReadReport()
    info = open_vector(path, layer=layer)
    frame = _read_frame(path, layer, info)
    report.rows_read += len(frame)
    expected_count = info.get("features")
    if expected_count is not None and expected_count >= 0 and expected_count != len(frame):
        raise fail(path, f"read {len(frame)} features but the layer declares {expected_count}")
    frame = _validate(path, frame, crs=crs, invalid=invalid, null_geometry=null_geometry, report=report)
    frame = _finish(path, frame, id_field=id_field, first_row=0)
    report.rows_kept += len(frame)
    return frame


def feature_count(path: Path | str, *, layer: str | int | None = None) -> int:
    """Number of features of a vector file's layer (GDAL's count, or counted when GDAL has none).

    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> path = Path(tempfile.mkdtemp()) / "p.fgb"
    >>> gpd.GeoDataFrame({"a": [1, 2]}, geometry=[Point(0, 0), Point(1, 1)], crs=4326).to_file(path)
    >>> feature_count(path)
    2
    """
    import pyogrio

    path = Path(path)
    info = open_vector(path, layer=layer)
    if path.suffix.lower() in _PARQUET:
        return _parquet_rows(path)
    count = info.get("features")
    if count is not None and count >= 0:
        return int(count)
    kwargs = _open_options(path, _csv_header(path) if path.suffix.lower() == ".csv" else None)
    meta = pyogrio.read_info(path, layer=layer, force_feature_count=True, **kwargs)
    return int(meta.get("features") or 0)


def iter_features(
    path: Path | str,
    *,
    chunk_rows: int = 100_000,
    crs: Any = None,
    layer: str | int | None = None,
    invalid: InvalidPolicy = "repair",
    null_geometry: NullPolicy = "error",
    start: int = 0,
    stop: int | None = None,
    report: ReadReport | None = None,
) -> Iterator[Any]:
    """Yield the validated features of rows ``start:stop`` in GeoDataFrames of at most ``chunk_rows`` rows.

    Only one chunk is in memory at a time; ids are the global row numbers, so the
    concatenated chunks equal :func:`read_features` of the whole file (with the
    default ``id_field``).

    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> path = Path(tempfile.mkdtemp()) / "p.gpkg"
    >>> gpd.GeoDataFrame({"a": range(5)}, geometry=[Point(i, i) for i in range(5)], crs=4326).to_file(path)
    >>> [chunk["id"].tolist() for chunk in iter_features(path, chunk_rows=2)]
    [['0', '1'], ['2', '3'], ['4']]
    """
    if chunk_rows < 1:
        raise InputError("chunk_rows must be positive")
    _check_policies(invalid, null_geometry)
    path = Path(path)
    report = report if report is not None else ReadReport()
    info = open_vector(path, layer=layer)
    total = feature_count(path, layer=layer)
    stop = total if stop is None else min(stop, total)
    for first in range(start, stop, chunk_rows):
        want = min(chunk_rows, stop - first)
        frame = _read_frame(path, layer, info, skip=first, limit=want)
        if len(frame) != want:
            raise fail(path, f"read {len(frame)} features at row {first}, expected {want} (truncated file?)")
        report.rows_read += len(frame)
        frame = _validate(path, frame, crs=crs, invalid=invalid, null_geometry=null_geometry, report=report,
                          first_row=first)
        frame = _finish_chunk(path, frame, first)
        report.rows_kept += len(frame)
        yield frame


def _finish_chunk(path: Path, frame: Any, first: int) -> Any:
    # ids are the row numbers in the file, also when rows were dropped before
    ids = (frame.index.to_numpy() + first).astype(str)
    out = _finish(path, frame, id_field=None, first_row=0)
    out["id"] = ids
    return out


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
        Shapefile (.shp), GeoPackage, GeoJSON, FlatGeobuf, GeoParquet, CSV with a WKT
        column or lon/lat columns, KML or GML.
    product_type
        One of :data:`eolink.etl.table.PRODUCT_TYPES`.
    crs
        CRS to assume when the file declares none; ignored otherwise.
    layer
        Layer name or index (multi-layer GeoPackages, KML folders); default the first.
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
    path = Path(path)
    report = ReadReport()
    frame = read_features(path, crs=crs, layer=layer, invalid=invalid, null_geometry=null_geometry,
                          id_field=id_field, report=report)
    info = open_vector(path, layer=layer)
    record = ProductRecord(
        product_id=product_id or path.stem,
        product_type=product_type,
        title=title or path.stem,
        source_file=path.name,
        file_format=str(info.get("driver", "")),
        crs_epsg=epsg_of(frame.crs),
    )
    return FeatureTable(frame, record, report)
