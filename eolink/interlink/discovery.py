"""Filter-verify link discovery between two geometry arrays (GIA.nt-style).

The smaller side is indexed (:mod:`eolink.interlink.filtering`: STRtree or an
equigrid), the larger side is streamed against it in chunks. For each chunk the
MBR candidates are filtered by GEOS's prepared ``intersects``; the DE-9IM matrix
of each surviving pair (``shapely.relate``, one call per chunk) then decides every
relation at once (:mod:`eolink.interlink.de9im`). Every relation eolink links with
implies intersection, so no true link is lost by the filter, and when only
``sfIntersects`` is asked for no matrix is computed at all.

>>> import shapely
>>> links = discover_links([shapely.box(0, 0, 2, 2)], [shapely.box(1, 1, 3, 3), shapely.box(5, 5, 6, 6)])
>>> sorted(links.as_set())
[(0, 0, 'sfIntersects'), (0, 0, 'sfOverlaps')]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

from eolink.errors import InputError
from eolink.interlink.de9im import RELATIONS, relations_from_matrices
from eolink.interlink.filtering import INDEX_METHODS, TreeIndex, build_index, chunks

__all__ = ["LinkSet", "discover_links", "candidate_pairs", "verify_pairs", "check_relations", "PairFilter",
           "default_threads"]

#: ``(source_index, target_index) -> keep mask``: an extra test on candidate pairs (e.g. time).
PairFilter = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: Streamed chunk of the larger side; bounds the memory of one filter/verify round.
DEFAULT_CHUNK = 50_000


@dataclass
class LinkSet:
    """Links as parallel arrays: source index, target index, relation local name.

    ``candidates`` counts the pairs the filter produced (MBRs intersect), ``verified``
    the pairs whose geometries were compared.
    """

    source: np.ndarray
    target: np.ndarray
    relation: np.ndarray
    candidates: int = 0
    verified: int = 0

    def __len__(self) -> int:
        return len(self.source)

    def as_set(self) -> set[tuple[int, int, str]]:
        """The links as a set of ``(source, target, relation)``."""
        return set(zip(self.source.tolist(), self.target.tolist(), self.relation.tolist()))

    def count(self, relation: str) -> int:
        """Number of links of one relation."""
        return int(np.count_nonzero(self.relation == relation))

    def counts(self) -> dict[str, int]:
        """Links per relation, in :data:`RELATIONS` order, zero counts left out."""
        return {name: self.count(name) for name in RELATIONS if self.count(name)}

    @classmethod
    def empty(cls) -> LinkSet:
        """No links."""
        none = np.empty(0, dtype=np.int64)
        return cls(none, none.copy(), np.empty(0, dtype="U16"))

    @classmethod
    def concat(cls, parts: Sequence[LinkSet]) -> LinkSet:
        """Several link sets as one, in the canonical order (source, target, relation rank)."""
        if not parts:
            return cls.empty()
        s = np.concatenate([p.source for p in parts]).astype(np.int64)
        t = np.concatenate([p.target for p in parts]).astype(np.int64)
        r = np.concatenate([p.relation for p in parts]).astype("U16")
        out = _canonical(s, t, r)
        out.candidates = sum(p.candidates for p in parts)
        out.verified = sum(p.verified for p in parts)
        return out


_RANK = {name: k for k, name in enumerate(RELATIONS)}


def _canonical(s: np.ndarray, t: np.ndarray, r: np.ndarray) -> LinkSet:
    names, inverse = np.unique(r, return_inverse=True)
    rank = np.array([_RANK[str(name)] for name in names], dtype=np.int64)[inverse]
    order = np.lexsort((rank, t, s))
    return LinkSet(s[order], t[order], r[order])


def check_relations(relations: Iterable[str]) -> list[str]:
    """The relation names, checked against :data:`RELATIONS` (``InputError`` otherwise).

    >>> check_relations(["sfWithin"])
    ['sfWithin']
    """
    wanted = list(dict.fromkeys(relations))
    unknown = set(wanted) - set(RELATIONS)
    if unknown:
        raise InputError(f"unknown relations {sorted(unknown)}; choose from {', '.join(RELATIONS)}")
    if not wanted:
        raise InputError("no relation asked for")
    return wanted


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


def verify_pairs(
    source: np.ndarray,
    target: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    wanted: Sequence[str],
    *,
    prepared: str = "source",
    threads: int = 1,
) -> LinkSet:
    """The relations of ``wanted`` holding for the pairs ``(source[i], target[j])``: one DE-9IM matrix per pair.

    Pairs are first tested with GEOS's ``intersects`` on the ``prepared`` side (``"source"``
    or ``"target"``, prepared by the caller for speed); only intersecting pairs get a matrix,
    computed on ``threads`` threads (GEOS releases the GIL; ``relate`` uses no prepared state).

    >>> import numpy as np, shapely
    >>> a = np.array([shapely.box(0, 0, 2, 2)]); b = np.array([shapely.box(0, 0, 1, 1)])
    >>> sorted(verify_pairs(a, b, np.array([0]), np.array([0]), ["sfContains", "sfWithin"]).as_set())
    [(0, 0, 'sfContains')]
    """
    if len(i) == 0:
        return LinkSet.empty()
    left, right = source[i], target[j]
    hit = shapely.intersects(left, right) if prepared == "source" else shapely.intersects(right, left)
    i, j, left, right = i[hit], j[hit], left[hit], right[hit]
    verified = len(hit)
    if list(wanted) == ["sfIntersects"]:
        return LinkSet(i, j, np.full(len(i), "sfIntersects", dtype="U16"), verified=verified)
    matrices = _relate(left, right, threads)
    decided = relations_from_matrices(matrices, shapely.get_dimensions(left), shapely.get_dimensions(right))
    parts_s, parts_t, parts_r = [], [], []
    for name in wanted:
        mask = decided[name]
        parts_s.append(i[mask])
        parts_t.append(j[mask])
        parts_r.append(np.full(int(mask.sum()), name, dtype="U16"))
    return LinkSet(np.concatenate(parts_s), np.concatenate(parts_t), np.concatenate(parts_r), verified=verified)


#: Below this many pairs one thread computes all matrices.
_THREAD_MIN_PAIRS = 4_000


def default_threads() -> int:
    """Threads for DE-9IM matrices: the CPUs this process may use, at most 4.

    >>> default_threads() >= 1
    True
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def _relate(left: np.ndarray, right: np.ndarray, threads: int) -> np.ndarray:
    if threads <= 1 or len(left) < _THREAD_MIN_PAIRS:
        return shapely.relate(left, right)
    bounds = np.linspace(0, len(left), threads + 1).astype(int)
    pieces = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        parts = list(pool.map(lambda p: shapely.relate(left[p], right[p]), pieces))
    return np.concatenate(parts)


