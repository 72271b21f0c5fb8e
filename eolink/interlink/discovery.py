"""Filter-verify link discovery between two geometry arrays (GIA.nt-style).

The smaller side is indexed (:mod:`eolink.interlink.filtering`: STRtree or an
equigrid), the larger side is streamed against it in chunks. For each chunk the
MBR candidate pairs are verified (:func:`verify_pairs`):

* pairs of polygons, or of a line and a polygon, where neither MBR contains the
  other can only intersect, touch, overlap or cross
  (:func:`~eolink.interlink.de9im.matrix_free`): GEOS's prepared ``intersects``
  and, on the intersecting ones, ``touches`` decide them without a matrix;
* every other pair is filtered by the prepared ``intersects``, and the DE-9IM
  matrix of each survivor (``shapely.relate``, one call per chunk) decides every
  relation at once (:mod:`eolink.interlink.de9im`).

Every relation eolink links with implies intersection, so no true link is lost by
the filter, and when only ``sfIntersects`` is asked for no matrix is computed at all.
In ``benchmarks/interlink.py`` (100 k × 1 M generated polygons) about 80 % of the
intersecting pairs are matrix-free, and ``touches`` costs about a third of ``relate``.
Geometries are assumed valid, as GEOS's predicates assume them.

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
from typing import NamedTuple

import numpy as np
import shapely

from eolink.errors import InputError
from eolink.interlink.de9im import RELATIONS, TOUCH_DECIDED, matrix_free, relations_from_matrices, relations_from_touches
from eolink.interlink.filtering import INDEX_METHODS, TreeIndex, build_index, chunks, mbr_nested

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


def _from_codes(sources: Sequence[np.ndarray], targets: Sequence[np.ndarray], codes: Sequence[np.ndarray]) -> LinkSet:
    """One link set in the canonical order from parts of (source, target, relation code)."""
    if not sources:
        return LinkSet.empty()
    s = np.concatenate(sources).astype(np.int64)
    t = np.concatenate(targets).astype(np.int64)
    c = np.concatenate(codes)
    order = np.lexsort((c, t, s))
    return LinkSet(s[order], t[order], _NAMES[c[order]])


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
    """The relations of ``wanted`` holding for the pairs ``(source[i], target[j])``.

    Pairs whose relations follow from GEOS's ``intersects`` and ``touches`` alone
    (:func:`~eolink.interlink.de9im.matrix_free`: polygons, or a line and a polygon, neither
    MBR containing the other) are decided with those two predicates; every other pair is
    tested with ``intersects`` and, when it intersects, gets one DE-9IM matrix that decides
    all relations at once. ``intersects`` runs on the ``prepared`` side (``"source"`` or
    ``"target"``, prepared by the caller for speed); matrices and ``touches`` run on
    ``threads`` threads (GEOS releases the GIL). Geometries are assumed valid, as for GEOS's
    predicates themselves (:func:`~eolink.interlink.linker.link` checks or repairs them).

    >>> import numpy as np, shapely
    >>> a = np.array([shapely.box(0, 0, 2, 2)]); b = np.array([shapely.box(0, 0, 1, 1)])
    >>> sorted(verify_pairs(a, b, np.array([0]), np.array([0]), ["sfContains", "sfWithin"]).as_set())
    [(0, 0, 'sfContains')]
    """
    if len(i) == 0:
        return LinkSet.empty()
    pos, code, verified = _verify(source[i], target[j], list(wanted), prepared_left=prepared == "source",
                                  threads=threads)
    return LinkSet(i[pos], j[pos], _NAMES[code], verified=verified)


_NAMES = np.asarray(RELATIONS, dtype="U16")
_CODE = {name: np.int8(k) for k, name in enumerate(RELATIONS)}
#: Relations that need the interiors' intersection (``touches``) on a matrix-free pair.
_NEED_TOUCHES = frozenset(TOUCH_DECIDED) - {"sfIntersects"}


class _Facts(NamedTuple):
    """Per-geometry facts the verification reads: MBRs, shapely type ids, dimensions."""

    bounds: np.ndarray
    types: np.ndarray
    dims: np.ndarray

    @classmethod
    def of(cls, geometries: np.ndarray) -> _Facts:
        return cls(shapely.bounds(geometries), shapely.get_type_id(geometries), shapely.get_dimensions(geometries))

    def take(self, k: np.ndarray) -> _Facts:
        return _Facts(self.bounds[k], self.types[k], self.dims[k])


def _verify(left: np.ndarray, right: np.ndarray, wanted: list[str], *, prepared_left: bool, threads: int,
            facts: tuple[_Facts, _Facts] | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """``(pair position, relation code, pairs compared)`` of the links among the pairs ``(left[k], right[k])``.

    ``facts`` are those of ``left`` and ``right`` (computed here when not given).
    """
    n = len(left)
    if wanted == ["sfIntersects"]:
        pos = np.flatnonzero(_intersects(left, right, prepared_left))
        return pos, np.zeros(len(pos), dtype=np.int8), n
    positions: list[np.ndarray] = []
    codes: list[np.ndarray] = []

    def keep(k: np.ndarray, decided: dict[str, np.ndarray]) -> None:
        for name in wanted:
            found = k[decided[name]]
            positions.append(found)
            codes.append(np.full(len(found), _CODE[name], dtype=np.int8))

    fa, fb = facts if facts is not None else (_Facts.of(left), _Facts.of(right))
    free = matrix_free(fa.types, fb.types, mbr_nested(fa.bounds, fb.bounds))
    k = np.flatnonzero(free)
    if len(k) and not set(wanted) & set(TOUCH_DECIDED):
        n -= len(k)  # none of the wanted relations can hold on these pairs: nothing to compare
    elif len(k):
        fl, fr = left[k], right[k]
        hit = _intersects(fl, fr, prepared_left)
        touch = np.zeros(len(k), dtype=bool)
        if _NEED_TOUCHES & set(wanted):
            h = np.flatnonzero(hit)
            # the unprepared side first: a prepared polygon's touches is slower than the plain one
            touch[h] = _pairwise(shapely.touches, *((fr[h], fl[h]) if prepared_left else (fl[h], fr[h])), threads)
        keep(k, relations_from_touches(hit, touch, fa.dims[k], fb.dims[k]))
    k = np.flatnonzero(~free)
    if len(k):
        k = k[_intersects(left[k], right[k], prepared_left)]
        matrices = _pairwise(shapely.relate, left[k], right[k], threads)
        keep(k, relations_from_matrices(matrices, fa.dims[k], fb.dims[k]))
    if not positions:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int8), n
    return np.concatenate(positions), np.concatenate(codes), n


def _intersects(left: np.ndarray, right: np.ndarray, prepared_left: bool) -> np.ndarray:
    return shapely.intersects(left, right) if prepared_left else shapely.intersects(right, left)


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


def _pairwise(function: Callable[[np.ndarray, np.ndarray], np.ndarray], left: np.ndarray, right: np.ndarray,
              threads: int) -> np.ndarray:
    """``function(left, right)`` (a shapely binary ufunc), split over ``threads`` threads for large inputs."""
    if threads <= 1 or len(left) < _THREAD_MIN_PAIRS:
        return function(left, right)
    bounds = np.linspace(0, len(left), threads + 1).astype(int)
    pieces = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        parts = list(pool.map(lambda p: function(left[p], right[p]), pieces))
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
        Shapely geometries (arrays or sequences), in one CRS, valid (``shapely.is_valid``): on invalid
        geometries DE-9IM relations are not well defined, and the shortcuts of :func:`verify_pairs` may
        then differ from GEOS's own predicates. :func:`~eolink.interlink.linker.link` raises on, repairs
        or skips invalid geometries (``invalid=``) before calling this.
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
    sources: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    candidates = verified = 0
    n_threads = default_threads() if threads is None else max(1, int(threads))
    direct = wanted == ["sfIntersects"] and pair_filter is None and isinstance(idx, TreeIndex)
    if not direct:
        shapely.prepare(indexed)
        # once per geometry rather than once per candidate pair
        facts_src, facts_tgt = _Facts.of(src), _Facts.of(tgt)
    for piece in chunks(len(streamed), chunk_size):
        if direct:
            # intersects only: the STRtree's own prepared-predicate query is the whole job
            q, t = idx.query(streamed[piece], predicate="intersects")
            q = q + piece.start
            i, j = (t, q) if indexed_is_source else (q, t)
            candidates += len(i)
            verified += len(i)
            sources.append(i)
            targets.append(j)
            codes.append(np.zeros(len(i), dtype=np.int8))
            continue
        q, t = idx.query(streamed[piece])
        q = q + piece.start
        i, j = (t, q) if indexed_is_source else (q, t)
        candidates += len(i)
        if pair_filter is not None and len(i):
            keep = np.asarray(pair_filter(i, j), dtype=bool)
            i, j = i[keep], j[keep]
        if len(i) == 0:
            continue
        pos, code, compared = _verify(src[i], tgt[j], wanted, prepared_left=indexed_is_source, threads=n_threads,
                                      facts=(facts_src.take(i), facts_tgt.take(j)))
        verified += compared
        sources.append(i[pos])
        targets.append(j[pos])
        codes.append(code)
    out = _from_codes(sources, targets, codes)
    out.candidates, out.verified = candidates, verified
    return out
