"""Per-query timeout (the query's worker is really stopped), concurrency limit (503 + Retry-After), result limit."""

from __future__ import annotations

import threading
import time

import httpx
import psutil
import pytest

from eolink.stores import open_store
from tests.app.conftest import start_server, stop_server

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"  # 400^4 rows: never finishes


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("limited")
    with open_store(data_dir / "store") as store:
        store.load("http://example.org/graph/many", "".join(f"<http://example.org/s{i}> <http://example.org/p> {i} .\n" for i in range(400)), fmt="ttl")
    env = {"EOLINK_QUERY_TIMEOUT_S": "3", "EOLINK_MAX_CONCURRENT_QUERIES": "1", "EOLINK_RESULT_LIMIT": "5"}
    proc, url = start_server(data_dir, extra_env=env)
    try:
        yield proc, url + "/sparql"
    finally:
        stop_server(proc)


def _children_cpu(pid: int) -> float:
    total = 0.0
    for child in psutil.Process(pid).children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def test_result_limit_is_visible(limited):
    _, sparql = limited
    r = httpx.get(sparql, params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 5
    assert r.headers["x-eolink-truncated"] == "true" and r.headers["x-eolink-result-limit"] == "5"
    small = httpx.get(sparql, params={"query": "SELECT * WHERE { ?s ?p 3 }"})
    assert "x-eolink-truncated" not in small.headers


def test_timeout_cancels_and_frees_the_worker(limited):
    proc, sparql = limited
    assert httpx.get(sparql, params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
    r = httpx.get(sparql, params={"query": SLOW}, timeout=120)
    assert r.status_code == 503 and r.json()["title"] == "Query timed out"
    # nothing keeps computing the cancelled query: the server's children use no CPU any more
    before = _children_cpu(proc.pid)
    time.sleep(1.5)
    assert _children_cpu(proc.pid) - before < 0.5
    assert httpx.get(sparql, params={"query": "ASK { ?s ?p 7 }"}, timeout=120).json()["boolean"] is True


def test_saturated_endpoint_answers_503_with_retry_after(limited):
    _, sparql = limited
    slow: dict[str, httpx.Response] = {}
    thread = threading.Thread(target=lambda: slow.setdefault("r", httpx.get(sparql, params={"query": SLOW}, timeout=120)))
    thread.start()
    busy = None
    while thread.is_alive() and busy is None:
        r = httpx.get(sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=120)
        if r.status_code == 503:
            busy = r
        else:
            time.sleep(0.05)
    thread.join()
    if busy is None and slow["r"].status_code == 503 and slow["r"].json().get("title") == "Endpoint busy":
        busy = slow["r"]  # a probe took the only slot first, so the slow query was the one refused
    assert busy is not None, "a second query while the only slot was busy should get 503"
    assert busy.headers["retry-after"].isdigit() and busy.json()["title"] == "Endpoint busy"
    assert slow["r"].status_code == 503
