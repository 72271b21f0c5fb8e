"""Link discovery equals a brute-force evaluation of shapely's predicates over all pairs."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from eolink.errors import InputError
from eolink.interlink import RELATIONS, discover_links

# Independent definitions: shapely's own predicates (GEOS) and the GeoSPARQL Egenhofer patterns.
BRUTE_FORCE = {
    "sfIntersects": shapely.intersects,
    "sfEquals": shapely.equals,
    "sfTouches": shapely.touches,
    "sfWithin": shapely.within,
    "sfContains": shapely.contains,
    "sfOverlaps": shapely.overlaps,
    "sfCrosses": shapely.crosses,
    "ehCovers": lambda a, b: shapely.relate_pattern(a, b, "T*TFT*FF*"),
    "ehCoveredBy": lambda a, b: shapely.relate_pattern(a, b, "TFF*TFT**"),
}


def random_geometries(rng: np.random.Generator, n: int) -> np.ndarray:
    points = shapely.points(np.round(rng.random((n, 2)) * 10, 1))
    corners = np.round(rng.random((n, 2)) * 8, 1)
    sizes = np.round(rng.random((n, 2)) * 3 + 0.1, 1)
    boxes = shapely.box(corners[:, 0], corners[:, 1], corners[:, 0] + sizes[:, 0], corners[:, 1] + sizes[:, 1])
    lines = shapely.linestrings(np.round(rng.random((n, 3, 2)) * 10, 1))
    # shared coordinates on a 0.1 grid make touches, equals and boundary cases frequent
    return np.concatenate([points, boxes, lines, boxes[: n // 4]])


def brute_force(a: np.ndarray, b: np.ndarray) -> set[tuple[int, int, str]]:
    ii, jj = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    out = set()
    for name, predicate in BRUTE_FORCE.items():
        mask = predicate(a[ii], b[jj])
        out |= {(int(i), int(j), name) for i, j in zip(ii[mask], jj[mask])}
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_all_relations_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    a = random_geometries(rng, 40)
    b = random_geometries(rng, 60)
    links = discover_links(a, b)
    assert links.as_set() == brute_force(a, b)


def test_every_relation_occurs_in_the_test_data():
    rng = np.random.default_rng(1)
    a = random_geometries(rng, 40)
    found = {r for _, _, r in discover_links(a, a).as_set()}
    assert found == set(RELATIONS)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=12),
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=12),
)
def test_polygon_grid_cases(left, right):
    a = np.array([shapely.box(x, y, x + w, y + h) for x, y, w, h in left], dtype=object)
    b = np.array([shapely.box(x, y, x + w, y + h) for x, y, w, h in right], dtype=object)
    assert discover_links(a, b).as_set() == brute_force(a, b)


def test_subset_of_relations_and_errors():
    a = np.array([shapely.box(0, 0, 2, 2)], dtype=object)
    b = np.array([shapely.box(1, 1, 3, 3)], dtype=object)
    assert discover_links(a, b, relations=["sfOverlaps"]).as_set() == {(0, 0, "sfOverlaps")}
    with pytest.raises(InputError):
        discover_links(a, b, relations=["sfNearby"])
    with pytest.raises(InputError):
        discover_links(a, np.array([None], dtype=object))
    assert len(discover_links(a, np.array([], dtype=object))) == 0
