"""The embedded store: named graphs, atomic replace, union default graph, failures leave it unchanged."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pyoxigraph as ox
import pytest

from eolink.errors import InputError, QueryError, StoreError
from eolink.stores import open_store

G1 = "http://example.org/product/1"
G2 = "http://example.org/product/2"


def triples(n: int, predicate: str = "p") -> str:
    return "".join(f'<http://example.org/s{i}> <http://example.org/{predicate}> "{i}" .\n' for i in range(n))


@pytest.fixture()
def store(tmp_path):
    s = open_store(tmp_path / "store")
    yield s
    s.close()


def snapshot(store) -> set[str]:
    return {str(q) for q in store._store.quads_for_pattern(None, None, None, None)}


def test_load_into_named_graph_and_union_default(store):
    assert store.load(G1, triples(3)) == 3
    assert store.load(G2, triples(2, "q")) == 2
    assert [g.iri for g in store.graphs()] == [G1, G2]
    # the default graph a query sees is the union of all graphs
    result = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(result.rows[0][0].value) == 5
    # GRAPH ?g still tells where a triple came from
    result = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s <http://example.org/q> ?o } }")
    assert [r[0].value for r in result.rows] == [G2]


def test_replace_is_a_swap_not_a_merge(store):
    store.load(G1, triples(5))
    store.load(G1, triples(2, "q"))
    assert store.count(G1) == 2
    assert store.query("ASK { ?s <http://example.org/p> ?o }").boolean is False


def test_add_mode_keeps_previous_triples(store):
    store.load(G1, triples(2))
    store.load(G1, triples(3, "q"), replace=False)
    assert store.count(G1) == 5


@pytest.mark.parametrize(
    ("payload", "fmt"),
    [
        ('<http://example.org/a> <http://example.org/p> "unterminated .\n', "nt"),
        ("@prefix ex: <http://example.org/> . ex:a ex:p ", "ttl"),
        ("<not an iri> <http://example.org/p> <http://example.org/o> .", "nt"),
        ("<http://example.org/a> <http://example.org/p> <http://example.org/o> <http://g> <extra> .", "nq"),
    ],
)
def test_failed_load_of_a_new_graph_leaves_store_exactly_as_before(store, payload, fmt):
    store.load(G1, triples(4))
    before = snapshot(store)
    with pytest.raises(InputError):
        store.load(G2, triples(10, "q") + payload, fmt=fmt)
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("payload", "fmt"),
    [
        ('<http://example.org/a> <http://example.org/p> "unterminated .\n', "nt"),
        ("@prefix ex: <http://example.org/> . ex:a ex:p ", "ttl"),
    ],
)
@pytest.mark.parametrize("replace", [True, False])
def test_failed_replace_or_add_leaves_store_exactly_as_before(store, payload, fmt, replace):
    store.load(G1, triples(4))
    before = snapshot(store)
    with pytest.raises(InputError):
        store.load(G1, triples(10, "q") + payload, fmt=fmt, replace=replace)
    assert snapshot(store) == before


def test_quad_formats_go_into_the_target_graph(store):
    data = "<http://e/a> <http://e/p> <http://e/o> <http://e/other> .\n<http://e/b> <http://e/p> <http://e/o> .\n"
    assert store.load(G1, data, fmt="nq") == 2
    assert [g.iri for g in store.graphs()] == [G1]


def test_drop(store):
    store.load(G1, triples(2))
    assert store.drop(G1) is True
    assert store.drop(G1) is False
    assert store.graphs() == []


def test_bad_graph_iri_and_format(store):
    with pytest.raises(InputError):
        store.load("not an iri", triples(1))
    with pytest.raises(InputError):
        store.load(G1, triples(1), fmt="csv")


def test_query_limit_marks_truncation(store):
    store.load(G1, triples(10))
    result = store.query("SELECT ?s WHERE { ?s ?p ?o }", limit=4)
    assert len(result.rows) == 4 and result.truncated
    assert not store.query("SELECT ?s WHERE { ?s ?p ?o }", limit=40).truncated


def test_broken_queries_are_query_errors(store):
    with pytest.raises(QueryError):
        store.query("SELEKT * WHERE { ?s ?p ?o }")
    with pytest.raises(QueryError):
        store.query("SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000)
    with pytest.raises(QueryError):
        store.update("LOAD <http://example.org/data.ttl>")


def test_update_is_atomic(store):
    store.load(G1, triples(3))
    before = snapshot(store)
    with pytest.raises(QueryError):
        store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ <http://e/x> <http://e/p> 1 }} }} ; INSERT DATA {{ GRAPH <{G1}> {{ <http://e/y> <http://e/p> }} }}")
    assert snapshot(store) == before


def test_persistence_and_pending_load_recovery(tmp_path):
    path = tmp_path / "store"
    with open_store(path) as s:
        s.load(G1, triples(3))
        # simulate a crash in the middle of loading G2: marker written, part of the triples in
        s._mark_pending(G2)
        s._store.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("x"), ox.NamedNode(G2)))
    with open_store(path) as s:
        assert [g.iri for g in s.graphs()] == [G1]
        assert s.count() == 3
        assert not (path / "pending").exists()


def test_second_writer_gets_a_clear_error(tmp_path):
    path = tmp_path / "store"
    with open_store(path):
        code = textwrap.dedent(
            f"""
            from eolink.stores import open_store
            from eolink.errors import StoreError
            try:
                open_store({str(path)!r})
            except StoreError as err:
                print("StoreError", err)
            """
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "StoreError" in out.stdout, out.stderr


def test_kill_during_load_leaves_old_or_new_graph(tmp_path):
    """kill -9 in the middle of loading: reopening shows the previous graph, whole, or the new one, whole."""
    path = tmp_path / "store"
    with open_store(path) as s:
        s.load(G1, triples(1000))
    code = textwrap.dedent(
        f"""
        import sys
        from eolink.stores import open_store
        s = open_store({str(path)!r})
        data = "".join(f'<http://example.org/n{{i}}> <http://example.org/q> "{{i}}" .\\n' for i in range(300000))
        print("go", flush=True)
        while True:
            s.load({G1!r}, data)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "go"
    import time

    time.sleep(1.5)
    proc.kill()
    proc.wait()
    with open_store(path) as s:
        count = s.count(G1)
        assert count in (0, 1000, 100000)  # whole old graph, whole new graph, or (crash mid-write) none of it
        literals = _geometry_literals(s)
        assert len(s.index.rows_of(literals)) == len(literals)
    assert isinstance(StoreError("x"), RuntimeError)


