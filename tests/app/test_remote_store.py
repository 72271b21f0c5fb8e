"""RemoteStore (the Store protocol over HTTP) against a running `eolink serve`, compared with the embedded store."""

from __future__ import annotations

from collections import Counter

import pytest

from eolink.errors import QueryError
from eolink.stores import Store, open_store
from eolink.stores.remote import RemoteStore
from tests.app.conftest import DATA, GRAPH


def test_remote_store_matches_embedded(server):
    reference = open_store(None)
    reference.load(GRAPH, DATA, fmt="ttl")
    remote = RemoteStore(server.sparql, graph_store=server.url + "/rdf-graphs/service", headers={"authorization": f"Bearer {server.token}"})
    assert isinstance(remote, Store)
    q = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    assert Counter(map(str, remote.query(q).rows)) == Counter(map(str, reference.query(q).rows))
    assert remote.query("ASK { ?s ?p ?o }").boolean is True
    construct = remote.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert construct.kind == "graph" and set(map(str, construct.triples)) == set(map(str, reference.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }").triples))
    limited = remote.query(q, limit=2)
    assert len(limited.rows) == 2 and limited.truncated
    graph = "http://example.org/graph/remote-test"
    assert remote.load(graph, '<http://example.org/r> <http://example.org/name> "R" .', fmt="nt") == 1
    assert remote.load(graph, '<http://example.org/r2> <http://example.org/name> "R2" .', fmt="nt", replace=False) == 2
    assert {g.iri: g.triples for g in remote.graphs()}[graph] == 2
    assert remote.describe()["predicates"]["http://example.org/name"] == reference.describe()["predicates"]["http://example.org/name"] + 2
    assert remote.drop(graph) is True and remote.drop(graph) is False
    with pytest.raises(QueryError):
        remote.query("SELEKT")
    remote.close()
