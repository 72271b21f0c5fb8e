"""Progressive linking: recall grows monotonically with the budget and reaches 1.0; budgets behave."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from eolink.errors import InputError
from eolink.interlink import RELATIONS, discover_links
from eolink.interlink.progressive import (budget_size, count_candidates, parse_budget, progressive_links,
                                          ranked_candidates, recall_curve)
from eolink.interlink.synthetic import random_polygons
from tests.interlink.brute import brute_force, random_geometries

FRACTIONS = [0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0]


@pytest.mark.parametrize("candidates", ["mbr", "grid"])
@pytest.mark.parametrize("weighting", ["cd", "mbr", "cf", "js"])
def test_recall_curve_is_monotone_and_complete(weighting, candidates):
    rng = np.random.default_rng(2)
    a = random_geometries(rng, 30)
    b = random_geometries(rng, 40)
    exhaustive = brute_force(a, b)
    curve = recall_curve(a, b, fractions=FRACTIONS, weighting=weighting, candidates=candidates)
    recalls = [p.recall for p in curve]
    assert recalls == sorted(recalls)
    assert curve[-1].recall == 1.0 and curve[-1].links == len(exhaustive)
    # each point is what a run with that budget finds: a subset of the exhaustive links of that size
    for point in curve[1::3]:
        found = progressive_links(a, b, budget=point.comparisons, weighting=weighting, candidates=candidates)
        assert found.verified == point.comparisons
        assert found.as_set() <= exhaustive
        assert len(found) == point.links


@pytest.mark.parametrize("weighting", ["cd", "mbr"])
def test_full_budget_equals_exhaustive_and_overlapping_boxes_come_first(weighting):
    a = random_polygons(300, seed=1, extent=2000, size=40)
    b = random_polygons(600, seed=2, extent=2000, size=25)
    assert progressive_links(a, b, budget=1.0).as_set() == discover_links(a, b).as_set()
    i, j, w = ranked_candidates(a, b, weighting=weighting)
    ba, bb = shapely.bounds(a[i]), shapely.bounds(b[j])
    meets = (ba[:, 0] <= bb[:, 2]) & (bb[:, 0] <= ba[:, 2]) & (ba[:, 1] <= bb[:, 3]) & (bb[:, 1] <= ba[:, 3])
    # every pair whose MBRs meet comes before every pair whose MBRs do not
    assert not meets[np.argmin(meets):].any() or meets.all()
    assert np.all(np.diff(w) <= 1e-12)


@pytest.mark.parametrize("candidates", ["mbr", "grid"])
def test_weighting_comes_close_to_an_oracle(candidates):
    a = random_polygons(300, seed=3, extent=2000, size=40)
    b = random_polygons(900, seed=4, extent=2000, size=25)
    linked = len(brute_force(a, b, relations={"sfIntersects"}))
    curve = recall_curve(a, b, fractions=[0.2], relations=["sfIntersects"], candidates=candidates)
    # an oracle verifies linked pairs only; an unranked order finds links in proportion to the budget (~20 %)
    oracle = min(1.0, curve[0].comparisons / linked)
    assert curve[0].recall >= 0.9 * oracle
    assert curve[0].recall > 0.25


def test_candidate_sets_and_their_counts():
    a = random_polygons(200, seed=5, extent=1500, size=40)
    b = random_polygons(500, seed=6, extent=1500, size=25)
    counts = count_candidates(a, b)
    i, j = shapely.STRtree(a).query(b)[::-1]
    assert counts["mbr"] == len(i) < counts["grid"]
    mi, mj, _ = ranked_candidates(a, b)
    gi, gj, gw = ranked_candidates(a, b, candidates="grid")
    assert set(zip(mi.tolist(), mj.tolist())) == set(zip(i.tolist(), j.tolist()))
    # the grid order is the MBR order followed by pairs whose MBRs are disjoint (weight 0)
    assert (gi[: len(mi)] == mi).all() and (gj[: len(mj)] == mj).all() and (gw[len(mi):] == 0).all()
    # an integer budget is a number of comparisons, whatever the candidate set
    assert [p.comparisons for p in recall_curve(a, b, fractions=[10, 0.5])] == [10, int(np.ceil(0.5 * len(i)))]
    with pytest.raises(InputError):
        ranked_candidates(a, b, candidates="all")


def test_budget_parsing_and_errors():
    assert parse_budget("20%") == 0.2 and parse_budget("0.2") == 0.2 and parse_budget("300") == 300
    assert budget_size(1.0, 7) == 7 and budget_size(3, 7) == 3
    for bad in (0, 0.0, 1.5, -3):
        with pytest.raises(InputError):
            budget_size(bad, 10)
    with pytest.raises(InputError):
        parse_budget("lots")
    with pytest.raises(InputError):
        ranked_candidates(random_polygons(3, seed=1), random_polygons(3, seed=2), weighting="magic")
    assert set(RELATIONS) >= {r for _, _, r in progressive_links(random_polygons(20, seed=5), random_polygons(20, seed=6), budget=5).as_set()}
