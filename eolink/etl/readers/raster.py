"""Categorical GeoTIFF (change masks, crop-type maps) -> polygons, one per connected region of a class.

Columns of the feature table (docs/vocabulary.md): ``id`` (str), ``class_code``
(int), ``pixel_count`` (int), ``area_m2`` (float), ``geometry`` (polygon in the
raster's CRS, never reprojected).

* Regions are built by :func:`rasterio.features.shapes` with **4-connectivity**
  by default (pixels touching only at a corner are separate polygons;
  ``connectivity=8`` joins them). NoData pixels (the band's nodata value, else
  the dataset mask) form no polygon.
* ``pixel_count`` is the number of pixels of the region; ``area_m2`` is computed
  from the unsimplified polygon: planar area in metres for a projected CRS
  (= ``pixel_count`` × pixel area), geodesic area on WGS84 for a geographic CRS.
* Ids are ``"0"``, ``"1"``, … in the order ``shapes`` emits the regions: row-major
  order of each region's first pixel (top-left first), hence deterministic.
* ``min_pixels`` sieves regions smaller than that into their largest neighbour
  (:func:`rasterio.features.sieve`, same connectivity) before polygonising;
  ``simplify_tolerance`` (CRS units) simplifies each polygon afterwards
  (Douglas-Peucker, ``preserve_topology``; neighbours are simplified
  independently, so shared edges may then differ slightly).
* ``ignore_classes`` drops the regions of the given class codes (e.g. ``(0,)`` to
  drop "no change" areas of a change mask); the default keeps every class.

The product record comes from the GeoTIFF tags written by eolink (and tolerated
when absent): ``EOLINK_PRODUCT_TYPE``, ``EOLINK_SYNTHETIC``, ``EOLINK_TITLE``,
``EOLINK_DESCRIPTION``, ``EOLINK_SCENES`` (comma-separated product names),
``EOLINK_TIME_START``/``EOLINK_TIME_END`` (ISO UTC), ``EOLINK_METHOD``,
``EOLINK_CONFIDENCE``, ``EOLINK_N_CLASSES``; any other ``EOLINK_*`` tag goes to
``extra`` under its lower-cased name without the prefix.

* ``window_size`` (pixels) processes the raster in square windows, reading one
  window at a time, for rasters larger than memory. Regions of one window that
  reach an inner window edge are merged with the regions of the same class they
  share a pixel edge with (or, with 8-connectivity, a corner) in the
  neighbouring windows, so the polygons, classes and pixel counts equal those
  of the whole-raster run; ids are then assigned in row-major order of each
  region's first pixel (``shapes``' own order, which the whole-raster run keeps,
  may differ). Sieving (``min_pixels``) needs whole regions and is refused with
  ``window_size``.

The function is split into open/validate (:func:`_open_checked`), read
(:func:`_read_classes`), polygonise (:func:`_polygonise`) and record
(:func:`_product_record`); :func:`_polygonise_windowed` calls the first three per window.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from eolink.errors import InputError
from eolink.etl.readers._common import (
    check_file,
    epsg_of,
    fail,
    geodesic_area,
    parse_iso,
    planar_area_m2,
    resolve_crs,
    truthy,
)
from eolink.etl.table import PRODUCT_TYPES, FeatureTable, ProductRecord, ReadReport

__all__ = ["read_raster", "RASTER_PRODUCT_TYPES", "RASTER_DRIVERS", "raster_product_type"]

#: Product types a categorical raster can carry.
RASTER_PRODUCT_TYPES = ("change-mask", "crop-type-map")
#: GDAL drivers accepted as GeoTIFF.
RASTER_DRIVERS = ("GTiff", "COG")

_KNOWN_TAGS = {
    "EOLINK_PRODUCT_TYPE", "EOLINK_SYNTHETIC", "EOLINK_TITLE", "EOLINK_DESCRIPTION", "EOLINK_SCENES",
    "EOLINK_TIME_START", "EOLINK_TIME_END", "EOLINK_SCENE_1", "EOLINK_SCENE_2", "EOLINK_PRODUCT_ID",
}


def raster_product_type(path: Path | str) -> str | None:
    """The ``EOLINK_PRODUCT_TYPE`` tag of a GeoTIFF, or None when it has none.

    >>> raster_product_type(Path("no-such.tif")) is None
    True
    """
    import rasterio
    from rasterio.errors import RasterioError

    try:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path) as ds:
            if ds.driver not in RASTER_DRIVERS:
                return None
            value = ds.tags().get("EOLINK_PRODUCT_TYPE")
    except (RasterioError, OSError):
        return None
    return value.strip() if value else None


def _open_checked(path: Path, band: int | None):
    """Open the raster and check driver, band count and data type; return (dataset, band index)."""
    import rasterio
    from rasterio.errors import RasterioError

    try:
        ds = rasterio.open(path)
    except (RasterioError, OSError) as err:
        raise fail(path, f"not a readable GeoTIFF, truncated or corrupt ({err})") from err
    try:
        if ds.driver not in RASTER_DRIVERS:
            raise fail(path, f"not a GeoTIFF (GDAL opened it as {ds.driver})")
        if band is None:
            if ds.count != 1:
                raise fail(path, f"has {ds.count} bands; a class raster has one (pass band= to choose)")
            band = 1
        elif not 1 <= band <= ds.count:
            raise fail(path, f"has no band {band} (bands 1..{ds.count})")
        dtype = np.dtype(ds.dtypes[band - 1])
        if dtype.kind not in "ui":
            raise fail(path, f"band {band} is {dtype.name}; class rasters must be integer (e.g. uint8)")
    except InputError:
        ds.close()
        raise
    return ds, band


def _read_classes(ds: Any, path: Path, band: int, window: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """The class array and its validity mask (True = data), of the whole raster or one window."""
    from rasterio.errors import RasterioError

    try:
        data = ds.read(band, window=window)
        if ds.nodata is not None:
            valid = data != ds.nodata
        else:
            valid = ds.read_masks(band, window=window) > 0
    except (RasterioError, OSError) as err:
        raise fail(path, f"truncated or corrupt raster data ({err})") from err
    return data, valid


def _polygonise(
    data: np.ndarray,
    valid: np.ndarray,
    transform: Any,
    *,
    connectivity: int,
    min_pixels: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Polygons (shapely array) and their class codes, in ``shapes`` order."""
    import shapely
    from rasterio.features import shapes, sieve

    if min_pixels is not None and min_pixels > 1:
        data = sieve(data, size=int(min_pixels), mask=valid, connectivity=connectivity)
    work = data
    if data.dtype.name not in ("uint8", "uint16", "int16", "int32"):  # the dtypes GDAL polygonises
        if data.size and (data.min() < np.iinfo(np.int32).min or data.max() > np.iinfo(np.int32).max):
            raise InputError(f"class values beyond the int32 range cannot be polygonised ({data.dtype})")
        work = data.astype(np.int32)
    # rasterio yields one GeoJSON-like mapping per region; building shapely objects
    # is necessarily per region (there is no array form of the generator).
    geoms: list[Any] = []
    codes: list[int] = []
    for geom, value in shapes(work, mask=valid, connectivity=connectivity, transform=transform):
        geoms.append(shapely.geometry.shape(geom))
        codes.append(int(value))
    return np.asarray(geoms, dtype=object), np.asarray(codes, dtype=np.int64)


