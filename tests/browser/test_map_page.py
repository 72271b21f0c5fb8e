"""The map page in a real Chromium over the demo world: layers from SPARQL, styling, popups, time, saved maps.

Every expectation is computed independently of the page: feature counts, colours,
labels and times from the SPARQL endpoint (httpx), coordinates with pyproj/shapely.
"""

from __future__ import annotations

import re
from datetime import datetime

import httpx
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import shape

from tests.browser.conftest import Watch, watched_page

pytestmark = pytest.mark.browser

PREFIXES = """PREFIX eol: <https://w3id.org/eolink/ontology#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def select(url: str, query: str) -> list[dict[str, str]]:
    """Rows of a SELECT on the server's endpoint, as {variable: lexical value}."""
    response = httpx.post(url + "/sparql", content=PREFIXES + query, headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}, timeout=60)
    response.raise_for_status()
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def idle(page: object) -> None:
    page.evaluate("new Promise(r => { eolink.map.once('idle', r); eolink.map.triggerRepaint(); })")


def rendered(page: object, uid: str) -> list[dict]:
    """Distinct features of layer ``uid`` drawn on screen (by row), with their properties, paint and geometry."""
    return page.evaluate(
        """(uid) => {
            const ids = ['fill', 'line', 'point'].map(k => `${uid}-${k}`);
            const seen = new Map();
            for (const f of eolink.map.queryRenderedFeatures({layers: ids})) {
                if (!seen.has(f.properties._row)) seen.set(f.properties._row, {properties: f.properties, paint: f.layer.paint, geometry: f.geometry});
            }
            return [...seen.values()];
        }""",
        uid,
    )


def open_map(page: object, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready]", timeout=90_000)
    assert page.evaluate("document.body.dataset.ready") == "true", page.inner_text("#status")


def add_preset(page: object, label: str) -> str:
    """Add the example query ``label`` as a layer and return its uid."""
    before = page.locator("#layers li").count()
    page.select_option("#presets", label=label)
    page.click("#add-layer")
    page.wait_for_function("n => document.querySelectorAll('#layers li').length > n", arg=before, timeout=90_000)
    uid = page.evaluate("eolink.state.layers[0].uid")
    page.click(f"#layers li[data-layer={uid}] button.zoom")
    idle(page)
    return uid


def hex_colour(paint: dict) -> str:
    return "#" + "".join(f"{round(paint[c] * 255):02x}" for c in "rgb")


