"""GeoSPARQL 1.0 Compliance Benchmark: every query, compared semantically with the expected answers.

Every query runs through eolink's embedded store with RDFS entailment (R25–R27) and
the query rewrite extension (R28–R30) switched on, and the spatial planner on.
The topology-vocabulary queries R4–R6 read relations asserted in the data.

``DISPUTED`` is the reviewed list of expected answers that contradict the standard
(or the benchmark's own dataset); for those the test checks our answer against an
independently computed one instead, with the reasoning next to each entry.
Pass counts per requirement: ``python -m tests.sparql.geosparql.gsb``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyproj
import pytest
import shapely

from eolink.sparql.geosparql import parse_geometry_literal
from tests.sparql.geosparql import gsb

pytestmark = pytest.mark.skipif(not gsb.available(), reason=f"benchmark not found at {gsb.GSB}")

MY = "http://example.org/ApplicationSchema#"

NOT_YET: dict[str, str] = {}
NOT_YET_QUERIES: dict[str, str] = {}


def _wkt(feature: str) -> shapely.Geometry:
    rows = gsb.store().query(f"SELECT ?w WHERE {{ <{MY}{feature}> <{MY}hasExactGeometry>/<http://www.opengis.net/ont/geosparql#asWKT> ?w }}")
    return parse_geometry_literal(next(iter(rows))["w"]).geometry


def _geodesic_distance(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Independent check: minimum pyproj.Geod distance between ~50 m densified boundaries (or 0)."""
    if a.intersects(b):
        return 0.0
    geod = pyproj.Geod(ellps="WGS84")
    pa = shapely.get_coordinates(shapely.segmentize(a.boundary if a.area else a, 0.0005))
    pb = shapely.get_coordinates(shapely.segmentize(b.boundary if b.area else b, 0.0005))
    ia, ib = np.meshgrid(np.arange(len(pa)), np.arange(len(pb)))
    _, _, d = geod.inv(pa[ia.ravel(), 0], pa[ia.ravel(), 1], pb[ib.ravel(), 0], pb[ib.ravel(), 1])
    return float(d.min())


def _check_distances(result: gsb.Row) -> None:
    # The expected 9387.01 m (G) and 10194.1 m (E) are not the distances on the ellipsoid
    # (9195 m and 9206 m: 0.1° of longitude at 34.3° N); no standard method (geodesic,
    # ECEF chord, UTM 17N, Albers) gives them. The order A, G, E is right; the values
    # are checked against pyproj.Geod instead.
    variables, rows = result
    assert [r["f"].value for r in rows] == [MY + "A", MY + "G", MY + "E"]
    c = _wkt("C")
    for row in rows:
        expected = _geodesic_distance(c, _wkt(row["f"].value.removeprefix(MY)))
        assert math.isclose(float(row["distance"].value), expected, rel_tol=1e-3, abs_tol=1e-6)


def _check_buffer(result: gsb.Row) -> None:
    # geof:buffer(A, 10.0, uom:metre): every expected answer is a 10 *degree* buffer,
    # i.e. the unit argument was ignored. GeoSPARQL defines the radius "measured in
    # units", so the result must be ~10 m around A. Checked in UTM 17N (EPSG:32617), an
    # independent projection: the buffer contains A and lies 10 m (± 2 %) from it.
    variables, rows = result
    (row,) = rows
    buffered, crs = parse_geometry_literal(row["buffer"])
    to_utm = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:32617", always_xy=True)
    utm = lambda g: shapely.transform(g, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])))  # noqa: E731
    # A's edges are straight in longitude/latitude: densify before projecting
    a, b = utm(shapely.segmentize(_wkt("A"), 0.0005)), utm(buffered)
    assert b.buffer(0.05).contains(a)
    assert 9.8 <= shapely.hausdorff_distance(a, b) <= 10.2


def _bag_of(*features: str) -> Callable[[gsb.Row], None]:
    def check(result: gsb.Row) -> None:
        variables, rows = result
        assert sorted(r["f"].value.removeprefix(MY) for r in rows) == sorted(features)

    return check


