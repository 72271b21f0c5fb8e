"""Measurements and descriptive properties: distance, area, length, perimeter, dimensions, bounds.

Metric values follow :mod:`eolink.sparql.geosparql.crs` (geodesic on WGS 84 for
geographic CRSs, planar for projected ones) and are converted to the requested unit by
:mod:`eolink.sparql.geosparql.units`.

>>> from eolink.ontology import CRS84
>>> round(distance(shapely.Point(24, 60), shapely.Point(25, 60), CRS84, "http://www.opengis.net/def/uom/OGC/1.0/metre"))
55799
>>> coordinate_dimension(shapely.from_wkt("POINT M (1 2 3)")), spatial_dimension(shapely.Point(1, 2))
(3, 2)
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from eolink.errors import GeometryError, InputError
from eolink.ontology import SF
from eolink.sparql.geosparql.crs import metric_area, metric_distance, metric_length
from eolink.sparql.geosparql.units import from_metres, from_square_metres

__all__ = [
    "distance",
    "area",
    "length",
    "perimeter",
    "is_empty",
    "is_simple",
    "is_measured",
    "is_3d",
    "dimension",
    "coordinate_dimension",
    "spatial_dimension",
    "num_geometries",
    "geometry_type",
    "BOUNDS",
]

_has_m = getattr(shapely, "has_m", None)  # shapely ≥ 2.1


def distance(a: BaseGeometry, b: BaseGeometry, crs: str, unit: str) -> float:
    """``geof:distance`` in ``unit`` (``metricDistance`` is ``unit = uom:metre``)."""
    return from_metres(metric_distance(a, b, crs), unit)


def area(geometry: BaseGeometry, crs: str, unit: str) -> float:
    """``geof:area`` (``metricArea`` in m²): 0 for non-areal geometries, as GeoSPARQL 1.1 says."""
    return from_square_metres(metric_area(geometry, crs), unit)


def length(geometry: BaseGeometry, crs: str, unit: str) -> float:
    """``geof:length``: length of lines, length of the boundary of polygons, 0 for points."""
    return from_metres(metric_length(geometry, crs), unit)


def perimeter(geometry: BaseGeometry, crs: str, unit: str) -> float:
    """``geof:perimeter``: boundary length of areal geometries, the length otherwise (GeoSPARQL 1.1)."""
    return from_metres(metric_length(geometry, crs), unit)


def is_empty(geometry: BaseGeometry) -> bool:
    """``geof:isEmpty``: whether the geometry has no points."""
    return bool(shapely.is_empty(geometry))


def is_simple(geometry: BaseGeometry) -> bool:
    """``geof:isSimple``: no self-intersection or self-tangency; the empty geometry is simple (OGC 06-103r4).

    >>> is_simple(shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")), is_simple(shapely.from_wkt("LINESTRING (0 0, 1 1, 1 0, 0 1)"))
    (True, False)
    """
    return bool(shapely.is_empty(geometry) or shapely.is_simple(geometry))


def is_measured(geometry: BaseGeometry) -> bool:
    """``geof:isMeasured``: whether the coordinates carry an M value."""
    return bool(_has_m(geometry)) if _has_m is not None else False


def is_3d(geometry: BaseGeometry) -> bool:
    """``geof:is3D``: whether the coordinates carry a Z value."""
    return bool(shapely.has_z(geometry))


def dimension(geometry: BaseGeometry) -> int:
    """``geof:dimension``: topological dimension (largest member's for collections).

    >>> dimension(shapely.box(0, 0, 1, 1)), dimension(shapely.from_wkt("LINESTRING EMPTY"))
    (2, 1)
    """
    value = int(shapely.get_dimensions(geometry))
    if value < 0:
        raise GeometryError("an empty collection has no dimension")
    return value


def spatial_dimension(geometry: BaseGeometry) -> int:
    """``geof:spatialDimension``: 3 with Z, else 2 (M is not spatial)."""
    return 3 if shapely.has_z(geometry) else 2


def coordinate_dimension(geometry: BaseGeometry) -> int:
    """``geof:coordinateDimension``: spatial dimension plus one for M."""
    return spatial_dimension(geometry) + int(is_measured(geometry))


def num_geometries(geometry: BaseGeometry) -> int:
    """``geof:numGeometries``: members of a collection, 1 for a single geometry, 0 when empty."""
    return int(shapely.get_num_geometries(geometry))


def geometry_type(geometry: BaseGeometry) -> str:
    """``geof:geometryType``: the Simple Features class IRI (``sf:Polygon``…).

    >>> geometry_type(shapely.Point(0, 0))
    'http://www.opengis.net/ont/sf#Point'
    """
    return SF + geometry.geom_type


def _bound(geometry: BaseGeometry, axis: int, largest: bool) -> float:
    coords = shapely.get_coordinates(geometry, include_z=axis == 2)
    if not len(coords):
        raise GeometryError("an empty geometry has no coordinates")
    values = coords[:, axis]
    if np.isnan(values).all():
        raise InputError("the geometry has no Z coordinates")
    return float(np.nanmax(values) if largest else np.nanmin(values))


#: ``geof:minX`` … ``geof:maxZ``: coordinate bounds in the geometry's own CRS and axis order.
BOUNDS = {
    f"{side}{axis_name}": (lambda g, axis=axis, largest=side == "max": _bound(g, axis, largest))
    for side in ("min", "max")
    for axis, axis_name in enumerate("XYZ")
}
