"""Every geof: function against shapely / pyproj computed independently, over geometry × CRS × serialisation."""

from __future__ import annotations

import functools
import math

import numpy as np
import pyoxigraph as ox
import pyproj
import pytest
import shapely

from eolink.sparql.geosparql import FUNCTIONS, parse_geometry_literal
from eolink.sparql.geosparql.registry import ALIASES
from tests.sparql.geosparql.tables import BASE, CRS84, CRSS, EPSG, FORMATS, GEO, GEOF, GEOGRAPHIC, NON_EMPTY, UOM, XSD, OTHER, literal, reproject

GEOD = pyproj.Geod(ellps="WGS84")
METRE, DEGREE, RADIAN = UOM + "metre", UOM + "degree", UOM + "radian"


def call(name: str, *args: object) -> ox.Literal | None:
    return FUNCTIONS[GEOF + name](*args)


def geometry_of(term: ox.Literal) -> shapely.Geometry:
    """A result literal back in CRS84 (independent reprojection)."""
    assert term is not None and term.datatype.value == GEO + "wktLiteral"
    geometry, crs = parse_geometry_literal(term)
    if crs == CRS84:
        return geometry
    back = pyproj.Transformer.from_crs(pyproj.CRS.from_user_input("EPSG:" + crs.rsplit("/", 1)[1]), "OGC:CRS84", always_xy=False)
    return shapely.transform(geometry, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))


def same_shape(a: shapely.Geometry, b: shapely.Geometry, tolerance: float = 1e-7) -> bool:
    if a.is_empty or b.is_empty:
        return a.is_empty and b.is_empty
    return shapely.hausdorff_distance(a, b) <= tolerance


def num(term: ox.Literal | None) -> float:
    assert term is not None and term.datatype.value in (XSD + "double", XSD + "integer"), term
    return float(term.value)


# -- literals --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BASE))
@pytest.mark.parametrize(("serialisation", "crs_key"), FORMATS)
def test_parse_every_serialisation(name: str, serialisation: str, crs_key: str) -> None:
    geometry, crs = parse_geometry_literal(literal(name, CRSS[crs_key], serialisation))
    assert crs == CRSS[crs_key]
    assert same_shape(geometry, reproject(BASE[name], crs), 1e-9)


@pytest.mark.parametrize(
    ("lexical", "datatype"),
    [
        ("POINT (1", "wktLiteral"),
        ("<http://example.org/no-such-crs> POINT (1 2)", "wktLiteral"),
        ("<http://www.opengis.net/def/crs/EPSG/0/999999> POINT (1 2)", "wktLiteral"),
        ("<gml:Point xmlns:gml='http://www.opengis.net/gml/3.2'><gml:pos>1 x</gml:pos></gml:Point>", "gmlLiteral"),
        ("<gml:Point", "gmlLiteral"),
        ("<gml:Arc xmlns:gml='http://www.opengis.net/gml/3.2'/>", "gmlLiteral"),
        ('{"type": "Point", "coordinates": [1]}', "geoJSONLiteral"),
        ("{not json", "geoJSONLiteral"),
        ("<Point><coordinates>a,b</coordinates></Point>", "kmlLiteral"),
    ],
)
def test_malformed_literals_give_unbound(lexical: str, datatype: str) -> None:
    bad = ox.Literal(lexical, datatype=ox.NamedNode(GEO + datatype))
    good = literal("polygon")
    for name in ("sfIntersects", "ehMeet", "rcc8po", "intersection", "metricDistance"):
        assert call(name, bad, good) is None
        assert call(name, good, bad) is None
    for name in ("dimension", "area", "buffer", "asGML", "getSRID", "envelope"):
        assert FUNCTIONS[GEOF + name](bad, ox.Literal(1.0), ox.NamedNode(METRE)) is None


@pytest.mark.parametrize(
    "args",
    [
        (),
        (literal("point"),),
        (literal("point"), literal("point"), literal("point")),
        (ox.Literal("POINT (1 2)"), literal("point")),  # a plain string, not a geometry literal
        (ox.NamedNode("http://example.org/x"), literal("point")),
        (ox.Literal(3), literal("point")),
    ],
)
def test_wrong_argument_types_and_counts_give_unbound(args: tuple) -> None:
    assert call("sfIntersects", *args) is None
    assert call("distance", *args) is None


