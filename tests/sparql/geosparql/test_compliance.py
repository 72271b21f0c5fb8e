"""GeoSPARQL 1.0 Compliance Benchmark: every query, compared semantically with the expected answers.

Queries needing RDFS entailment (R25–R27) or the query rewrite extension (R28–R30,
and the legacy ``query05``) are xfail(strict=False): the store has neither yet.
The topology-vocabulary queries R4–R6 read relations asserted in the data and pass.

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

NOT_YET = {
    **{f"R{n}": "needs RDFS entailment (the store has none yet)" for n in (25, 26, 27)},
    **{f"R{n}": "needs the GeoSPARQL query rewrite extension (not implemented yet)" for n in (28, 29, 30)},
}
NOT_YET_QUERIES = {"query05": "geo:sfOverlaps as a property not asserted in the data: needs the query rewrite extension"}


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
    a, b = utm(_wkt("A")), utm(buffered)
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


DISPUTED: dict[str, tuple[str, Callable[[gsb.Row], None]]] = {
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
