"""Map rendering in a real browser: eolink's vector tiles against a whole-layer GeoJSON download.

For generated polygon layers of 1 k, 100 k and 1 M features (``--quick``: 1 k, 10 k,
50 k) it serves the layer from a real eolink app (uvicorn on 127.0.0.1) and opens
``/map`` in Debian's Chromium (Playwright, ``/usr/bin/chromium``), then measures

- time to first frame: from adding the layer until a rendered frame shows its features,
- time to full render: until the map is idle (every tile/feature drawn),
- time to full render after zooming in 3 levels,
- bytes of the layer transferred (resource timing),

for two ways of drawing the same layer: **eolink MVT** (``/tiles/{layer}/{z}/{x}/{y}.mvt``,
cut on demand, sub-pixel features dropped, simplified) and the peer **GeoJSON dump**
(the whole layer as one GeoJSON document handed to MapLibre, as the first map page did).
The GeoJSON peer is skipped above 100 k features (hundreds of MB). Data: fixed seed.

Run: ``python -m benchmarks.map [--quick] [--sizes 1000,100000]``.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from pathlib import Path

import numpy as np
import shapely

__all__ = ["main", "make_layer_arrays"]

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
GEOJSON_LIMIT = 100_000
CENTRE = (25.0, 61.0)


def make_layer_arrays(n: int, *, seed: int = 42) -> tuple[np.ndarray, dict[str, list]]:
    """``n`` small rotated-square polygons over southern Finland (≈ 4° × 2°), with a class and a value.

    >>> geoms, columns = make_layer_arrays(10)
    >>> len(geoms), sorted(columns)
    (10, ['class', 'value'])
    """
    rng = np.random.default_rng(seed)
    lon = rng.uniform(CENTRE[0] - 2, CENTRE[0] + 2, n)
    lat = rng.uniform(CENTRE[1] - 1, CENTRE[1] + 1, n)
    # Field-sized at 1 M (≈ 200 m), larger for small layers so that all stay visible.
    half = np.clip(0.6 / np.sqrt(n), 0.0008, 0.03)
    angle = rng.uniform(0, np.pi / 2, n)
    corners = np.stack([angle + k * np.pi / 2 for k in range(4)], axis=1)
    xs = lon[:, None] + half * np.cos(corners) * 2
    ys = lat[:, None] + half * np.sin(corners)
    rings = np.stack([xs, ys], axis=2)
    rings = np.concatenate([rings, rings[:, :1]], axis=1)
    geoms = shapely.polygons(rings)
    columns = {"class": rng.integers(0, 8, n).tolist(), "value": np.round(rng.gamma(2.0, 10.0, n), 2).tolist()}
    return geoms, columns


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app: object) -> tuple[object, str, threading.Thread]:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}", thread


_MEASURE = """async ([id, forceGeoJSON]) => {
  const map = eolink.map;
  const t0 = performance.now();
  let first = null;
  const onRender = () => {
    if (first !== null) return;
    const ids = eolink.state.layers.length ? ['fill', 'line', 'point'].map(k => `${eolink.state.layers[0].uid}-${k}`) : [];
    if (ids.length && map.getLayer(ids[0]) && map.queryRenderedFeatures({layers: ids}).length) first = performance.now() - t0;
  };
  map.on('render', onRender);
  const idle = new Promise(r => map.once('idle', r));
  await eolink.showRegisteredLayer(id, {mode: forceGeoJSON ? 'geojson' : 'tiles'});
  await new Promise(r => { const check = () => map.loaded() && first !== null ? r() : map.once('idle', check); map.once('idle', check); map.triggerRepaint(); });
  const full = performance.now() - t0;
  map.off('render', onRender);
  const uid = eolink.state.layers[0].uid;
  const count = new Set(map.queryRenderedFeatures({layers: ['fill', 'line', 'point'].map(k => `${uid}-${k}`)}).map(f => f.properties._row)).size;
  const t1 = performance.now();
  map.jumpTo({center: [25.0, 61.0], zoom: map.getZoom() + 3});
  await new Promise(r => { map.once('idle', r); map.triggerRepaint(); });
  const zoomed = performance.now() - t1;
  const zoomedCount = new Set(map.queryRenderedFeatures({layers: ['fill', 'line', 'point'].map(k => `${uid}-${k}`)}).map(f => f.properties._row)).size;
  return {first, full, zoomed, count, zoomedCount};
}"""


def _measure(browser: object, url: str, layer_id: str, *, force_geojson: bool) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    layer_urls = (f"/tiles/{layer_id}/", f"/api/layers/{layer_id}")
    transferred: list[int] = []

    def finished(request: object) -> None:
        # Bytes of the layer on the wire (tiles are fetched by MapLibre's workers; Playwright sees them too).
        if any(part in request.url for part in layer_urls):
            sizes = request.sizes()
            transferred.append(sizes["responseBodySize"] + sizes["responseHeadersSize"])

    page.on("requestfinished", finished)
    page.goto(url + "/map")
    page.wait_for_selector("body[data-ready]", timeout=120_000)
    page.evaluate("eolink.map.jumpTo({center: [25.0, 61.0], zoom: 6.5})")
    page.evaluate("new Promise(r => { eolink.map.once('idle', r); eolink.map.triggerRepaint(); })")
    page.evaluate("performance.clearResourceTimings(); performance.setResourceTimingBufferSize(100000)")
    result = page.evaluate(_MEASURE, [layer_id, force_geojson])
    page.wait_for_timeout(200)
    result["bytes"] = sum(transferred)
    result["requests"] = len(transferred)
    context.close()
    if errors:
        raise RuntimeError(f"console errors: {errors[:3]}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 k, 10 k and 50 k features")
    parser.add_argument("--sizes", help="comma-separated layer sizes (overrides --quick)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [1_000, 10_000, 50_000] if args.quick else [1_000, 100_000, 1_000_000]
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: install Debian's chromium (make sysdeps)")

    from playwright.sync_api import sync_playwright

    from eolink.app.main import create_app
    from eolink.app.routers._layers import LayerRegistry, layer_from_arrays
    from eolink.config import Settings
    from eolink.stores.embedded import EmbeddedStore

    store = EmbeddedStore(None)
    app = create_app(Settings(data_dir=Path("/tmp/eolink-bench-map")), store=store)
    app.state.layers = LayerRegistry(capacity=len(sizes) + 4)
    for n in sizes:
        started = time.perf_counter()
        geoms, columns = make_layer_arrays(n)
        layer = layer_from_arrays(f"bench{n}", f"{n} polygons", geoms, columns)
        layer.kinds["class"] = "string"
        layer._index()  # the spatial index the tiles are cut from (built once per layer)
        app.state.layers.add(layer)
        print(f"layer {n:>9,} features: generated and indexed in {time.perf_counter() - started:.2f} s")
    server, url, thread = _serve(app)
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            for n in sizes:
                tiles = _measure(browser, url, f"bench{n}", force_geojson=False)
                peer = _measure(browser, url, f"bench{n}", force_geojson=True) if n <= GEOJSON_LIMIT else None
                rows.append((n, tiles, peer))
                _print_row(n, tiles, peer)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()
    ratios = [peer["full"] / tiles["full"] for _, tiles, peer in rows if peer]
    byte_ratios = [peer["bytes"] / max(tiles["bytes"], 1) for _, tiles, peer in rows if peer]
    biggest = rows[-1]
    print(
        f"summary: MVT full render {biggest[1]['full'] / 1000:.2f} s at {biggest[0]:,} features "
        f"(after zoom {biggest[1]['zoomed'] / 1000:.2f} s, {biggest[1]['bytes'] / 1e6:.1f} MB); "
        f"GeoJSON dump / MVT: time ×{max(ratios):.1f}, bytes ×{max(byte_ratios):.1f} at the largest size compared"
    )


def _print_row(n: int, tiles: dict[str, float], peer: dict[str, float] | None) -> None:
    def fmt(r: dict[str, float]) -> str:
        return (
            f"first frame {r['first'] / 1000:6.2f} s, full {r['full'] / 1000:6.2f} s, after zoom {r['zoomed'] / 1000:5.2f} s, "
            f"{r['bytes'] / 1e6:7.2f} MB in {r['requests']} requests, drawn {r['count']:,} → {r['zoomedCount']:,}"
        )

    print(f"{n:>9,} features  eolink MVT   : {fmt(tiles)}")
    if peer:
        print(f"{'':>9}           GeoJSON dump : {fmt(peer)}")
        print(
            f"{'':>9}           ratio GeoJSON/MVT: first ×{peer['first'] / tiles['first']:.2f}, full ×{peer['full'] / tiles['full']:.2f}, "
            f"zoom ×{peer['zoomed'] / tiles['zoomed']:.2f}, bytes ×{peer['bytes'] / max(tiles['bytes'], 1):.2f}"
        )
    else:
        print(f"{'':>9}           GeoJSON dump : skipped (above {GEOJSON_LIMIT:,} features)")


if __name__ == "__main__":
    main()
