"""Vector tiles: our MVT encoder against the independent decoder of mapbox-vector-tile, tile contents against shapely."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import shape

from eolink.app.routers._layers import MAX_TILE_FEATURES, layer_from_arrays
from eolink.app.routers._mvt import encode_layer, tile_bounds, tile_transform


def decode(data: bytes) -> list[dict]:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})["features"]["features"]


def random_geometries(n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(100, 3900, n), rng.uniform(100, 3900, n)
    geoms = shapely.buffer(shapely.points(x, y), rng.uniform(5, 60, n), quad_segs=3)
    geoms[0] = shapely.Polygon([(0, 0), (200, 0), (200, 200), (0, 200)], [[(50, 50), (50, 100), (100, 100), (100, 50)]])
    geoms[1] = shapely.MultiPolygon([shapely.box(300, 300, 400, 400), shapely.box(500, 500, 600, 600)])
    geoms[2] = shapely.MultiPoint([(10, 20), (30, 40), (50, 60)])
    geoms[3] = shapely.LineString([(0, 0), (50, 50), (90, 10)])
    geoms[4] = shapely.MultiLineString([[(0, 0), (5, 5)], [(10, 10), (20, 30)]])
    geoms[5] = shapely.Point(7, 9)
    # Clockwise exterior and counter-clockwise hole (the opposite of what MVT wants) must be rewound.
    geoms[6] = shapely.Polygon([(1000, 1000), (1000, 1100), (1100, 1100), (1100, 1000)], [[(1020, 1020), (1050, 1020), (1050, 1050), (1020, 1050)]])
    return geoms


def test_encoder_round_trips_through_an_independent_decoder():
    geoms = random_geometries(3000)
    props = [{"i": i, "name": f"f{i % 7}", "x": i / 3, "flag": i % 2 == 0} for i in range(len(geoms))]
    features = decode(encode_layer("features", geoms, props))
    assert len(features) == len(geoms)
    expected = shapely.transform(geoms, np.rint)
    for feature in features:
        i = feature["id"]
        assert shapely.equals(shape(feature["geometry"]), expected[i]), i
        assert feature["properties"]["name"] == props[i]["name"]
        assert feature["properties"]["i"] == i
        assert feature["properties"]["x"] == pytest.approx(props[i]["x"])
        assert feature["properties"]["flag"] is props[i]["flag"]


def test_rings_are_wound_as_mvt_requires():
    geoms = random_geometries(10)
    raw = mapbox_vector_tile.decode(encode_layer("features", geoms[[0, 6]], [{}, {}]), default_options={"y_coord_down": True, "geojson": False})
    for feature in raw["features"]["features"]:
        exterior, hole = feature["geometry"]["coordinates"]
        # Shoelace area in tile coordinates (y down): exterior positive, hole negative (MVT 2.1, 4.3.4.4).
        area = lambda ring: sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]))  # noqa: E731
        assert area(exterior) > 0 > area(hole)


def test_degenerate_and_empty_geometries_are_skipped():
    geoms = [shapely.box(0, 0, 0.2, 0.2), shapely.Polygon(), shapely.LineString([(1, 1), (1.2, 1.1)]), shapely.box(0, 0, 10, 10)]
    features = decode(encode_layer("features", geoms, [{}] * 4))
    assert [f["id"] for f in features] == [3]


def test_tile_holds_what_intersects_it_in_web_mercator():
    rng = np.random.default_rng(3)
    n = 20_000
    lon, lat = rng.uniform(24.0, 26.0, n), rng.uniform(60.0, 61.0, n)
    size = rng.uniform(0.0005, 0.01, n)
    polygons = shapely.box(lon, lat, lon + size, lat + size)
    layer = layer_from_arrays("t", "t", polygons, {"v": list(range(n))})
    to_merc = pyproj.Transformer.from_crs(4326, 3857, always_xy=True)
    merc = shapely.transform(polygons, lambda c: np.column_stack(to_merc.transform(c[:, 0], c[:, 1])))
    for z, x, y in [(9, 291, 145), (12, 2332, 1178)]:
        features = decode(layer.tile(z, x, y))
        minx, miny, maxx, maxy = tile_bounds(z, x, y)
        margin = (maxx - minx) / 64
        pixel = (maxx - minx) / 512
        hits = np.flatnonzero(shapely.intersects(merc, shapely.box(minx - margin, miny - margin, maxx + margin, maxy + margin)))
        assert 0 < len(hits) < MAX_TILE_FEATURES, "the test tile must hold features, under the cap"
        bounds = shapely.bounds(merc[hits])
        big = np.fmax(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]) >= pixel
        local = tile_transform(merc[hits], (minx, miny, maxx, maxy))
        clipped = shapely.bounds(shapely.clip_by_rect(local, -64, -64, 4160, 4160))
        thickness = np.fmin(clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1])
        # Slivers thinner than the simplification tolerance (a quarter pixel) in the tile's margin may vanish.
        got = {f["id"]: f for f in features}
        assert set(hits[big & (thickness >= 4)]) <= set(got) <= set(hits)
        assert set(hits[~big]) <= set(got)
        for i in hits[~big]:
            assert got[i]["geometry"]["type"] == "Point"  # under a pixel: a dot on the feature
            dot = shapely.Point(got[i]["geometry"]["coordinates"])
            assert tile_transform(np.array([merc[i]]), (minx, miny, maxx, maxy))[0].buffer(1).contains(dot)
        for i in hits[big & (thickness >= 4)][:50]:
            feature = got[i]
            assert feature["properties"]["v"] == i
            local_i = tile_transform(np.array([merc[i]]), (minx, miny, maxx, maxy))[0]
            expected = shapely.clip_by_rect(local_i, -64, -64, 4160, 4160)
            # Rounding to the integer grid (≤ 0.71 units) plus simplification (≤ 2 units, a quarter pixel).
            assert shapely.hausdorff_distance(shape(feature["geometry"]), expected) <= 2.8


def test_dense_low_zoom_tile_keeps_the_largest_then_a_stable_sample():
    rng = np.random.default_rng(5)
    n = 40_000
    lon, lat = rng.uniform(-170, 170, n), rng.uniform(-60, 60, n)
    size = np.where(np.arange(n) < 100, 5.0, 0.001)
    layer = layer_from_arrays("w", "w", shapely.box(lon, lat, lon + size, lat + size), {})
    world = decode(layer.tile(0, 0, 0))
    ids = {f["id"] for f in world}
    # One tile holds everything at zoom 0: the dots are thinned to about 90 % of the cap, the large ones all kept.
    assert 0.8 * MAX_TILE_FEATURES <= len(ids) <= MAX_TILE_FEATURES
    assert set(range(100)) <= ids
    assert all(f["geometry"]["type"] == "Polygon" for f in world if f["id"] < 100)
    assert all(f["geometry"]["type"] == "Point" for f in world if f["id"] >= 100)
    # Zooming in keeps the sampled features that fall in the child tile.
    child = {f["id"] for f in decode(layer.tile(1, 1, 0))}
    in_child = {i for i in ids if lon[i] >= 0 and lat[i] >= 0}
    assert in_child <= child


def test_bad_tile_address_is_an_input_error():
    from eolink.errors import InputError

    layer = layer_from_arrays("w", "w", shapely.points([0], [0]), {})
    with pytest.raises(InputError):
        layer.tile(2, 4, 0)
