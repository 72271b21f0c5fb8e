"""Functions that build a new geometry: set operations, hulls, buffers, envelopes, transform.

Every function takes shapely geometries in one CRS (the caller reprojects the second
argument into the first one's CRS) and returns a geometry in that CRS, except
:func:`transform`.

>>> a, b = shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)
>>> SET_OPERATIONS["intersection"](a, b).area, SET_OPERATIONS["union"](a, b).area
(1.0, 7.0)
>>> envelope(shapely.LineString([(0, 0), (2, 1)])).wkt
'POLYGON ((0 0, 2 0, 2 1, 0 1, 0 0))'
"""

from __future__ import annotations

from collections.abc import Callable

import shapely
from shapely.geometry.base import BaseGeometry

from eolink.errors import GeometryError, InputError
from eolink.sparql.geosparql.crs import metric_buffer
from eolink.sparql.geosparql.literals import transform_geometry

__all__ = [
    "SET_OPERATIONS",
    "CONCAVE_HULL_RATIO",
    "buffer",
    "convex_hull",
    "concave_hull",
    "envelope",
    "boundary",
    "centroid",
    "bounding_circle",
    "geometry_n",
    "transform",
]

#: Default ``ratio`` of :func:`shapely.concave_hull` for ``geof:concaveHull`` / ``aggConcaveHull``
#: (0 = most concave, 1 = convex hull); ``geof:concaveHull`` takes an optional second argument.
CONCAVE_HULL_RATIO = 0.3


def _checked(result: BaseGeometry | None) -> BaseGeometry:
    if result is None:
        raise GeometryError("the operation is undefined for this geometry")
    return result


#: ``geof:intersection``, ``union``, ``difference``, ``symDifference``.
SET_OPERATIONS: dict[str, Callable[[BaseGeometry, BaseGeometry], BaseGeometry]] = {
    "intersection": lambda a, b: _checked(shapely.intersection(a, b)),
    "union": lambda a, b: _checked(shapely.union(a, b)),
    "difference": lambda a, b: _checked(shapely.difference(a, b)),
    "symDifference": lambda a, b: _checked(shapely.symmetric_difference(a, b)),
}


def buffer(geometry: BaseGeometry, crs: str, metres: float) -> BaseGeometry:
    """``geof:buffer``/``metricBuffer``: all points within ``metres`` (see :mod:`.crs` for the method).

    >>> round(buffer(shapely.Point(0, 0), "http://www.opengis.net/def/crs/EPSG/0/3067", 1).area, 2)
    3.12
    """
    return _checked(metric_buffer(geometry, crs, metres))


def convex_hull(geometry: BaseGeometry) -> BaseGeometry:
    """``geof:convexHull``."""
    return _checked(shapely.convex_hull(geometry))


def concave_hull(geometry: BaseGeometry, ratio: float = CONCAVE_HULL_RATIO) -> BaseGeometry:
    """``geof:concaveHull``: GEOS concave hull of the vertices with edge-length ``ratio``.

    >>> concave_hull(shapely.MultiPoint([(0, 0), (1, 0), (0, 1)]), 1.0).area
    0.5
    """
    if not 0.0 <= ratio <= 1.0:
        raise InputError(f"the concave hull ratio must be in [0, 1], got {ratio}")
    return _checked(shapely.concave_hull(geometry, ratio=ratio))


def envelope(geometry: BaseGeometry) -> BaseGeometry:
    """``geof:envelope``: the bounding box (a point or line when degenerate)."""
    return _checked(shapely.envelope(geometry))


def boundary(geometry: BaseGeometry) -> BaseGeometry:
    """``geof:boundary``: closure of the boundary (undefined for mixed collections).

    >>> boundary(shapely.LineString([(0, 0), (1, 0)])).wkt
    'MULTIPOINT ((0 0), (1 0))'
    """
    return _checked(shapely.boundary(geometry))


def centroid(geometry: BaseGeometry) -> BaseGeometry:
    """``geof:centroid``: the planar centroid in the geometry's CRS."""
    return _checked(shapely.centroid(geometry))


def bounding_circle(geometry: BaseGeometry) -> BaseGeometry:
    """``geof:boundingCircle``: the minimum bounding circle (a polygon), planar in the geometry's CRS."""
    return _checked(shapely.minimum_bounding_circle(geometry))


def geometry_n(geometry: BaseGeometry, n: int) -> BaseGeometry:
    """``geof:geometryN``: the n-th member (1-based) of a collection, or the geometry itself for n = 1.

    >>> geometry_n(shapely.MultiPoint([(0, 0), (1, 1)]), 2).wkt
    'POINT (1 1)'
    """
    count = int(shapely.get_num_geometries(geometry))
    if shapely.get_type_id(geometry) < 4:
        if n == 1 and count == 1:
            return geometry
        raise InputError(f"geometryN({n}) of a single {geometry.geom_type}")
    if not 1 <= n <= count:
        raise InputError(f"geometryN({n}) of a collection of {count}")
    return shapely.get_geometry(geometry, n - 1)


def transform(geometry: BaseGeometry, source: str, target: str) -> BaseGeometry:
    """``geof:transform``: reproject into the CRS ``target`` (both CRS IRIs)."""
    return transform_geometry(geometry, source, target)