def _geometry_literals(store) -> list[tuple[str, str]]:
    rows = store.query("SELECT DISTINCT ?w WHERE { ?g <http://www.opengis.net/ont/geosparql#asWKT> ?w }", planner=False).rows
    return [(r[0].value, r[0].datatype.value) for r in rows]


def test_spatial_index_is_persisted_and_covers_the_store(tmp_path):
    wkt = '<http://e/g{i}> <http://www.opengis.net/ont/geosparql#asWKT> "POINT ({i} {i})"^^<http://www.opengis.net/ont/geosparql#wktLiteral> .\n'
    path = tmp_path / "store"
    with open_store(path) as s:
        s.load(G1, "".join(wkt.format(i=i) for i in range(50)))
        s.update('INSERT DATA { GRAPH <http://e/g2> { <http://e/x> <http://www.opengis.net/ont/geosparql#asWKT> "POINT (500 5)"^^<http://www.opengis.net/ont/geosparql#wktLiteral> } }')
    with open_store(path) as s:
        literals = _geometry_literals(s)
        assert len(literals) == 51
        assert len(s.index.rows_of(literals)) == 51
        assert not s.index.dirty


def test_kill_during_update_leaves_index_covering_the_store(tmp_path):
    """A dirty marker written before an update makes the next open re-synchronise the index."""
    path = tmp_path / "store"
    with open_store(path) as s:
        s.index.mark_dirty()  # as if the process died between the update's commit and the index sync
        s._store.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://www.opengis.net/ont/geosparql#asWKT"),
                             ox.Literal("POINT (1 2)", datatype=ox.NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")),
                             ox.NamedNode("http://e/g")))
    with open_store(path) as s:
        assert len(s.index.rows_of(_geometry_literals(s))) == 1
        assert not s.index.dirty


