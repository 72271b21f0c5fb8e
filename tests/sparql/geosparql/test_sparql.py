"""The registry through pyoxigraph: FILTERs, BINDs and aggregates in real queries, and the parse cache."""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest
import shapely

from eolink.sparql.geosparql import AGGREGATES, custom_aggregates, custom_functions, parse_geometry_literal
from eolink.sparql.geosparql import terms
from tests.sparql.geosparql.tables import BASE, CRSS, GEO, GEOF, OTHER, literal

PREFIXES = f"PREFIX geo: <{GEO}> PREFIX geof: <{GEOF}> PREFIX uom: <http://www.opengis.net/def/uom/OGC/1.0/> PREFIX ex: <http://example.org/> "
HAS = ox.NamedNode("http://example.org/geom")


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """Every base geometry in every CRS and serialisation, plus a quad and a malformed literal."""
    s = ox.Store()
    for name in BASE:
        for ser, crs in [("wkt", "CRS84"), ("wkt", "EPSG4326"), ("gml", "EPSG3067"), ("wkt", "EPSG32635"), ("geojson", "CRS84"), ("kml", "CRS84")]:
            s.add(ox.Quad(ox.NamedNode(f"http://example.org/{name}/{ser}/{crs}"), HAS, literal(name, CRSS[crs], ser)))
    s.add(ox.Quad(ox.NamedNode("http://example.org/quad"), HAS, literal("quad")))
    s.add(ox.Quad(ox.NamedNode("http://example.org/broken"), HAS, ox.Literal("POLYGON ((0 0, 1", datatype=ox.NamedNode(GEO + "wktLiteral"))))
    s.add(ox.Quad(ox.NamedNode("http://example.org/unknown-crs"), HAS, ox.Literal("<http://example.org/crs> POINT (1 2)", datatype=ox.NamedNode(GEO + "wktLiteral"))))
    return s


def select(store: ox.Store, query: str) -> list[dict[str, object]]:
    result = store.query(PREFIXES + query, custom_functions=custom_functions(), custom_aggregate_functions=custom_aggregates())
    names = [v.value for v in result.variables]
    return [{n: row[n] for n in names} for row in result]


def test_filter_sf_intersects_across_crs_and_serialisations(store: ox.Store) -> None:
    rows = select(store, "SELECT ?s WHERE { ?s ex:geom ?g . ex:quad ex:geom ?q FILTER(geof:sfIntersects(?g, ?q)) }")
    found = {r["s"].value.removeprefix("http://example.org/") for r in rows}
    expected_names = {n for n, g in BASE.items() if g.intersects(OTHER["quad"])} | {"quad"}
    assert {f.split("/")[0] for f in found} == expected_names
    assert len(found) == 6 * (len(expected_names) - 1) + 1  # every CRS and serialisation of each, and the quad itself
    assert not any("broken" in f or "unknown" in f for f in found)


def test_filter_and_bind_with_malformed_literals_do_not_crash(store: ox.Store) -> None:
    rows = select(store, "SELECT ?s ?a WHERE { ?s ex:geom ?g BIND(geof:metricArea(?g) AS ?a) }")
    by_subject = {r["s"].value: r["a"] for r in rows}
    assert by_subject["http://example.org/broken"] is None
    assert by_subject["http://example.org/unknown-crs"] is None
    assert float(by_subject["http://example.org/polygon/wkt/CRS84"].value) > 0
    rows = select(store, "SELECT ?s WHERE { ?s ex:geom ?g FILTER(!geof:sfDisjoint(?g, ?g)) }")
    assert "http://example.org/broken" not in {r["s"].value for r in rows}


def test_distance_order_and_units(store: ox.Store) -> None:
    rows = select(
        store,
        "SELECT ?s ?m ?km WHERE { ?s ex:geom ?g . ex:polygon\\/wkt\\/CRS84 ex:geom ?p "
        "BIND(geof:distance(?p, ?g, uom:metre) AS ?m) BIND(geof:distance(?p, ?g, <http://www.opengis.net/def/uom/OGC/1.0/kilometre>) AS ?km) "
        "FILTER(BOUND(?m)) } ORDER BY DESC(?m) LIMIT 1",
    )
    assert rows[0]["s"].value.startswith("http://example.org/quad") or float(rows[0]["m"].value) >= 0
    assert float(rows[0]["km"].value) == pytest.approx(float(rows[0]["m"].value) / 1000)


