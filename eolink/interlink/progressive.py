"""Progressive link discovery (progressive GIA.nt): the best-weighted candidates first, within a budget.

Candidates come from GIA.nt's equigrid (:meth:`~eolink.interlink.filtering.GridIndex.cooccurrences`):
every pair of geometries sharing a cell. What counts as a *comparison* follows
JedAI-spatial: its progressive GIA.nt (``ProgressiveGIAnt.scheduling`` in the Java
JedAI-spatial, ``StandardSpatialInitialization`` in pyJedAI) puts into its top-``BU``
queue only the co-occurring pairs whose MBRs intersect (``validCandidate``), and its
batch GIA.nt verifies exactly those pairs too; pyJedAI's exhaustive run reports them
as its verified pairs. So with ``candidates="mbr"`` (default) the candidates — and
the base of a fractional budget — are the pairs whose MBRs intersect, a set that does
not depend on the cell size. ``candidates="grid"`` keeps every co-occurrence (pairs
with disjoint MBRs rank last; they can never be links), the reading eolink used
before; its total depends on the cell size, so a fraction of it is a larger budget.

Each pair is weighted, the pairs are verified in descending weight, and verification
stops when the budget (a number of comparisons, or a fraction of all of them) is
spent. Weighting schemes (all vectorised; ties are broken by ``cf``):

* ``"cd"`` (default) — centroid closeness against reach: ``h / (h + d)`` with ``d`` the
  distance between the centroids and ``h`` how far the two geometries' hulls reach towards
  each other along that line (:func:`~eolink.interlink.support.reach_weight`); below 0.5
  the line separates the hulls. Pairs whose MBRs do not meet weigh 0.
* ``"mbr"`` — MBR overlap: the area of the two MBRs' intersection over the
  smaller MBR's area (boxes padded by a tiny margin so points and axis-parallel
  lines have area); pairs whose MBRs do not meet weigh 0.
* ``"cf"`` — co-occurrence frequency: the number of cells the pair shares.
* ``"js"`` — Jaccard similarity of the two cell sets.

In ``benchmarks/interlink.py`` (10 k × 100 k) ``cd`` finds 0.87 of the links of generated
polygons and 0.59 of mixed polygons/lines/points within 20 % of the co-occurrences
(an oracle: 0.90 and 0.59), and 0.29 / 0.31 within 20 % of JedAI-spatial's comparisons —
the oracle's share too: a budget of 20 % of the comparisons cannot find more than
``0.2 × comparisons / linked pairs`` of the pairs, and there only 1.5 (polygons) and
1.6 (mixed) comparisons exist per linked pair.

:func:`recall_curve` verifies every candidate once in that order and reports, for
growing budgets, the share of the exhaustive links already found.

>>> import shapely
>>> a = shapely.box([0, 10], [0, 10], [2, 12], [2, 12])
>>> b = shapely.box([1, 30], [1, 30], [3, 31], [3, 31])
>>> [round(p.recall, 2) for p in recall_curve(a, b, fractions=[0.5, 1.0])]
[1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from eolink.errors import InputError
from eolink.interlink.de9im import RELATIONS
from eolink.interlink.discovery import LinkSet, PairFilter, _as_geometries, check_relations, verify_pairs
from eolink.interlink.filtering import GridIndex, mbr_pairs_intersect, tune_cell_size
from eolink.interlink.support import reach_weight

__all__ = [
    "WEIGHTINGS",
    "CANDIDATE_SETS",
    "CurvePoint",
    "ranked_candidates",
    "count_candidates",
    "progressive_links",
    "recall_curve",
    "budget_size",
    "parse_budget",
]

#: Weighting schemes for ``weighting=``.
WEIGHTINGS = ("cd", "mbr", "cf", "js")

#: Candidate sets for ``candidates=``: JedAI-spatial's (co-occurring pairs whose MBRs intersect) or every co-occurrence.
CANDIDATE_SETS = ("mbr", "grid")


@dataclass(frozen=True)
class CurvePoint:
    """Recall after ``comparisons`` verified pairs (``fraction`` of all candidates)."""

    comparisons: int
    fraction: float
    links: int
    recall: float


def parse_budget(text: str) -> float | int:
    """A budget from the command line: ``"20%"`` or ``"0.2"`` (fraction) or ``"5000"`` (comparisons).

    >>> parse_budget("20%"), parse_budget("0.5"), parse_budget("5000")
    (0.2, 0.5, 5000)
    """
    value = text.strip()
    try:
        if value.endswith("%"):
            return float(value[:-1]) / 100.0
        if any(c in value for c in ".eE"):
            return float(value)
        return int(value)
    except ValueError as err:
        raise InputError(f"budget {text!r} is not a number, a fraction or a percentage") from err


def budget_size(budget: float | int, total: int) -> int:
    """The number of comparisons a budget allows out of ``total`` (a float in (0, 1] is a fraction).

    >>> budget_size(0.25, 10), budget_size(7, 10), budget_size(70, 10)
    (3, 7, 10)
    """
    if isinstance(budget, bool) or not isinstance(budget, (int, float, np.integer, np.floating)):
        raise InputError(f"budget must be a number, got {budget!r}")
    if isinstance(budget, (float, np.floating)):
        if not 0.0 < budget <= 1.0:
            raise InputError(f"a fractional budget must be in (0, 1], got {budget}")
        return int(np.ceil(budget * total))
    if budget < 1:
        raise InputError(f"a budget of comparisons must be at least 1, got {budget}")
    return int(min(budget, total))


def _padded_bounds(bounds: np.ndarray, pad: float) -> np.ndarray:
    return bounds + np.array([-pad, -pad, pad, pad])


def ranked_candidates(
    source: np.ndarray,
    target: np.ndarray,
    *,
    weighting: str = "cd",
    candidates: str = "mbr",
    cell_size: float | None = None,
    pair_filter: PairFilter | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GIA.nt candidate pairs ``(i, j, weight)``, best first (ties by ``cf``, then ``i``, then ``j``).

    ``candidates`` is ``"mbr"`` (co-occurring pairs whose MBRs intersect, JedAI-spatial's) or
    ``"grid"`` (every co-occurrence).

    >>> import shapely
    >>> a = shapely.box([0], [0], [2], [2]); b = shapely.box([1, 1.9, 2.5], [1, 1.9, 0], [3, 4, 3], [3, 4, 1])
    >>> ranked_candidates(a, b)[1].tolist(), ranked_candidates(a, b, candidates="grid")[1].tolist()
    ([0, 1], [0, 1, 2])
    """
    if weighting not in WEIGHTINGS:
        raise InputError(f"unknown weighting {weighting!r}; choose from {', '.join(WEIGHTINGS)}")
    sb, tb = shapely.bounds(source), shapely.bounds(target)
    index, cell, (i, j, cf) = _cooccurrences(source, target, sb, tb, candidates, cell_size)
    if pair_filter is not None and len(i):
        keep = np.asarray(pair_filter(i, j), dtype=bool)
        i, j, cf = i[keep], j[keep], cf[keep]
    cf = cf.astype(np.float64)
    if weighting == "cf":
        weight = cf
    elif weighting == "js":
        cells_s = _cell_counts(sb, index, cell)
        cells_t = _cell_counts(tb, index, cell)
        weight = cf / (cells_s[i] + cells_t[j] - cf)
    elif weighting == "cd":
        meets = mbr_pairs_intersect(sb[i], tb[j])
        weight = np.zeros(len(i))
        # only pairs whose MBRs meet can be links; the others keep weight 0 (and need no vertices)
        weight[meets] = reach_weight(source, target, i[meets], j[meets]) + 1e-12
    else:
        pad = cell * 1e-6
        a = _padded_bounds(sb[i], pad)
        b = _padded_bounds(tb[j], pad)
        w = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
        h = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
        smaller = np.minimum((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]), (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
        weight = (w * h) / smaller
    order = np.lexsort((j, i, -cf, -weight))
    return i[order], j[order], weight[order]


def _cooccurrences(source: np.ndarray, target: np.ndarray, sb: np.ndarray, tb: np.ndarray, candidates: str,
                   cell_size: float | None) -> tuple[GridIndex, float, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The equigrid over the smaller side and the ``(source, target, shared cells)`` candidates of ``candidates``."""
    if candidates not in CANDIDATE_SETS:
        raise InputError(f"unknown candidate set {candidates!r}; choose from {', '.join(CANDIDATE_SETS)}")
    cell = cell_size or tune_cell_size(sb, tb)
    indexed_is_source = len(source) <= len(target)
    index = GridIndex(source if indexed_is_source else target, cell_size=cell)
    q, t, cf = index.cooccurrences(target if indexed_is_source else source)
    i, j = (t, q) if indexed_is_source else (q, t)
    if candidates == "mbr":
        meets = mbr_pairs_intersect(sb[i], tb[j])
        i, j, cf = i[meets], j[meets], cf[meets]
    return index, cell, (i, j, cf)


def count_candidates(
    source: Sequence[shapely.Geometry] | np.ndarray,
    target: Sequence[shapely.Geometry] | np.ndarray,
    *,
    cell_size: float | None = None,
) -> dict[str, int]:
    """The number of candidate comparisons of each of :data:`CANDIDATE_SETS` (the base of a fractional budget).

    >>> import shapely
    >>> count_candidates(shapely.box([0], [0], [2], [2]), shapely.box([1, 2.5], [1, 0], [3, 3], [3, 1]))
    {'mbr': 1, 'grid': 2}
    """
    src = _as_geometries(source, "source")
    tgt = _as_geometries(target, "target")
    if len(src) == 0 or len(tgt) == 0:
        return {name: 0 for name in CANDIDATE_SETS}
    sb, tb = shapely.bounds(src), shapely.bounds(tgt)
    _, _, (i, j, _) = _cooccurrences(src, tgt, sb, tb, "grid", cell_size)
    return {"mbr": int(np.count_nonzero(mbr_pairs_intersect(sb[i], tb[j]))), "grid": len(i)}


def _cell_counts(bounds: np.ndarray, index: GridIndex, cell: float) -> np.ndarray:
    x0 = np.floor((bounds[:, 0] - index.origin[0]) / cell)
    y0 = np.floor((bounds[:, 1] - index.origin[1]) / cell)
    x1 = np.floor((bounds[:, 2] - index.origin[0]) / cell)
    y1 = np.floor((bounds[:, 3] - index.origin[1]) / cell)
    return (x1 - x0 + 1) * (y1 - y0 + 1)


def progressive_links(
    source: Sequence[shapely.Geometry] | np.ndarray,
    target: Sequence[shapely.Geometry] | np.ndarray,
    *,
    budget: float | int,
    relations: Iterable[str] = RELATIONS,
    weighting: str = "cd",
    candidates: str = "mbr",
    cell_size: float | None = None,
    pair_filter: PairFilter | None = None,
) -> LinkSet:
    """The links found by verifying only the ``budget`` best-weighted candidate pairs.

    ``candidates`` of the result is the number of all candidate comparisons, ``verified``
    the number spent. A budget of ``1.0`` gives exactly :func:`~eolink.interlink.discovery.discover_links`.

    Examples
    --------
    >>> import shapely
    >>> a = shapely.box([0, 10], [0, 10], [2, 12], [2, 12]); b = shapely.box([1], [1], [3], [3])
    >>> links = progressive_links(a, b, budget=1, relations=["sfOverlaps"])
    >>> links.as_set(), links.verified
    ({(0, 0, 'sfOverlaps')}, 1)
    """
    wanted = check_relations(relations)
    src = _as_geometries(source, "source")
    tgt = _as_geometries(target, "target")
    if len(src) == 0 or len(tgt) == 0:
        return LinkSet.empty()
    i, j, _ = ranked_candidates(src, tgt, weighting=weighting, candidates=candidates, cell_size=cell_size,
                                pair_filter=pair_filter)
    k = budget_size(budget, len(i)) if len(i) else 0
    shapely.prepare(src)
    found = verify_pairs(src, tgt, i[:k], j[:k], wanted, prepared="source")
    out = LinkSet.concat([found])
    out.candidates, out.verified = len(i), k
    return out


def recall_curve(
    source: Sequence[shapely.Geometry] | np.ndarray,
    target: Sequence[shapely.Geometry] | np.ndarray,
    *,
    fractions: Iterable[float | int] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0),
    relations: Iterable[str] = RELATIONS,
    weighting: str = "cd",
    candidates: str = "mbr",
    cell_size: float | None = None,
    pair_filter: PairFilter | None = None,
) -> list[CurvePoint]:
    """Recall against the exhaustive link set as the budget grows over ``fractions`` of the candidates.

    Each candidate is verified once, in ranked order; the links of the first ``k`` pairs
    are what a run with budget ``k`` finds. A budget is read as by :func:`budget_size`
    (an ``int`` is a number of comparisons). Recall is 1.0 when there are no links.
    """
    wanted = check_relations(relations)
    src = _as_geometries(source, "source")
    tgt = _as_geometries(target, "target")
    if len(src) == 0 or len(tgt) == 0:
        return [CurvePoint(0, float(f), 0, 1.0) for f in fractions]
    i, j, _ = ranked_candidates(src, tgt, weighting=weighting, candidates=candidates, cell_size=cell_size,
                                pair_filter=pair_filter)
    shapely.prepare(src)
    links = verify_pairs(src, tgt, i, j, wanted, prepared="source")
    # position of each link's pair in the ranked order, then links found within the first k pairs
    key = i * np.int64(len(tgt)) + j
    order = np.argsort(key)
    link_key = links.source * np.int64(len(tgt)) + links.target
    positions = order[np.searchsorted(key[order], link_key)]
    found_by = np.bincount(positions, minlength=len(i)).cumsum() if len(i) else np.zeros(0, dtype=np.int64)
    total = len(links)
    out = []
    for fraction in fractions:
        k = budget_size(fraction, len(i)) if len(i) else 0
        n = int(found_by[k - 1]) if k else 0
        share = float(fraction) if isinstance(fraction, (float, np.floating)) else (k / len(i) if len(i) else 1.0)
        out.append(CurvePoint(k, share, n, n / total if total else 1.0))
    return out
