"""Filtering: candidate pairs whose minimum bounding rectangles (MBRs) intersect.

Two indexes over the *indexed* (smaller) side, both queried with a chunk of the
*streamed* (larger) side:

* :class:`GridIndex` — an equigrid (GIA.nt): every MBR is assigned to the cells it
  covers; a query MBR meets the indexed MBRs of its cells, and the reference-point
  rule (a pair is reported only in the cell holding the lower-left corner of the
  two MBRs' intersection) emits each pair once without a global de-duplication.
  Everything is numpy: cells are exploded with ``repeat``/``cumsum`` and joined by
  ``searchsorted`` on sorted cell keys.
* :class:`TreeIndex` — GEOS's STRtree (``shapely.STRtree``).

Both return the same pairs (MBR intersection, closed boxes), so the verification
step does not care which was used.

>>> import numpy as np, shapely
>>> boxes = shapely.box([0, 5], [0, 5], [2, 6], [2, 6])
>>> queries = shapely.box([1, 10], [1, 10], [3, 11], [3, 11])
>>> GridIndex(boxes, cell_size=1.0).query(queries)
(array([0]), array([0]))
>>> TreeIndex(boxes).query(queries)
(array([0]), array([0]))
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np
import shapely

__all__ = [
    "CandidateIndex",
    "GridIndex",
    "TreeIndex",
    "build_index",
    "tune_cell_size",
    "mbr_pairs_intersect",
    "mbr_nested",
    "chunks",
    "INDEX_METHODS",
]

#: Names accepted for ``index=``.
INDEX_METHODS = ("auto", "grid", "strtree")

# cells per axis are packed into one int64 key: x * _STRIDE + y
_STRIDE = np.int64(1) << 31


class CandidateIndex(Protocol):
    """An index over the MBRs of one geometry array."""

    def query(self, geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(query_index, indexed_index)`` of every pair whose MBRs intersect."""
        ...


def chunks(n: int, size: int) -> Iterator[slice]:
    """Slices of ``range(n)`` of at most ``size`` items.

    >>> [(s.start, s.stop) for s in chunks(5, 2)]
    [(0, 2), (2, 4), (4, 5)]
    """
    size = max(1, int(size))
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def tune_cell_size(bounds_a: np.ndarray, bounds_b: np.ndarray) -> float:
    """A grid cell size for two sources: the mean MBR side over both (as GIA.nt's default).

    Twice the mean MBR side was the fastest in ``benchmarks/interlink.py`` (0.5×, 1×, 2×, 4× tried).
    Degenerate sources (points only) fall back to the extent divided into ~√n cells per axis.

    >>> tune_cell_size(np.array([[0, 0, 2, 2.0]]), np.array([[0, 0, 4, 4.0]]))
    6.0
    """
    both = np.concatenate([bounds_a, bounds_b])
    both = both[np.isfinite(both).all(axis=1)]
    if len(both) == 0:
        return 1.0
    sides = np.concatenate([both[:, 2] - both[:, 0], both[:, 3] - both[:, 1]])
    size = 2.0 * float(sides.mean())
    if size > 0:
        return size
    extent = max(float(both[:, 2].max() - both[:, 0].min()), float(both[:, 3].max() - both[:, 1].min()))
    return extent / max(1.0, np.sqrt(len(both))) or 1.0


def _cell_ranges(bounds: np.ndarray, origin: np.ndarray, cell: float) -> tuple[np.ndarray, ...]:
    x0 = np.floor((bounds[:, 0] - origin[0]) / cell).astype(np.int64)
    y0 = np.floor((bounds[:, 1] - origin[1]) / cell).astype(np.int64)
    x1 = np.floor((bounds[:, 2] - origin[0]) / cell).astype(np.int64)
    y1 = np.floor((bounds[:, 3] - origin[1]) / cell).astype(np.int64)
    return x0, y0, x1, y1


