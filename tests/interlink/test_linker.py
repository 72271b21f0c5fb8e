"""Link runs against a store: selectors, CRSs, provenance, atomic loading and bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from eolink.errors import CRSError, GeometryError, InputError
from eolink.interlink import RELATIONS, link, link_graphs
from eolink.interlink.linker import link_graph_iri
from eolink.ontology import EOL, GEO, PROV
from eolink.sparql.geosparql.literals import format_wkt_literal
from eolink.stores import open_store
from tests.interlink.brute import brute_force, random_geometries

A, B = "http://example.org/graph/a", "http://example.org/graph/b"
UTM = "http://www.opengis.net/def/crs/EPSG/0/32635"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def geometries_in_utm(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # the 10 × 10 test world scaled to 1 km near Helsinki, in UTM 35N
    return random_geometries(rng, n, scale=100.0, offset=(385_000.0, 6_672_000.0))


def turtle(prefix: str, geometries: np.ndarray, crs: str, cls: str = EOL + "Thing") -> str:
    lines = []
    for k, g in enumerate(geometries):
        f = f"{prefix}/f{k:04d}"
        lit = format_wkt_literal(g, crs).replace('"', '\\"')
        lines.append(f'<{f}> a <{cls}> ; <{GEO}hasDefaultGeometry> <{f}/g> .\n'
                     f'<{f}/g> <{GEO}asWKT> "{lit}"^^<{GEO}wktLiteral> .')
    return "\n".join(lines)


def to_crs84(geometries: np.ndarray) -> np.ndarray:
    # independent reprojection: geopandas/pyproj with always_xy
    return gpd.GeoSeries(geometries, crs="EPSG:32635").to_crs("OGC:CRS84").values


def as_iris(found: set[tuple[int, int, str]], pa: str, pb: str) -> set[tuple[str, str, str]]:
    return {(f"{pa}/f{i:04d}", GEO + r, f"{pb}/f{j:04d}") for i, j, r in found}


def links_in(store, graph: str) -> set[tuple[str, str, str]]:
    rows = store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o FILTER(STRSTARTS(STR(?p), '{GEO}')) }} }}").rows
    return {(s.value, p.value, o.value) for s, p, o in rows}


@pytest.fixture()
def store():
    a = geometries_in_utm(1, 24)
    b = geometries_in_utm(2, 30)
    s = open_store(None)
    s.load(A, turtle("http://example.org/a", a, UTM), fmt="ttl")
    # b is stored in CRS84: the run reprojects it to a's CRS
    s.load(B, turtle("http://example.org/b", to_crs84(b), CRS84, cls=EOL + "Other"), fmt="ttl")
    s.geoms = (a, b)
    return s


def test_graph_selectors_across_crss_equal_brute_force(store):
    a, b = store.geoms
    # reference: b reprojected back to UTM by pyproj, then every pair related by shapely
    b_back = gpd.GeoSeries(to_crs84(b), crs="OGC:CRS84").to_crs("EPSG:32635").values
    run = link(store, f"graph:{A}", f"graph:{B}")
    expected = as_iris(brute_force(a, b_back), "http://example.org/a", "http://example.org/b")
    assert links_in(store, run.graph) == expected
    assert run.total == len(expected)
    assert run.graph == link_graph_iri(A, B)


def test_class_and_query_selectors(store, tmp_path):
    a, b = store.geoms
    query = tmp_path / "a.rq"
    query.write_text(f"SELECT ?feature ?wkt WHERE {{ ?feature <{GEO}hasDefaultGeometry>/<{GEO}asWKT> ?wkt "
                     f"FILTER(STRSTARTS(STR(?feature), 'http://example.org/a/')) }}")
    by_query = link(store, f"query:@{query}", f"class:{EOL}Other", relations=["sfContains", "sfTouches"], graph="http://example.org/links/q")
    by_graph = link(store, f"graph:{A}", f"graph:{B}", relations=["sfContains", "sfTouches"], load=False)
    assert links_in(store, by_query.graph) == set(zip(by_graph.table["source"], GEO + by_graph.table["relation"], by_graph.table["target"]))
    assert by_query.links == by_graph.links


def test_provenance_of_the_run(store):
    run = link(store, f"graph:{A}", f"graph:{B}", relations=["sfIntersects", "sfWithin"])
    ask = store.query(f"""ASK {{ GRAPH <{run.graph}> {{
        <{run.graph}> a <http://rdfs.org/ns/void#Linkset> ; <{PROV}wasGeneratedBy> ?act ;
                      <{EOL}linkCount> {run.total} ; <{EOL}sfWithinCount> {run.links['sfWithin']} .
        ?act a <{PROV}Activity> ; <{PROV}used> <{A}>, <{B}> ; <{PROV}startedAtTime> ?s ; <{PROV}endedAtTime> ?e ;
             <{PROV}wasAssociatedWith> ?agent ; <{EOL}algorithm> ?alg ; <{EOL}sourceFeatures> {len(store.geoms[0])} ;
             <{EOL}sourceSelector> "graph:{A}" ;
             <{EOL}targetFeatures> {len(store.geoms[1])} ; <{EOL}relation> <{GEO}sfWithin> .
        FILTER(?s <= ?e) }} }}""")
    assert ask.boolean
    # the only predicates between features are the GeoSPARQL relations asked for
    preds = store.query(f"""SELECT DISTINCT ?p WHERE {{ GRAPH <{run.graph}> {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), 'http://example.org/a/')) }} }}""")
    assert {r[0].value for r in preds.rows} == {GEO + "sfIntersects", GEO + "sfWithin"}


def test_rerun_replaces_the_graph_and_links_are_queryable_at_once(store):
    first = link(store, f"graph:{A}", f"graph:{B}")
    second = link(store, f"graph:{A}", f"graph:{B}", relations=["sfEquals"])
    n = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{GEO}sfIntersects> ?b }}").rows[0][0].value
    assert int(n) == 0 and first.graph == second.graph
    assert len(links_in(store, second.graph)) == second.links["sfEquals"]


def test_bad_input_leaves_the_store_unchanged(store, tmp_path):
    before = {g.iri: g.triples for g in store.graphs()}
    with pytest.raises(InputError, match="selects no features"):
        link(store, "graph:http://example.org/graph/none", f"graph:{B}")
    with pytest.raises(InputError, match="unknown relations"):
        link(store, f"graph:{A}", f"graph:{B}", relations=["sfNear"])
    with pytest.raises(InputError, match="\\?feature and \\?wkt"):
        link(store, "query:SELECT ?x WHERE { ?x ?p ?o }", f"graph:{B}")
    with pytest.raises(InputError):
        link(store, "graph:not an iri", f"graph:{B}")
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    store.load("http://example.org/graph/bad", turtle("http://example.org/bad", np.array([bowtie, shapely.box(0, 0, 1, 1)]), UTM), fmt="ttl")
    before = {g.iri: g.triples for g in store.graphs()}
    with pytest.raises(GeometryError, match="invalid geometr"):
        link(store, "graph:http://example.org/graph/bad", f"graph:{A}")
    assert {g.iri: g.triples for g in store.graphs()} == before
    repaired = link(store, "graph:http://example.org/graph/bad", f"graph:{A}", invalid="repair", load=False)
    skipped = link(store, "graph:http://example.org/graph/bad", f"graph:{A}", invalid="skip", load=False)
    assert repaired.source_features == 2 and skipped.source_features == 1
    # a shapefile without its .prj: no CRS to reproject from
    path = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame({"id": ["1"]}, geometry=[shapely.Point(385_000, 6_672_000)]).to_file(path)
    with pytest.raises(CRSError, match="no CRS"):
        link(store, str(path), f"graph:{A}", load=False)
    assert {g.iri: g.triples for g in store.graphs()} == before


def test_file_without_crs_is_a_crs_error():
    from eolink.interlink.sources import features_from_geodataframe

    with pytest.raises(CRSError):
        features_from_geodataframe(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]))
    with pytest.raises(InputError, match="no features"):
        features_from_geodataframe(gpd.GeoDataFrame(geometry=[], crs="EPSG:32635"))


def test_link_graphs_keeps_the_demo_contract(store):
    run = link_graphs(store, A, B, relations=RELATIONS)
    assert run.graph == link_graph_iri(A, B) and run.source == A and run.target == B
    only = link_graphs(store, A, B, relations=["sfIntersects"], target_class=EOL + "Other")
    assert only.links["sfIntersects"] == run.links["sfIntersects"]


def test_time_aware_link_with_store_times():
    s = open_store(None)
    day = "2021-06-%02dT10:00:00Z"
    box = shapely.box(385_000, 6_672_000, 385_100, 6_672_100)
    scenes, obs = [], []
    for k in range(6):
        scenes.append(f'<http://example.org/s{k}> <{GEO}hasDefaultGeometry> <http://example.org/s{k}/g> ; '
                      f'<{EOL}sensingStart> "{day % (1 + 4 * k)}"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
                      f'<http://example.org/s{k}/g> <{GEO}asWKT> "<{UTM}> {box.wkt}"^^<{GEO}wktLiteral> .')
    s.load("http://example.org/scenes", "\n".join(scenes), fmt="ttl")
    point = shapely.Point(385_050, 6_672_050)
    obs.append(f'<http://example.org/o> <{GEO}hasDefaultGeometry> <http://example.org/o/g> ; '
               f'<http://www.w3.org/ns/sosa/resultTime> "{day % 10}"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
               f'<http://example.org/o/g> <{GEO}asWKT> "<{UTM}> {point.wkt}"^^<{GEO}wktLiteral> .')
    s.load("http://example.org/obs", "\n".join(obs), fmt="ttl")
    run = link(s, "graph:http://example.org/obs", "graph:http://example.org/scenes", relations=["sfWithin"], within_days=3)
    # scenes on June 1, 5, 9, 13, 17, 21; the observation on June 10: within 3 days are the 9th and 13th
    assert sorted(run.table["target"]) == ["http://example.org/s2", "http://example.org/s3"]
    untimed = turtle("http://example.org/u", np.array([point]), UTM)
    s.load("http://example.org/untimed", untimed, fmt="ttl")
    with pytest.raises(InputError, match="no feature has a time"):
        link(s, "graph:http://example.org/untimed", "graph:http://example.org/scenes", within_days=3, load=False)