def test_rdfs_entailment_follows_loads_and_drops():
    store = open_store(None, rdfs=True)
    data = """@prefix geo: <http://www.opengis.net/ont/geosparql#> . @prefix sf: <http://www.opengis.net/ont/sf#> .
    <http://e/f> geo:hasDefaultGeometry <http://e/g> . <http://e/g> a sf:Polygon ; geo:asWKT "POINT (1 2)"^^geo:wktLiteral ."""
    store.load(G1, data, fmt="ttl")
    ask = "ASK { <http://e/f> a <http://www.opengis.net/ont/geosparql#Feature> ; <http://www.opengis.net/ont/geosparql#hasGeometry> ?g . ?g a <http://www.opengis.net/ont/sf#Surface>, <http://www.opengis.net/ont/geosparql#Geometry> }"
    assert store.query(ask).boolean is True
    # each entailed triple appears once in the union default graph
    rows = store.query("SELECT ?c WHERE { <http://e/g> a ?c }").rows
    assert len(rows) == len({r[0].value for r in rows})
    store.drop(G1)
    assert store.query(ask).boolean is False


def test_query_rewrite_relates_features_by_their_geometries():
    data = """@prefix geo: <http://www.opengis.net/ont/geosparql#> .
    <http://e/a> geo:hasDefaultGeometry <http://e/ga> . <http://e/ga> geo:asWKT "POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0))"^^geo:wktLiteral .
    <http://e/b> geo:hasDefaultGeometry <http://e/gb> . <http://e/gb> geo:asWKT "POINT (1 1)"^^geo:wktLiteral .
    <http://e/c> geo:hasDefaultGeometry <http://e/gc> . <http://e/gc> geo:asWKT "POINT (5 5)"^^geo:wktLiteral ."""
    plain = open_store(None)
    plain.load(G1, data, fmt="ttl")
    rewriting = open_store(None, rewrite=True)
    rewriting.load(G1, data, fmt="ttl")
    q = "SELECT ?x WHERE { ?x <http://www.opengis.net/ont/geosparql#sfWithin> <http://e/a> } ORDER BY ?x"
    assert plain.query(q).rows == []
    # independent: shapely says the point (1 1) and the polygon itself are within the polygon
    assert [r[0].value for r in rewriting.query(q).rows] == ["http://e/a", "http://e/b", "http://e/ga", "http://e/gb"]


def test_chunked_ntriples_load_reports_progress(monkeypatch):
    import eolink.stores.embedded.store as module

    monkeypatch.setattr(module, "_CHUNK_BYTES", 1000)
    store = open_store(None)
    seen = []
    payload = triples(500)
    assert store.load(G1, payload, on_progress=lambda done, total: seen.append((done, total))) == 500
    assert len(seen) > 5 and seen[-1] == (len(payload.encode()), len(payload.encode()))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


GEO_NS = "http://www.opengis.net/ont/geosparql#"


