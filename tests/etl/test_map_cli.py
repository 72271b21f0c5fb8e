"""`eolink map` and `eolink mapping draft`, run as the user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rdflib
import shapely
from shapely.geometry import box

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "rml-legacy" / "test-cases"
GEO = rdflib.Namespace("http://www.opengis.net/ont/geosparql#")
XSD = rdflib.XSD


def eolink(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "eolink", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd)


def _dataset(text: str) -> set:
    ds = rdflib.Dataset()
    ds.parse(data=text, format="nquads")
    return {(s, p, o, None if g == ds.default_context.identifier else g) for s, p, o, g in ds.quads()}


@pytest.mark.skipif(not CASES.is_dir(), reason="RML conformance cases not found beside the checkout")
@pytest.mark.parametrize("case", ["RMLTC0009a-CSV", "RMLTC0006a-JSON", "RMLTC0008b-XML", "RMLTC0007c-CSV"])
def test_map_conformance_cases(tmp_path, case):
    folder = CASES / case
    out = tmp_path / "out.nq"
    # run from elsewhere: relative sources resolve against the mapping's folder
    result = eolink("map", "--mapping", str(folder / "mapping.ttl"), "--output", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _dataset(out.read_text()) == _dataset((folder / "output.nq").read_text())


@pytest.mark.skipif(not CASES.is_dir(), reason="RML conformance cases not found beside the checkout")
def test_map_nt_drops_graphs(tmp_path):
    out = tmp_path / "out.nt"
    result = eolink("map", "--mapping", str(CASES / "RMLTC0007c-CSV" / "mapping.ttl"), "--output", str(out))
    assert result.returncode == 0, result.stderr
    graph = rdflib.Graph().parse(out, format="nt")  # parses as N-Triples: no graph terms left
    expected = {(s, p, o) for s, p, o, _ in _dataset((CASES / "RMLTC0007c-CSV" / "output.nq").read_text())}
    assert set(graph) == expected


def test_map_errors_leave_no_output(tmp_path):
    (tmp_path / "t.csv").write_text("id,name\n1,a\n")
    mapping = tmp_path / "m.ttl"
    mapping.write_text("""@prefix rml: <http://w3id.org/rml/> .