def _check_query04(result: gsb.Row) -> None:
    # ORDER BY ASC(geof:distance(...)) LIMIT 3. H and I have empty geometries, so their
    # distance is an error, and SPARQL 1.1 §15.1 orders unbound/errors lowest: they come
    # first, then A (distance 0). The expected A, E, D predates features G–M (G is nearer
    # than E and D, as the benchmark's own R19 answers show).
    variables, rows = result
    names = [r["f"].value.removeprefix(MY) for r in rows]
    assert sorted(names[:2]) == ["H", "I"] and names[2] == "A"


GEO = "http://www.opengis.net/ont/geosparql#"
# DE-9IM definitions of GeoSPARQL 1.1 (Tables 6–8), written out again here for the
# independent check; the Simple Features ones are GEOS's predicates.
_PATTERNS = {
    "ehCovers": ("T*TFT*FF*",), "ehCoveredBy": ("TFF*TFT**",), "rcc8dc": ("FFTFFTTTT",),
    "rcc8tppi": ("TTTFTTFFT",), "rcc8tpp": ("TFFTTFTTT",), "rcc8ntpp": ("TFFTFFTTT",), "rcc8ntppi": ("TTTFFTFFT",),
}
_SF = {"sfIntersects": shapely.intersects, "sfOverlaps": shapely.overlaps}


def _spatial_objects() -> dict[str, shapely.Geometry]:
    """Every feature (by its default geometry) and every geometry of the dataset, in CRS84, from the plain store."""
    objects = {}
    query = f"""SELECT ?o ?w WHERE {{ {{ ?o <{GEO}hasDefaultGeometry>/<{GEO}asWKT> ?w }} UNION {{ ?o <{GEO}asWKT> ?w }} }}"""
    for row in gsb.store().query(query):
        geometry, crs = parse_geometry_literal(row["w"])
        objects[row["o"].value] = geometry
    return objects


def _holds(relation: str, a: shapely.Geometry, b: shapely.Geometry) -> bool:
    if relation in _SF:
        return bool(_SF[relation](a, b))
    return any(shapely.relate_pattern(a, b, p) for p in _PATTERNS[relation])


def _check_rewrite(subject: str | None, relation: str, obj: str | None) -> Callable[[gsb.Row], None]:
    """The rewrite rule computed independently: asserted triples plus every spatial object so related."""

    def check(result: gsb.Row) -> None:
        objects = _spatial_objects()
        asserted = {
            (r["s"].value, r["o"].value)
            for r in gsb.store().query(f"SELECT ?s ?o WHERE {{ ?s <{GEO}{relation}> ?o }}")
        }
        if subject is not None:
            expected = {o for o, g in objects.items() if _holds(relation, objects[MY + subject], g)}
            expected |= {o for s, o in asserted if s == MY + subject}
        else:
            expected = {o for o, g in objects.items() if _holds(relation, g, objects[MY + obj])}
            expected |= {s for s, o in asserted if o == MY + obj}
        variables, rows = result
        assert sorted(r["f"].value for r in rows) == sorted(expected)

    return check


