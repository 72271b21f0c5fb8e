"""Feature chains answered from the feature view give exactly the engine's answers.

The data is built to make bag semantics visible: triples repeated in several graphs
(and in the default graph), features with two geometries and two classes, a literal
shared by two geometry nodes, a feature typed in another graph than its geometry,
blank-node geometries, hasDefaultGeometry next to hasGeometry. Every query is run with
the planner (and the view) and without (pyoxigraph evaluating everything itself).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eolink.stores import open_store
from eolink.stores.embedded.features import FeatureView, view_triples_of_store, _triples_from_quads

GEO = "http://www.opengis.net/ont/geosparql#"
PREFIXES = f"""PREFIX geo: <{GEO}>
PREFIX geof: <http://www.opengis.net/def/function/geosparql/>
PREFIX uom: <http://www.opengis.net/def/uom/OGC/1.0/>
PREFIX ex: <http://example.org/>
"""
G1, G2, G3 = "http://example.org/g1", "http://example.org/g2", "http://example.org/g3"


def _nt(rng: np.random.Generator, start: int, count: int) -> tuple[str, str]:
    """N-Triples for features ``start..start+count`` and a second copy of some of them (for another graph)."""
    main, copy = [], []
    for i in range(start, start + count):
        x, y = 24.8 + rng.random() * 0.3, 60.1 + rng.random() * 0.15
        geom = shapely.box(x, y, x + rng.random() * 0.01, y + rng.random() * 0.005) if i % 3 else shapely.Point(x, y)
        f, g = f"<http://example.org/f{i}>", f"<http://example.org/geom{i}>"
        predicate = "hasDefaultGeometry" if i % 7 == 0 else "hasGeometry"
        lines = [
            f"{f} <{GEO}{predicate}> {g} .",
            f'{g} <{GEO}asWKT> "{geom.wkt}"^^<{GEO}wktLiteral> .',
            f"{f} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/{'A' if i % 2 else 'B'}> .",
            f'{f} <http://example.org/kind> "{i % 3}" .',
        ]
        if i % 5 == 0:  # a second class
            lines.append(f"{f} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/C> .")
        if i % 11 == 0:  # a second geometry, a buffered copy
            lines.append(f"{f} <{GEO}hasGeometry> <http://example.org/second{i}> .")
            lines.append(f'<http://example.org/second{i}> <{GEO}asWKT> "{geom.buffer(0.002).wkt}"^^<{GEO}wktLiteral> .')
        if i % 13 == 0:  # another node with the very same literal
            lines.append(f"<http://example.org/twin{i}> <{GEO}asWKT> \"{geom.wkt}\"^^<{GEO}wktLiteral> .")
            lines.append(f"{f} <{GEO}hasGeometry> <http://example.org/twin{i}> .")
        if i % 4 == 0:
            lines.append(f"{g} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{GEO}Geometry> .")
        main.extend(lines)
        if i % 6 == 0:  # the same triples again in another graph: matched twice over the union
            copy.extend(lines[:3])
    return "\n".join(main) + "\n", "\n".join(copy) + "\n"


def build_store(path=None):
    rng = np.random.default_rng(11)
    store = open_store(path)
    first, copy = _nt(rng, 0, 240)
    second, _ = _nt(rng, 240, 160)
    store.load(G1, first)
    store.load(G2, second + copy)
    # a graph in Turtle with blank-node geometries (the view reads it back from the store)
    store.load(G3, f"""@prefix geo: <{GEO}> . @prefix ex: <http://example.org/> .
        ex:b1 a ex:A ; geo:hasGeometry [ geo:asWKT "POINT (24.9 60.15)"^^geo:wktLiteral ] .
        ex:b2 a ex:B ; geo:hasGeometry [ geo:asWKT "POLYGON ((24.85 60.12, 25.0 60.12, 25.0 60.2, 24.85 60.2, 24.85 60.12))"^^geo:wktLiteral ] .
        ex:f3 a ex:C .""", fmt="ttl")
    # the default graph, written by an update
    store.update(PREFIXES + 'INSERT DATA { ex:f2 a ex:A . ex:geom2 geo:asWKT "POINT (24.95 60.16)"^^geo:wktLiteral }')
    return store


@pytest.fixture(scope="module")
def store():
    s = build_store()
    yield s
    s.close()


def answers(store, query: str, planner: bool) -> list:
    result = store.query(query, planner=planner)
    if result.kind == "ask":
        return [result.boolean]
    return sorted(tuple(str(t) for t in row) for row in result.rows)


def box(x: float, y: float, w: float, h: float) -> str:
    return f'"{shapely.box(x, y, x + w, y + h).wkt}"^^geo:wktLiteral'


SHAPES = {
    "feature": "SELECT ?f WHERE {{ ?f a ex:A ; geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} }}",
    "all": "SELECT ?f ?g ?w WHERE {{ ?f a ex:A ; geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} }}",
    "star": "SELECT * WHERE {{ ?f geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} }}",
    "distinct": "SELECT DISTINCT ?f WHERE {{ ?f geo:hasGeometry/geo:asWKT ?w . {flt} }}",
    "count": "SELECT (COUNT(*) AS ?n) WHERE {{ ?f a ex:B ; geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} }}",
    "path": "SELECT ?f WHERE {{ ?f a ex:B ; geo:hasGeometry/geo:asWKT ?w . {flt} }}",
    "kept-triple": "SELECT ?f ?k WHERE {{ ?f a ex:A ; ex:kind ?k ; geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} }}",
    "kept-filter": "SELECT ?f WHERE {{ ?f ex:kind ?k ; geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} FILTER(?k != \"1\") }}",
    "two-classes": "SELECT ?f WHERE {{ ?f a ex:A, ex:C ; geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} }}",
    "geometry-class": "SELECT ?g WHERE {{ ?g a geo:Geometry ; geo:asWKT ?w . {flt} }}",
    "default-geometry": "SELECT ?f WHERE {{ ?f geo:hasDefaultGeometry ?g . ?g geo:asWKT ?w . {flt} }}",
    "geometry-only": "SELECT ?g WHERE {{ ?g geo:asWKT ?w . {flt} }}",
    "ask": "ASK {{ ?f a ex:C ; geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} }}",
    "ordered": "SELECT ?f WHERE {{ ?f a ex:A ; geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} }} ORDER BY DESC(?f) LIMIT 7",
    "dollar": "SELECT $f WHERE {{ $f a ex:A ; geo:hasGeometry $g . $g geo:asWKT $w . {flt} }}",
    "sub-select": "SELECT ?f ?k WHERE {{ ?f ex:kind ?k . {{ SELECT ?f WHERE {{ ?f a ex:A ; geo:hasGeometry/geo:asWKT ?w . {flt} }} }} }}",
    "group-by": "SELECT ?f (COUNT(?g) AS ?n) WHERE {{ ?f geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} }} GROUP BY ?f",
    "optional-outside": "SELECT ?f ?k WHERE {{ ?f a ex:A ; geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} OPTIONAL {{ ?f ex:kind ?k }} }}",
}
RELATIONS = ["sfIntersects", "sfWithin", "sfContains", "sfOverlaps", "ehCovers"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.tuples(st.floats(24.8, 25.1), st.floats(60.1, 60.25), st.floats(0.002, 0.2), st.floats(0.002, 0.1)),
    st.sampled_from(RELATIONS), st.sampled_from(sorted(SHAPES)), st.booleans(),
)
def test_chain_answers_equal_the_engine(store, window, relation, shape, constant_first):
    args = f"{box(*window)}, ?w" if constant_first else f"?w, {box(*window)}"
    variable = "$w" if shape == "dollar" else "?w"
    flt = f"FILTER(geof:{relation}({args.replace('?w', variable)}))"
    query = PREFIXES + SHAPES[shape].format(flt=flt)
    on, off = store.query(query), store.query(query, planner=False)
    if shape == "ordered":
        assert [tuple(map(str, r)) for r in on.rows] == [tuple(map(str, r)) for r in off.rows]
    assert answers(store, query, True) == answers(store, query, False)


@pytest.mark.parametrize("shape", ["feature", "all", "count", "path", "kept-triple", "kept-filter", "two-classes",
                                   "geometry-class", "ordered", "sub-select", "group-by"])
def test_the_view_is_used(store, shape):
    # a window without the blank-node geometries (those cannot be projected)
    query = PREFIXES + SHAPES[shape].format(flt=f"FILTER(geof:sfIntersects(?w, {box(25.02, 60.21, 0.08, 0.04)}))")
    assert any("feature chain" in note for note in store.explain(query)), store.explain(query)
    assert answers(store, query, True) == answers(store, query, False)


def test_groups_with_optional_are_left_to_the_literal_values(store):
    query = PREFIXES + SHAPES["optional-outside"].format(flt=f"FILTER(geof:sfIntersects(?w, {box(25.02, 60.21, 0.08, 0.04)}))")
    notes = store.explain(query)
    assert any("exact matches" in n for n in notes) and not any("feature chain" in n for n in notes)


def test_direct_answers_need_a_bare_projection(store):
    flt = f"FILTER(geof:sfIntersects(?w, {box(25.02, 60.21, 0.08, 0.04)}))"
    bare = PREFIXES + SHAPES["all"].format(flt=flt)
    assert "answered from the index and the feature view alone" in store.explain(bare)
    for shape in ("ordered", "kept-triple", "count"):
        assert "answered from the index and the feature view alone" not in store.explain(PREFIXES + SHAPES[shape].format(flt=flt))


def test_blank_node_geometries_fall_back_when_they_must_be_emitted(store):
    flt = f"FILTER(geof:sfIntersects(?w, {box(24.8, 60.1, 0.3, 0.15)}))"
    # ?g is projected and some geometries are blank nodes: VALUES cannot hold them
    query = PREFIXES + f"SELECT ?f ?g WHERE {{ ?f a ex:B ; geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} }}"
    assert not any("feature chain" in n for n in store.explain(query))
    assert answers(store, query, True) == answers(store, query, False)
    # not projected: only counted, the view answers
    query = PREFIXES + f"SELECT ?f WHERE {{ ?f a ex:B ; geo:hasGeometry ?g . ?g geo:asWKT ?w . {flt} }}"
    assert any("feature chain" in n for n in store.explain(query))
    on = answers(store, query, True)
    assert ("<http://example.org/b2>",) in on and on == answers(store, query, False)


@pytest.mark.parametrize("form", ["GRAPH ?src { ?f geo:hasGeometry ?g . ?g geo:asWKT ?w }", "?f geo:hasGeometry ?g . ?g geo:asWKT ?w"])
def test_graph_and_from_are_left_to_the_engine(store, form):
    flt = f"FILTER(geof:sfIntersects(?w, {box(24.8, 60.1, 0.3, 0.15)}))"
    query = PREFIXES + f"SELECT ?f WHERE {{ {form} {flt} }}"
    if "GRAPH" not in form:
        query = query.replace("WHERE", f"FROM <{G1}> WHERE")
    assert not any("feature chain" in n for n in store.explain(query))
    assert answers(store, query, True) == answers(store, query, False)


JOINS = {
    "classes": "SELECT ?a ?b WHERE {{ ?a a ex:A ; geo:hasGeometry/geo:asWKT ?wa . ?b a ex:C ; geo:hasGeometry/geo:asWKT ?wb . {flt} }}",
    "literals": "SELECT ?a ?wa ?wb WHERE {{ ?a a ex:B ; geo:hasGeometry ?ga . ?ga geo:asWKT ?wa . ?b a ex:C ; geo:hasGeometry ?gb . ?gb geo:asWKT ?wb . {flt} }}",
    "count": "SELECT (COUNT(*) AS ?n) WHERE {{ ?a a ex:A ; geo:hasGeometry/geo:asWKT ?wa . ?gb geo:asWKT ?wb . {flt} }}",
    "kept": "SELECT ?a ?k WHERE {{ ?a a ex:C ; ex:kind ?k ; geo:hasGeometry/geo:asWKT ?wa . ?b a ex:B ; geo:hasGeometry/geo:asWKT ?wb . {flt} }}",
}


@pytest.mark.parametrize("relation", ["sfIntersects", "sfTouches", "sfWithin"])
@pytest.mark.parametrize("shape", sorted(JOINS))
def test_chain_joins_equal_the_engine(store, relation, shape):
    query = PREFIXES + JOINS[shape].format(flt=f"FILTER(geof:{relation}(?wa, ?wb))")
    if relation == "sfIntersects":
        assert any("two feature chains" in n for n in store.explain(query)), store.explain(query)
    assert answers(store, query, True) == answers(store, query, False)


@pytest.mark.parametrize("unit_distance", [("uom:metre", 800.0), ("uom:degree", 0.01)])
def test_distance_chains_equal_the_engine(store, unit_distance):
    unit, distance = unit_distance
    query = PREFIXES + f"""SELECT ?f ?w WHERE {{ ?f a ex:A ; geo:hasGeometry/geo:asWKT ?w .
        FILTER(geof:distance(?w, "POINT(24.95 60.17)"^^geo:wktLiteral, {unit}) <= {distance}) }}"""
    assert any("feature chain" in n for n in store.explain(query))
    assert answers(store, query, True) == answers(store, query, False)


# -- the view follows the store ------------------------------------------------------------------

def view_rows(view: FeatureView) -> set:
    return {(graph, code, s, o, h) for graph, table in view._graphs.items()
            for code, s, o, h in zip(*(table.column(c).to_pylist() for c in ("code", "subject", "object", "object_hash")))}


def store_rows(store) -> set:
    out = set()
    for graph, rows in view_triples_of_store(store._store, None).items():
        table = _triples_from_quads(rows).table
        out |= {(graph, code, s, o, h) for code, s, o, h in zip(*(table.column(c).to_pylist() for c in ("code", "subject", "object", "object_hash")))}
    return out


def test_view_equals_the_store_through_loads_replaces_appends_drops_updates_and_reopening(tmp_path):
    path = tmp_path / "s"
    store = build_store(path)
    assert view_rows(store.features) == store_rows(store)
    store.load(G1, _nt(np.random.default_rng(3), 1000, 30)[0])  # replace
    assert view_rows(store.features) == store_rows(store)
    store.load(G1, _nt(np.random.default_rng(4), 1020, 30)[0], replace=False)  # append, overlapping features
    assert view_rows(store.features) == store_rows(store)
    store.load(G1, _nt(np.random.default_rng(4), 1020, 30)[0], replace=False)  # the same again: a set, no duplicates
    assert view_rows(store.features) == store_rows(store)
    store.drop(G2)
    assert view_rows(store.features) == store_rows(store)
    store.update(PREFIXES + "DELETE WHERE { ex:f1000 geo:hasGeometry ?g }")
    assert view_rows(store.features) == store_rows(store)
    before = view_rows(store.features)
    store.close()
    reopened = open_store(path)
    assert reopened.features.usable and view_rows(reopened.features) == before == store_rows(reopened)
    reopened.close()


@pytest.mark.parametrize("fmt", ["nq", "trig", "rdf"])
def test_view_from_other_formats_equals_the_store(tmp_path, fmt):
    import pyoxigraph as ox

    source = ox.Store()
    source.bulk_load(_nt(np.random.default_rng(5), 0, 40)[0].encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(G1))
    fmt_of = {"nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "rdf": ox.RdfFormat.RDF_XML}
    payload = source.dump(format=fmt_of[fmt], from_graph=None if fmt != "rdf" else ox.NamedNode(G1))
    with open_store(tmp_path / "s") as store:
        store.load(G2, payload, fmt=fmt)
        assert view_rows(store.features) == store_rows(store)
        assert len(view_rows(store.features)) > 100


def test_unusual_ntriples_lines_are_parsed_by_pyoxigraph(tmp_path):
    """Lines the quick pattern does not understand (a literal rdf:type, the predicate as an object, odd spacing)."""
    t = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    data = "\n".join([
        f"<http://e/a> {t} <http://e/C> .",
        f"<http://e/b>\t{t}\t<http://e/C>.",
        f'<http://e/c> {t} "not a class" .',
        f"<http://e/d> <http://e/p> {t} .",
        f"<http://e/e> {t} _:x .",
        f"<http://e/a> <{GEO}hasGeometry> <http://e/g> . # a comment <{GEO}hasGeometry>",
        f'<http://e/g> <{GEO}asWKT> "POINT (1 2)"^^<{GEO}wktLiteral> .',
    ]) + "\n"
    with open_store(tmp_path / "s") as store:
        store.load(G1, data)
        assert view_rows(store.features) == store_rows(store)


def test_pending_load_is_dropped_from_the_view_on_reopening(tmp_path):
    path = tmp_path / "s"
    store = build_store(path)
    store.close()
    (path / "pending").write_text(G2)
    reopened = open_store(path)
    assert not reopened.has_graph(G2)
    assert reopened.features.usable and view_rows(reopened.features) == store_rows(reopened)
    reopened.close()


def test_a_reader_beside_a_busy_writer_does_not_use_the_view(tmp_path):
    path = tmp_path / "s"
    store = build_store(path)
    (path / "pending").write_text(G3)  # as during a load
    reader = open_store(path, read_only=True)
    assert not reader.features.usable
    (path / "pending").unlink()
    store.flush()
    reader.close()
    reader = open_store(path, read_only=True)
    assert reader.features.usable
    query = PREFIXES + SHAPES["feature"].format(flt=f"FILTER(geof:sfIntersects(?w, {box(24.8, 60.1, 0.3, 0.15)}))")
    assert answers(reader, query, True) == answers(store, query, False)
    reader.close()
    store.close()


def test_a_store_made_before_the_view_gets_one(tmp_path):
    import shutil

    path = tmp_path / "s"
    store = build_store(path)
    expected = view_rows(store.features)
    store.close()
    shutil.rmtree(path / "features")
    reader = open_store(path, read_only=True)
    assert not reader.features.usable  # a reader cannot build it
    reader.close()
    writer = open_store(path)
    assert writer.features.usable and view_rows(writer.features) == expected
    writer.close()


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("trailing", [True, False])
def test_quick_line_reading_equals_pyoxigraph_parsing(newline, trailing):
    """The patterns that read plain N-Triples/N-Quads lines give what pyoxigraph's parser gives."""
    import pyoxigraph as ox

    from eolink.stores.embedded.features import view_triples_in

    t = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    lines = [
        f'<http://e/g0> <{GEO}asWKT> "POINT (0 0)"^^<{GEO}wktLiteral> .',  # the first line
        f"<http://e/f1>\t{t}  <http://e/C> .",
        f"<http://e/f1> <{GEO}hasGeometry> <http://e/g1> <http://e/graph> .",  # a quad
        f'<http://e/g1> <{GEO}asWKT> "<http://www.opengis.net/def/crs/EPSG/0/3067> POINT (1 2)"^^<{GEO}wktLiteral> . # note',
        "# a comment line",
        "",
        f'<http://e/g2> <{GEO}asGeoJSON> "{{}}"^^<{GEO}geoJSONLiteral>.',
        f"<http://e/f2> <{GEO}hasDefaultGeometry> <http://e/g2> .",
        f"<http://e/f2> {t} <http://e/D> .",  # the last line
    ]
    payload = (newline.join(lines) + (newline if trailing else "")).encode()
    quick = view_triples_in(payload, "nq", ox.RdfFormat.N_QUADS)
    # the same text parsed by pyoxigraph (TriG reads N-Quads lines too, but not through the quick patterns)
    slow = view_triples_in(payload.replace(b" <http://e/graph> .", b" ."), "ttl", ox.RdfFormat.TURTLE)
    assert sorted(zip(quick[0], quick[1], quick[2])) == sorted(zip(slow[0], slow[1], slow[2]))
    assert sorted(quick[3]) == sorted(slow[3])
    assert len(quick[0]) == 3 and len(quick[3]) == 4