def _polygonise_windowed(
    ds: Any,
    path: Path,
    band: int,
    *,
    window_size: int,
    connectivity: int,
    ignore_classes: Sequence[int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polygons (map coordinates), class codes and pixel counts, window by window (see the module docstring).

    Polygons are built in pixel coordinates (exact integers), so that regions cut by
    window edges can be matched exactly; they are moved to map coordinates at the end.
    """
    import shapely
    from affine import Affine
    from rasterio.windows import Window
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    height, width = ds.height, ds.width
    ignore = np.asarray(list(ignore_classes), dtype=np.int64)
    done_g: list[np.ndarray] = []
    done_c: list[np.ndarray] = []
    open_g: list[np.ndarray] = []
    open_c: list[np.ndarray] = []
    for row0 in range(0, height, window_size):
        for col0 in range(0, width, window_size):
            w, h = min(window_size, width - col0), min(window_size, height - row0)
            data, valid = _read_classes(ds, path, band, Window(col0, row0, w, h))
            geoms, codes = _polygonise(data, valid, Affine.translation(col0, row0), connectivity=connectivity,
                                       min_pixels=None)
            if len(ignore):
                keep = ~np.isin(codes, ignore)
                geoms, codes = geoms[keep], codes[keep]
            if not len(geoms):
                continue
            b = shapely.bounds(geoms)
            cut = (((b[:, 0] == col0) & (col0 > 0)) | ((b[:, 2] == col0 + w) & (col0 + w < width))
                   | ((b[:, 1] == row0) & (row0 > 0)) | ((b[:, 3] == row0 + h) & (row0 + h < height)))
            done_g.append(geoms[~cut]), done_c.append(codes[~cut])
            open_g.append(geoms[cut]), open_c.append(codes[cut])
    geoms = np.concatenate(done_g) if done_g else np.zeros(0, dtype=object)
    codes = np.concatenate(done_c) if done_c else np.zeros(0, dtype=np.int64)
    if open_g and sum(len(g) for g in open_g):
        og, oc = np.concatenate(open_g), np.concatenate(open_c)
        tree = shapely.STRtree(og)
        left, right = tree.query(og, predicate="intersects")
        pick = (left < right) & (oc[left] == oc[right])
        left, right = left[pick], right[pick]
        if connectivity == 4 and len(left):
            # regions of one class connect across a window edge only through a shared pixel edge
            shared = shapely.length(shapely.intersection(og[left], og[right])) > 0
            left, right = left[shared], right[shared]
        n = len(og)
        graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        order = np.argsort(labels, kind="stable")
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        merged = []
        # one union per merged region: shapely has no grouped union
        for group in np.split(order, bounds):
            merged.append(og[group[0]] if len(group) == 1 else shapely.union_all(og[group], grid_size=1))
        merged_codes = oc[order[np.r_[0, bounds]]]
        geoms = np.concatenate([geoms, np.asarray(merged + [None], dtype=object)[:-1]])
        codes = np.concatenate([codes, merged_codes])
    pixels = np.rint(shapely.area(geoms)).astype(np.int64) if len(geoms) else np.zeros(0, np.int64)
    if len(geoms):
        # row-major order of each region's first pixel
        b = shapely.bounds(geoms)
        top = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 1] + 1)
        first_col = shapely.bounds(shapely.intersection(geoms, top))[:, 0]
        order = np.lexsort((first_col, b[:, 1]))
        geoms, codes, pixels = geoms[order], codes[order], pixels[order]
        t = ds.transform
        geoms = shapely.transform(geoms, lambda xy: np.column_stack([
            t.c + xy[:, 0] * t.a + xy[:, 1] * t.b, t.f + xy[:, 0] * t.d + xy[:, 1] * t.e]))
    return geoms, codes, pixels


def _product_record(
    path: Path,
    ds: Any,
    tags: dict[str, str],
    product_type: str,
    crs: Any,
    *,
    product_id: str | None,
) -> ProductRecord:
    scenes = [s.strip() for s in tags.get("EOLINK_SCENES", "").split(",") if s.strip()]
    if not scenes:
        scenes = [tags[k].strip() for k in ("EOLINK_SCENE_1", "EOLINK_SCENE_2") if tags.get(k, "").strip()]
    extra: dict[str, Any] = {}
    for key, value in sorted(tags.items()):
        if key.startswith("EOLINK_") and key not in _KNOWN_TAGS:
            name = key[len("EOLINK_"):].lower()
            extra[name] = _typed(value)
    res_x, res_y = abs(ds.transform.a), abs(ds.transform.e)
    resolution = float(res_x) if np.isclose(res_x, res_y) else float(max(res_x, res_y))
    return ProductRecord(
        product_id=product_id or tags.get("EOLINK_PRODUCT_ID") or path.stem,
        product_type=product_type,
        title=tags.get("EOLINK_TITLE") or path.stem,
        description=tags.get("EOLINK_DESCRIPTION", ""),
        time_start=parse_iso(tags.get("EOLINK_TIME_START")),
        time_end=parse_iso(tags.get("EOLINK_TIME_END")),
        scenes=scenes,
        synthetic=truthy(tags.get("EOLINK_SYNTHETIC", "false")),
        source_file=path.name,
        file_format=ds.driver,
        crs_epsg=epsg_of(crs),
        resolution_m=resolution if crs is not None and not _is_geographic(crs) else None,
        extra=extra,
    )


def _is_geographic(crs: Any) -> bool:
    from pyproj import CRS

    return bool(CRS.from_user_input(crs).is_geographic)


_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")


def _typed(value: str) -> Any:
    """Tag text as int/float when it is a plain number, else the text."""
    text = value.strip()
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def read_raster(
    path: Path | str,
    *,
    product_type: str | None = None,
    crs: Any = None,
    band: int | None = None,
    connectivity: int = 4,
    min_pixels: int | None = None,
    simplify_tolerance: float | None = None,
    ignore_classes: Sequence[int] = (),
    product_id: str | None = None,
    window_size: int | None = None,
) -> FeatureTable:
    """Read a categorical GeoTIFF as polygons, one per connected region of a class.

    Parameters
    ----------
    path
        The GeoTIFF.
    product_type
        ``"change-mask"`` or ``"crop-type-map"``; default: the ``EOLINK_PRODUCT_TYPE`` tag.
    crs
        CRS to assume when the file has none (otherwise :class:`~eolink.errors.CRSError`).
        Ignored when the file has a CRS.
    band
        Band holding the classes; required when the file has several bands.
    connectivity
        4 (default) or 8.
    min_pixels
        Sieve: regions smaller than this many pixels merge into their largest neighbour.
    simplify_tolerance
        Douglas-Peucker tolerance in CRS units applied to the polygons (``pixel_count``
        and ``area_m2`` stay those of the pixel regions).
    ignore_classes
        Class codes whose regions are not returned.
    product_id
        Product identifier; default the ``EOLINK_PRODUCT_ID`` tag, else the file stem.
    window_size
        Process the raster in windows of this many pixels square (rasters larger than
        memory); the regions equal the whole-raster run's. Not with ``min_pixels``.

    Returns
    -------
    FeatureTable
        Columns ``id``, ``class_code``, ``pixel_count``, ``area_m2``, ``geometry``.

    Raises
    ------
    InputError
        Missing, empty, unreadable or truncated file; not a GeoTIFF; float data;
        several bands without ``band=``; unknown product type.
    CRSError
        The raster has no CRS and ``crs`` was not given.

    Examples
    --------
    >>> import tempfile
    >>> from eolink.samples import write_demo_world
    >>> world = write_demo_world(Path(tempfile.mkdtemp()))
    >>> table = read_raster(world.crop_map)
    >>> table.product.product_type, table.features.crs.to_epsg()
    ('crop-type-map', 32635)
    >>> list(table.features.columns)
    ['id', 'class_code', 'pixel_count', 'area_m2', 'geometry']
    """
    import geopandas as gpd
    import rasterio
    import shapely

    path = check_file(path)
    if connectivity not in (4, 8):
        raise InputError(f"connectivity must be 4 or 8, not {connectivity!r}")
    if window_size is not None:
        if int(window_size) < 1:
            raise InputError(f"window_size must be a positive number of pixels, not {window_size!r}")
        if min_pixels is not None and min_pixels > 1:
            raise InputError("min_pixels (sieving) needs whole regions and cannot be combined with window_size")
    with rasterio.Env(GDAL_PAM_ENABLED="NO"):
        ds, band = _open_checked(path, band)
        with ds:
            tags = ds.tags()
            ptype = product_type or (tags.get("EOLINK_PRODUCT_TYPE") or "").strip() or None
            if ptype is None:
                raise fail(path, "product type unknown (no EOLINK_PRODUCT_TYPE tag); pass product_type=")
            if ptype not in PRODUCT_TYPES:
                raise fail(path, f"unknown product type {ptype!r}; expected one of {', '.join(RASTER_PRODUCT_TYPES)}")
            if ptype not in RASTER_PRODUCT_TYPES:
                raise fail(path, f"product type {ptype!r} is not a raster product ({', '.join(RASTER_PRODUCT_TYPES)})")
            src_crs = resolve_crs(path, ds.crs, crs)
            transform = ds.transform
            record = _product_record(path, ds, tags, ptype, src_crs, product_id=product_id)
            if window_size is not None:
                geoms, codes, windowed_pixels = _polygonise_windowed(
                    ds, path, band, window_size=int(window_size), connectivity=connectivity,
                    ignore_classes=ignore_classes)
            else:
                data, valid = _read_classes(ds, path, band)

    report = ReadReport()
    if window_size is None:
        geoms, codes = _polygonise(data, valid, transform, connectivity=connectivity, min_pixels=min_pixels)
    report.rows_read = int(len(geoms))
    if window_size is not None:
        report.notes.append(f"processed in windows of {int(window_size)} pixels")
    if ignore_classes and window_size is None:
        keep = ~np.isin(codes, np.asarray(list(ignore_classes), dtype=np.int64))
        report.notes.append(f"ignored {int((~keep).sum())} regions of classes {sorted(set(ignore_classes))}")
        geoms, codes = geoms[keep], codes[keep]

    pixel_area = abs(transform.a * transform.e - transform.b * transform.d)
    if window_size is not None:
        pixel_count = windowed_pixels
    else:
        pixel_count = (np.rint(shapely.area(geoms) / pixel_area).astype(np.int64) if len(geoms)
                       else np.zeros(0, np.int64))
    if _is_geographic(src_crs):
        area = geodesic_area(geoms, src_crs)
    else:
        area = planar_area_m2(geoms, src_crs)
    if simplify_tolerance:
        geoms = shapely.simplify(geoms, float(simplify_tolerance), preserve_topology=True)
        report.notes.append(f"polygons simplified with tolerance {simplify_tolerance}")
    if min_pixels and min_pixels > 1:
        report.notes.append(f"regions under {min_pixels} pixels sieved into neighbours")

    frame = gpd.GeoDataFrame(
        {
            "id": [str(i) for i in range(len(geoms))],
            "class_code": codes.astype(np.int64),
            "pixel_count": pixel_count,
            "area_m2": area.astype(float),
        },
        geometry=gpd.GeoSeries(geoms, crs=src_crs),
        crs=src_crs,
    )
    report.rows_kept = len(frame)
    return FeatureTable(frame, record, report)
