"""Time-aware filtering equals a datetime comparison done pair by pair."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from eolink.errors import InputError
from eolink.interlink import discover_links
from eolink.interlink.temporal import interval_gap_days, require_times, within_days_filter
from tests.interlink.brute import brute_force, random_geometries

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def test_within_days_equals_pairwise_datetimes():
    rng = np.random.default_rng(8)
    starts = [datetime(2021, 6, 1, tzinfo=timezone.utc) + timedelta(hours=int(h)) for h in rng.integers(0, 24 * 60, 40)]
    spans = [timedelta(hours=int(h)) for h in rng.integers(0, 72, 40)]
    times = np.array([[(s - EPOCH).total_seconds(), (s + d - EPOCH).total_seconds()] for s, d in zip(starts, spans)])
    times[3] = np.nan  # unknown time: never linked
    a, b = times[:20], times[20:]
    keep = within_days_filter(a, b, 5)
    ii, jj = np.meshgrid(np.arange(20), np.arange(20), indexing="ij")
    got = keep(ii.ravel(), jj.ravel())
    expected = []
    for i, j in zip(ii.ravel(), jj.ravel()):
        if i == 3:
            expected.append(False)
            continue
        s1, e1, s2, e2 = starts[i], starts[i] + spans[i], starts[20 + j], starts[20 + j] + spans[20 + j]
        gap = max(timedelta(0), s2 - e1, s1 - e2)
        expected.append(gap <= timedelta(days=5))
    assert got.tolist() == expected


def test_time_filter_inside_discovery():
    rng = np.random.default_rng(9)
    a, b = random_geometries(rng, 20), random_geometries(rng, 20)
    ta = np.column_stack([np.arange(len(a)) * 86_400.0] * 2)
    tb = np.column_stack([np.arange(len(b)) * 86_400.0] * 2)
    links = discover_links(a, b, pair_filter=within_days_filter(ta, tb, 2))
    assert links.as_set() == {(i, j, r) for i, j, r in brute_force(a, b) if abs(i - j) <= 2}


def test_errors():
    with pytest.raises(InputError):
        require_times(np.full((3, 2), np.nan), "scenes")
    with pytest.raises(InputError):
        require_times(None, "scenes")
    with pytest.raises(InputError):
        within_days_filter(np.zeros((1, 2)), np.zeros((1, 2)), -1)
    assert interval_gap_days(np.array([[0.0, 10.0]]), np.array([[5.0, 6.0]])).tolist() == [0.0]