def _explode(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, cell key) for every cell every box covers, without a Python loop."""
    nx = x1 - x0 + 1
    ny = y1 - y0 + 1
    counts = nx * ny
    owner = np.repeat(np.arange(len(x0)), counts)
    start = np.cumsum(counts) - counts
    offset = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(start, counts)
    ny_o = ny[owner]
    cx = x0[owner] + offset // ny_o
    cy = y0[owner] + offset % ny_o
    return owner, cx * _STRIDE + cy


def mbr_pairs_intersect(bounds_a: np.ndarray, bounds_b: np.ndarray) -> np.ndarray:
    """Row-wise: do MBR ``bounds_a[k]`` and ``bounds_b[k]`` intersect (closed boxes)?

    >>> mbr_pairs_intersect(np.array([[0, 0, 1, 1.0]]), np.array([[1, 1, 2, 2.0]])).tolist()
    [True]
    """
    return (
        (bounds_a[:, 0] <= bounds_b[:, 2])
        & (bounds_b[:, 0] <= bounds_a[:, 2])
        & (bounds_a[:, 1] <= bounds_b[:, 3])
        & (bounds_b[:, 1] <= bounds_a[:, 3])
    )


def mbr_nested(bounds_a: np.ndarray, bounds_b: np.ndarray) -> np.ndarray:
    """Row-wise: does either MBR contain the other (closed boxes, shared edges count)?

    >>> a = np.array([[0, 0, 4, 4.0], [0, 0, 2, 2.0], [0, 0, 2, 2.0]])
    >>> b = np.array([[1, 1, 2, 4.0], [1, 1, 3, 3.0], [0, 0, 2, 2.0]])
    >>> mbr_nested(a, b).tolist()
    [True, False, True]
    """
    a_in_b = ((bounds_b[:, 0] <= bounds_a[:, 0]) & (bounds_b[:, 1] <= bounds_a[:, 1])
              & (bounds_a[:, 2] <= bounds_b[:, 2]) & (bounds_a[:, 3] <= bounds_b[:, 3]))
    b_in_a = ((bounds_a[:, 0] <= bounds_b[:, 0]) & (bounds_a[:, 1] <= bounds_b[:, 1])
              & (bounds_b[:, 2] <= bounds_a[:, 2]) & (bounds_b[:, 3] <= bounds_a[:, 3]))
    return a_in_b | b_in_a


class GridIndex:
    """Equigrid over the MBRs of ``geometries`` (GIA.nt's filter)."""

    def __init__(self, geometries: np.ndarray, *, cell_size: float, origin: tuple[float, float] | None = None) -> None:
        if not cell_size > 0:
            raise ValueError("cell_size must be positive")
        self.geometries = geometries
        self.bounds = shapely.bounds(geometries)
        valid = np.isfinite(self.bounds).all(axis=1)
        self.cell = float(cell_size)
        finite = self.bounds[valid]
        self.origin = np.array(origin if origin is not None else (finite[:, :2].min(axis=0) if len(finite) else (0.0, 0.0)))
        ids = np.flatnonzero(valid)
        owner, keys = _explode(*_cell_ranges(self.bounds[ids], self.origin, self.cell))
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.members = ids[owner[order]]

    def cooccurrences(self, geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pair sharing a cell, with the number of cells shared: ``(query, indexed, count)``.

        These are GIA.nt's candidate comparisons (no MBR test): the progressive mode ranks them.
        """
        q, t, _ = self._cell_pairs(geometries)
        if len(q) == 0:
            return q, t, np.empty(0, dtype=np.int64)
        key = q.astype(np.int64) * np.int64(len(self.bounds)) + t
        unique, counts = np.unique(key, return_counts=True)
        return unique // len(self.bounds), unique % len(self.bounds), counts

    def _cell_pairs(self, geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        bounds = shapely.bounds(geometries)
        ids = np.flatnonzero(np.isfinite(bounds).all(axis=1))
        owner, keys = _explode(*_cell_ranges(bounds[ids], self.origin, self.cell))
        lo = np.searchsorted(self.keys, keys, side="left")
        hi = np.searchsorted(self.keys, keys, side="right")
        counts = hi - lo
        q = np.repeat(ids[owner], counts)
        cell = np.repeat(keys, counts)
        start = np.cumsum(counts) - counts
        pos = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(start, counts) + np.repeat(lo, counts)
        return q, self.members[pos], cell

    def query(self, geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(query_index, indexed_index)`` of the pairs whose MBRs intersect, each pair once."""
        q, t, cell = self._cell_pairs(geometries)
        qb = shapely.bounds(geometries)[q]
        tb = self.bounds[t]
        keep = mbr_pairs_intersect(qb, tb)
        # reference-point rule: report the pair only in the cell of the lower-left corner of the overlap
        rx = np.floor((np.maximum(qb[:, 0], tb[:, 0]) - self.origin[0]) / self.cell).astype(np.int64)
        ry = np.floor((np.maximum(qb[:, 1], tb[:, 1]) - self.origin[1]) / self.cell).astype(np.int64)
        keep &= (rx * _STRIDE + ry) == cell
        return q[keep], t[keep]


class TreeIndex:
    """GEOS STRtree over ``geometries``."""

    def __init__(self, geometries: np.ndarray) -> None:
        self.geometries = geometries
        self.tree = shapely.STRtree(geometries)

    def query(self, geometries: np.ndarray, *, predicate: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(query_index, indexed_index)`` of the pairs whose MBRs intersect (or that satisfy ``predicate``)."""
        q, t = self.tree.query(geometries, predicate=predicate)
        return q, t


def build_index(geometries: np.ndarray, *, method: str = "strtree", cell_size: float | None = None,
                other_bounds: np.ndarray | None = None) -> CandidateIndex:
    """An index of ``method`` (``"grid"`` or ``"strtree"``) over ``geometries``.

    >>> import shapely
    >>> type(build_index(shapely.points([0, 1], [0, 1]), method="grid")).__name__
    'GridIndex'
    """
    if method == "grid":
        if cell_size is None:
            own = shapely.bounds(geometries)
            cell_size = tune_cell_size(own, own if other_bounds is None else other_bounds)
        return GridIndex(geometries, cell_size=cell_size)
    if method == "strtree":
        return TreeIndex(geometries)
    raise ValueError(f"unknown index method {method!r}; choose from {', '.join(INDEX_METHODS)}")