DISPUTED: dict[str, tuple[str, Callable[[gsb.Row], None]]] = {
    # Query rewrite (R28–R30): the rule relates a feature (by its default geometry) or a geometry
    # to any feature or geometry so related (GeoSPARQL 1.0 Req. 28–30). The expected answers
    # below contradict the DE-9IM definitions or the benchmark's own other answers:
    # r28-3 leaves out A itself and the point geometries inside A, though r28-1 counts G as
    # sfEquals to itself and a point inside a polygon intersects it;
    "query-r28-3": ("leaves out A and the points inside A", _check_rewrite("A", "sfIntersects", None)),
    # r29-5/6: G lies strictly inside A (no boundary contact), so Egenhofer covers/coveredBy,
    # whose patterns need boundary–boundary contact (T*TFT*FF*, TFF*TFT**), do not hold;
    "query-r29-5": ("ehCovers without boundary contact", _check_rewrite("A", "ehCovers", None)),
    "query-r29-6": ("ehCoveredBy without boundary contact", _check_rewrite("G", "ehCoveredBy", None)),
    # r30-2: the line E is disconnected from B: FFTFFTTTT holds for any dimension;
    "query-r30-2": ("leaves out a disconnected line", _check_rewrite("B", "rcc8dc", None)),
    # r30-5..8: a region is never its own (non-)tangential proper part (I(A)∩E(A) is empty),
    # and G, strictly inside A, is a non-tangential proper part, not a tangential one;
    "query-r30-5": ("counts A as its own proper part", _check_rewrite("A", "rcc8tppi", None)),
    "query-r30-6": ("counts A as its own proper part", _check_rewrite(None, "rcc8tpp", "A")),
    "query-r30-7": ("counts A as its own proper part", _check_rewrite(None, "rcc8ntpp", "A")),
    "query-r30-8": ("counts A as its own proper part", _check_rewrite("A", "rcc8ntppi", None)),
    # query05: sfOverlaps needs equal dimensions (OGC 06-103r4 §6.1.15.3): the line E cannot overlap A.
    "query05": ("expects line/polygon sfOverlaps", _check_rewrite(None, "sfOverlaps", "A")),
    **{f"query-r19-1-{i}": ("expected distances are not ellipsoidal distances", _check_distances) for i in range(1, 5)},
    **{f"query-r19-2-{i}": ("expected buffers ignore uom:metre (10 degrees)", _check_buffer) for i in (1, 2)},
    # sfContains(A, ?f): the dataset's G (-83.5..-83.3, 34.2..34.4) lies strictly inside A
    # (-83.6..-83.2, 34.1..34.5); the legacy answer B, F predates G.
    "query01": ("legacy answer predates feature G", _bag_of("B", "F", "G")),
    "query04": ("legacy answer predates features G–M; unbound sorts first", _check_query04),
    # sfOverlaps needs equal dimensions (OGC 06-103r4 §6.1.15.3), so the line E cannot
    # overlap the polygon A; the first and last UNION branches are identical, so D comes
    # twice (bag semantics); DExactGeom comes from the "geometry – feature" branch.
    "query05_detail": ("expects line/polygon sfOverlaps and set semantics", _bag_of("D", "D", "DExactGeom")),
}


def _params() -> list:
    params = []
    for name in gsb.query_names():
        reason = NOT_YET.get(gsb.requirement(name)) or NOT_YET_QUERIES.get(name)
        marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.mark.parametrize("name", _params())
def test_benchmark_query(name: str) -> None:
    result = gsb.run(name)
    if name in DISPUTED:
        _reason, check = DISPUTED[name]
        check(result)
    else:
        assert gsb.matches(name, result), f"{name}: got {result!r}"


def test_disputed_answers_really_differ() -> None:
    """Keeps the exception list honest: each disputed query must fail the plain comparison."""
    for name in DISPUTED:
        assert not gsb.matches(name, gsb.run(name)), f"{name} now matches the expected answer: drop it from DISPUTED"


def test_malformed_and_empty_literals_do_not_break_queries() -> None:
    rows = gsb.store().query(
        "SELECT ?f ?d WHERE { ?f <http://example.org/ApplicationSchema#hasExactGeometry>/<http://www.opengis.net/ont/geosparql#asGML> ?g "
        "BIND(<http://www.opengis.net/def/function/geosparql/dimension>(?g) AS ?d) }",
        custom_functions=gsb.custom_functions(),
    )
    dims = {r["f"].value.removeprefix(MY): (r["d"].value if r["d"] is not None else None) for r in rows}
    assert dims["A"] == "2" and dims["E"] == "1" and dims["F"] == "0"
    assert dims["I"] == "1"  # empty LineString keeps its dimension
