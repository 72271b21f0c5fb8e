"""KML geometries (``geo:kmlLiteral``): always CRS84 longitude/latitude[/altitude].

Point, LineString, LinearRing, Polygon (outer/innerBoundaryIs) and MultiGeometry;
elements are matched by local name, so the KML 2.2 namespace is optional. An empty
literal is the empty geometry.

>>> parse_kml('<Point xmlns="http://www.opengis.net/kml/2.2"><coordinates>-83.38,33.95</coordinates></Point>')[0].wkt
'POINT (-83.38 33.95)'
>>> format_kml(shapely.LineString([(0, 0), (1, 1)]))
'<LineString xmlns="http://www.opengis.net/kml/2.2"><coordinates>0,0 1,1</coordinates></LineString>'
"""

from __future__ import annotations

import numpy as np
import shapely
from lxml import etree
from shapely.geometry.base import BaseGeometry

from eolink.errors import GeometryError
from eolink.ontology import CRS84

__all__ = ["KML_NS", "parse_kml", "format_kml"]

KML_NS = "http://www.opengis.net/kml/2.2"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
_EMPTY = shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _find(element: etree._Element, name: str) -> etree._Element | None:
    return next((child for child in element if _local(child) == name), None)


def _coords(element: etree._Element) -> np.ndarray:
    node = _find(element, "coordinates")
    text = (node.text or "") if node is not None else ""
    try:
        rows = [[float(v) for v in t.split(",")] for t in text.split()]
    except ValueError as err:
        raise GeometryError(f"KML coordinates are not numbers: {text!r:.80}") from err
    if rows and len({len(r) for r in rows}) != 1:
        raise GeometryError("KML coordinates mix dimensions")
    return np.asarray(rows, dtype=float).reshape(len(rows), len(rows[0]) if rows else 2)


def _ring(boundary: etree._Element | None) -> np.ndarray:
    ring = _find(boundary, "LinearRing") if boundary is not None else None
    if ring is None:
        raise GeometryError("KML polygon boundary has no LinearRing")
    return _coords(ring)


def _geometry(element: etree._Element) -> BaseGeometry:
    name = _local(element)
    if name == "Point":
        coords = _coords(element)
        return shapely.Point(coords[0]) if len(coords) else shapely.Point()
    if name in ("LineString", "LinearRing"):
        coords = _coords(element)
        return shapely.LineString(coords) if len(coords) else shapely.LineString()
    if name == "Polygon":
        outer = _find(element, "outerBoundaryIs")
        if outer is None:
            return shapely.Polygon()
        holes = [_ring(b) for b in element if _local(b) == "innerBoundaryIs"]
        return shapely.Polygon(_ring(outer), holes)
    if name == "MultiGeometry":
        parts = [_geometry(child) for child in element if isinstance(child.tag, str)]
        kinds = {p.geom_type for p in parts}
        if parts and kinds == {"Point"}:
            return shapely.MultiPoint(parts)
        if parts and kinds == {"LineString"}:
            return shapely.MultiLineString(parts)
        if parts and kinds == {"Polygon"}:
            return shapely.MultiPolygon(parts)
        return shapely.GeometryCollection(parts)
    raise GeometryError(f"unsupported KML geometry <{name}>")


def parse_kml(text: str) -> tuple[BaseGeometry, str]:
    """Parse a KML geometry element: (shapely geometry, CRS84). Raises GeometryError.

    >>> parse_kml("   ")[0].is_empty
    True
    """
    text = text.strip()
    if not text:
        return _EMPTY, CRS84
    try:
        root = etree.fromstring(text.encode(), _PARSER)
    except etree.XMLSyntaxError as err:
        raise GeometryError(f"malformed KML: {err}") from err
    try:
        return _geometry(root), CRS84
    except (ValueError, TypeError, shapely.errors.GEOSException) as err:
        if isinstance(err, GeometryError):
            raise
        raise GeometryError(f"invalid KML geometry: {err}") from err


def _coordinates_text(geometry: BaseGeometry) -> str:
    coords = shapely.get_coordinates(geometry, include_z=bool(shapely.has_z(geometry)))
    return " ".join(",".join(repr(float(v)).removesuffix(".0") for v in row) for row in coords)


def _write(geometry: BaseGeometry, parent: etree._Element | None) -> etree._Element:
    def element(tag: str, under: etree._Element | None) -> etree._Element:
        qname = f"{{{KML_NS}}}{tag}"
        return etree.SubElement(under, qname) if under is not None else etree.Element(qname, nsmap={None: KML_NS})

    kind = geometry.geom_type
    if kind in ("Point", "LineString", "LinearRing"):
        node = element(kind, parent)
        element("coordinates", node).text = _coordinates_text(geometry)
    elif kind == "Polygon":
        node = element("Polygon", parent)
        if not geometry.is_empty:
            for tag, ring in [("outerBoundaryIs", geometry.exterior)] + [("innerBoundaryIs", r) for r in geometry.interiors]:
                element("coordinates", element("LinearRing", element(tag, node))).text = _coordinates_text(ring)
    else:
        node = element("MultiGeometry", parent)
        for part in geometry.geoms:
            _write(part, node)
    return node


def format_kml(geometry: BaseGeometry) -> str:
    """The KML 2.2 serialisation of a CRS84 geometry (the caller reprojects).

    >>> format_kml(shapely.Point(24.9, 60.2, 10))
    '<Point xmlns="http://www.opengis.net/kml/2.2"><coordinates>24.9,60.2,10</coordinates></Point>'
    """
    return etree.tostring(_write(geometry, None), encoding="unicode")