def _as_geometries(values: Sequence[shapely.Geometry] | np.ndarray, side: str) -> np.ndarray:
    array = np.asarray(values, dtype=object)
    if array.ndim != 1:
        array = array.ravel()
    if len(array) and shapely.is_missing(array).any():
        raise InputError(f"a {side} feature without geometry cannot be linked")
    return array


def discover_links(
    source: Sequence[shapely.Geometry] | np.ndarray,
    target: Sequence[shapely.Geometry] | np.ndarray,
    *,
    relations: Iterable[str] = RELATIONS,
    index: str = "auto",
    cell_size: float | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    pair_filter: PairFilter | None = None,
    threads: int | None = None,
) -> LinkSet:
    """All pairs of ``source`` × ``target`` in each of ``relations`` (geometries in one CRS).

    Parameters
    ----------
    source, target
        Shapely geometries (arrays or sequences), in one CRS.
    relations
        Local names from :data:`~eolink.interlink.de9im.RELATIONS`.
    index
        ``"strtree"``, ``"grid"`` (equigrid with ``cell_size``, tuned when ``None``) or ``"auto"`` (STRtree,
        the faster one in ``benchmarks/interlink.py``).
    chunk_size
        The larger side is streamed in chunks of this many geometries.
    pair_filter
        Extra test on candidate pairs before verification (source index, target index) -> keep.
    threads
        Threads computing DE-9IM matrices (default :func:`default_threads`); the result does not depend on it.

    Returns
    -------
    LinkSet
        Sorted by source, target, relation order.

    Examples
    --------
    >>> import shapely
    >>> discover_links([shapely.Point(1, 1)], [shapely.box(0, 0, 2, 2)], relations=["sfWithin"]).as_set()
    {(0, 0, 'sfWithin')}
    """
    wanted = check_relations(relations)
    if index not in INDEX_METHODS:
        raise InputError(f"unknown index method {index!r}; choose from {', '.join(INDEX_METHODS)}")
    src = _as_geometries(source, "source")
    tgt = _as_geometries(target, "target")
    if len(src) == 0 or len(tgt) == 0:
        return LinkSet.empty()
    indexed_is_source = len(src) <= len(tgt)
    indexed, streamed = (src, tgt) if indexed_is_source else (tgt, src)
    method = "strtree" if index == "auto" else index
    other = shapely.bounds(streamed) if method == "grid" and cell_size is None else None
    idx = build_index(indexed, method=method, cell_size=cell_size, other_bounds=other)
    parts: list[LinkSet] = []
    candidates = 0
    n_threads = default_threads() if threads is None else max(1, int(threads))
    direct = wanted == ["sfIntersects"] and pair_filter is None and isinstance(idx, TreeIndex)
    if not direct:
        shapely.prepare(indexed)
    for piece in chunks(len(streamed), chunk_size):
        if direct:
            # intersects only: the STRtree's own prepared-predicate query is the whole job
            q, t = idx.query(streamed[piece], predicate="intersects")
            q = q + piece.start
            i, j = (t, q) if indexed_is_source else (q, t)
            candidates += len(i)
            parts.append(LinkSet(i, j, np.full(len(i), "sfIntersects", dtype="U16"), verified=len(i)))
            continue
        q, t = idx.query(streamed[piece])
        q = q + piece.start
        i, j = (t, q) if indexed_is_source else (q, t)
        candidates += len(i)
        if pair_filter is not None and len(i):
            keep = np.asarray(pair_filter(i, j), dtype=bool)
            i, j = i[keep], j[keep]
        parts.append(verify_pairs(src, tgt, i.astype(np.int64), j.astype(np.int64), wanted,
                                  prepared="source" if indexed_is_source else "target", threads=n_threads))
    out = LinkSet.concat(parts)
    out.candidates = candidates
    return out