def test_wrong_units_and_numbers_give_unbound() -> None:
    p = literal("polygon")
    assert call("buffer", p, ox.Literal("ten"), ox.NamedNode(METRE)) is None
    assert call("buffer", p, ox.Literal(10.0), ox.NamedNode("http://example.org/furlong")) is None
    assert call("distance", p, p, ox.Literal(1)) is None
    assert call("relate", p, p, ox.Literal("TTTXX")) is None
    assert call("geometryN", p, ox.Literal(2)) is None
    assert call("transform", p, ox.NamedNode("http://example.org/crs")) is None


# -- relations -------------------------------------------------------------------------------

# The DE-9IM tables of GeoSPARQL 1.0 (OGC 11-052r4, Tables 2–4), written out again here.
PATTERNS = {
    "ehEquals": ["TFFFTFFFT"], "ehDisjoint": ["FF*FF****"], "ehMeet": ["FT*******", "F**T*****", "F***T****"],
    "ehOverlap": ["T*T***T**"], "ehCovers": ["T*TFT*FF*"], "ehCoveredBy": ["TFF*TFT**"], "ehInside": ["TFF*FFT**"],
    "ehContains": ["T*TFF*FF*"], "rcc8eq": ["TFFFTFFFT"], "rcc8dc": ["FFTFFTTTT"], "rcc8ec": ["FFTFTTTTT"],
    "rcc8po": ["TTTTTTTTT"], "rcc8tppi": ["TTTFTTFFT"], "rcc8tpp": ["TFFTTFTTT"], "rcc8ntpp": ["TFFTFFTTT"],
    "rcc8ntppi": ["TTTFFTFFT"],
}  # fmt: skip
SF = {
    "sfEquals": shapely.equals, "sfDisjoint": shapely.disjoint, "sfIntersects": shapely.intersects,
    "sfTouches": shapely.touches, "sfCrosses": shapely.crosses, "sfWithin": shapely.within,
    "sfContains": shapely.contains, "sfOverlaps": shapely.overlaps,
}  # fmt: skip
BIG = shapely.box(24.85, 60.10, 25.05, 60.25)
PAIRS = {name: (name, other) for name, other in [("point", "polygon"), ("line", "polygon"), ("polygon", "multipolygon"), ("multiline", "line"), ("multipoint", "multipolygon"), ("empty", "polygon")]}


def _expected(relation: str, a: shapely.Geometry, b: shapely.Geometry) -> bool:
    if relation in SF:
        return bool(SF[relation](a, b))
    return any(shapely.relate_pattern(a, b, p) for p in PATTERNS[relation])


@pytest.mark.parametrize("relation", list(SF) + list(PATTERNS))
@pytest.mark.parametrize("pair", list(PAIRS))
@pytest.mark.parametrize(("ser1", "crs1"), [("wkt", "CRS84"), ("gml", "EPSG4326"), ("wkt", "EPSG3067"), ("geojson", "CRS84")])
@pytest.mark.parametrize(("ser2", "crs2"), [("wkt", "CRS84"), ("gml", "EPSG32635"), ("kml", "CRS84")])
def test_relations(relation: str, pair: str, ser1: str, crs1: str, ser2: str, crs2: str) -> None:
    a_name, b_name = PAIRS[pair]
    result = call(relation, literal(a_name, CRSS[crs1], ser1), literal(b_name, CRSS[crs2], ser2))
    # computed on the originals; for projected pairs, on the independently reprojected ones
    a = reproject(BASE[a_name], CRSS[crs1])
    b = reproject(BASE[b_name], CRSS[crs1])
    assert result is not None and result.datatype.value == XSD + "boolean"
    assert (result.value == "true") == _expected(relation, a, b)


@pytest.mark.parametrize("relation", list(SF) + list(PATTERNS))
def test_relations_self_and_containment(relation: str) -> None:
    big = ox.Literal(BIG.wkt, datatype=ox.NamedNode(GEO + "wktLiteral"))
    for other in NON_EMPTY:
        for a, b, ga, gb in [(big, literal(other), BIG, BASE[other]), (literal(other), literal(other), BASE[other], BASE[other])]:
            assert (call(relation, a, b).value == "true") == _expected(relation, ga, gb)


def test_relate_pattern() -> None:
    a, b = literal("polygon"), literal("point", CRSS["EPSG3067"])
    assert call("relate", a, b, ox.Literal("T*****FF*")).value == str(BASE["polygon"].contains(BASE["point"])).lower()
    assert call("relate", a, a, ox.Literal("TFFFTFFFT")).value == "true"