def test_constructive_results_are_wkt_in_first_crs(store: ox.Store) -> None:
    rows = select(store, "SELECT ?u WHERE { ex:polygon\\/gml\\/EPSG3067 ex:geom ?a . ex:quad ex:geom ?b BIND(geof:union(?a, ?b) AS ?u) }")
    (row,) = rows
    assert row["u"].datatype.value == GEO + "wktLiteral"
    geometry, crs = parse_geometry_literal(row["u"])
    assert crs == CRSS["EPSG3067"] and geometry.area > 0


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        ("aggUnion", lambda gs: shapely.union_all(gs)),
        ("aggConvexHull", lambda gs: shapely.convex_hull(shapely.GeometryCollection(gs))),
        ("aggBoundingBox", lambda gs: shapely.envelope(shapely.GeometryCollection(gs))),
        ("aggCentroid", lambda gs: shapely.centroid(shapely.GeometryCollection(gs))),
        ("aggBoundingCircle", lambda gs: shapely.minimum_bounding_circle(shapely.GeometryCollection(gs))),
        ("aggConcaveHull", lambda gs: shapely.concave_hull(shapely.GeometryCollection(gs), ratio=0.3)),
    ],
)
def test_aggregates(store: ox.Store, aggregate: str, expected) -> None:
    names = ["point", "line", "polygon", "multipoint"]
    values = " ".join(f"ex:{n}\\/wkt\\/CRS84 ex:{n}\\/gml\\/EPSG3067" for n in names)
    rows = select(store, f"SELECT (geof:{aggregate}(?g) AS ?r) WHERE {{ VALUES ?s {{ {values} }} ?s ex:geom ?g }}")
    got, crs = parse_geometry_literal(rows[0]["r"])
    assert crs == CRSS["CRS84"]  # the first geometry's CRS
    want = expected([BASE[n] for n in names])
    assert shapely.hausdorff_distance(got, want) < 1e-6


def test_aggregates_grouped_and_with_errors(store: ox.Store) -> None:
    rows = select(
        store,
        "SELECT ?k (geof:aggBoundingBox(?g) AS ?box) WHERE { ?s ex:geom ?g BIND(STRBEFORE(SUBSTR(STR(?s), 20), \"/\") AS ?k) "
        "FILTER(?k IN (\"polygon\", \"line\")) } GROUP BY ?k",
    )
    boxes = {r["k"].value: parse_geometry_literal(r["box"]).geometry for r in rows}
    assert shapely.hausdorff_distance(boxes["polygon"], BASE["polygon"].envelope) < 1e-6
    rows = select(store, "SELECT (geof:aggUnion(?g) AS ?u) WHERE { ?s ex:geom ?g }")  # includes the broken literal
    assert rows[0]["u"] is None
    rows = select(store, "SELECT (geof:aggUnion(?g) AS ?u) WHERE { ?s ex:nothing ?g }")
    assert rows[0]["u"] is None
    assert set(AGGREGATES) >= {GEOF + n for n in ("aggUnion", "aggConvexHull", "aggConcaveHull", "aggCentroid", "aggBoundingBox", "aggBoundingCircle")}


def test_embedded_store_uses_the_registry() -> None:
    """EmbeddedStore.query registers custom_functions()/custom_aggregates() itself."""
    from eolink.stores.embedded.store import EmbeddedStore

    embedded = EmbeddedStore(None)
    embedded.load("http://example.org/g", f'<http://example.org/a> <http://example.org/geom> "{BASE["polygon"].wkt}"^^<{GEO}wktLiteral> .')
    result = embedded.query(PREFIXES + "SELECT ?a WHERE { ?s ex:geom ?g BIND(geof:metricArea(?g) AS ?a) }")
    assert float(result.rows[0][0].value) > 1e6


def test_cached_call_is_faster_than_uncached() -> None:
    """The parse cache: an sfIntersects on literals seen before skips parsing and reprojection."""
    call = custom_functions()[ox.NamedNode(GEOF + "sfIntersects")]
    polygon = shapely.Point(24.95, 60.17).buffer(0.05, quad_segs=50)  # 201 vertices
    a = ox.Literal(polygon.wkt, datatype=ox.NamedNode(GEO + "wktLiteral"))
    b = literal("point", CRSS["EPSG3067"])

    def timed(n: int, clear: bool) -> float:
        start = time.perf_counter()
        for _ in range(n):
            if clear:
                terms._parse_cached.cache_clear()
                terms._in_crs_cached.cache_clear()
            call(a, b)
        return (time.perf_counter() - start) / n

    uncached = timed(50, clear=True)
    call(a, b)
    cached = timed(2000, clear=False)
    print(f"sfIntersects: uncached {uncached * 1e6:.0f} µs, cached {cached * 1e6:.1f} µs per call")
    assert cached < uncached / 5
