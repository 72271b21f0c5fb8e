"""GeoJSON geometries (``geo:geoJSONLiteral``): always CRS84 longitude/latitude (RFC 7946).

A literal holds a GeoJSON geometry object; a Feature's ``geometry`` is accepted too.
An empty literal, ``null`` or ``{"geometry": null}`` is the empty geometry
(GeoSPARQL 1.1 Req. geojson-literal-empty).

>>> parse_geojson('{"type": "Point", "coordinates": [24.9, 60.2]}')[0].wkt
'POINT (24.9 60.2)'
>>> format_geojson(shapely.Point(24.9, 60.2))
'{"type":"Point","coordinates":[24.9,60.2]}'
"""

from __future__ import annotations

import json

import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from eolink.errors import GeometryError
from eolink.ontology import CRS84

__all__ = ["parse_geojson", "format_geojson"]

_EMPTY = shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")


def parse_geojson(text: str) -> tuple[BaseGeometry, str]:
    """Parse a GeoJSON geometry: (shapely geometry, CRS84). Raises GeometryError.

    >>> parse_geojson("")[0].is_empty
    True
    """
    if not text.strip():
        return _EMPTY, CRS84
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise GeometryError(f"malformed GeoJSON: {err}") from err
    if isinstance(data, dict) and data.get("type") == "Feature" or (isinstance(data, dict) and set(data) == {"geometry"}):
        data = data.get("geometry")
    if data is None:
        return _EMPTY, CRS84
    if not isinstance(data, dict) or "type" not in data:
        raise GeometryError("GeoJSON literal is not a geometry object")
    try:
        return shapely.geometry.shape(data), CRS84
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.GEOSException) as err:
        raise GeometryError(f"invalid GeoJSON geometry: {err}") from err


def format_geojson(geometry: BaseGeometry) -> str:
    """The compact GeoJSON of a CRS84 geometry (the caller reprojects).

    >>> format_geojson(shapely.from_wkt("POINT EMPTY"))
    '{"type":"Point","coordinates":[]}'
    """
    return shapely.to_geojson(geometry)
