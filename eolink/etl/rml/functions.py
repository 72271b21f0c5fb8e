"""The FNML function registry: geometry functions and a few string functions.

A function is a table entry ``IRI -> Function``; each implementation takes whole
columns (pandas Series, or a scalar for constant inputs) and returns a Series,
using shapely 2's array functions. Geometry inputs may be shapely geometries
(a GeoDataFrame column) or WKT strings; ``crs`` is the CRS of the source table.

The eolink functions live in ``https://w3id.org/eolink/functions#`` (``eolf:``);
GeoTriples' ``rrxf:`` names are registered as aliases.

>>> import pandas as pd
>>> from shapely.geometry import Point
>>> as_wkt(pd.Series([Point(24.9, 60.2)]), crs="EPSG:4326").tolist()
['POINT (24.9 60.2)']
>>> as_wkt(pd.Series([Point(500000, 6700000)]), crs="EPSG:32635").tolist()
['<http://www.opengis.net/def/crs/EPSG/0/32635> POINT (500000 6700000)']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import shapely

from eolink.errors import CRSError, GeometryError
from eolink.etl.rml.vocabulary import EOLF, GREL, GREL_NEW, RRXF

__all__ = [
    "Function",
    "FUNCTIONS",
    "register",
    "get_function",
    "crs_iri_prefix",
    "as_wkt",
    "as_gml",
    "as_geojson",
    "area",
    "length",
    "centroid_x",
    "centroid_y",
    "dimension",
    "coordinate_dimension",
    "is_simple",
    "is_empty",
    "is_3d",
    "transform",
]

Value = pd.Series | Any


@dataclass(frozen=True)
class Function:
    """A registered function: its IRI, parameter local names in order, implementation.

    ``variadic`` functions take any number of inputs (all passed positionally).
    """

    iri: str
    params: tuple[str, ...]
    impl: Callable[..., pd.Series]
    variadic: bool = False


#: function IRI -> Function.
FUNCTIONS: dict[str, Function] = {}


def register(iri: str, params: tuple[str, ...], impl: Callable[..., pd.Series], *, variadic: bool = False) -> None:
    """Add (or replace) a function in :data:`FUNCTIONS`."""
    FUNCTIONS[str(iri)] = Function(str(iri), params, impl, variadic)


def get_function(iri: str) -> Function | None:
    """The function registered under ``iri``, or None."""
    return FUNCTIONS.get(str(iri))


# -- CRS ---------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _crs_prefix_cached(key: str) -> str:
    from pyproj import CRS

    crs = CRS.from_user_input(key)
    auth = crs.to_authority(min_confidence=90)
    if auth == ("OGC", "CRS84") or crs.to_epsg() == 4326:
        return ""
    epsg = crs.to_epsg()
    if epsg is not None:
        return f"<http://www.opengis.net/def/crs/EPSG/0/{epsg}> "
    if auth is not None:
        return f"<http://www.opengis.net/def/crs/{auth[0]}/0/{auth[1]}> "
    raise CRSError(f"CRS {crs.name!r} has no EPSG or OGC code; cannot name it in a WKT literal")


def _crs_key(crs: Any) -> str | None:
    if crs is None:
        return None
    if isinstance(crs, str) and crs.startswith("http://www.opengis.net/def/crs/"):
        parts = crs.rstrip("/").split("/")
        return "OGC:CRS84" if parts[-1] == "CRS84" else f"{parts[-3]}:{parts[-1]}"
    if hasattr(crs, "to_wkt"):
        auth = crs.to_authority(min_confidence=90)
        return f"{auth[0]}:{auth[1]}" if auth else crs.to_wkt()
    return str(crs)


def crs_iri_prefix(crs: Any) -> str:
    """The ``"<crs-iri> "`` prefix of a GeoSPARQL WKT literal; empty for CRS84/EPSG:4326 or no CRS.

    Data in EPSG:4326 is written as CRS84 (lon/lat): in GeoSPARQL an EPSG:4326
    prefix would declare lat/lon axis order.

    >>> crs_iri_prefix("EPSG:4326"), crs_iri_prefix("EPSG:3067")
    ('', '<http://www.opengis.net/def/crs/EPSG/0/3067> ')
    """
    key = _crs_key(crs)
    if key is None:
        return ""
    try:
        return _crs_prefix_cached(key)
    except CRSError:
        raise
    except Exception as err:  # pyproj.exceptions.CRSError and friends
        raise CRSError(f"unknown CRS {crs!r}: {err}") from err


def _srs_name(crs: Any) -> str:
    prefix = crs_iri_prefix(crs)
    return prefix.strip()[1:-1] if prefix else "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


# -- geometry inputs -----------------------------------------------------------------
def _geometries(values: Value, n: int | None = None) -> np.ndarray:
    """An object array of shapely geometries (None where missing) from geometries or WKT."""
    if not isinstance(values, pd.Series):
        values = pd.Series([values] * (n or 1))
    if getattr(values.dtype, "name", "") == "geometry":
        return np.asarray(values.array, dtype=object)
    arr = np.asarray(values, dtype=object)
    is_geom = shapely.is_geometry(arr)
    if is_geom.all():
        return arr
    out = np.where(is_geom, arr, None)
    text = ~is_geom & pd.notna(arr)
    if text.any():
        try:
            out[text] = shapely.from_wkt(arr[text].astype(str))
        except shapely.errors.GEOSException as err:
            raise GeometryError(f"not a WKT geometry: {err}") from err
    return out


def _series(values: np.ndarray, index: pd.Index | None = None) -> pd.Series:
    return pd.Series(values, index=index)


def _index(values: Value) -> pd.Index | None:
    return values.index if isinstance(values, pd.Series) else None


def _missing_to_none(result: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    result = result.astype(object)
    result[pd.isna(geoms)] = None
    return result


# -- geometry functions ----------------------------------------------------------------
def as_wkt(geometry: Value, *, crs: Any = None, n: int | None = None) -> pd.Series:
    """GeoSPARQL WKT literal lexical forms (CRS IRI prefix unless CRS84/EPSG:4326)."""
    geoms = _geometries(geometry, n)
    wkt = shapely.to_wkt(geoms, rounding_precision=-1)
    prefix = crs_iri_prefix(crs)
    if prefix:
        wkt = np.array([None if w is None else prefix + w for w in wkt], dtype=object) if wkt.size else wkt
    return _series(wkt, _index(geometry))


def _gml(geom: Any, srs: str | None) -> str:
    attrs = f' srsName="{srs}"' if srs else ""
    ns = ' xmlns:gml="http://www.opengis.net/gml/3.2"' if srs else ""
    kind = geom.geom_type

    def pos(coords: np.ndarray) -> str:
        return " ".join(repr(float(c)) for c in np.asarray(coords).ravel())

    if kind == "Point":
        if geom.is_empty:
            return f"<gml:Point{ns}{attrs}/>"
        return f"<gml:Point{ns}{attrs}><gml:pos>{pos(shapely.get_coordinates(geom))}</gml:pos></gml:Point>"
    if kind in ("LineString", "LinearRing"):
        return f"<gml:LineString{ns}{attrs}><gml:posList>{pos(shapely.get_coordinates(geom))}</gml:posList></gml:LineString>"
    if kind == "Polygon":
        def ring(r: Any) -> str:
            return f"<gml:LinearRing><gml:posList>{pos(shapely.get_coordinates(r))}</gml:posList></gml:LinearRing>"

        inner = "".join(f"<gml:interior>{ring(r)}</gml:interior>" for r in geom.interiors)
        ext = f"<gml:exterior>{ring(geom.exterior)}</gml:exterior>" if not geom.is_empty else ""
        return f"<gml:Polygon{ns}{attrs}>{ext}{inner}</gml:Polygon>"
    multi = {"MultiPoint": ("MultiPoint", "pointMember"), "MultiLineString": ("MultiCurve", "curveMember"),
             "MultiPolygon": ("MultiSurface", "surfaceMember"), "GeometryCollection": ("MultiGeometry", "geometryMember")}
    tag, member = multi[kind]
    parts = "".join(f"<gml:{member}>{_gml(g, None)}</gml:{member}>" for g in geom.geoms)
    return f"<gml:{tag}{ns}{attrs}>{parts}</gml:{tag}>"


def as_gml(geometry: Value, *, crs: Any = None, n: int | None = None) -> pd.Series:
    """GML 3.2 serialisations (``srsName`` the CRS IRI; CRS84 for lon/lat)."""
    geoms = _geometries(geometry, n)
    srs = _srs_name(crs)
    # shapely has no GML writer: one Python call per geometry
    out = np.array([None if g is None else _gml(g, srs) for g in geoms], dtype=object)
    return _series(out, _index(geometry))


def _to_lonlat(geoms: np.ndarray, crs: Any) -> np.ndarray:
    if crs is None or crs_iri_prefix(crs) == "":
        return geoms
    from pyproj import CRS, Transformer

    transformer = Transformer.from_crs(CRS.from_user_input(_crs_key(crs)), CRS("OGC:CRS84"), always_xy=True)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def as_geojson(geometry: Value, *, crs: Any = None, n: int | None = None) -> pd.Series:
    """GeoJSON geometries, reprojected to lon/lat WGS 84 as RFC 7946 requires."""
    geoms = _to_lonlat(_geometries(geometry, n), crs)
    return _series(_missing_to_none(shapely.to_geojson(geoms), geoms), _index(geometry))


def _measure(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[..., pd.Series]:
    def impl(geometry: Value, *, crs: Any = None, n: int | None = None) -> pd.Series:
        geoms = _geometries(geometry, n)
        values = fn(geoms)
        result = pd.Series(values, index=_index(geometry))
        return result.where(pd.notna(geoms)) if result.dtype.kind == "f" else _series(
            _missing_to_none(np.asarray(values), geoms), _index(geometry))

    impl.__doc__ = fn.__doc__
    return impl


area = _measure(shapely.area)
area.__doc__ = "Areas in the units of the source CRS."
length = _measure(shapely.length)
length.__doc__ = "Lengths (perimeters of polygons) in the units of the source CRS."
centroid_x = _measure(lambda g: shapely.get_x(shapely.centroid(g)))
centroid_x.__doc__ = "X (longitude/easting) of the centroids."
centroid_y = _measure(lambda g: shapely.get_y(shapely.centroid(g)))
centroid_y.__doc__ = "Y (latitude/northing) of the centroids."
dimension = _measure(shapely.get_dimensions)
dimension.__doc__ = "Topological dimension: 0 points, 1 lines, 2 polygons."
coordinate_dimension = _measure(shapely.get_coordinate_dimension)
coordinate_dimension.__doc__ = "Coordinate dimension: 2 or 3."
is_simple = _measure(shapely.is_simple)
is_simple.__doc__ = "Whether each geometry is simple."
is_empty = _measure(shapely.is_empty)
is_empty.__doc__ = "Whether each geometry is empty."
is_3d = _measure(shapely.has_z)
is_3d.__doc__ = "Whether each geometry has Z coordinates."


def transform(geometry: Value, target: Value, *, crs: Any = None, n: int | None = None) -> pd.Series:
    """WKT literals of the geometries reprojected from the source CRS to ``target``.

    ``target`` is an EPSG code (``"EPSG:3857"``, ``"3857"``) or a CRS IRI.
    """
    from pyproj import CRS, Transformer

    if crs is None:
        raise CRSError("transform: the source table has no CRS")
    geoms = _geometries(geometry, n)
    targets = target if isinstance(target, pd.Series) else pd.Series([target] * len(geoms), index=_index(geometry))
    out = np.full(len(geoms), None, dtype=object)
    source = CRS.from_user_input(_crs_key(crs))
    # one vectorised reprojection per distinct target CRS (normally exactly one)
    for value in pd.unique(targets.dropna()):
        key = _crs_key(str(value))
        key = f"EPSG:{key}" if key and key.isdigit() else key
        transformer = Transformer.from_crs(source, CRS.from_user_input(key), always_xy=True)
        mask = (targets == value).to_numpy()

        def fn(xy: np.ndarray, t: Any = transformer) -> np.ndarray:
            x, y = t.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        moved = shapely.transform(geoms[mask], fn)
        out[mask] = as_wkt(pd.Series(moved), crs=key).to_numpy()
    out[pd.isna(geoms)] = None
    return _series(out, _index(geometry))


# -- string functions -----------------------------------------------------------------------
def _strings(values: Value, n: int | None) -> pd.Series:
    if not isinstance(values, pd.Series):
        values = pd.Series([values] * (n or 1))
    return values.astype("string")


def to_upper(value: Value, *, crs: Any = None, n: int | None = None) -> pd.Series:
    """Upper-case text."""
    return _strings(value, n).str.upper()


def to_lower(value: Value, *, crs: Any = None, n: int | None = None) -> pd.Series:
    """Lower-case text."""
    return _strings(value, n).str.lower()


def trim(value: Value, *, crs: Any = None, n: int | None = None) -> pd.Series:
    """Text without leading and trailing whitespace."""
    return _strings(value, n).str.strip()


def concat(*values: Value, crs: Any = None, n: int | None = None) -> pd.Series:
    """Concatenation of all inputs (missing if any is missing)."""
    parts = [_strings(v, n).reset_index(drop=True) for v in values if v is not None]
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return out


_GEOMETRY_FUNCTIONS: dict[str, Callable[..., pd.Series]] = {
    "asWKT": as_wkt,
    "asGML": as_gml,
    "asGeoJSON": as_geojson,
    "area": area,
    "length": length,
    "centroidX": centroid_x,
    "centroidY": centroid_y,
    "dimension": dimension,
    "coordinateDimension": coordinate_dimension,
    "isSimple": is_simple,
    "isEmpty": is_empty,
    "is3D": is_3d,
}
for _name, _impl in _GEOMETRY_FUNCTIONS.items():
    register(EOLF[_name], ("geometry",), _impl)
register(EOLF.transform, ("geometry", "crs"), transform)
# GeoTriples' names (rrxf:), see its FunctionFactory registrations
for _name, _impl in {
    "asWKT": as_wkt, "hasSerialization": as_wkt, "asGML": as_gml, "isSimple": is_simple, "isEmpty": is_empty,
    "is3D": is_3d, "spatialDimension": dimension, "dimension": dimension,
    "coordinateDimension": coordinate_dimension, "area": area, "length": length,
    "centroidx": centroid_x, "centroidy": centroid_y,
}.items():
    register(RRXF[_name], ("geometry",), _impl)
for _ns in (GREL, GREL_NEW):
    register(_ns.toUpperCase, ("valueParameter",), to_upper)
    register(_ns.toLowerCase, ("valueParameter",), to_lower)
    register(_ns.string_trim, ("valueParameter",), trim)
    register(_ns.trim, ("valueParameter",), trim)
register(EOLF.upper, ("value",), to_upper)
register(EOLF.lower, ("value",), to_lower)
register(EOLF.trim, ("value",), trim)
register(EOLF.concat, (), concat, variadic=True)
