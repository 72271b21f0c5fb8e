"""The spatial planner never changes answers: planner on and off agree on randomised queries."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eolink.ontology import GEO
from eolink.sparql.planner import mask_query, plan_query
from eolink.stores import open_store

PREFIXES = """PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX geof: <http://www.opengis.net/def/function/geosparql/>
PREFIX uom: <http://www.opengis.net/def/uom/OGC/1.0/>
PREFIX ex: <http://example.org/>
"""
UTM = "http://www.opengis.net/def/crs/EPSG/0/32635"


def build_store():
    """Points, boxes and lines around Helsinki, half in CRS84 and half in UTM 35N, in two graphs."""
    import pyproj

    rng = np.random.default_rng(7)
    to_utm = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:32635", always_xy=True)
    lines = []
    for i in range(600):
        x, y = 24.8 + rng.random() * 0.3, 60.1 + rng.random() * 0.15
        kind = i % 3
        if kind == 0:
            geom = shapely.Point(x, y)
        elif kind == 1:
            geom = shapely.box(x, y, x + rng.random() * 0.01, y + rng.random() * 0.005)
        else:
            geom = shapely.LineString([(x, y), (x + rng.random() * 0.02, y + rng.random() * 0.01)])
        if i % 2:
            utm = shapely.transform(geom, lambda c: np.column_stack(to_utm.transform(c[:, 0], c[:, 1])))
            literal = f"<{UTM}> {utm.wkt}"
        else:
            literal = geom.wkt
        graph = "http://example.org/g1" if i % 4 < 2 else "http://example.org/g2"
        lines.append((graph, f'<http://example.org/f{i}> <{GEO}hasGeometry> <http://example.org/g{i}> .\n'
                             f'<http://example.org/g{i}> <{GEO}asWKT> "{literal}"^^<{GEO}wktLiteral> .\n'
                             f'<http://example.org/f{i}> <http://example.org/kind> "{kind}" .\n'))
    store = open_store(None)
    for graph in ("http://example.org/g1", "http://example.org/g2"):
        store.load(graph, "".join(text for g, text in lines if g == graph))
    return store


@pytest.fixture(scope="module")
def store():
    s = build_store()
    yield s
    s.close()


def window(x: float, y: float, w: float, h: float, utm: bool) -> str:
    geom = shapely.box(x, y, x + w, y + h)
    if utm:
        import pyproj

        t = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:32635", always_xy=True)
        geom = shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
        return f'"<{UTM}> {geom.wkt}"^^geo:wktLiteral'
    return f'"{geom.wkt}"^^geo:wktLiteral'


def answers(store, query: str, planner: bool) -> list:
    result = store.query(query, planner=planner)
    if result.kind == "ask":
        return [result.boolean]
    return sorted(tuple(str(t) for t in row) for row in result.rows)


RELATIONS = ["sfIntersects", "sfWithin", "sfContains", "sfOverlaps", "sfTouches", "ehCovers", "rcc8ntpp", "sfEquals", "sfCrosses"]

coords = st.tuples(
    st.floats(24.8, 25.1), st.floats(60.1, 60.25), st.floats(0.001, 0.2), st.floats(0.001, 0.1), st.booleans()
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(coords, st.sampled_from(RELATIONS), st.booleans(), st.sampled_from(["plain", "graph", "optional", "filter-in-optional"]))
def test_selection_planner_on_off_identical(store, box, relation, constant_first, shape):
    constant = window(*box)
    args = f"{constant}, ?w" if constant_first else f"?w, {constant}"
    spatial = f"FILTER(geof:{relation}({args}))"
    if shape == "plain":
        where = f"?f geo:hasGeometry ?g . ?g geo:asWKT ?w . {spatial}"
    elif shape == "graph":
        where = f"GRAPH ?src {{ ?f geo:hasGeometry ?g . ?g geo:asWKT ?w }} {spatial}"
    elif shape == "optional":
        where = f"?f ex:kind ?k . OPTIONAL {{ ?f geo:hasGeometry ?g . ?g geo:asWKT ?w }} {spatial}"
    else:
        where = f"?f ex:kind ?k . OPTIONAL {{ ?f geo:hasGeometry ?g . ?g geo:asWKT ?w . {spatial} }}"
    query = PREFIXES + f"SELECT ?f ?w WHERE {{ {where} }}"
    assert answers(store, query, True) == answers(store, query, False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.floats(24.8, 25.1), st.floats(60.1, 60.25), st.sampled_from([("uom:metre", 50.0), ("uom:metre", 2500.0), ("uom:degree", 0.01)]), st.sampled_from(["<", "<="]))
def test_distance_planner_on_off_identical(store, x, y, unit_distance, op):
    unit, distance = unit_distance
    query = PREFIXES + f"""SELECT ?f WHERE {{ ?f geo:hasGeometry/geo:asWKT ?w .
        FILTER(geof:distance(?w, "POINT({x} {y})"^^geo:wktLiteral, {unit}) {op} {distance}) }}"""
    assert answers(store, query, True) == answers(store, query, False)


@pytest.mark.parametrize("relation", ["sfIntersects", "sfTouches", "sfWithin"])
def test_join_planner_on_off_identical(store, relation):
    query = PREFIXES + f"""SELECT ?a ?b WHERE {{
        ?a ex:kind "1" ; geo:hasGeometry/geo:asWKT ?wa .
        ?b ex:kind "2" ; geo:hasGeometry/geo:asWKT ?wb .
        FILTER(geof:{relation}(?wa, ?wb)) }}"""
    on = answers(store, query, True)
    assert on == answers(store, query, False)
    if relation == "sfIntersects":
        assert on, "the test data should contain intersecting pairs"


def test_planner_is_used_and_count_matches_shapely(store):
    query = PREFIXES + f"SELECT ?f WHERE {{ ?f geo:hasGeometry/geo:asWKT ?w . FILTER(geof:sfIntersects(?w, {window(24.9, 60.15, 0.05, 0.03, False)})) }}"
    notes = store.explain(query)
    assert any("candidate" in n for n in notes)
    # independent: parse every literal, transform to CRS84, intersect with shapely
    rows = store.query(PREFIXES + "SELECT ?f ?w WHERE { ?f geo:hasGeometry/geo:asWKT ?w }", planner=False).rows
    from eolink.sparql.geosparql.literals import parse_wkt_literal, to_crs84

    box = shapely.box(24.9, 60.15, 24.95, 60.18)
    expected = sorted(str(f) for f, w in rows if shapely.intersects(to_crs84(*parse_wkt_literal(w.value)), box))
    assert sorted(str(r[0]) for r in store.query(query).rows) == expected


def test_unsafe_shapes_are_left_alone(store):
    # ?w bound only in an OPTIONAL of another group: the planner must not restrict it
    query = PREFIXES + f"""SELECT ?f WHERE {{ ?f ex:kind ?k . {{ OPTIONAL {{ ?f geo:hasGeometry/geo:asWKT ?w }} }}
        FILTER(geof:sfIntersects(?w, {window(24.9, 60.15, 0.05, 0.03, False)})) }}"""
    assert plan_query(query, store.index).rewrites == 0
    assert answers(store, query, True) == answers(store, query, False)


def test_malformed_constant_gives_no_rows_either_way(store):
    query = PREFIXES + 'SELECT ?f WHERE { ?f geo:hasGeometry/geo:asWKT ?w . FILTER(geof:sfIntersects(?w, "POLYGON((oops"^^geo:wktLiteral)) }'
    assert answers(store, query, True) == answers(store, query, False) == []


def test_index_follows_updates_and_drops(store):
    wkt = "POINT (24.95 60.17)"
    store.update(PREFIXES + f'INSERT DATA {{ GRAPH <http://example.org/g3> {{ ex:new geo:asWKT "{wkt}"^^geo:wktLiteral }} }}')
    query = PREFIXES + f"SELECT ?f WHERE {{ ?f geo:asWKT ?w . FILTER(geof:sfIntersects(?w, {window(24.94, 60.16, 0.02, 0.02, False)})) }}"
    with_new = answers(store, query, True)
    assert ("<http://example.org/new>",) in with_new
    assert with_new == answers(store, query, False)
    store.drop("http://example.org/g3")
    without = answers(store, query, True)
    assert ("<http://example.org/new>",) not in without
    assert without == answers(store, query, False)


def test_mask_keeps_positions():
    q = 'SELECT * { ?s ?p "FILTER(geof:sfIntersects(?w, 1))" } # FILTER'
    assert len(mask_query(q)) == len(q) and "FILTER" not in mask_query(q)


def test_comments_in_queries_do_not_confuse_the_planner(store):
    query = PREFIXES + """SELECT ?a ?b WHERE { # pairs of kinds 1 and 2
        ?a ex:kind "1" ; geo:hasGeometry/geo:asWKT ?wa . # the first side
        ?b ex:kind "2" ; geo:hasGeometry/geo:asWKT ?wb . # the second side, with a '#' in <http://e/x#y>
        FILTER(geof:sfIntersects(?wa, ?wb)) }"""
    assert answers(store, query, True) == answers(store, query, False)


@pytest.mark.parametrize("constant_first", [False, True])
@pytest.mark.parametrize("constant_crs", ["crs84", "utm"])
@pytest.mark.parametrize("op", ["<", "<="])
def test_distance_threshold_equal_to_a_measured_distance(store, constant_first, constant_crs, op):
    """Thresholds set to distances the function itself measured: the planner decides the ties as the function does."""
    point = shapely.Point(24.95, 60.17)
    if constant_crs == "utm":
        import pyproj

        t = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:32635", always_xy=True)
        x, y = t.transform(point.x, point.y)
        constant = f'"<{UTM}> POINT ({x} {y})"^^geo:wktLiteral'
    else:
        constant = f'"{point.wkt}"^^geo:wktLiteral'
    args = f"{constant}, ?w" if constant_first else f"?w, {constant}"
    measured = store.query(PREFIXES + f"SELECT ?f (geof:distance({args}, uom:metre) AS ?d) WHERE {{ ?f geo:hasGeometry/geo:asWKT ?w }}", planner=False)
    distances = sorted(float(row[1].value) for row in measured.rows if row[1] is not None)
    assert len(distances) > 100
    for threshold in (distances[5], distances[40], distances[len(distances) // 2]):
        # as a double literal (exponent form) the engine reads exactly this float
        query = PREFIXES + f"SELECT ?f WHERE {{ ?f geo:hasGeometry/geo:asWKT ?w . FILTER(geof:distance({args}, uom:metre) {op} {threshold:.17e}) }}"
        on = answers(store, query, True)
        assert on == answers(store, query, False)
        assert len(on) == sum(d < threshold if op == "<" else d <= threshold for d in distances)
        assert any("within the distance" in n for n in store.explain(query))
        # as a decimal the engine rounds its own way (and has no value past 18 digits): still the same answers
        for text in (repr(threshold), f"{threshold:.19f}"):
            query = PREFIXES + f"SELECT ?f WHERE {{ ?f geo:hasGeometry/geo:asWKT ?w . FILTER(geof:distance({args}, uom:metre) {op} {text}) }}"
            assert answers(store, query, True) == answers(store, query, False)