@pytest.mark.parametrize("escapes", [False, True])  # \u escapes make the line formats parse every line
@pytest.mark.parametrize("fmt", ["nt", "nq", "ttl", "trig"])
def test_index_built_beside_the_load_covers_exactly_the_loaded_literals(tmp_path, fmt, escapes):
    """The literals the load thread extracts from the payload equal those the store holds (asked by SPARQL)."""
    subjects = [f"<http://e/g{i}>" for i in range(6)]
    lines = [
        f'{subjects[0]} <{GEO_NS}asWKT> "POINT (1 2)"^^<{GEO_NS}wktLiteral> .',
        f'{subjects[1]} <{GEO_NS}asWKT> "<http://www.opengis.net/def/crs/EPSG/0/3067> POINT (385000 6672000)"^^<{GEO_NS}wktLiteral> .',
        f'{subjects[2]} <{GEO_NS}asGeoJSON> "{{\\"type\\": \\"Point\\", \\"coordinates\\": [3, 4]}}"^^<{GEO_NS}geoJSONLiteral> .',
        f'{subjects[3]} <http://e/label> "mentions <{GEO_NS}asWKT> in a string" .',
        f"# a comment naming <{GEO_NS}asWKT>",
        f'{subjects[4]} <{GEO_NS}asWKT> "LINESTRING (0 0, 1 1)"^^<{GEO_NS}wktLiteral> .\r',
        f'{subjects[5]} <http://e/name> "caf\\u00E9" .' if escapes else f'{subjects[5]} <http://e/name> "cafe" .',
    ]
    text = "\n".join(lines) + "\n"
    if fmt in ("nq", "trig"):
        text = "".join(line.replace(" .", " <http://e/other> .", 1) if line.startswith("<") else line + "\n"
                       for line in text.splitlines(keepends=True))
        if fmt == "trig":
            text = "<http://e/other> {\n" + "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#")).replace(" <http://e/other> .", " .") + "}\n"
    with open_store(tmp_path / "s") as s:
        s.load(G1, text, fmt=fmt)
        rows = s.query(f"SELECT DISTINCT ?w WHERE {{ VALUES ?p {{ <{GEO_NS}asWKT> <{GEO_NS}asGeoJSON> }} ?g ?p ?w }}", planner=False).rows
        literals = [(r[0].value, r[0].datatype.value) for r in rows]
        assert len(literals) == 4
        assert sorted(s.index.rows_of(literals).tolist()) == list(range(len(s.index)))


def test_compaction_after_large_loads_keeps_everything(tmp_path, monkeypatch):
    """With the thresholds lowered, every load is followed by a compaction; the data and the index stay whole."""
    import eolink.stores.embedded.store as module

    monkeypatch.setattr(module, "_COMPACT_MIN_BYTES", 0)
    monkeypatch.setattr(module, "_COMPACT_SHARE", 0.0)
    calls = []
    wkt = '<http://e/g{i}> <http://www.opengis.net/ont/geosparql#asWKT> "POINT ({i} {i})"^^<http://www.opengis.net/ont/geosparql#wktLiteral> .\n'
    with open_store(tmp_path / "s") as s:
        optimize = s._store.optimize
        s._store = _Recorder(s._store, calls)
        s.load(G1, "".join(wkt.format(i=i) for i in range(200)))
        s.load("http://e/g2", "".join(wkt.format(i=i) for i in range(200, 300)))
        s.wait_for_compaction()
        assert calls.count("optimize") == 2 and optimize is not None
        assert s.count() == 300
        hits = s.query('SELECT ?g WHERE { ?g <http://www.opengis.net/ont/geosparql#asWKT> ?w . FILTER(<http://www.opengis.net/def/function/geosparql/sfWithin>(?w, "POLYGON ((-1 -1, 10.5 -1, 10.5 10.5, -1 10.5, -1 -1))"^^<http://www.opengis.net/ont/geosparql#wktLiteral>)) }')
        assert len(hits.rows) == 11


class _Recorder:
    """The pyoxigraph store, recording which of its methods are called."""

    def __init__(self, inner, calls):
        self._inner, self._calls = inner, calls

    def __getattr__(self, name):
        attribute = getattr(self._inner, name)
        if callable(attribute):
            def call(*args, **kwargs):
                self._calls.append(name)
                return attribute(*args, **kwargs)
            return call
        return attribute
