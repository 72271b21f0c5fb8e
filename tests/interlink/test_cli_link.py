"""`eolink link`: files and store selectors, progressive, Dask, time-aware, same-as, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from eolink.ontology import GEO, OWL


def eolink(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "eolink", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def world(demo_dir):
    from eolink.samples import demo_world_paths

    return demo_world_paths(demo_dir)


def count(data_dir, graph: str, predicate: str) -> int:
    result = eolink("query", "--data-dir", str(data_dir), "--format", "json",
                    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?a <{predicate}> ?b }} }}")
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["results"]["bindings"][0]["n"]["value"])


def graph_of(stderr: str) -> str:
    return stderr.split(" in <", 1)[1].split(">", 1)[0]


def test_files_exhaustive_progressive_and_dask(world, tmp_path):
    data = tmp_path / "eo"
    full = eolink("link", "--source", str(world.crop_map), "--target", str(world.change_mask), "--data-dir", str(data))
    assert full.returncode == 0, full.stderr
    graph = graph_of(full.stderr)
    n = count(data, graph, GEO + "sfIntersects")
    assert n > 0 and f"sfIntersects: {n}" in full.stderr
    prog = eolink("link", "--source", str(world.crop_map), "--target", str(world.change_mask), "--relations", "sfIntersects",
                  "--progressive", "100%", "--curve", "--graph", "http://example.org/prog", "--data-dir", str(data))
    assert prog.returncode == 0, prog.stderr
    assert count(data, "http://example.org/prog", GEO + "sfIntersects") == n
    recalls = [float(line.split("\t")[2]) for line in prog.stdout.splitlines()[1:]]
    assert recalls == sorted(recalls) and recalls[-1] == 1.0
    dask = eolink("link", "--source", str(world.crop_map), "--target", str(world.change_mask), "--dask", "local",
                  "--graph", "http://example.org/dask", "--data-dir", str(data))
    assert dask.returncode == 0, dask.stderr
    assert count(data, "http://example.org/dask", GEO + "sfIntersects") == n


def test_same_as_with_ground_truth(world, tmp_path):
    import pandas as pd

    from eolink.etl.readers import read_product
    from eolink.interlink.synthetic import perturbed_copy

    osm = read_product(world.osm).features
    osm = osm[osm.geometry.is_valid & osm["name"].notna()].reset_index(drop=True)
    left = tmp_path / "left.geojson"
    right = tmp_path / "right.geojson"
    # plain GeoJSON files (no product type): IRIs from their id column
    copy = perturbed_copy(osm, seed=9)
    osm[["name", "feature_type", "geometry"]].assign(id=[f"a{k}" for k in range(len(osm))]).to_file(left)
    copy.frame[["name", "feature_type", "geometry"]].assign(id=[f"b{k}" for k in range(len(copy.frame))]).to_file(right)
    truth = tmp_path / "truth.csv"
    pd.DataFrame({"s": [f"https://w3id.org/eolink/resource/feature/left/a{a}" for a, _ in copy.truth],
                  "t": [f"https://w3id.org/eolink/resource/feature/right/b{b}" for _, b in copy.truth]}).to_csv(truth, index=False)
    data = tmp_path / "eo"
    result = eolink("link", "--same-as", "--source", str(left), "--target", str(right), "--truth", str(truth), "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    f1 = float(result.stdout.split("F1")[1])
    assert f1 >= 0.85
    assert count(data, graph_of(result.stderr), OWL + "sameAs") > 0


def test_bad_input_is_one_line_and_non_zero(world, tmp_path):
    for args in (
        ["--source", str(tmp_path / "missing.tif"), "--target", str(world.change_mask)],
        ["--source", str(world.crop_map), "--target", str(world.change_mask), "--relations", "sfNear"],
        ["--source", "graph:http://example.org/none", "--target", str(world.change_mask)],
        ["--source", str(world.crop_map), "--target", str(world.change_mask), "--progressive", "lots"],
    ):
        result = eolink("link", *args, "--data-dir", str(tmp_path / "eo"))
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("eolink: error:") and len(result.stderr.strip().splitlines()) == 1
