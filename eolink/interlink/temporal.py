"""Time-aware linking: keep only pairs whose time intervals lie within ±N days of each other.

Times are ``(n, 2)`` arrays of POSIX seconds (start, end), NaN where unknown (see
:class:`~eolink.interlink.sources.FeatureSet`). Two intervals are *within N days*
when the gap between them — zero if they overlap — is at most N days. A pair where
either side has no time is not linked in a time-aware run.

>>> import numpy as np
>>> day = 86_400.0
>>> scenes = np.array([[0.0, 0.0], [10 * day, 10 * day]])
>>> obs = np.array([[2 * day, 2 * day], [np.nan, np.nan]])
>>> keep = within_days_filter(scenes, obs, 3)
>>> keep(np.array([0, 1, 0]), np.array([0, 0, 1])).tolist()
[True, False, False]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from eolink.errors import InputError

__all__ = ["DAY_SECONDS", "interval_gap_days", "within_days_filter", "require_times"]

DAY_SECONDS = 86_400.0


def interval_gap_days(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise gap in days between intervals ``a[k]`` and ``b[k]`` (0 when they overlap, NaN when unknown).

    >>> interval_gap_days(np.array([[0.0, 86_400.0]]), np.array([[3 * 86_400.0, 4 * 86_400.0]])).tolist()
    [2.0]
    """
    gap = np.maximum(np.maximum(b[:, 0] - a[:, 1], a[:, 0] - b[:, 1]), 0.0)
    return gap / DAY_SECONDS


def require_times(times: np.ndarray | None, name: str) -> np.ndarray:
    """``times`` if at least one feature has a time; an :class:`~eolink.errors.InputError` otherwise."""
    if times is None or not np.isfinite(times[:, 0]).any():
        raise InputError(f"{name}: no feature has a time (sensing time, result time or its product's time span); "
                         "time-aware linking needs times on both sides")
    return times


def within_days_filter(
    source_times: np.ndarray, target_times: np.ndarray, days: float
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A pair filter ``(i, j) -> keep`` for :func:`~eolink.interlink.discovery.discover_links`."""
    if not days >= 0:
        raise InputError(f"--within-days must be a non-negative number of days, got {days}")
    s = np.asarray(source_times, dtype=np.float64)
    t = np.asarray(target_times, dtype=np.float64)

    def keep(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        gap = interval_gap_days(s[i], t[j])
        return np.nan_to_num(gap, nan=np.inf) <= days

    return keep