def test_reopened_index_parses_only_the_rows_a_query_needs(tmp_path):
    path = tmp_path / "s"
    build_store(path).close()
    store = open_store(path)
    assert sum(int(s._done.sum()) for s in store.index._segments) == 0
    query = PREFIXES + SHAPES["feature"].format(flt=f"FILTER(geof:sfIntersects(?w, {box(25.02, 60.21, 0.08, 0.04)}))")
    on = answers(store, query, True)
    parsed = sum(int(s._done.sum()) for s in store.index._segments)
    assert 0 < parsed < len(store.index) // 2
    assert on == answers(store, query, False)
    store.close()


def test_load_without_counting_and_close_waits_for_the_compaction(tmp_path, monkeypatch):
    import eolink.stores.embedded.store as module

    monkeypatch.setattr(module, "_COMPACT_MIN_BYTES", 0)
    monkeypatch.setattr(module, "_COMPACT_SHARE", 0.0)
    store = open_store(tmp_path / "s")
    assert store.load(G1, _nt(np.random.default_rng(1), 0, 50)[0], count=False) is None
    running = store._compaction
    assert running is not None
    store.close()
    assert not running.is_alive()
    with open_store(tmp_path / "s") as again:
        assert again.count(G1) > 200


def test_a_view_file_gone_missing_is_rebuilt_by_the_writer_and_ignored_by_readers(tmp_path):
    path = tmp_path / "s"
    store = build_store(path)
    expected = view_rows(store.features)
    store.close()
    next((path / "features").glob("graph-*.arrow")).unlink()
    reader = open_store(path, read_only=True)
    assert not reader.features.usable
    reader.close()
    (path / "pending").write_text("")  # an empty marker (a crash before the graph was named) must not mend it
    writer = open_store(path)
    assert writer.features.usable and view_rows(writer.features) == expected
    writer.close()


@pytest.mark.parametrize("replace", [True, False])
def test_a_failed_load_leaves_the_view_as_it_was(tmp_path, replace):
    from eolink.errors import InputError

    store = build_store(tmp_path / "s")
    before = view_rows(store.features)
    bad = _nt(np.random.default_rng(9), 2000, 20)[0] + '<http://e/a> <http://e/p> "unterminated .\n'
    for graph in (G1, "http://example.org/new"):
        with pytest.raises(InputError):
            store.load(graph, bad, replace=replace)
        assert store.features.usable and view_rows(store.features) == before == store_rows(store)
    store.close()
