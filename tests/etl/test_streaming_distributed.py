"""Chunked (bounded-memory) and Dask runs give exactly the triples of the single-process run."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from eolink.etl.rml import execute, load_mapping
from eolink.etl.rml.streaming import execute_streaming, plan

MAPPING = """
@prefix rml: <http://w3id.org/rml/> .
@prefix eolf: <https://w3id.org/eolink/functions#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<#F> rml:logicalSource [ rml:source "roads.gpkg" ];
  rml:subjectMap [ rml:template "http://ex.org/road/{id}"; rml:class geo:Feature ];
  rml:predicateObjectMap [ rml:predicate <http://ex.org/kind>; rml:objectMap [ rml:reference "kind" ] ],
    [ rml:predicate <http://ex.org/lanes>; rml:objectMap [ rml:reference "lanes"; rml:datatype xsd:integer ] ],
    [ rml:predicate <http://ex.org/note>; rml:objectMap [ rml:parentTriplesMap <#Note> ] ],
    [ rml:predicate geo:hasGeometry; rml:objectMap [ rml:template "http://ex.org/road/{id}/g" ] ] .
<#Note> rml:logicalSource [ rml:source "roads.gpkg" ];
  rml:subjectMap [ rml:termType rml:BlankNode ];
  rml:predicateObjectMap [ rml:predicate <http://ex.org/len>; rml:objectMap [ rml:datatype xsd:double;
      rml:functionExecution [ rml:function eolf:length;
        rml:input [ rml:parameter eolf:geometry; rml:inputValueMap [ rml:reference "geometry" ] ] ] ] ] .
<#G> rml:logicalSource [ rml:source "roads.gpkg" ];
  rml:subjectMap [ rml:template "http://ex.org/road/{id}/g" ];
  rml:predicateObjectMap [ rml:predicate geo:asWKT; rml:objectMap [ rml:datatype geo:wktLiteral;
      rml:functionExecution [ rml:function eolf:asWKT;
        rml:input [ rml:parameter eolf:geometry; rml:inputValueMap [ rml:reference "geometry" ] ] ] ] ] .
<#Kinds> rml:logicalSource [ rml:source "kinds.csv"; rml:referenceFormulation rml:CSV ];
  rml:subjectMap [ rml:template "http://ex.org/kind/{kind}" ];
  rml:predicateObjectMap [ rml:predicate <http://ex.org/label>; rml:objectMap [ rml:reference "label" ] ],
    [ rml:predicate <http://ex.org/example>; rml:objectMap [ rml:parentTriplesMap <#People>;
        rml:joinCondition [ rml:child "kind"; rml:parent "kind" ] ] ] .
<#People> rml:logicalSource [ rml:source "people.csv"; rml:referenceFormulation rml:CSV ];
  rml:subjectMap [ rml:template "http://ex.org/person/{name}" ] .
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    rng = np.random.default_rng(21)
    n = 1234
    starts = rng.random((n, 2)) * 1000
    lines = shapely.linestrings(np.stack([starts, starts + rng.random((n, 2)) * 50], axis=1))
    gpd.GeoDataFrame({"kind": rng.choice(["road", "path", "track"], n), "lanes": rng.integers(1, 5, n)},
                     geometry=lines, crs=32635).to_file(folder / "roads.gpkg")
    pd.DataFrame({"kind": ["road", "path"], "label": ["Road", "Path"]}).to_csv(folder / "kinds.csv", index=False)
    pd.DataFrame({"kind": ["road", "road", "track"], "name": ["a", "b", "c"]}).to_csv(folder / "people.csv",
                                                                                    index=False)
    (folder / "m.ttl").write_text(MAPPING)
    return folder


def _lines(blocks) -> list[str]:
    return sorted(set("".join(blocks).splitlines()))


def test_plan_splits_sources(folder):
    the_plan = plan(load_mapping(folder / "m.ttl"))
    assert [s.source for s in the_plan.chunked] == ["roads.gpkg"]
    assert sorted(s.source for s in the_plan.whole) == ["kinds.csv", "people.csv"]


@pytest.mark.parametrize("chunk_rows,workers", [(1, 1), (100, 1), (100, 3), (1000, 2), (5000, 1)])
def test_streaming_equals_whole_run(folder, chunk_rows, workers):
    mapping = load_mapping(folder / "m.ttl")
    whole = _lines(execute(mapping, run_id="x"))
    assert len([line for line in whole if "asWKT" in line]) == 1234
    assert _lines(execute_streaming(mapping, chunk_rows=chunk_rows, run_id="x", workers=workers)) == whole
    if workers > 1:  # blocks keep the chunk order
        ordered = "".join(execute_streaming(mapping, chunk_rows=chunk_rows, run_id="x", workers=workers))
        assert ordered == "".join(execute_streaming(mapping, chunk_rows=chunk_rows, run_id="x"))


def test_streaming_csv_chunks(tmp_path):
    pd.DataFrame({"id": range(250), "v": [f"v{i}" for i in range(250)]}).to_csv(tmp_path / "t.csv", index=False)
    mapping = load_mapping("""@prefix rml: <http://w3id.org/rml/> .
<#T> rml:logicalSource [ rml:source "t.csv"; rml:referenceFormulation rml:CSV ];
  rml:subjectMap [ rml:termType rml:BlankNode ];
  rml:predicateObjectMap [ rml:predicate <http://ex.org/v>; rml:objectMap [ rml:reference "v" ] ] .
""", base_dir=tmp_path)
    rows = []
    got = _lines(execute_streaming(mapping, chunk_rows=33, run_id="r", on_rows=rows.append))
    assert got == _lines(execute(mapping, run_id="r")) and sum(rows) == 250 and len(got) == 250


@pytest.fixture(scope="module")
def client():
    from eolink.etl.distributed import dask_client

    with dask_client("local", workers=2) as c:
        yield c


def test_distributed_equals_single_process(folder, client):
    from eolink.etl.distributed import execute_distributed

    mapping = load_mapping(folder / "m.ttl")
    whole = _lines(execute(mapping, run_id="x"))
    got = _lines(execute_distributed(mapping, client, partition_rows=200, chunk_rows=64, run_id="x"))
    assert got == whole


def test_distributed_ingest_equals_single_process(client, tmp_path):
    from eolink.etl.pipeline import map_table
    from eolink.etl.readers import read_product
    from eolink.samples import write_demo_world

    world = write_demo_world(tmp_path)
    for path in (world.crop_map, world.ice_chart):
        table = read_product(path)
        single = map_table(table, run_id="q")
        spread = map_table(table, client=client, run_id="q", partition_rows=7)
        assert sorted(single.splitlines()) == sorted(spread.splitlines())
        assert len(table) > 7  # really several partitions


def test_map_cli_dask_local(folder, tmp_path):
    def run(*extra):
        out = tmp_path / f"out{len(extra)}.nt"
        result = subprocess.run([sys.executable, "-m", "eolink", "map", "--mapping", str(folder / "m.ttl"),
                                 "--output", str(out), "--quiet", *extra], capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr
        return [line for line in sorted(set(out.read_text().splitlines())) if not line.startswith("_:")
                and " _:" not in line]

    assert run("--dask", "local", "--partition-rows", "300") == run()


def test_ingest_cli_dask_local(tmp_path):
    from eolink.samples import write_demo_world
    from eolink.stores import open_store

    world = write_demo_world(tmp_path / "world")
    counts = []
    for extra in ((), ("--dask", "local")):
        data_dir = tmp_path / f"store{len(extra)}"
        result = subprocess.run([sys.executable, "-m", "eolink", "ingest", str(world.crop_map), str(world.ice_chart),
                                 "--data-dir", str(data_dir), *extra], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        with open_store(data_dir / "store") as store:
            counts.append(sorted((g.iri, g.triples) for g in store.graphs()))
    assert counts[0] == counts[1] and len(counts[0]) >= 2
