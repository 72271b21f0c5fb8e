"""GML simple-feature geometries (``geo:gmlLiteral``): parse to shapely, write GML 3.2.

Reading is namespace-agnostic (elements are matched by local name), since literals in
the wild use the GML 3.2 namespace, the older ``http://www.opengis.net/gml``, or a
made-up one (the GeoSPARQL benchmark writes ``http://www.opengis.net/ont/gml``).
Supported: Point, LineString, LinearRing, Polygon, Envelope, Curve (LineStringSegment
and linear segments), Surface/PolygonPatch, MultiPoint, MultiCurve/MultiLineString,
MultiSurface/MultiPolygon, MultiGeometry, with ``pos``/``posList``/``coordinates``
(GML 2) and ``srsDimension``. ``srsName`` gives the CRS (CRS84 when absent); EPSG
axis order is kept, as in WKT literals. Curved segments (arcs, splines) are rejected.

>>> geom, crs = parse_gml('<gml:Point xmlns:gml="http://www.opengis.net/gml/3.2" srsName="EPSG:3067"><gml:pos>1 2</gml:pos></gml:Point>')
>>> geom.wkt, crs
('POINT (1 2)', 'http://www.opengis.net/def/crs/EPSG/0/3067')
>>> format_gml(shapely.LineString([(0, 0), (1, 1)]), crs)
'<gml:LineString xmlns:gml="http://www.opengis.net/gml/3.2" srsName="http://www.opengis.net/def/crs/EPSG/0/3067"><gml:posList srsDimension="2">0 0 1 1</gml:posList></gml:LineString>'
"""

from __future__ import annotations

import numpy as np
import shapely
from lxml import etree
from shapely.geometry.base import BaseGeometry

from eolink.errors import GeometryError
from eolink.ontology import CRS84
from eolink.sparql.geosparql.crs import normalise_crs_iri

__all__ = ["GML_NS", "parse_gml", "format_gml"]

GML_NS = "http://www.opengis.net/gml/3.2"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
_EMPTY = shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element: etree._Element, *names: str) -> list[etree._Element]:
    return [child for child in element if _local(child) in names]


def _child(element: etree._Element, *names: str) -> etree._Element | None:
    found = _children(element, *names)
    return found[0] if found else None


def _dimension(element: etree._Element, inherited: int) -> int:
    value = element.get("srsDimension") or element.get("dimension")
    return int(value) if value else inherited


def _numbers(text: str | None) -> list[float]:
    try:
        return [float(token) for token in (text or "").split()]
    except ValueError as err:
        raise GeometryError(f"GML coordinates are not numbers: {text!r:.80}") from err


def _coords(element: etree._Element, dim: int) -> np.ndarray:
    """The coordinate array below a Point/LineString/LinearRing/segment element."""
    pos_list = _child(element, "posList")
    if pos_list is not None:
        values = _numbers(pos_list.text)
        dim = _dimension(pos_list, dim)
        if len(values) % dim:
            raise GeometryError(f"GML posList of {len(values)} numbers is not a multiple of srsDimension {dim}")
        return np.asarray(values, dtype=float).reshape(-1, dim)
    coordinates = _child(element, "coordinates")
    if coordinates is not None:  # GML 2: "x,y x,y"; cs and ts attributes allow other separators
        cs, ts, decimal = coordinates.get("cs", ","), coordinates.get("ts", " "), coordinates.get("decimal", ".")
        text = (coordinates.text or "").strip()
        tuples = [t for t in (text.split() if ts.isspace() else text.split(ts)) if t]
        try:
            rows = [[float(v.replace(decimal, ".")) for v in t.split(cs)] for t in tuples]
        except ValueError as err:
            raise GeometryError(f"GML coordinates are not numbers: {text!r:.80}") from err
        if rows and len({len(r) for r in rows}) != 1:
            raise GeometryError("GML coordinates mix dimensions")
        return np.asarray(rows, dtype=float).reshape(len(rows), len(rows[0]) if rows else 2)
    positions = _children(element, "pos") + [p for point in _children(element, "pointProperty", "pointRep") for p in point.iter() if _local(p) == "pos"]
    if positions:
        rows = [_numbers(p.text) for p in positions]
        if len({len(r) for r in rows}) != 1:
            raise GeometryError("GML pos elements mix dimensions")
        return np.asarray(rows, dtype=float)
    return np.empty((0, dim))


