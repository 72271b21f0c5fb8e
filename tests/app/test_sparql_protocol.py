"""The SPARQL 1.1 protocol against a running `eolink serve`, with real clients."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper

from tests.app.conftest import GRAPH

Q = "SELECT ?s ?name WHERE { ?s <http://example.org/name> ?name } ORDER BY ?s"


def test_sparqlwrapper_json_get_and_post(server):
    for method in ("GET", "POST"):
        client = SPARQLWrapper(server.sparql)
        client.setMethod(method)
        client.setQuery(Q)
        client.setReturnFormat(JSON)
        rows = client.query().convert()["results"]["bindings"]
        assert [r["name"]["value"] for r in rows] == ["Alpha", "Beta", 'Gamma, "quoted"']
        assert rows[1]["name"]["xml:lang"] == "en"


@pytest.mark.parametrize("fmt", [XML, CSV, TSV])
def test_sparqlwrapper_other_formats(server, fmt):
    client = SPARQLWrapper(server.sparql)
    client.setQuery(Q)
    client.setReturnFormat(fmt)
    result = client.query().convert()
    if fmt == CSV:
        rows = list(csv.reader(io.StringIO(result.decode())))
        assert rows[0] == ["s", "name"] and rows[3][1] == 'Gamma, "quoted"'
    elif fmt == TSV:
        assert result.decode().splitlines()[0] == "?s\t?name"
    else:
        assert len(result.getElementsByTagName("result")) == 3


def test_rdflib_sparqlstore(server):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(server.sparql)
    names = sorted(str(row.name) for row in store.query(Q))
    assert names == ["Alpha", "Beta", 'Gamma, "quoted"']


def test_post_direct_and_construct_formats(server):
    r = httpx.post(server.sparql, content="ASK { ?s ?p ?o }", headers={"content-type": "application/sparql-query", "accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["boolean"] is True
    construct = "CONSTRUCT { ?s <http://example.org/name> ?n } WHERE { ?s <http://example.org/name> ?n }"
    for accept, marker in [("text/turtle", b"Alpha"), ("application/n-triples", b'"Alpha"'), ("application/ld+json", b"Alpha"), ("application/rdf+xml", b"rdf:RDF")]:
        r = httpx.get(server.sparql, params={"query": construct}, headers={"accept": accept})
        assert r.status_code == 200 and marker in r.content
        assert r.headers["content-type"].startswith(accept)


def test_graph_selection_parameters(server):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = httpx.get(server.sparql, params={"query": q}).json()["results"]["bindings"][0]["n"]["value"]
    scoped = httpx.get(server.sparql, params={"query": q, "default-graph-uri": "http://example.org/none"}).json()
    assert int(union) > 0 and scoped["results"]["bindings"][0]["n"]["value"] == "0"
    named = httpx.get(server.sparql, params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": GRAPH}).json()
    assert [b["g"]["value"] for b in named["results"]["bindings"]] == [GRAPH]


def test_service_description(server):
    r = httpx.get(server.sparql)
    assert r.status_code == 200 and "sd:Service" in r.text


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"params": {"query": "SELEKT nonsense"}}, 400),
        ({"params": {"query": "SELECT * WHERE " + "{" * 1500 + "}" * 1500}}, 400),
        ({"params": {"query": "SELECT * WHERE { SERVICE <http://169.254.169.254/> { ?s ?p ?o } }"}}, 400),
    ],
)
def test_bad_queries_get_problem_json(server, kwargs, status):
    r = httpx.get(server.sparql, **kwargs)
    assert r.status_code == status
    body = r.json()
    assert body["status"] == status and body["detail"]


def test_updates_need_the_token(server):
    update = f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://example.org/d> <http://example.org/name> \"Delta\" }} }}"
    r = httpx.post(server.sparql, content=update, headers={"content-type": "application/sparql-update"})
    assert r.status_code == 403 and r.json()["title"] == "Forbidden"
    r = httpx.post(server.sparql, data={"update": update}, headers={"authorization": "Bearer wrong"})
    assert r.status_code == 403
    assert httpx.get(server.sparql, params={"query": "ASK { ?s ?p \"Delta\" }"}).json()["boolean"] is False
    r = httpx.post(server.sparql, content=update, headers={"content-type": "application/sparql-update", "authorization": f"Bearer {server.token}"})
    assert r.status_code == 204
    assert httpx.get(server.sparql, params={"query": "ASK { ?s ?p \"Delta\" }"}).json()["boolean"] is True


def test_oversized_request(server):
    r = httpx.post(server.sparql, content="SELECT * WHERE { ?s ?p ?o } #" + "x" * 3_000_000, headers={"content-type": "application/sparql-query"})
    assert r.status_code == 413
    assert json.loads(r.text)["status"] == 413
