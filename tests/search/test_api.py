"""``GET /search`` and ``/search/stac`` on a real server (uvicorn subprocess on 127.0.0.1)."""

from __future__ import annotations

import httpx
import pytest

from eolink.etl.pipeline import ingest
from eolink.stores import open_store
from tests.app.conftest import start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from eolink.samples import write_demo_world

    root = tmp_path_factory.mktemp("search-api")
    world = write_demo_world(root / "world")
    with open_store(root / "data" / "store") as store:
        ingest([world.scenes, world.ice_chart], store)
    proc, url = start_server(root / "data", extra_env={"EOLINK_SEARCH_DENSE": "0"})
    try:
        yield url
    finally:
        stop_server(proc)


def test_search_answers_with_explained_results(server):
    r = httpx.get(server + "/search", params={"q": "Sentinel-1 scenes in February 2021", "limit": 50}, timeout=120)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == len(body["results"]) == 5
    assert all(res["platform"] == "Sentinel-1" and res["start"].startswith("2021-02") for res in body["results"])
    assert all(any(m["part"].startswith("time") for m in res["matched"]) for res in body["results"])
    assert body["understood"]["platforms"] == ["Sentinel-1"]


@pytest.mark.parametrize("q", ["", "xkcd qwerty", '"} DROP ALL #', "} } } UNION { ?s ?p ?o } #", "DELETE WHERE { ?s ?p ?o }", "<script>x</script>"])
def test_hostile_or_empty_queries_give_empty_results(server, q):
    r = httpx.get(server + "/search", params={"q": q}, timeout=120)
    assert r.status_code == 200
    assert r.json()["results"] == []
    # and the store is untouched
    assert httpx.get(server + "/search", params={"q": "ice chart"}, timeout=60).json()["total"] == 1


@pytest.mark.parametrize(
    "params",
    [{"q": "maize " * 300}, {"q": "maize", "limit": "0"}, {"q": "maize", "limit": "abc"}, {"q": "maize", "mode": "x"},
     {"q": "maize", "bbox": "1,2,3"}, {"q": "maize", "bbox": "a,b,c,d"}],
)
def test_bad_requests_are_4xx_problems(server, params):
    r = httpx.get(server + "/search", params=params, timeout=60)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith(("application/problem+json", "application/json"))


def test_stac_item_collection(server):
    r = httpx.get(server + "/search/stac", timeout=60)
    assert r.status_code == 200
    doc = r.json()
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 49 + 2  # scenes + two products
    s2 = [f for f in doc["features"] if f["collection"] == "sentinel-2"]
    assert s2 and all("eo:cloud_cover" in f["properties"] for f in s2)
    r = httpx.get(server + "/search/stac", params={"q": "ice chart"}, timeout=60)
    assert [f["properties"]["eolink:product_type"] for f in r.json()["features"]] == ["sea-ice-chart"]
