"""Filter-verify link discovery between two geometry arrays (GIA.nt-style).

The smaller side is indexed in an STRtree, the larger side queried against it
with GEOS's prepared ``intersects`` as the filter; the DE-9IM matrix of each
surviving pair then decides every relation at once. Every relation eolink
links with implies intersection, so no true link is lost by the filter.

>>> import shapely
>>> links = discover_links([shapely.box(0, 0, 2, 2)], [shapely.box(1, 1, 3, 3), shapely.box(5, 5, 6, 6)])
>>> sorted(links.as_set())
[(0, 0, 'sfIntersects'), (0, 0, 'sfOverlaps')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from eolink.errors import InputError
from eolink.interlink.de9im import RELATIONS, relations_from_matrices

__all__ = ["LinkSet", "discover_links", "candidate_pairs"]


@dataclass
class LinkSet:
    """Links as parallel arrays: source index, target index, relation local name."""

    source: np.ndarray
    target: np.ndarray
    relation: np.ndarray
    candidates: int = 0

    def __len__(self) -> int:
        return len(self.source)

    def as_set(self) -> set[tuple[int, int, str]]:
        """The links as a set of ``(source, target, relation)``."""
        return set(zip(self.source.tolist(), self.target.tolist(), self.relation.tolist()))

    def count(self, relation: str) -> int:
        """Number of links of one relation."""
        return int(np.count_nonzero(self.relation == relation))


def candidate_pairs(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)`` with ``source[i]`` intersecting ``target[j]``, via an STRtree on the smaller side."""
    if len(source) <= len(target):
        tree_side, query_side, swap = source, target, True
    else:
        tree_side, query_side, swap = target, source, False
    tree = shapely.STRtree(tree_side)
    query_index, tree_index = tree.query(query_side, predicate="intersects")
    if swap:
        return tree_index, query_index
    return query_index, tree_index


def discover_links(
    source: Sequence[shapely.Geometry] | np.ndarray,
    target: Sequence[shapely.Geometry] | np.ndarray,
    *,
    relations: Iterable[str] = RELATIONS,
) -> LinkSet:
    """All pairs of ``source`` × ``target`` in each of ``relations`` (geometries in one CRS)."""
    wanted = list(relations)
    unknown = set(wanted) - set(RELATIONS)
    if unknown:
        raise InputError(f"unknown relations {sorted(unknown)}; choose from {', '.join(RELATIONS)}")
    src = np.asarray(source, dtype=object)
    tgt = np.asarray(target, dtype=object)
    if len(src) == 0 or len(tgt) == 0:
        empty = np.empty(0, dtype=np.int64)
        return LinkSet(empty, empty, np.empty(0, dtype="U16"))
    if shapely.is_missing(src).any() or shapely.is_missing(tgt).any():
        raise InputError("a feature without geometry cannot be linked")
    i, j = candidate_pairs(src, tgt)
    order = np.lexsort((j, i))
    i, j = i[order], j[order]
    matrices = shapely.relate(src[i], tgt[j])
    decided = relations_from_matrices(matrices, shapely.get_dimensions(src[i]), shapely.get_dimensions(tgt[j]))
    parts_s, parts_t, parts_r = [], [], []
    for name in wanted:
        mask = decided[name]
        parts_s.append(i[mask])
        parts_t.append(j[mask])
        parts_r.append(np.full(int(mask.sum()), name, dtype="U16"))
    s = np.concatenate(parts_s)
    t = np.concatenate(parts_t)
    r = np.concatenate(parts_r)
    rank = np.array([RELATIONS.index(name) for name in wanted])[np.concatenate([np.full(len(p), k) for k, p in enumerate(parts_s)])]
    order = np.lexsort((rank, t, s))
    return LinkSet(s[order], t[order], r[order], candidates=len(i))
