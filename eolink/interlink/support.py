"""How far geometries reach in given directions (support functions), vectorised over pairs.

The support of a geometry ``g`` in a unit direction ``u`` from a point ``c`` is
``max over the vertices v of g of (v - c) · u``: the extent of ``g``'s convex hull
along ``u``. For a candidate pair ``(a, b)`` with centroids ``c_a``, ``c_b`` at distance
``d`` and ``u`` pointing from ``c_a`` to ``c_b``, the hulls' projections on that axis meet
only when ``support(a, u) + support(b, -u) >= d`` — when they do not, the axis separates
the hulls and the geometries are disjoint. :func:`reach_weight` turns that into a
closeness weight for progressive linking (:mod:`eolink.interlink.progressive`).

Everything is numpy over flat coordinate arrays: each pair's vertices are gathered
with ``repeat``/``cumsum`` and reduced with ``maximum.reduceat``. Geometries with many
vertices are replaced by their convex hull first (the support is the same), and pairs
are processed in slices so the gathered vertices stay bounded in memory.

>>> import shapely
>>> a = np.array([shapely.box(0, 0, 2, 2)]); b = np.array([shapely.box(3, 0, 5, 2), shapely.box(1, 1, 2, 2)])
>>> reach_weight(a, b, np.array([0, 0]), np.array([0, 1])).round(3).tolist()
[0.4, 0.75]
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["VertexTable", "reach_weight"]

#: Geometries with more vertices than this are replaced by their convex hull.
_HULL_ABOVE = 32
#: Gathered vertices per slice of pairs.
_SLICE_VERTICES = 4_000_000


class VertexTable:
    """The vertices of each geometry relative to its centroid, flat, with per-geometry offsets.

    >>> import shapely
    >>> t = VertexTable(np.array([shapely.Point(1, 1), shapely.box(0, 0, 2, 2)]))
    >>> t.counts.tolist(), t.centroids.tolist()
    ([1, 5], [[1.0, 1.0], [1.0, 1.0]])
    """

    def __init__(self, geometries: np.ndarray) -> None:
        geometries = np.asarray(geometries, dtype=object)
        many = shapely.get_num_coordinates(geometries) > _HULL_ABOVE
        if many.any():
            geometries = geometries.copy()
            geometries[many] = shapely.convex_hull(geometries[many])
        self.centroids = shapely.get_coordinates(shapely.centroid(geometries), include_z=False)
        if len(self.centroids) != len(geometries):  # empty geometries have no centroid coordinates
            centroids = np.full((len(geometries), 2), np.nan)
            present = ~shapely.is_empty(geometries)
            centroids[present] = shapely.get_coordinates(shapely.centroid(geometries[present]))
            self.centroids = centroids
        xy, owner = shapely.get_coordinates(geometries, return_index=True)
        self.counts = np.bincount(owner, minlength=len(geometries))
        self.starts = np.cumsum(self.counts) - self.counts
        self.relative = xy - self.centroids[owner]

    def support(self, ids: np.ndarray, ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
        """``max((v - centroid) · u)`` over the vertices of geometry ``ids[k]`` along ``(ux[k], uy[k])``, at least 0."""
        out = np.zeros(len(ids))
        rep = self.counts[ids]
        ends = np.cumsum(rep)
        lo = 0
        while lo < len(ids):
            # a slice of pairs whose gathered vertices fit the budget (at least one pair)
            base = ends[lo - 1] if lo else 0
            hi = max(lo + 1, int(np.searchsorted(ends, base + _SLICE_VERTICES, side="right")))
            hi = min(hi, len(ids))
            r = rep[lo:hi]
            local = np.repeat(np.arange(hi - lo), r)
            pos = np.arange(int(r.sum())) - np.repeat(np.cumsum(r) - r, r) + np.repeat(self.starts[ids[lo:hi]], r)
            proj = self.relative[pos, 0] * ux[lo:hi][local] + self.relative[pos, 1] * uy[lo:hi][local]
            has = r > 0
            if has.any():
                part = np.zeros(hi - lo)
                part[has] = np.maximum.reduceat(proj, (np.cumsum(r) - r)[has])
                out[lo:hi] = part
            lo = hi
        return np.maximum(out, 0.0)


def reach_weight(
    source: np.ndarray | VertexTable,
    target: np.ndarray | VertexTable,
    i: np.ndarray,
    j: np.ndarray,
) -> np.ndarray:
    """Closeness of the pairs ``(source[i], target[j])`` in ``[0, 1]``: ``h / (h + d)``.

    ``d`` is the distance between the centroids and ``h`` how far the two geometries reach
    towards each other along the line joining them (the sum of their supports). The weight is
    above 0.5 exactly when the hulls' projections on that line overlap, 1 when the centroids
    coincide, and falls towards 0 as the gap grows.
    """
    a = source if isinstance(source, VertexTable) else VertexTable(source)
    b = target if isinstance(target, VertexTable) else VertexTable(target)
    delta = b.centroids[j] - a.centroids[i]
    d = np.hypot(delta[:, 0], delta[:, 1])
    safe = np.where(d > 0, d, 1.0)
    ux, uy = delta[:, 0] / safe, delta[:, 1] / safe
    reach = a.support(i, ux, uy) + b.support(j, -ux, -uy)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(d > 0, reach / (reach + d), 1.0)
    # an empty geometry has no centroid: it reaches nothing
    return np.where(np.isfinite(d), weight, 0.0)