# -- constructive ----------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["intersection", "union", "difference", "symDifference"])
@pytest.mark.parametrize("name", NON_EMPTY)
@pytest.mark.parametrize("crs1", list(CRSS))
@pytest.mark.parametrize("crs2", ["CRS84", "EPSG32635"])
def test_set_operations(operation: str, name: str, crs1: str, crs2: str) -> None:
    result = call(operation, literal(name, CRSS[crs1]), literal("quad", CRSS[crs2], "gml"))
    assert parse_geometry_literal(result).crs == CRSS[crs1]  # in the first argument's CRS
    shapely_op = {"intersection": shapely.intersection, "union": shapely.union, "difference": shapely.difference, "symDifference": shapely.symmetric_difference}[operation]
    expected = shapely_op(BASE[name], OTHER["quad"])
    # straight edges in a projected CRS are not straight in CRS84: a few metres over kilometres
    tolerance = 1e-7 if crs1 == crs2 == "CRS84" else 5e-5
    assert same_shape(geometry_of(result), expected, tolerance)


@pytest.mark.parametrize("name", list(BASE))
@pytest.mark.parametrize("crs", list(CRSS))
@pytest.mark.parametrize(
    ("function", "expected"),
    [
        ("convexHull", shapely.convex_hull),
        ("envelope", shapely.envelope),
        ("boundary", shapely.boundary),
        ("centroid", shapely.centroid),
        ("boundingCircle", shapely.minimum_bounding_circle),
        ("concaveHull", lambda g: shapely.concave_hull(g, ratio=0.3)),
    ],
)
def test_unary_constructors(name: str, crs: str, function: str, expected) -> None:
    source = reproject(BASE[name], CRSS[crs])
    result = call(function, literal(name, CRSS[crs]))
    if name == "empty" and function == "boundary":
        assert result is None or parse_geometry_literal(result).geometry.is_empty
        return
    got, got_crs = parse_geometry_literal(result)
    assert got_crs == CRSS[crs]
    assert same_shape(got, expected(source), 1e-9 if crs in ("CRS84", "EPSG4326") else 1e-6)


@pytest.mark.parametrize("name", NON_EMPTY)
@pytest.mark.parametrize("crs", list(CRSS))
def test_metric_buffer_is_the_requested_distance(name: str, crs: str) -> None:
    """Buffer by 100 m: checked in EPSG:3067 (independent projection): contains the source, 100 m away."""
    for term in (call("buffer", literal(name, CRSS[crs]), ox.Literal(0.1), ox.NamedNode(UOM + "kilometre")), call("metricBuffer", literal(name, CRSS[crs]), ox.Literal(100))):
        got = reproject(geometry_of(term), EPSG + "3067")
        # edges are straight in the literal's CRS: densify there before the independent reprojection
        source = reproject(shapely.segmentize(BASE[name], 0.0005), EPSG + "3067") if CRSS[crs] in GEOGRAPHIC else BASE[name]
        if CRSS[crs] not in GEOGRAPHIC:
            native = shapely.segmentize(reproject(BASE[name], CRSS[crs]), 50)
            back = pyproj.Transformer.from_crs(CRSS[crs].rsplit("/", 1)[1].join(["EPSG:", ""]), "EPSG:3067", always_xy=True)
            source = shapely.transform(native, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))
        assert got.buffer(1e-3).covers(source)
        distances = shapely.distance(shapely.points(shapely.get_coordinates(got.boundary)), source)
        assert distances.min() == pytest.approx(100, rel=3e-3) and distances.max() == pytest.approx(100, rel=3e-3)


@pytest.mark.parametrize("crs", list(CRSS))
def test_transform_and_geometry_n(crs: str) -> None:
    moved = call("transform", literal("multipolygon"), ox.Literal(CRSS[crs], datatype=ox.NamedNode(XSD + "anyURI")))
    got, got_crs = parse_geometry_literal(moved)
    assert got_crs == CRSS[crs] and same_shape(got, reproject(BASE["multipolygon"], CRSS[crs]), 1e-6)
    second = call("geometryN", literal("multipolygon", CRSS[crs]), ox.Literal(2))
    assert same_shape(geometry_of(second), BASE["multipolygon"].geoms[1], 1e-7)
    assert call("geometryN", literal("point", CRSS[crs]), ox.Literal(1)).value == literal("point", CRSS[crs]).value.replace(f"<{CRS84}> ", "")


# -- measurement -----------------------------------------------------------------------------


def _geod_length(g: shapely.Geometry) -> float:
    return sum(GEOD.line_length(*np.asarray(r.coords).T) for r in _lines(g))


def _lines(g: shapely.Geometry) -> list:
    out = []
    for part in getattr(g, "geoms", [g]):
        if part.geom_type == "Polygon":
            out += [part.exterior, *part.interiors]
        elif part.geom_type == "LineString":
            out.append(part)
    return out