<#People> rml:logicalSource [ rml:source "t.csv" ; rml:referenceFormulation rml:CSV ];
  rml:subjectMap [ rml:template "http://ex.org/{id}" ];
  rml:predicateObjectMap [ rml:predicate <http://ex.org/n>; rml:objectMap [ rml:reference "nmae" ] ] .
""")
    out = tmp_path / "out.nt"
    result = eolink("map", "--mapping", str(mapping), "--output", str(out))
    assert result.returncode == 1
    assert "TriplesMap <#People>" in result.stderr and "'nmae'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "out.nt.part").exists()
    mapping.write_text("<#X> <http://w3id.org/rml/logicalSource> [ ] ; <http://w3id.org/rml/subjectMap> [ ] .")
    result = eolink("map", "--mapping", str(mapping), "--output", str(out))
    assert result.returncode == 1 and "<#X>" in result.stderr
    result = eolink("map", "--mapping", str(tmp_path / "missing.ttl"), "--output", str(out))
    assert result.returncode == 1 and "does not exist" in result.stderr


def test_map_ctrl_c_removes_partial_output(tmp_path):
    n = 400_000
    pd.DataFrame({"id": np.arange(n), "name": np.arange(n).astype(str)}).to_csv(tmp_path / "big.csv", index=False)
    mapping = tmp_path / "m.ttl"
    mapping.write_text("""@prefix rml: <http://w3id.org/rml/> .
<#T> rml:logicalSource [ rml:source "big.csv" ; rml:referenceFormulation rml:CSV ];
  rml:subjectMap [ rml:template "http://ex.org/{id}" ];
  rml:predicateObjectMap [ rml:predicate <http://ex.org/n>; rml:objectMap [ rml:reference "name" ] ] .
""")
    out = tmp_path / "out.nt"
    proc = subprocess.Popen([sys.executable, "-m", "eolink", "map", "--mapping", str(mapping), "--output", str(out),
                             "--chunk-rows", "2000"], stderr=subprocess.PIPE, text=True)
    part = tmp_path / "out.nt.part"
    deadline = time.monotonic() + 120
    while not (part.exists() and part.stat().st_size > 0) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert not out.exists() and not part.exists()


def test_map_shipped_mapping_on_a_file_source(tmp_path):
    """A shipped mapping whose sources are files (not the pipeline's in-memory tables)."""
    from eolink.mappings import mapping_path

    text = mapping_path("crop-type-map").read_text()
    rng = np.random.default_rng(5)
    n = 30
    frame = gpd.GeoDataFrame({"class_code": rng.integers(1, 5, n), "pixel_count": rng.integers(1, 90, n),
                              "area_m2": rng.random(n) * 1000, "product_id": "demo"},
                             geometry=[box(500000 + i * 20, 6700000, 500010 + i * 20, 6700010) for i in range(n)],
                             crs=32635)
    frame.to_file(tmp_path / "fields.gpkg")
    from datetime import datetime, timezone

    from eolink.etl.table import ProductRecord

    row = ProductRecord(product_id="demo", product_type="crop-type-map", title="Demo", crs_epsg=32635,
                        time_start=datetime(2024, 6, 1, tzinfo=timezone.utc), scenes=["S2A_X"]).as_row()
    (tmp_path / "product.json").write_text(json.dumps([row]))
    text = text.replace(':FeatureSource rml:source "features" ; rml:referenceFormulation rml:CSV .',
                        ':FeatureSource rml:source "fields.gpkg" .')
    text = text.replace(':ProductSource rml:source "product" ; rml:referenceFormulation rml:CSV .',
                        ':ProductSource rml:source "product.json" ; rml:referenceFormulation rml:JSONPath ; '
                        'rml:iterator "$[*]" .')
    mapping = tmp_path / "crop.rml.ttl"
    mapping.write_text(text)
    out = tmp_path / "out.nq"
    result = eolink("map", "--mapping", str(mapping), "--output", str(out), cwd=Path("/"))
    assert result.returncode == 0, result.stderr
    ds = rdflib.Dataset()
    ds.parse(out, format="nquads")
    wkts = [o for o in ds.quads((None, GEO.asWKT, None, None))]
    assert len(wkts) == n
    geoms = {}
    for s, _, o, _ in wkts:
        lexical = str(o[2] if isinstance(o, tuple) else o)
        assert lexical.startswith("<http://www.opengis.net/def/crs/EPSG/0/32635> ")
        geoms[str(s).rsplit("/", 1)[1]] = shapely.from_wkt(lexical.split("> ", 1)[1])
    for i in range(n):
        assert shapely.equals(geoms[str(i)], frame.geometry.iloc[i])
    product = rdflib.URIRef("https://w3id.org/eolink/resource/product/demo")
    in_product = rdflib.URIRef("https://w3id.org/eolink/ontology#inProduct")
    assert len(list(ds.quads((None, in_product, product, product)))) == n  # every feature, in the product graph
    assert len(list(ds.quads((product, None, None, product)))) > 3


# -- mapping draft --------------------------------------------------------------------------

def _sample(n: int = 12) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(11)
    return gpd.GeoDataFrame(
        {"name": [f"f{i}" for i in range(n)], "count": rng.integers(0, 50, n), "ratio": rng.random(n),
         "flag": rng.random(n) > 0.5},
        geometry=[box(24 + i * 0.01, 60, 24.005 + i * 0.01, 60.005) for i in range(n)], crs=4326)


def _write(frame: gpd.GeoDataFrame, path: Path) -> None:
    suffix = path.suffix
    if suffix == ".shp" or suffix in (".gpkg", ".geojson", ".fgb"):
        frame.to_file(path)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".kml":
        frame.to_file(path, driver="KML")
    elif suffix == ".gml":
        frame.to_file(path, driver="GML")
    elif suffix == ".csv":
        pd.DataFrame(frame.drop(columns="geometry")).assign(WKT=frame.geometry.to_wkt()).to_csv(path, index=False)


@pytest.mark.parametrize("suffix", [".shp", ".gpkg", ".geojson", ".fgb", ".parquet", ".csv", ".kml", ".gml"])
def test_draft_then_map_gives_valid_geosparql(tmp_path, suffix):
    frame = _sample()
    data = tmp_path / "data"
    data.mkdir()
    source = data / f"zones{suffix}"
    _write(frame, source)
    mapping = tmp_path / "mappings" / "zones.rml.ttl"
    result = eolink("mapping", "draft", str(source), "--output", str(mapping))
    if suffix == ".csv":  # a WKT CSV has no CRS: the draft must say so, not guess
        assert result.returncode == 1 and "coordinate reference system" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out.nt"
    result = eolink("map", "--mapping", str(mapping), "--output", str(out), cwd=Path("/"))
    assert result.returncode == 0, result.stderr
    graph = rdflib.Graph().parse(out, format="nt")
    features = sorted(graph.subjects(rdflib.RDF.type, GEO.Feature), key=lambda s: int(str(s).rsplit("/", 1)[1]))
    assert len(features) == len(frame)  # one feature per row
    by_name = {name: k for k, name in enumerate(frame["name"])}
    seen = set()
    for feature in features:
        props = {str(p).rsplit("#", 1)[-1].lower(): o for p, o in graph.predicate_objects(feature)}
        row = by_name[str(props["name"])]  # FlatGeobuf's spatial index reorders rows: match by attribute
        seen.add(row)
        geometry = graph.value(feature, GEO.hasGeometry)
        assert (geometry, rdflib.RDF.type, GEO.Geometry) in graph
        literal = graph.value(geometry, GEO.asWKT)
        assert literal.datatype == GEO.wktLiteral
        text = str(literal)
        assert not text.startswith("<")  # EPSG:4326 lon/lat output is CRS84: no CRS IRI
        # tolerance: GeoJSON/KML/GML store decimal text, written by GDAL with ~15 significant digits
        got, want = shapely.normalize(shapely.from_wkt(text)), shapely.normalize(frame.geometry.iloc[row])
        assert shapely.equals_exact(got, want, tolerance=1e-9)
        count = props["count"]
        assert count.datatype == XSD.integer and int(count) == int(frame["count"].iloc[row])
        assert abs(float(props["ratio"]) - frame["ratio"].iloc[row]) < 1e-9
    assert seen == set(range(len(frame)))


def test_draft_projected_crs_and_options(tmp_path):
    frame = _sample(3).to_crs(32635)
    source = tmp_path / "p.gpkg"
    frame.to_file(source, layer="parcels")
    frame.iloc[:1].to_file(source, layer="roads")
    # to stdout: the source path is written relative to the working directory
    result = eolink("mapping", "draft", str(source), "--class", "http://ex.org/Parcel", "--base",
                    "http://ex.org/data/", "--layer", "parcels", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "<http://ex.org/Parcel>" in text and "http://ex.org/data/parcels/{id}" in text and "roads" not in text
    (tmp_path / "m.ttl").write_text(text)
    out = tmp_path / "o.nt"
    assert eolink("map", "--mapping", str(tmp_path / "m.ttl"), "--output", str(out)).returncode == 0
    graph = rdflib.Graph().parse(out, format="nt")
    literals = [str(o) for o in graph.objects(None, GEO.asWKT)]
    assert len(literals) == 3
    assert all(t.startswith("<http://www.opengis.net/def/crs/EPSG/0/32635> ") for t in literals)
    both = eolink("mapping", "draft", str(source))
    assert both.returncode == 0 and ":Parcels a rml:TriplesMap" in both.stdout and ":Roads a rml:TriplesMap" in both.stdout


def test_draft_bad_input(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    result = eolink("mapping", "draft", str(bad))
    assert result.returncode == 1 and "bad.geojson" in result.stderr and "PNG" in result.stderr
