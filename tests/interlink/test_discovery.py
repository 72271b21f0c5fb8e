"""Link discovery equals a brute-force evaluation of shapely's predicates over all pairs."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from eolink.errors import InputError
from eolink.interlink import RELATIONS, discover_links
from tests.interlink.brute import brute_force, random_geometries

@pytest.mark.parametrize("index", ["auto", "strtree", "grid"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_all_relations_equal_brute_force(seed, index):
    rng = np.random.default_rng(seed)
    a = random_geometries(rng, 40)
    b = random_geometries(rng, 60)
    links = discover_links(a, b, index=index)
    assert links.as_set() == brute_force(a, b)


@pytest.mark.parametrize("index", ["strtree", "grid"])
def test_streaming_in_chunks_and_either_side_indexed(index):
    rng = np.random.default_rng(7)
    a = random_geometries(rng, 30)
    b = random_geometries(rng, 80)
    expected = brute_force(a, b)
    # small chunks, tiny and huge grid cells, and the larger side given first
    assert discover_links(a, b, index=index, chunk_size=7, cell_size=0.05 if index == "grid" else None).as_set() == expected
    assert discover_links(a, b, index=index, cell_size=50.0 if index == "grid" else None).as_set() == expected
    swapped = {(j, i, r) for i, j, r in brute_force(b, a)}
    assert {(j, i, r) for i, j, r in discover_links(b, a, index=index).as_set()} == swapped


@pytest.mark.parametrize("relation", RELATIONS)
def test_single_relation_requests(relation):
    rng = np.random.default_rng(11)
    a = random_geometries(rng, 30)
    b = random_geometries(rng, 30)
    assert discover_links(a, b, relations=[relation]).as_set() == brute_force(a, b, relations={relation})


def test_pair_filter_drops_pairs_before_verification():
    rng = np.random.default_rng(5)
    a = random_geometries(rng, 20)
    b = random_geometries(rng, 20)
    even = discover_links(a, b, pair_filter=lambda i, j: (i + j) % 2 == 0)
    assert even.as_set() == {(i, j, r) for i, j, r in brute_force(a, b) if (i + j) % 2 == 0}


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