def _geod_area(g: shapely.Geometry) -> float:
    total = 0.0
    for part in getattr(g, "geoms", [g]):
        if part.geom_type == "Polygon":
            total += abs(GEOD.geometry_area_perimeter(shapely.geometry.polygon.orient(part))[0])
    return total


@pytest.mark.parametrize("name", list(BASE))
@pytest.mark.parametrize(("serialisation", "crs"), FORMATS)
def test_metric_length_area_perimeter(name: str, serialisation: str, crs: str) -> None:
    lit = literal(name, CRSS[crs], serialisation)
    rel = 1e-9 if CRSS[crs] in GEOGRAPHIC else 2e-3  # projected CRSs are planar: scale error of the projection
    length, area = _geod_length(BASE[name]), _geod_area(BASE[name])
    assert num(call("metricLength", lit)) == pytest.approx(length, rel=rel, abs=1e-6)
    assert num(call("length", lit, ox.NamedNode(METRE))) == pytest.approx(length, rel=rel, abs=1e-6)
    assert num(call("metricPerimeter", lit)) == pytest.approx(length, rel=rel, abs=1e-6)
    assert num(call("metricArea", lit)) == pytest.approx(area, rel=rel, abs=1e-6)
    assert num(call("area", lit, ox.NamedNode(METRE))) == pytest.approx(area, rel=rel, abs=1e-6)
    assert num(call("area", lit, ox.NamedNode("http://qudt.org/vocab/unit/KiloM2"))) == pytest.approx(area / 1e6, rel=rel, abs=1e-9)


def _nearest_pair(a: shapely.Geometry, b: shapely.Geometry, step: float) -> tuple:
    pa = shapely.get_coordinates(shapely.segmentize(a, step))
    pb = shapely.get_coordinates(shapely.segmentize(b, step))
    i, j = np.meshgrid(np.arange(len(pa)), np.arange(len(pb)))
    d = GEOD.inv(pa[i.ravel(), 0], pa[i.ravel(), 1], pb[j.ravel(), 0], pb[j.ravel(), 1])[2]
    k = int(np.argmin(d))
    return tuple(pa[i.ravel()[k]]), tuple(pb[j.ravel()[k]])


@functools.cache
def _geod_distance_between(a_name: str, b_name: str) -> float:
    return _geod_distance(BASE[a_name], OTHER[b_name])


