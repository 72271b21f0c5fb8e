"""Ranking quality: nDCG@k and recall@k against graded relevance judgements.

>>> ndcg_at_k(["a", "b", "c"], {"a": 2, "c": 1}, k=10) < 1.0 == ndcg_at_k(["a", "c"], {"a": 2, "c": 1})
True
>>> recall_at_k(["x", "a"], {"a": 2, "b": 1}, k=10)
0.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["ndcg_at_k", "recall_at_k"]


def ndcg_at_k(ranked: Sequence[str], relevance: Mapping[str, int], *, k: int = 10) -> float:
    """Normalised discounted cumulative gain (gain ``2^rel - 1``, discount ``log2(rank + 1)``)."""
    if not relevance:
        return 1.0 if not ranked else 0.0
    gains = np.array([2.0 ** relevance.get(r, 0) - 1 for r in list(ranked)[:k]])
    discounts = 1 / np.log2(np.arange(2, len(gains) + 2))
    ideal = np.sort(np.array([2.0 ** g - 1 for g in relevance.values()]))[::-1][:k]
    best = float((ideal / np.log2(np.arange(2, len(ideal) + 2))).sum())
    return float((gains * discounts).sum() / best) if best > 0 else 0.0


def recall_at_k(ranked: Sequence[str], relevance: Mapping[str, int], *, k: int = 10, capped: bool = False) -> float:
    """Share of the relevant items in the first ``k`` (``capped``: out of ``min(k, relevant)``)."""
    relevant = {r for r, g in relevance.items() if g > 0}
    if not relevant:
        return 1.0
    found = len(relevant & set(list(ranked)[:k]))
    return found / (min(k, len(relevant)) if capped else len(relevant))