def test_layers_popup_time_and_saved_map(browser, demo_server, shots):
    watch = Watch()
    page = watched_page(browser, watch)
    open_map(page, demo_server + "/map")
    shots(page, "opened")

    # 1. A layer from a SPARQL query: every crop field is drawn, in its code-list colour.
    fields = add_preset(page, "Crop fields by crop type")
    shots(page, "crop-fields")
    expected = select(demo_server, """SELECT ?field ?cropType ?colour ?label WHERE {
        ?field a eol:CropField ; eol:cropType ?cropType . ?cropType eol:colour ?colour ; skos:prefLabel ?label FILTER(LANG(?label) = "en") }""")
    drawn = rendered(page, fields)
    assert len(drawn) == len(expected) > 0
    by_iri = {row["field"]: row for row in expected}
    assert {f["properties"]["field"] for f in drawn} == set(by_iri)
    for feature in drawn:
        assert hex_colour(feature["paint"]["fill-color"]) == by_iri[feature["properties"]["field"]]["colour"].lower()
    legend = page.inner_text("#legend")
    assert all(row["label"] in legend for row in expected)

    # 2. Click a field: the popup names it, links to its /resource/ page and gives its crop label.
    target = drawn[len(drawn) // 2]
    inside = shapely.point_on_surface(shape(target["geometry"]))
    box = page.locator("#map").bounding_box()
    pixel = page.evaluate("([x, y]) => eolink.map.project([x, y])", [inside.x, inside.y])
    page.mouse.click(box["x"] + pixel["x"], box["y"] + pixel["y"])
    popup = page.locator(".maplibregl-popup-content")
    popup.wait_for(timeout=10_000)
    shots(page, "popup")
    iri = target["properties"]["field"]
    resource = "/resource/" + iri.split("/resource/", 1)[1]
    assert popup.locator(f'a[href="{resource}"]').count() == 1
    assert by_iri[iri]["label"] in popup.inner_text()
    page.click(".maplibregl-popup-close-button")

    # 3. A time-aware layer: moving the slider back hides the scenes sensed later.
    scenes = add_preset(page, "Scenes by sensing time")
    times = {row["scene"]: datetime.fromisoformat(row["t"].replace("Z", "+00:00")).timestamp() * 1000 for row in select(
        demo_server, "SELECT ?scene ?t WHERE { ?scene a eol:Scene ; eol:sensingStart ?t ; geo:hasGeometry/geo:asWKT ?w }")}
    assert not page.locator("#time-section").is_hidden()
    all_scenes = rendered(page, scenes)
    fields_at_this_zoom = len(rendered(page, fields))  # small fields vanish when zoomed out to the scenes
    assert len(all_scenes) == len(times)
    shots(page, "time-all")
    counts = []
    for position in ("500", "150"):
        page.locator("#time-slider").fill(position)
        idle(page)
        cut = page.evaluate("eolink.state.time")
        shown = rendered(page, scenes)
        assert {f["properties"]["scene"] for f in shown} == {s for s, t in times.items() if t <= cut}
        counts.append(len(shown))
        shots(page, f"time-{position}")
    assert len(times) > counts[0] > counts[1]
    assert len(rendered(page, fields)) == fields_at_this_zoom > 0  # a layer without times is not filtered
    page.locator("#time-slider").fill("1000")

    # 4. Results table beside the map: one row per scene.
    assert str(len(times)) in page.inner_text("#table-head")

    # 5. Layer controls: reorder, opacity, visibility — read back from the map's own style.
    def order() -> list[str]:
        ids = page.evaluate("eolink.map.getStyle().layers.map(l => l.id)")
        return [i for i in ids if i in (f"{fields}-fill", f"{scenes}-fill")]

    assert order() == [f"{fields}-fill", f"{scenes}-fill"]  # drawn bottom-up: the scenes are on top
    page.click(f"#layers li[data-layer={scenes}] button.down")
    assert order() == [f"{scenes}-fill", f"{fields}-fill"]
    page.locator(f"#layers li[data-layer={fields}] input.opacity").fill("0.3")
    idle(page)
    assert rendered(page, fields)[0]["paint"]["fill-opacity"] == pytest.approx(0.7 * 0.3)
    page.uncheck(f"#layers li[data-layer={scenes}] input.visible")
    idle(page)
    assert rendered(page, scenes) == []
    page.check(f"#layers li[data-layer={scenes}] input.visible")
    idle(page)
    assert len(rendered(page, scenes)) == len(times)

    # 6. Save the map, reopen it by URL: same layers, same order, same styles, same features.
    page.fill("#map-title", "Browser test map")
    page.click("#save-map")
    page.wait_for_selector("body[data-saved]", timeout=30_000)
    map_id = page.evaluate("document.body.dataset.saved")
    assert page.url.endswith(f"/map?map={map_id}")
    saved = httpx.get(f"{demo_server}/api/maps/{map_id}").json()
    assert [layer["title"] for layer in saved["layers"]] == ["Scenes by sensing time", "Crop fields by crop type"]  # bottom-up
    assert saved["layers"][1]["opacity"] == pytest.approx(0.3)
    layer_titles = page.eval_on_selector_all("#layers .name", "els => els.map(e => e.textContent)")
    shots(page, "saved")

    reopened = watched_page(browser, watch)
    open_map(reopened, f"{demo_server}/map?map={map_id}")
    idle(reopened)
    shots(reopened, "reopened")
    assert reopened.eval_on_selector_all("#layers .name", "els => els.map(e => e.textContent)") == layer_titles
    assert reopened.input_value("#map-title") == "Browser test map"
    uids = reopened.evaluate("eolink.state.layers.map(l => l.uid)")  # top first: fields, then scenes
    assert len(rendered(reopened, uids[0])) == fields_at_this_zoom  # same view as when saved
    assert len(rendered(reopened, uids[1])) == len(times)
    assert rendered(reopened, uids[0])[0]["paint"]["fill-opacity"] == pytest.approx(0.7 * 0.3)
    center = reopened.evaluate("eolink.map.getCenter().toArray()")
    assert np.allclose(center, saved["view"]["center"], atol=1e-6)
    reopened.close()
    page.close()
    watch.assert_clean()


def test_layer_from_an_endpoint_url_is_reprojected_in_the_browser(browser, demo_server, shots):
    """A layer from an endpoint URL is parsed (WKT with an EPSG:32635 prefix) and reprojected by the page itself."""
    watch = Watch()
    page = watched_page(browser, watch)
    open_map(page, demo_server + "/map")
    page.fill("#endpoint", demo_server + "/sparql")
    page.fill("#layer-title", "remote fields")
    page.click("#add-layer")
    page.wait_for_selector("#layers li", timeout=90_000)
    page.click("#layers li button.zoom")
    idle(page)
    shots(page, "remote-layer")
    features = page.evaluate("eolink.state.layers[0].data.features.map(f => [f.properties.field, f.geometry])")
    rows = select(demo_server, "SELECT ?field ?wkt WHERE { ?field a eol:CropField ; geo:hasDefaultGeometry/geo:asWKT ?wkt }")
    assert len(features) == len(rows) > 0
    wkt = {row["field"]: row["wkt"] for row in rows}
    to_lonlat = pyproj.Transformer.from_crs(32635, 4326, always_xy=True)
    for iri, geometry in features[:25]:
        crs, body = re.match(r"<[^>]*/(\d+)>\s*(.*)", wkt[iri], re.S).groups()
        assert crs == "32635"
        expected = shapely.transform(shapely.from_wkt(body), lambda c: np.column_stack(to_lonlat.transform(c[:, 0], c[:, 1])))
        assert shapely.equals_exact(shape(geometry), expected, tolerance=1e-9)
    assert len(rendered(page, page.evaluate("eolink.state.layers[0].uid"))) == len(rows)
    page.close()
    watch.assert_clean()
