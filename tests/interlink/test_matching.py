"""Entity matching on perturbed copies of the real OSM demo features (known ground truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eolink.errors import InputError
from eolink.etl.readers import read_product
from eolink.interlink import link_same_as
from eolink.interlink.matching import (
    block_candidates,
    evaluate,
    match_features,
    meta_blocking,
    pair_features,
    token_blocking,
    tokenise,
    train_matcher,
)
from eolink.interlink.sources import features_from_geodataframe
from eolink.interlink.synthetic import noisy_names, perturbed_copy
from eolink.ontology import OWL, PROV
from eolink.stores import open_store

COLUMNS = ["name", "feature_type", "tags"]


@pytest.fixture(scope="module")
def osm(demo_dir):
    from eolink.samples import demo_world_paths

    frame = read_product(demo_world_paths(demo_dir).osm).features
    return frame[frame.geometry.is_valid & frame["name"].notna()].reset_index(drop=True)


def sides(osm, seed):
    copy = perturbed_copy(osm, seed=seed)
    left = features_from_geodataframe(osm, iri_prefix="urn:osm:", value_columns=COLUMNS, name="osm")
    right = features_from_geodataframe(copy.frame, iri_prefix=f"urn:copy{seed}:", value_columns=COLUMNS, name="copy")
    truth = {(f"urn:osm:{a}", f"urn:copy{seed}:{b}") for a, b in copy.truth}
    return left, right, truth


def test_blocking_keeps_every_true_pair_and_prunes_most(osm):
    left, right, truth = sides(osm, 1)
    cand = block_candidates(left, right)
    pairs = set(zip(left.iris[cand.i].tolist(), right.iris[cand.j].tolist()))
    assert len(pairs & truth) / len(truth) >= 0.98
    assert len(cand.i) < 0.02 * len(left) * len(right) < cand.blocked


def test_threshold_matcher_quality(osm):
    left, right, truth = sides(osm, 2)
    found = match_features(left, right)
    quality = evaluate(found.pairs(left, right), truth)
    assert quality.precision >= 0.9 and quality.recall >= 0.9 and quality.f1 >= 0.9
    # unique mapping: every feature in at most one match
    assert len(set(found.i.tolist())) == len(found) == len(set(found.j.tolist()))


def test_trained_classifier_generalises_to_another_copy(osm):
    left, right, truth = sides(osm, 3)
    model = train_matcher(left, right, truth)
    left2, right2, truth2 = sides(osm, 4)
    quality = evaluate(match_features(left2, right2, model=model).pairs(left2, right2), truth2)
    assert quality.f1 >= 0.9


def test_evaluation_equals_sklearn_metrics():
    from sklearn.metrics import f1_score, precision_score, recall_score

    universe = [(a, b) for a in "abcdef" for b in "uvwxyz"]
    rng = np.random.default_rng(0)
    truth = {p for p in universe if rng.random() < 0.2}
    predicted = {p for p in universe if rng.random() < 0.25}
    y_true = [p in truth for p in universe]
    y_pred = [p in predicted for p in universe]
    got = evaluate(predicted, truth)
    assert got.precision == pytest.approx(precision_score(y_true, y_pred))
    assert got.recall == pytest.approx(recall_score(y_true, y_pred))
    assert got.f1 == pytest.approx(f1_score(y_true, y_pred))


def test_blocking_and_meta_blocking_by_hand():
    left = tokenise(pd.DataFrame({"row": [0, 1, 2], "key": ["name"] * 3, "value": ["Old Harbour", "New Bridge", "Old Mill"]}))
    right = tokenise(pd.DataFrame({"row": [0, 1], "key": ["name"] * 2, "value": ["old harbour", "bridge"]}))
    edges = token_blocking(left, right)
    assert sorted(map(tuple, edges[["i", "j", "token"]].values.tolist())) == [
        (0, 0, "harbour"), (0, 0, "old"), (1, 1, "bridge"), (2, 0, "old")]
    # ARCS: 1/1 (harbour) + 1/2 (old: 2 × 1 comparisons) for (0, 0); 1 for (1, 1); 1/2 for (2, 0)
    cand = meta_blocking(edges, weighting="arcs", pruning="none")
    assert dict(zip(zip(cand.i.tolist(), cand.j.tolist()), cand.weight.tolist())) == {(0, 0): 1.5, (1, 1): 1.0, (2, 0): 0.5}
    # WEP keeps edges at least the mean weight (1.0)
    kept = meta_blocking(edges, weighting="arcs", pruning="wep")
    assert list(zip(kept.i.tolist(), kept.j.tolist())) == [(0, 0), (1, 1)]


def test_pair_features_are_bounded_and_names_are_noisy(osm):
    left, right, _ = sides(osm, 5)
    x = pair_features(left, right, np.arange(10), np.arange(10))
    assert x.shape == (10, 4) and (x >= 0).all() and (x <= 1).all()
    names = pd.Series(["Kaartin kasarmi"] * 50)
    assert (noisy_names(names, np.random.default_rng(1)) != names).sum() > 10


def test_same_as_run_in_the_store(osm, tmp_path):
    left, right, truth = sides(osm, 6)
    store = open_store(None)
    run = link_same_as(store, left, right, truth=truth)
    n = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{run.graph}> {{ ?a <{OWL}sameAs> ?b }} }}").rows[0][0].value
    assert int(n) == run.matches > 0
    assert run.evaluation.f1 >= 0.9
    assert store.query(f"ASK {{ GRAPH <{run.graph}> {{ ?g <{PROV}wasGeneratedBy> ?a . ?a <{PROV}endedAtTime> ?t }} }}").boolean
    with pytest.raises(InputError):
        train_matcher(left, right, set())
