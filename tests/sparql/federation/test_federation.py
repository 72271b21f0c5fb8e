"""Federation correctness: every workload query over three real Oxigraph servers equals one store with the union."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
import shapely

from eolink.errors import FederationError, QueryError
from eolink.sparql.federation import Federation, load_config, parse_config
from eolink.stores import open_store
from tests.sparql.federation.geofedbench import WINDOW, WORKLOAD
from tests.listener import Recorder


def _config_text(urls: dict[str, str], extra: str = "") -> str:
    return "".join(f'[[source]]\nname = "{n}"\nendpoint = "{u}"\n' for n, u in urls.items()) + extra


def _rows(result) -> Counter:
    return Counter(tuple("" if t is None else str(t) for t in row) for row in result.rows)


@pytest.fixture(scope="module")
def union_store(dataset):
    store = open_store(None)
    store.load("http://example.org/graph/union", dataset.union, fmt="nt")
    return store


@pytest.fixture(scope="module")
def federation(oxigraph_sources, tmp_path_factory):
    path = tmp_path_factory.mktemp("fed") / "sources.toml"
    path.write_text(_config_text(oxigraph_sources))
    fed = Federation.from_file(path)
    asyncio.run(fed.describe())
    assert path.with_suffix(".void.ttl").exists()
    return fed


@pytest.mark.parametrize("name", sorted(WORKLOAD))
def test_workload_equals_union_store(name, federation, union_store):
    _, query = WORKLOAD[name]
    expected = union_store.query(query)
    answer = asyncio.run(federation.query(query))
    assert answer.result.variables == expected.variables
    assert _rows(answer.result) == _rows(expected)
    assert len(expected.rows) > 0, "the workload query should not be trivially empty"


def test_window_matches_shapely_brute_force(federation, dataset):
    window = shapely.from_wkt(WINDOW)
    truth = {p for p, wkt in dataset.parcel_wkt.items() if shapely.intersects(shapely.from_wkt(wkt), window)}
    answer = asyncio.run(federation.query(WORKLOAD["Q4-window"][1]))
    assert {row[0].value for row in answer.result.rows} == truth


def test_descriptions_match_the_data(federation, dataset):
    east = federation.descriptions["east"]
    observations = dataset.parts["east"].count("<http://example.org/gfb/Observation>")
    assert east.classes["http://example.org/gfb/Observation"] == observations
    assert east.triples == dataset.parts["east"].count("\n")
    assert east.time_start >= "2024-01-01" and east.time_end <= "2024-03-31"
    west = federation.descriptions["west"]
    assert west.bbox[2] < 13.1 and "http://example.org/gfb/Observation" not in west.classes
    reloaded = load_config(federation.config.descriptions.with_suffix("").with_suffix(".toml"))
    assert reloaded.descriptions == federation.config.descriptions


def test_source_selection_and_spatial_pruning(federation):
    answer = asyncio.run(federation.query(WORKLOAD["Q4-window"][1]))
    # the window lies west of 13°E: the eastern parcels' source is never asked for geometries
    wkt_steps = [s for s in answer.steps if any("asWKT" in p.render() for p in s.patterns)]
    assert wkt_steps and all("east" not in s.sources for s in wkt_steps)
    single = asyncio.run(federation.query("PREFIX ex: <http://example.org/gfb/> SELECT ?o WHERE { ?o ex:snowDepth ?d } LIMIT 3"))
    assert set(single.requests) == {"admin", "west", "east"} and single.requests["admin"] == 0 and single.requests["west"] == 0


def test_bind_join_uses_values(federation):
    answer = asyncio.run(federation.query(WORKLOAD["Q1-crops-in-unit"][1]))
    assert any(step.bind_variables for step in answer.steps)


def test_service_outside_configuration_is_refused_and_nothing_leaves(federation):
    recorder = Recorder()
    try:
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.2:{recorder.port}/sparql> {{ ?s ?p ?o }} }}"
        with pytest.raises(QueryError, match="not a configured federation source"):
            asyncio.run(federation.query(query))
        with pytest.raises(QueryError):
            asyncio.run(federation.query(f"SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.2:{recorder.port}/x> {{ ?s ?p ?o }} }}"))
    finally:
        recorder.close()
    assert recorder.connections == 0


def test_service_to_configured_source(federation, union_store, oxigraph_sources):
    query = f"""PREFIX ex: <http://example.org/gfb/>
