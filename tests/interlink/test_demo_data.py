"""Linking the demo world's product files equals a brute-force shapely relate over all pairs."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import shapely

from eolink.etl.readers import read_product
from eolink.interlink import link
from tests.interlink.brute import brute_force


@pytest.fixture(scope="module")
def world(demo_dir):
    from eolink.samples import demo_world_paths

    return demo_world_paths(demo_dir)


def table_set(run) -> set[tuple[str, str, str]]:
    return set(zip(run.table["source"], run.table["relation"], run.table["target"]))


def feature_iris(path, frame) -> list[str]:
    # the IRI templates of docs/vocabulary.md, written out independently
    table = read_product(path)
    if table.product.product_type == "osm-extract":
        return [f"https://www.openstreetmap.org/{t}/{i}" for t, i in zip(frame["osm_type"], frame["osm_id"])]
    if table.product.product_type == "scene-catalogue":
        return [f"https://w3id.org/eolink/resource/scene/{i}" for i in frame["id"]]
    return [f"https://w3id.org/eolink/resource/feature/{table.product.product_id}/{i}" for i in frame["id"]]


def expected_links(path_a, path_b, *, repair=False, keep=None):
    a = read_product(path_a).features
    b = read_product(path_b).features
    # the run relates in the source's CRS: reproject the target with geopandas (always_xy)
    b_geoms = b.to_crs("OGC:CRS84" if a.crs.is_geographic else a.crs).geometry.values
    a_geoms = np.asarray(a.geometry.values, dtype=object)
    if repair:
        bad = ~shapely.is_valid(a_geoms)
        a_geoms[bad] = shapely.make_valid(a_geoms[bad])
    ia, ib = feature_iris(path_a, a), feature_iris(path_b, b)
    found = brute_force(a_geoms, np.asarray(b_geoms, dtype=object))
    return {(ia[i], r, ib[j]) for i, j, r in found if keep is None or keep(a.iloc[i], b.iloc[j])}


def test_crop_fields_and_change_areas(world):
    run = link(None, str(world.crop_map), str(world.change_mask), load=False)
    expected = expected_links(world.crop_map, world.change_mask)
    assert len(expected) > 0
    assert table_set(run) == expected


def test_osm_points_lines_polygons_against_change_areas_across_crss(world):
    run = link(None, str(world.osm), str(world.change_mask), invalid="repair", load=False)
    expected = expected_links(world.osm, world.change_mask, repair=True)
    assert {r for _, r, _ in expected} >= {"sfIntersects", "sfWithin", "sfCrosses"}
    assert table_set(run) == expected


def test_scenes_within_days_of_the_change_mask(world):
    product = read_product(world.change_mask).product
    start, end = pd.Timestamp(product.time_start), pd.Timestamp(product.time_end)

    def close(scene, _change):
        s, e = pd.Timestamp(scene["sensing_start"]), pd.Timestamp(scene["sensing_end"])
        gap = max(pd.Timedelta(0), start - e, s - end)
        return gap <= timedelta(days=10)

    run = link(None, str(world.scenes), str(world.change_mask), relations=["sfIntersects", "ehCovers"],
               within_days=10, load=False)
    expected = {t for t in expected_links(world.scenes, world.change_mask, keep=close) if t[1] in ("sfIntersects", "ehCovers")}
    everything = link(None, str(world.scenes), str(world.change_mask), relations=["sfIntersects"], load=False)
    timed = set(run.table.loc[run.table["relation"] == "sfIntersects", "source"])
    assert expected and timed < set(everything.table["source"])  # the time window dropped some scenes
    assert table_set(run) == expected
