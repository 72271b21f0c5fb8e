"""`eolink federate serve`: /sparql over three real Oxigraph servers, used through SPARQLWrapper and rdflib."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from eolink.sparql.federation import Federation, parse_config, save_descriptions
from eolink.stores import open_store
from tests.app.conftest import free_port, stop_server
from tests.sparql.federation.conftest import start_oxigraph, stop
from tests.sparql.federation.geofedbench import WORKLOAD, generate


@pytest.fixture(scope="module")
def federated(tmp_path_factory):
    dataset = generate(12, 200, 80)
    procs, urls = [], {}
    base = tmp_path_factory.mktemp("fedserve")
    try:
        for name, text in dataset.parts.items():
            proc, url = start_oxigraph(tmp_path_factory.mktemp(f"ox-{name}"), text)
            procs.append(proc)
            urls[name] = url
        live = "".join(f'[[source]]\nname = "{n}"\nendpoint = "{u}"\n' for n, u in urls.items())
        fed = Federation(parse_config(live))
        save_descriptions(base / "sources.void.ttl", asyncio.run(fed.describe(save=False)).values())
        config = base / "sources.toml"
        config.write_text(live + '[[source]]\nname = "dead"\nendpoint = "http://127.0.0.1:9/sparql"\ntimeout_s = 2\n')
        port = free_port()
        env = dict(os.environ)
        env.pop("EOLINK_TOKEN", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "eolink.cli", "federate", "serve", str(config), "--data-dir", str(base / "data"), "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        procs.append(server)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read())
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        union = open_store(None)
        union.load("http://example.org/graph/union", dataset.union, fmt="nt")
        (base / "live.toml").write_text(live)
        yield url + "/sparql", union, base
    finally:
        for proc in procs:
            (stop_server if isinstance(proc.args, list) and "eolink.cli" in proc.args else stop)(proc)


QUERY = WORKLOAD["Q7-snow-per-unit"][1]


def test_dead_source_is_a_clear_error(federated):
    sparql, _, _ = federated
    r = httpx.get(sparql, params={"query": QUERY}, timeout=60)
    assert r.status_code == 502 and "dead" in r.json()["detail"]


def test_partial_results_are_flagged_and_complete_for_live_sources(federated):
    sparql, union, _ = federated
    client = SPARQLWrapper(sparql)
    client.addParameter("partial", "true")
    client.setQuery(QUERY)
    client.setReturnFormat(JSON)
    response = client.query()
    assert response.info()["x-eolink-partial"] == "true" and response.info()["x-eolink-failed-sources"] == "dead"
    bindings = response.convert()["results"]["bindings"]
    got = Counter((b["name"]["value"], b["n"]["value"], b["deepest"]["value"]) for b in bindings)
    expected = Counter((r[0].value, r[1].value, r[2].value) for r in union.query(QUERY).rows)
    assert got == expected and expected


def test_rdflib_sparqlstore_over_the_federation(federated):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    sparql, union, _ = federated
    query = WORKLOAD["Q2-large-maize"][1]
    store = SPARQLStore(sparql + "?partial=true", method="POST_FORM")
    got = Counter((str(r[0]), str(r[1])) for r in store.query(query))
    expected = Counter((r[0].value, r[1].value) for r in union.query(query).rows)
    assert got == expected and expected


def test_eolink_serve_with_eolink_federation_variable(federated, tmp_path):
    from tests.app.conftest import start_server

    _, union, base = federated
    proc, url = start_server(tmp_path, extra_env={"EOLINK_FEDERATION": str(base / "live.toml")})
    try:
        query = WORKLOAD["Q1-crops-in-unit"][1]
        r = httpx.post(url + "/sparql", data={"query": query}, headers={"accept": "application/sparql-results+json"}, timeout=120)
        assert r.status_code == 200 and "west=" in r.headers["x-eolink-source-requests"]
        got = Counter((b["label"]["value"], b["n"]["value"]) for b in r.json()["results"]["bindings"])
        assert got == Counter((row[0].value, row[1].value) for row in union.query(query).rows)
    finally:
        stop_server(proc)
