"""Pairs decided without a DE-9IM matrix get exactly the relations of shapely's own predicates."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from eolink.interlink import RELATIONS, discover_links
from eolink.interlink.de9im import TOUCH_DECIDED, matrix_free, relations_from_touches
from eolink.interlink.filtering import mbr_nested
from eolink.interlink.synthetic import random_polygons
from tests.interlink.brute import BRUTE_FORCE, brute_force, random_geometries


def _shapes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Polygons, multipolygons, lines, multilines and rings on a 0.5 grid: shared edges and vertices are common."""
    corners = np.round(rng.random((n, 2)) * 6 * 2) / 2
    sizes = np.round((rng.random((n, 2)) * 3 + 0.5) * 2) / 2
    boxes = shapely.box(corners[:, 0], corners[:, 1], corners[:, 0] + sizes[:, 0], corners[:, 1] + sizes[:, 1])
    triangles = shapely.polygons(np.round(rng.random((n, 3, 2)) * 8 * 2) / 2)
    triangles = triangles[shapely.is_valid(triangles) & (shapely.area(triangles) > 0)]
    lines = shapely.linestrings(np.round(rng.random((n, 3, 2)) * 8 * 2) / 2)
    half = n // 2
    multi_polygons = shapely.union(boxes[:half], shapely.transform(boxes[half:2 * half], lambda c: c + 9))
    multi_lines = shapely.union(lines[:half], shapely.transform(lines[half:2 * half], lambda c: c + 0.5))
    rings = shapely.linearrings(shapely.get_coordinates(shapely.get_exterior_ring(boxes[:5])).reshape(5, 5, 2))
    geoms = np.concatenate([boxes, triangles, lines, multi_polygons, multi_lines, rings])
    return geoms[shapely.is_valid(geoms) & ~shapely.is_empty(geoms)]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_matrix_free_pairs_match_shapely_predicates(seed):
    rng = np.random.default_rng(seed)
    a, b = _shapes(rng, 60), _shapes(rng, 60)
    ii, jj = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
    left, right = a[ii.ravel()], b[jj.ravel()]
    free = matrix_free(shapely.get_type_id(left), shapely.get_type_id(right),
                       mbr_nested(shapely.bounds(left), shapely.bounds(right)))
    left, right = left[free], right[free]
    assert free.sum() > 1000
    decided = relations_from_touches(shapely.intersects(left, right), shapely.touches(left, right),
                                     shapely.get_dimensions(left), shapely.get_dimensions(right))
    for name in RELATIONS:
        expected = BRUTE_FORCE[name](left, right)
        assert (decided[name] == expected).all(), name
        if name not in TOUCH_DECIDED:
            assert not expected.any(), name
    # the data has every case the shortcut decides
    assert all(decided[name].any() for name in TOUCH_DECIDED)


@pytest.mark.parametrize("seed", [5, 6])
def test_discovery_with_matrix_free_pairs_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    a = np.concatenate([_shapes(rng, 40), random_geometries(rng, 20)])
    b = np.concatenate([_shapes(rng, 50), random_geometries(rng, 20)])
    expected = brute_force(a, b)
    for index in ("strtree", "grid"):
        assert discover_links(a, b, index=index).as_set() == expected
    swapped = brute_force(b, a)
    for index in ("strtree", "grid"):
        assert discover_links(b, a, index=index, chunk_size=13).as_set() == swapped


@pytest.mark.parametrize("relations", [["sfWithin"], ["sfContains", "ehCovers"], ["sfTouches"], ["sfCrosses", "sfEquals"],
                                       ["sfOverlaps", "ehCoveredBy"], ["sfIntersects", "sfWithin"]])
def test_relation_subsets_skip_or_decide_matrix_free_pairs(relations):
    rng = np.random.default_rng(9)
    a, b = _shapes(rng, 40), _shapes(rng, 40)
    links = discover_links(a, b, relations=relations)
    assert links.as_set() == brute_force(a, b, relations=set(relations))


def test_generated_polygons_are_mostly_matrix_free():
    a = random_polygons(200, seed=1, extent=1500, size=40)
    b = random_polygons(800, seed=2, extent=1500, size=25)
    links = discover_links(a, b)
    assert links.as_set() == brute_force(a, b)
    i, j = shapely.STRtree(a).query(b)[::-1]
    free = matrix_free(shapely.get_type_id(a[i]), shapely.get_type_id(b[j]), mbr_nested(shapely.bounds(a[i]), shapely.bounds(b[j])))
    assert free.mean() > 0.5
