"""Dask tiles with the reference-point rule give exactly the serial result."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from eolink.interlink import discover_links
from eolink.interlink.distributed import dask_client, discover_links_dask
from eolink.interlink.synthetic import random_polygons
from tests.interlink.brute import random_geometries


@pytest.fixture(scope="module")
def client():
    with dask_client("local") as c:
        yield c


def same(a, b) -> bool:
    return (np.array_equal(a.source, b.source) and np.array_equal(a.target, b.target)
            and np.array_equal(a.relation, b.relation))


@pytest.mark.parametrize("tiles", [1, 2, 3, 5])
def test_dask_equals_serial(client, tiles):
    rng = np.random.default_rng(tiles)
    a = random_geometries(rng, 40)
    b = random_geometries(rng, 60)
    # a few geometries spanning every tile: their pairs would be duplicated without the rule
    a = np.concatenate([a, [shapely.box(-1, -1, 11, 11), shapely.LineString([(0, 0), (10, 10)])]])
    serial = discover_links(a, b)
    dask = discover_links_dask(a, b, client=client, tiles=tiles)
    assert same(serial, dask)
    assert dask.candidates == serial.candidates


def test_dask_equals_serial_on_polygons_and_subsets(client):
    a = random_polygons(500, seed=1, extent=3000, size=60)
    b = random_polygons(800, seed=2, extent=3000, size=40)
    assert same(discover_links(a, b), discover_links_dask(a, b, client=client))
    assert same(discover_links(a, b, relations=["sfIntersects"]),
                discover_links_dask(a, b, client=client, relations=["sfIntersects"], tiles=4))


def test_scheduler_address_and_unreachable_scheduler():
    from distributed import LocalCluster

    from eolink.errors import InputError

    a = random_polygons(200, seed=7, extent=1000, size=60)
    b = random_polygons(300, seed=8, extent=1000, size=40)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0",
                      protocol="tcp://", host="127.0.0.1", scheduler_port=0) as cluster:
        with dask_client(cluster.scheduler_address) as client:
            assert same(discover_links(a, b), discover_links_dask(a, b, client=client, tiles=3))
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        with dask_client("tcp://127.0.0.1:9", timeout="1s"):
            pass


def test_link_api_with_dask_and_time_window_equals_serial(client):
    import geopandas as gpd

    from eolink.interlink import link
    from eolink.interlink.sources import features_from_geodataframe

    a = random_polygons(300, seed=9, extent=1500, size=60)
    b = random_polygons(400, seed=10, extent=1500, size=40)
    day = 86_400.0
    ta = np.column_stack([np.arange(len(a)) * day] * 2)
    tb = np.column_stack([np.arange(len(b)) * day] * 2)
    left = features_from_geodataframe(gpd.GeoDataFrame(geometry=a, crs="EPSG:32635"), times=ta, iri_prefix="urn:a:")
    right = features_from_geodataframe(gpd.GeoDataFrame(geometry=b, crs="EPSG:32635"), times=tb, iri_prefix="urn:b:")
    serial = link(None, left, right, within_days=30, load=False)
    dask = link(None, left, right, within_days=30, dask=client, load=False)
    assert len(serial.table) > 0
    assert serial.table.equals(dask.table)
