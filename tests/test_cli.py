"""The `eolink` command: ingest, query and bad input (one-line message, non-zero exit, store unchanged)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from eolink.stores import open_store


def eolink(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "eolink", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from eolink.samples import write_demo_world

    return write_demo_world(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, world):
    data_dir = tmp_path_factory.mktemp("cli-store")
    result = eolink("ingest", str(world.change_mask), str(world.ice_chart), "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    return data_dir


def snapshot(data_dir):
    with open_store(data_dir / "store") as store:
        return {(g.iri, g.triples) for g in store.graphs()}, store.count()


def test_help_and_version():
    assert eolink("--help").returncode == 0
    assert "eolink" in eolink("--version").stdout


def test_ingest_then_query_json(loaded):
    result = eolink("query", "--data-dir", str(loaded), "--format", "json",
                    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    graphs = [b["g"]["value"] for b in data["results"]["bindings"]]
    assert sum("/product/" in g for g in graphs) == 2


def test_query_table_output(loaded):
    result = eolink("query", "--data-dir", str(loaded), "SELECT ?t WHERE { GRAPH ?g { ?g <http://purl.org/dc/terms/title> ?t } FILTER(CONTAINS(STR(?g), '/product/')) }")
    assert result.returncode == 0 and "2 rows" in result.stdout


def test_broken_query_is_one_line(loaded):
    result = eolink("query", "--data-dir", str(loaded), "SELEKT nonsense")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "syntax" in result.stderr.lower()


def bad_files(tmp_path, world):
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes(world.change_mask.read_bytes()[:2000])
    garbage = tmp_path / "garbage.shp"
    garbage.write_bytes(b"this is not a shapefile at all" * 10)
    text = tmp_path / "notes.geojson"
    text.write_text("{ not json")
    return {"missing": tmp_path / "missing.tif", "empty": empty, "truncated": truncated, "garbage": garbage, "text": text}


@pytest.mark.parametrize("case", ["missing", "empty", "truncated", "garbage", "text"])
def test_bad_input_exits_non_zero_names_the_file_and_changes_nothing(tmp_path, loaded, world, case):
    before = snapshot(loaded)
    path = bad_files(tmp_path, world)[case]
    # a good file next to the bad one must not be loaded either (all or nothing)
    result = eolink("ingest", str(world.crop_map), str(path), "--data-dir", str(loaded))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert path.name in lines[0]
    assert snapshot(loaded) == before
