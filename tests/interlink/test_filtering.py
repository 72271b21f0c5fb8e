"""The equigrid and the STRtree return exactly the pairs whose MBRs intersect, each once."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from eolink.interlink.filtering import GridIndex, TreeIndex, chunks, tune_cell_size
from tests.interlink.brute import random_geometries


def mbr_brute_force(a: np.ndarray, b: np.ndarray) -> set[tuple[int, int]]:
    ba, bb = shapely.bounds(a), shapely.bounds(b)
    out = set()
    for q in range(len(a)):  # plain loop: the reference must not share the vectorised code
        for t in range(len(b)):
            if ba[q, 0] <= bb[t, 2] and bb[t, 0] <= ba[q, 2] and ba[q, 1] <= bb[t, 3] and bb[t, 1] <= ba[q, 3]:
                out.add((q, t))
    return out


@pytest.mark.parametrize("cell", [0.05, 0.7, 3.0, 100.0])
def test_grid_pairs_are_mbr_pairs_without_duplicates(cell):
    rng = np.random.default_rng(3)
    indexed = random_geometries(rng, 25)
    queries = random_geometries(rng, 25, offset=(-1.0, 0.5))
    q, t = GridIndex(indexed, cell_size=cell).query(queries)
    pairs = list(zip(q.tolist(), t.tolist()))
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == mbr_brute_force(queries, indexed)


def test_tree_pairs_are_mbr_pairs():
    rng = np.random.default_rng(4)
    indexed = random_geometries(rng, 25)
    queries = random_geometries(rng, 25)
    q, t = TreeIndex(indexed).query(queries)
    assert set(zip(q.tolist(), t.tolist())) == mbr_brute_force(queries, indexed)


def test_cooccurrence_counts_shared_cells():
    indexed = np.array([shapely.box(0, 0, 1.5, 0.5)])
    queries = np.array([shapely.box(0.5, 0, 2.5, 0.5), shapely.box(5, 5, 6, 6)])
    q, t, count = GridIndex(indexed, cell_size=1.0, origin=(0.0, 0.0)).cooccurrences(queries)
    # cells x=0 and x=1 are shared by the first query and the indexed box; the second shares none
    assert (q.tolist(), t.tolist(), count.tolist()) == ([0], [0], [2])


def test_cell_size_and_chunks():
    assert tune_cell_size(np.array([[0, 0, 0, 0.0]]), np.array([[10, 10, 10, 10.0]])) > 0
    assert sum(s.stop - s.start for s in chunks(10, 3)) == 10