def _geod_distance(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Brute force: minimum Geod distance between ~1 m densified vertices near the planar nearest points."""
    if a.intersects(b):
        return 0.0
    a, b = a.boundary if a.area else a, b.boundary if b.area else b
    pa, pb = _nearest_pair(a, b, 0.0005)  # coarse (~50 m) pass over everything
    window = shapely.MultiPoint([pa, pb]).envelope.buffer(0.005)
    pa = shapely.get_coordinates(shapely.segmentize(a.intersection(window) if a.length else a, 0.00001))
    pb = shapely.get_coordinates(shapely.segmentize(b.intersection(window) if b.length else b, 0.00001))
    i, j = np.meshgrid(np.arange(len(pa)), np.arange(len(pb)))
    return float(GEOD.inv(pa[i.ravel(), 0], pa[i.ravel(), 1], pb[j.ravel(), 0], pb[j.ravel(), 1])[2].min())




@pytest.mark.parametrize("name", NON_EMPTY)
@pytest.mark.parametrize("far", ["far_point", "far_line"])
@pytest.mark.parametrize("crs1", list(CRSS))
@pytest.mark.parametrize("crs2", ["CRS84", "EPSG3067"])
def test_distance_against_geod(name: str, far: str, crs1: str, crs2: str) -> None:
    a = literal(name, CRSS[crs1])
    b = literal(far, CRSS[crs2])
    expected = _geod_distance_between(name, far)
    rel = 1e-4 if CRSS[crs1] in GEOGRAPHIC else 2e-3  # 1 m densification; planar projected CRSs
    assert num(call("metricDistance", a, b)) == pytest.approx(expected, rel=rel)
    assert num(call("distance", a, b, ox.NamedNode(METRE))) == pytest.approx(expected, rel=rel)
    radius = (2 * GEOD.a + GEOD.b) / 3
    assert num(call("distance", a, b, ox.NamedNode(RADIAN))) == pytest.approx(expected / radius, rel=rel)
    assert num(call("distance", a, b, ox.NamedNode(DEGREE))) == pytest.approx(math.degrees(expected / radius), rel=rel)
    assert num(call("distance", a, a, ox.NamedNode(METRE))) == 0.0


def test_distance_to_empty_is_unbound() -> None:
    assert call("metricDistance", literal("point"), literal("empty")) is None


@pytest.mark.parametrize("name", list(BASE))
@pytest.mark.parametrize(("serialisation", "crs"), FORMATS)
def test_properties(name: str, serialisation: str, crs: str) -> None:
    g = reproject(BASE[name], CRSS[crs])
    lit = literal(name, CRSS[crs], serialisation)
    value = lambda f: call(f, lit).value  # noqa: E731
    if not g.is_empty:
        assert value("dimension") == str(shapely.get_dimensions(g))
        for side in ("min", "max"):
            for i, axis in enumerate("XY"):
                coords = shapely.get_coordinates(g)[:, i]
                assert float(value(f"{side}{axis}")) == pytest.approx(coords.min() if side == "min" else coords.max(), abs=1e-9)
        assert call("minZ", lit) is None  # no Z
    assert value("isEmpty") == str(g.is_empty).lower()
    assert value("isSimple") == str(g.is_empty or g.is_simple).lower()
    assert value("is3D") == "false" and value("isMeasured") == "false"
    assert value("coordinateDimension") == "2" and value("spatialDimension") == "2"
    assert value("numGeometries") == str(shapely.get_num_geometries(g))
    assert value("getSRID") == CRSS[crs]
    assert call("getSRID", lit).datatype.value == XSD + "anyURI"
    assert value("geometryType") == "http://www.opengis.net/ont/sf#" + parse_geometry_literal(lit).geometry.geom_type


def test_z_and_m_properties() -> None:
    z = ox.Literal("POINT Z (1 2 3)", datatype=ox.NamedNode(GEO + "wktLiteral"))
    m = ox.Literal("POINT M (1 2 3)", datatype=ox.NamedNode(GEO + "wktLiteral"))
    assert [call(f, z).value for f in ("is3D", "isMeasured", "coordinateDimension", "spatialDimension", "minZ", "maxZ")] == ["true", "false", "3", "3", "3.0", "3.0"]
    if hasattr(shapely, "has_m"):
        assert [call(f, m).value for f in ("is3D", "isMeasured", "coordinateDimension", "spatialDimension")] == ["false", "true", "3", "2"]
    assert call("isSimple", ox.Literal("LINESTRING (0 0, 1 1, 1 0, 0 1)", datatype=ox.NamedNode(GEO + "wktLiteral"))).value == "false"


# -- serialisations out ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BASE))
@pytest.mark.parametrize("crs", list(CRSS))
def test_as_functions_round_trip(name: str, crs: str) -> None:
    lit = literal(name, CRSS[crs])
    source = reproject(BASE[name], CRSS[crs])
    gml = call("asGML", lit, ox.Literal("gml32"))
    assert gml.datatype.value == GEO + "gmlLiteral"
    back, back_crs = parse_geometry_literal(gml)
    assert back_crs == CRSS[crs] and same_shape(back, source, 1e-9)
    assert same_shape(parse_geometry_literal(call("asWKT", lit))[0], source, 0)
    for function, datatype in (("asGeoJSON", "geoJSONLiteral"), ("asKML", "kmlLiteral")):
        term = call(function, lit)
        assert term.datatype.value == GEO + datatype
        back, back_crs = parse_geometry_literal(term)
        assert back_crs == CRS84 and same_shape(back, BASE[name], 1e-7)


def test_every_standard_name_is_registered() -> None:
    names = """sfEquals sfDisjoint sfIntersects sfTouches sfCrosses sfWithin sfContains sfOverlaps ehEquals ehDisjoint
    ehMeet ehOverlap ehCovers ehCoveredBy ehInside ehContains rcc8eq rcc8dc rcc8ec rcc8po rcc8tppi rcc8tpp rcc8ntpp
    rcc8ntppi relate distance buffer convexHull intersection union difference symDifference envelope boundary getSRID
    area length perimeter centroid boundingCircle concaveHull dimension coordinateDimension spatialDimension isEmpty
    isSimple is3D isMeasured geometryN numGeometries geometryType minX minY minZ maxX maxY maxZ transform metricDistance
    metricArea metricLength metricPerimeter metricBuffer asWKT asGML asGeoJSON asKML""".split()
    assert not [n for n in names if GEOF + n not in FUNCTIONS]
    assert FUNCTIONS[GEOF + "maxx"] is FUNCTIONS[GEOF + "maxX"] and ALIASES["aggboundingBox"] == "aggBoundingBox"
