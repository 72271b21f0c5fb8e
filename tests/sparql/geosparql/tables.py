"""Geometry × CRS × serialisation tables for the geof: tests, built independently of eolink.

Base geometries are in CRS84 around Helsinki; each CRS gets them through its own
pyproj transformer (authority axis order: EPSG:4326 is latitude, longitude), and each
serialisation is written by the small writers here, not by eolink's.
"""

from __future__ import annotations

import json

import numpy as np
import pyoxigraph as ox
import pyproj
import shapely

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
GEO = "http://www.opengis.net/ont/geosparql#"
GEOF = "http://www.opengis.net/def/function/geosparql/"
UOM = "http://www.opengis.net/def/uom/OGC/1.0/"
XSD = "http://www.w3.org/2001/XMLSchema#"

CRSS = {"CRS84": CRS84, "EPSG4326": EPSG + "4326", "EPSG32635": EPSG + "32635", "EPSG3067": EPSG + "3067"}
GEOGRAPHIC = {CRS84, EPSG + "4326"}

BASE = {
    "point": shapely.Point(24.94, 60.17),
    "line": shapely.LineString([(24.90, 60.15), (24.95, 60.18), (25.00, 60.16)]),
    "polygon": shapely.Polygon([(24.90, 60.15), (25.00, 60.15), (25.00, 60.20), (24.90, 60.20)], [[(24.93, 60.16), (24.95, 60.16), (24.95, 60.18), (24.93, 60.18)]]),
    "multipoint": shapely.MultiPoint([(24.91, 60.16), (24.99, 60.19)]),
    "multiline": shapely.MultiLineString([[(24.90, 60.15), (24.92, 60.19)], [(24.96, 60.15), (24.99, 60.19)]]),
    "multipolygon": shapely.MultiPolygon([shapely.box(24.90, 60.15, 24.94, 60.18), shapely.box(24.96, 60.16, 25.00, 60.20)]),
    "empty": shapely.from_wkt("POINT EMPTY"),
}
NON_EMPTY = [k for k in BASE if k != "empty"]
#: Second operands that share no edge or vertex with BASE (so reprojection cannot create slivers).
OTHER = {
    "quad": shapely.Polygon([(24.915, 60.152), (24.985, 60.158), (24.978, 60.196), (24.912, 60.191)]),
    "far_point": shapely.Point(25.10, 60.30),
    "far_line": shapely.LineString([(25.05, 60.30), (25.20, 60.22)]),
}


def reproject(geometry: shapely.Geometry, crs: str) -> shapely.Geometry:
    """CRS84 → ``crs`` in the CRS's authority axis order (independent of eolink)."""
    if crs == CRS84:
        return geometry
    transformer = pyproj.Transformer.from_crs("OGC:CRS84", pyproj.CRS.from_user_input("EPSG:" + crs.rsplit("/", 1)[1]), always_xy=False)
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _coords(ring) -> str:
    return " ".join(f"{float(x)!r} {float(y)!r}" for x, y in np.asarray(ring.coords)[:, :2])


def _gml(g: shapely.Geometry, top: bool = True, srs: str = CRS84) -> str:
    ns = ' xmlns:gml="http://www.opengis.net/gml/3.2"' + (f' srsName="{srs}"' if top else "")
    if g.geom_type == "Point":
        return f"<gml:Point{ns}>" + ("" if g.is_empty else f"<gml:pos>{g.x!r} {g.y!r}</gml:pos>") + "</gml:Point>"
    if g.geom_type == "LineString":
        return f"<gml:LineString{ns}><gml:posList>{_coords(g)}</gml:posList></gml:LineString>"
    if g.geom_type == "Polygon":
        rings = f"<gml:exterior><gml:LinearRing><gml:posList>{_coords(g.exterior)}</gml:posList></gml:LinearRing></gml:exterior>"
        rings += "".join(f"<gml:interior><gml:LinearRing><gml:posList>{_coords(r)}</gml:posList></gml:LinearRing></gml:interior>" for r in g.interiors)
        return f"<gml:Polygon{ns}>{rings}</gml:Polygon>"
    tag, member = {"MultiPoint": ("MultiPoint", "pointMember"), "MultiLineString": ("MultiCurve", "curveMember"), "MultiPolygon": ("MultiSurface", "surfaceMember")}[g.geom_type]
    return f"<gml:{tag}{ns}>" + "".join(f"<gml:{member}>{_gml(p, False)}</gml:{member}>" for p in g.geoms) + f"</gml:{tag}>"


def _kml(g: shapely.Geometry, top: bool = True) -> str:
    ns = ' xmlns="http://www.opengis.net/kml/2.2"' if top else ""
    coords = lambda r: " ".join(f"{float(x)!r},{float(y)!r}" for x, y in np.asarray(r.coords)[:, :2])  # noqa: E731
    if g.geom_type == "Point":
        return f"<Point{ns}><coordinates>{'' if g.is_empty else coords(g)}</coordinates></Point>"
    if g.geom_type == "LineString":
        return f"<LineString{ns}><coordinates>{coords(g)}</coordinates></LineString>"
    if g.geom_type == "Polygon":
        inner = "".join(f"<innerBoundaryIs><LinearRing><coordinates>{coords(r)}</coordinates></LinearRing></innerBoundaryIs>" for r in g.interiors)
        return f"<Polygon{ns}><outerBoundaryIs><LinearRing><coordinates>{coords(g.exterior)}</coordinates></LinearRing></outerBoundaryIs>{inner}</Polygon>"
    return f"<MultiGeometry{ns}>" + "".join(_kml(p, False) for p in g.geoms) + "</MultiGeometry>"


def literal(name: str, crs: str = CRS84, serialisation: str = "wkt") -> ox.Literal:
    """The base geometry ``name`` in ``crs`` as a literal of ``serialisation`` (wkt, gml, geojson, kml)."""
    g = reproject(BASE[name] if name in BASE else OTHER[name], crs)
    if serialisation == "wkt":
        return ox.Literal(f"<{crs}> {g.wkt}", datatype=ox.NamedNode(GEO + "wktLiteral"))
    if serialisation == "gml":
        return ox.Literal(_gml(g, srs=crs), datatype=ox.NamedNode(GEO + "gmlLiteral"))
    assert crs == CRS84, "GeoJSON and KML are CRS84 only"
    if serialisation == "geojson":
        return ox.Literal(json.dumps(shapely.geometry.mapping(g)) if not g.is_empty else '{"type": "Point", "coordinates": []}', datatype=ox.NamedNode(GEO + "geoJSONLiteral"))
    return ox.Literal(_kml(g), datatype=ox.NamedNode(GEO + "kmlLiteral"))


#: (serialisation, CRS key) combinations that exist: WKT and GML in every CRS, GeoJSON and KML in CRS84.
FORMATS = [("wkt", k) for k in CRSS] + [("gml", k) for k in CRSS] + [("geojson", "CRS84"), ("kml", "CRS84")]
