"""The resource page in a real Chromium: the MapLibre map of the resource's geometry renders, nothing leaves 127.0.0.1."""

from __future__ import annotations

import httpx

from tests.app.test_endpoint_features import RES_TTL
from tests.browser.conftest import Watch, browser, watched_page  # noqa: F401 - browser is the shared Chromium fixture


def test_resource_page_renders_its_map(server, browser):
    graph = "https://w3id.org/eolink/resource/graph/browser-test"
    auth = {"authorization": f"Bearer {server.token}"}
    put = httpx.put(server.url + "/rdf-graphs/service", params={"graph": graph}, content=RES_TTL, headers={"content-type": "text/turtle", **auth}, timeout=60)
    assert put.status_code in (201, 204)
    watch = Watch()
    page = watched_page(browser, watch, width=900, height=700)
    try:
        page.goto(server.url + "/resource/test/field-1")
        page.wait_for_function("window.mapReady === true", timeout=60_000)
        assert page.locator("#map canvas").count() == 1
        # the polygon's layer holds one rendered feature at the middle of the map
        rendered = page.evaluate("map.queryRenderedFeatures(map.project([24.05, 60.05]), {layers: ['fill']}).length")
        assert rendered == 1
        assert "Field <1> & co" in page.locator("h1").inner_text()
        watch.assert_clean()
    finally:
        page.close()
        httpx.delete(server.url + "/rdf-graphs/service", params={"graph": graph}, headers=auth, timeout=60)
