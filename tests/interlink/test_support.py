"""Reach weights: supports equal a direct maximum over vertices; below 0.5 the pair is certainly disjoint."""

from __future__ import annotations

import numpy as np
import shapely

from eolink.interlink import support
from eolink.interlink.support import VertexTable, reach_weight
from eolink.interlink.synthetic import random_polygons
from tests.interlink.brute import random_geometries


def _direct_support(geometry, direction) -> float:
    centre = shapely.get_coordinates(shapely.centroid(geometry))[0]
    return max(0.0, float(((shapely.get_coordinates(geometry) - centre) @ direction).max()))


def test_support_is_the_maximum_projection_of_the_vertices(monkeypatch):
    rng = np.random.default_rng(3)
    geoms = np.concatenate([random_geometries(rng, 20), shapely.buffer(shapely.points(rng.random((5, 2))), 1.0, quad_segs=16)])
    ids = rng.integers(0, len(geoms), 300)
    angle = rng.random(300) * 2 * np.pi
    expected = [_direct_support(geoms[k], np.array([np.cos(a), np.sin(a)])) for k, a in zip(ids, angle)]
    monkeypatch.setattr(support, "_SLICE_VERTICES", 50)  # many small slices
    got = VertexTable(geoms).support(ids, np.cos(angle), np.sin(angle))
    assert np.allclose(got, expected)


def test_weights_below_one_half_certify_disjoint_pairs():
    a = random_polygons(150, seed=7, extent=800, size=40)
    b = np.concatenate([random_polygons(300, seed=8, extent=800, size=25), random_geometries(np.random.default_rng(8), 40, scale=80)])
    i, j = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
    i, j = i.ravel(), j.ravel()
    w = reach_weight(a, b, i, j)
    hit = shapely.intersects(a[i], b[j])
    assert ((w >= 0) & (w <= 1)).all()
    assert not hit[w < 0.5].any()
    # and they rank linked pairs well: most linked pairs weigh more than most unlinked ones
    assert np.median(w[hit]) > np.quantile(w[~hit], 0.99)


def test_points_and_coinciding_centroids():
    a = np.array([shapely.Point(0, 0), shapely.box(-1, -1, 1, 1)], dtype=object)
    b = np.array([shapely.Point(0, 0), shapely.Point(3, 0)], dtype=object)
    w = reach_weight(a, b, np.array([0, 1, 1, 0]), np.array([0, 0, 1, 1]))
    assert w.tolist() == [1.0, 1.0, 0.25, 0.0]