SELECT ?p ?name WHERE {{ SERVICE <{oxigraph_sources["admin"]}> {{ ?u ex:name ?name FILTER(?name = "Unit 4") }} ?p ex:inUnit ?u }}"""
    expected = union_store.query('PREFIX ex: <http://example.org/gfb/> SELECT ?p ?name WHERE { ?u ex:name ?name FILTER(?name = "Unit 4") ?p ex:inUnit ?u }')
    assert _rows(asyncio.run(federation.query(query)).result) == _rows(expected)


def test_failing_source_error_or_partial(oxigraph_sources, union_store):
    urls = dict(oxigraph_sources, dead="http://127.0.0.1:9/sparql")
    config = parse_config(_config_text(urls))
    fed = Federation(config, descriptions={})
    query = "PREFIX ex: <http://example.org/gfb/> SELECT ?o WHERE { ?o ex:snowDepth ?d }"
    with pytest.raises(FederationError, match="dead"):
        asyncio.run(fed.query(query))
    answer = asyncio.run(fed.query(query, partial=True))
    assert answer.partial and answer.failed == ["dead"]
    assert _rows(answer.result) == _rows(union_store.query(query))


def test_cli_describe_and_query(oxigraph_sources, tmp_path, union_store, capsys):
    from eolink.cli import main
    from eolink.sparql.federation import load_descriptions

    config = tmp_path / "sources.toml"
    config.write_text(_config_text(oxigraph_sources))
    assert main(["federate", "describe", str(config)]) == 0
    described = load_descriptions(tmp_path / "sources.void.ttl")
    assert set(described) == {"admin", "west", "east"}
    expected = union_store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0].value
    assert sum(d.triples for d in described.values()) == int(expected)
    capsys.readouterr()
    assert main(["federate", "query", str(config), "SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://example.org/gfb/Parcel> }"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].strip() == union_store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://example.org/gfb/Parcel> }").rows[0][0].value
    config.write_text("[[source]]\nname = 'x'\n")
    assert main(["federate", "describe", str(config)]) == 1


def test_describe_and_construct_over_sources(federation, union_store):
    iri = "http://example.org/gfb/unit/3"
    answer = asyncio.run(federation.query(f"DESCRIBE <{iri}>"))
    got = {str(t) for t in answer.result.triples}
    expected = {str(t) for t in union_store.query(f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }}").triples}
    assert expected <= got
    query = "PREFIX ex: <http://example.org/gfb/> CONSTRUCT { ?o ex:onParcel ?p } WHERE { ?o ex:ofParcel ?p ; ex:snowDepth ?d FILTER(?d > 100) }"
    assert {str(t) for t in asyncio.run(federation.query(query)).result.triples} == {str(t) for t in union_store.query(query).triples}
    ask = "PREFIX ex: <http://example.org/gfb/> ASK { ?o ex:ofParcel ?p . ?p ex:inUnit ?u . ?u ex:name \"Unit 0\" }"
    assert asyncio.run(federation.query(ask)).result.boolean == union_store.query(ask).boolean


def test_temporal_pruning_from_time_extents():
    from eolink.sparql.federation.sources import FederationConfig, SourceConfig

    stores = {}
    for name, year in (("y2023", 2023), ("y2024", 2024)):
        store = open_store(None)
        store.load("http://ex/g", "".join(f'<http://ex/{name}/{m}> <http://ex/date> "{year}-{m:02d}-15"^^<http://www.w3.org/2001/XMLSchema#date> .\n' for m in range(1, 13)))
        stores[name] = store
    fed = Federation(FederationConfig([SourceConfig("y2023", "local"), SourceConfig("y2024", "local")]), store=stores["y2023"], descriptions={})
    fed.sources["y2023"].store = stores["y2023"]
    fed.sources["y2024"].store = stores["y2024"]
    asyncio.run(fed.describe(save=False))
    assert fed.descriptions["y2023"].time_end == "2023-12-15"
    query = 'SELECT ?s WHERE { ?s <http://ex/date> ?d FILTER(?d >= "2024-03-01"^^<http://www.w3.org/2001/XMLSchema#date> && ?d < "2024-05-01"^^<http://www.w3.org/2001/XMLSchema#date>) }'
    answer = asyncio.run(fed.query(query))
    assert sorted(r[0].value for r in answer.result.rows) == ["http://ex/y2024/3", "http://ex/y2024/4"]
    assert answer.requests["y2023"] == 0 and answer.requests["y2024"] == 1


def test_spatial_join_is_pushed_with_the_other_sides_geometry(federation, dataset):
    answer = asyncio.run(federation.query(WORKLOAD["Q5-parcels-within-unit"][1]))
    pushed = [s for s in answer.steps if s.cross_filters]
    assert pushed and any("sfWithin" in f.text for s in pushed for f in s.cross_filters)
    # brute force with shapely: the parcels inside Unit 3's square
    unit = next(line for line in dataset.parts["admin"].splitlines() if line.startswith("<http://example.org/gfb/unit/3/geom>"))
    square = shapely.from_wkt(unit.split('"')[1])
    truth = {p for p, wkt in dataset.parcel_wkt.items() if shapely.within(shapely.from_wkt(wkt), square)}
    assert {row[0].value for row in answer.result.rows} == truth