def _ring(element: etree._Element, dim: int) -> np.ndarray:
    ring = _child(element, "LinearRing", "Ring")
    if ring is None:
        raise GeometryError(f"GML {_local(element)} has no LinearRing")
    if _local(ring) == "Ring":  # Ring of curveMembers: concatenate the linear curves
        parts = [_line_coords(c, dim) for m in _children(ring, "curveMember") for c in m]
        return np.concatenate(parts) if parts else np.empty((0, dim))
    return _coords(ring, dim)


def _line_coords(element: etree._Element, dim: int) -> np.ndarray:
    name = _local(element)
    dim = _dimension(element, dim)
    if name in ("LineString", "LinearRing", "LineStringSegment"):
        return _coords(element, dim)
    if name == "Curve":
        segments = _child(element, "segments")
        parts = []
        for segment in segments if segments is not None else []:
            if _local(segment) != "LineStringSegment" and segment.get("interpolation", "linear") != "linear":
                raise GeometryError(f"GML curve segment {_local(segment)} is not linear")
            parts.append(_coords(segment, dim))
        return np.concatenate(parts) if parts else np.empty((0, dim))
    raise GeometryError(f"GML {name} is not a curve")


def _polygon(element: etree._Element, dim: int) -> shapely.Polygon:
    exterior = _child(element, "exterior", "outerBoundaryIs")
    if exterior is None:
        return shapely.Polygon()
    holes = [_ring(i, dim) for i in _children(element, "interior", "innerBoundaryIs")]
    return shapely.Polygon(_ring(exterior, dim), holes)


def _members(element: etree._Element, single: tuple[str, ...], plural: tuple[str, ...]) -> list[etree._Element]:
    found = [g for m in _children(element, *single) for g in m if isinstance(g.tag, str)]
    found += [g for m in _children(element, *plural) for g in m if isinstance(g.tag, str)]
    return found


def _geometry(element: etree._Element, dim: int) -> BaseGeometry:
    name = _local(element)
    dim = _dimension(element, dim)
    if name == "Point":
        coords = _coords(element, dim)
        if len(coords) > 1:
            raise GeometryError("GML Point has more than one position")
        return shapely.Point(coords[0]) if len(coords) else shapely.Point()
    if name in ("LineString", "Curve", "LinearRing"):
        coords = _line_coords(element, dim)
        return shapely.LineString(coords) if len(coords) else shapely.LineString()
    if name == "Polygon":
        return _polygon(element, dim)
    if name == "Surface":
        patches = _child(element, "patches")
        polygons = [_polygon(p, dim) for p in (patches if patches is not None else []) if _local(p) == "PolygonPatch"]
        return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
    if name == "Envelope":
        lower, upper = _child(element, "lowerCorner"), _child(element, "upperCorner")
        if lower is None or upper is None:
            raise GeometryError("GML Envelope needs lowerCorner and upperCorner")
        (x1, y1, *_), (x2, y2, *_) = _numbers(lower.text), _numbers(upper.text)
        return shapely.box(x1, y1, x2, y2)
    if name == "MultiPoint":
        points = [_geometry(g, dim) for g in _members(element, ("pointMember",), ("pointMembers",))]
        return shapely.MultiPoint([p for p in points if not p.is_empty])
    if name in ("MultiCurve", "MultiLineString"):
        lines = [_geometry(g, dim) for g in _members(element, ("curveMember", "lineStringMember"), ("curveMembers",))]
        return shapely.MultiLineString([line for line in lines if not line.is_empty])
    if name in ("MultiSurface", "MultiPolygon"):
        polygons = []
        for g in _members(element, ("surfaceMember", "polygonMember"), ("surfaceMembers",)):
            part = _geometry(g, dim)
            polygons.extend(part.geoms if part.geom_type == "MultiPolygon" else [part])
        return shapely.MultiPolygon([p for p in polygons if not p.is_empty])
    if name in ("MultiGeometry", "GeometryCollection"):
        return shapely.GeometryCollection([_geometry(g, dim) for g in _members(element, ("geometryMember",), ("geometryMembers",))])
    raise GeometryError(f"unsupported GML geometry <{name}>")


def parse_gml(text: str) -> tuple[BaseGeometry, str]:
    """Parse a GML geometry element: (shapely geometry, CRS IRI). Raises GeometryError.

    An empty literal is the empty geometry (GeoSPARQL Req. gml-literal-empty).

    >>> parse_gml("")[0].is_empty
    True
    """
    text = text.strip()
    if not text:
        return _EMPTY, CRS84
    try:
        root = etree.fromstring(text.encode(), _PARSER)
    except etree.XMLSyntaxError as err:
        raise GeometryError(f"malformed GML: {err}") from err
    srs = root.get("srsName")
    crs = normalise_crs_iri(srs) if srs else CRS84
    try:
        geometry = _geometry(root, 2)
    except (ValueError, TypeError, IndexError, shapely.errors.GEOSException) as err:
        if isinstance(err, GeometryError):
            raise
        raise GeometryError(f"invalid GML geometry: {err}") from err
    return geometry, crs


def _pos_list(coords: np.ndarray) -> str:
    return " ".join(repr(float(v)).removesuffix(".0") for v in coords.ravel())


def _element(tag: str, parent: etree._Element | None = None, **attrib: str) -> etree._Element:
    qname = f"{{{GML_NS}}}{tag}"
    return etree.SubElement(parent, qname, attrib) if parent is not None else etree.Element(qname, attrib, nsmap={"gml": GML_NS})


def _coord_element(parent: etree._Element, coords: np.ndarray, *, single: bool = False) -> None:
    dim = coords.shape[1] if coords.ndim == 2 and coords.size else 2
    child = _element("pos" if single else "posList", parent, srsDimension=str(dim))
    child.text = _pos_list(coords)


def _write(geometry: BaseGeometry, parent: etree._Element | None, attrib: dict[str, str]) -> etree._Element:
    kind = geometry.geom_type
    has_z = bool(shapely.has_z(geometry))

    def coords_of(g: BaseGeometry) -> np.ndarray:
        return shapely.get_coordinates(g, include_z=has_z)

    if kind == "Point":
        element = _element("Point", parent, **attrib)
        if not geometry.is_empty:
            _coord_element(element, coords_of(geometry), single=True)
    elif kind in ("LineString", "LinearRing"):
        element = _element("LineString", parent, **attrib)
        _coord_element(element, coords_of(geometry))
    elif kind == "Polygon":
        element = _element("Polygon", parent, **attrib)
        if not geometry.is_empty:
            for tag, ring in [("exterior", geometry.exterior)] + [("interior", r) for r in geometry.interiors]:
                _coord_element(_element("LinearRing", _element(tag, element)), coords_of(ring))
    else:
        tag, member = {
            "MultiPoint": ("MultiPoint", "pointMember"),
            "MultiLineString": ("MultiCurve", "curveMember"),
            "MultiPolygon": ("MultiSurface", "surfaceMember"),
            "GeometryCollection": ("MultiGeometry", "geometryMember"),
        }[kind]
        element = _element(tag, parent, **attrib)
        for part in geometry.geoms:
            _write(part, _element(member, element), {})
    return element


def format_gml(geometry: BaseGeometry, crs: str = CRS84) -> str:
    """The GML 3.2 serialisation of a geometry, with ``srsName`` (``""`` for an empty geometry).

    >>> format_gml(shapely.Point(24.9, 60.2))
    '<gml:Point xmlns:gml="http://www.opengis.net/gml/3.2" srsName="http://www.opengis.net/def/crs/OGC/1.3/CRS84"><gml:pos srsDimension="2">24.9 60.2</gml:pos></gml:Point>'
    """
    if geometry.is_empty and geometry.geom_type == "GeometryCollection":
        return ""
    return etree.tostring(_write(geometry, None, {"srsName": crs}), encoding="unicode")
