"""RML transformation throughput: eolink vs morph-kgc vs a lower bound, on the same mapping and data.

Data: N OSM-like features (fixed seed) in one CSV — osm id, type (node/way),
feature type, name and a WKT geometry (points for nodes, small polygons for
ways). Mapping: legacy RML (``rml:``/``rr:``/``ql:``, which every engine reads),
8 triples per feature — ``a geo:Feature``, osm id (xsd:integer), osm type,
label, feature-type concept IRI, ``geo:hasGeometry``, and the geometry's
``a geo:Geometry`` and ``geo:asWKT``.

Engines, each in its own process (peak memory = that process's max RSS):

* **eolink** — ``eolink map --mapping … --output out.nt`` (chunked reading, streaming output);
* **morph-kgc** — installed by this script into ``.bench-venv/morph-kgc`` with pip
  (it pins ``pyoxigraph<0.4``, so never into the project's venv), run as
  ``python -m morph_kgc config.ini`` with N-Triples output;
* **lower bound** — ``pyogrio.read_arrow`` of the CSV (no geometry parsing) plus the
  same N-Triples lines built with plain ``pyarrow.compute`` string concatenation.

Bounded memory shows as eolink's peak on a quarter of the data next to its peak on all
of it. Outputs are checked: the eolink and lower-bound files must hold the same set of
lines; morph-kgc's line count must match. Printed: time, triples/s, ratios
(goal: eolink ≥ 5× morph-kgc, within 2× of the lower bound) and peak memory;
the last line is a one-line summary.

Run ``python -m benchmarks.transform`` (1,000,000 features) or ``--quick`` (100,000);
``--features N`` for any size, ``--skip-morph`` to leave morph-kgc out.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main", "generate", "MAPPING"]

ROOT = Path(__file__).resolve().parents[1]
MORPH_VENV = ROOT / ".bench-venv" / "morph-kgc"
SEED = 20240611
TRIPLES_PER_FEATURE = 8
#: Rows per chunk for eolink (the same in both eolink runs, so that peak memories compare).
CHUNK_ROWS = 50_000

MAPPING = """@prefix rr: <http://www.w3.org/ns/r2rml#> .
@prefix rml: <http://semweb.mmlab.be/ns/rml#> .
@prefix ql: <http://semweb.mmlab.be/ns/ql#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix eol: <https://w3id.org/eolink/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<http://bench.eolink/Feature> a rr:TriplesMap ;
  rml:logicalSource [ rml:source "SOURCE" ; rml:referenceFormulation ql:CSV ] ;
  rr:subjectMap [ rr:template "https://www.openstreetmap.org/{osm_type}/{osm_id}" ; rr:class geo:Feature ] ;
  rr:predicateObjectMap [ rr:predicate eol:osmId ; rr:objectMap [ rml:reference "osm_id" ; rr:datatype xsd:integer ] ] ;
  rr:predicateObjectMap [ rr:predicate eol:osmType ; rr:objectMap [ rml:reference "osm_type" ] ] ;
  rr:predicateObjectMap [ rr:predicate rdfs:label ; rr:objectMap [ rml:reference "name" ] ] ;
  rr:predicateObjectMap [ rr:predicate eol:featureType ;
      rr:objectMap [ rr:template "https://w3id.org/eolink/codelist/osm-feature-type/{feature_type}" ] ] ;
  rr:predicateObjectMap [ rr:predicate geo:hasGeometry ;
      rr:objectMap [ rr:template "https://w3id.org/eolink/resource/geometry/bench/{osm_type}{osm_id}" ] ] .

<http://bench.eolink/Geometry> a rr:TriplesMap ;
  rml:logicalSource [ rml:source "SOURCE" ; rml:referenceFormulation ql:CSV ] ;
  rr:subjectMap [ rr:template "https://w3id.org/eolink/resource/geometry/bench/{osm_type}{osm_id}" ;
                  rr:class geo:Geometry ] ;
  rr:predicateObjectMap [ rr:predicate geo:asWKT ; rr:objectMap [ rml:reference "wkt" ; rr:datatype geo:wktLiteral ] ] .
"""

_FEATURE_TYPES = ["school", "hospital", "bus_stop", "restaurant", "park", "building", "parking", "pharmacy",
                  "supermarket", "library", "church", "fuel"]


def generate(path: Path, n: int, *, seed: int = SEED) -> None:
    """Write ``n`` OSM-like features to the CSV ``path`` (vectorised, in blocks of 200,000 rows)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    block = 200_000
    with pacsv.CSVWriter(path, pa.schema([("osm_id", pa.int64()), ("osm_type", pa.string()),
                                          ("feature_type", pa.string()), ("name", pa.string()),
                                          ("wkt", pa.string())])) as writer:
        for start in range(0, n, block):
            m = min(block, n - start)
            ids = np.arange(start + 1, start + m + 1, dtype=np.int64) * 7
            is_way = rng.random(m) < 0.4
            x = np.round(24.5 + rng.random(m) * 0.8, 6)
            y = np.round(60.0 + rng.random(m) * 0.4, 6)
            d = np.round(0.0001 + rng.random(m) * 0.0005, 6)
            fx, fy = pa.array(x).cast(pa.string()), pa.array(y).cast(pa.string())
            x2, y2 = pa.array(np.round(x + d, 6)).cast(pa.string()), pa.array(np.round(y + d, 6)).cast(pa.string())
            point = pc.binary_join_element_wise("POINT (", fx, " ", fy, ")", "")
            poly = pc.binary_join_element_wise("POLYGON ((", fx, " ", fy, ", ", x2, " ", fy, ", ", x2, " ", y2, ", ",
                                               fx, " ", y2, ", ", fx, " ", fy, "))", "")
            types = pa.array(np.asarray(_FEATURE_TYPES)[rng.integers(0, len(_FEATURE_TYPES), m)])
            names = pc.binary_join_element_wise(types, " \"", pa.array(ids).cast(pa.string()), "\"", "")
            writer.write_table(pa.table({
                "osm_id": ids, "osm_type": pa.array(np.where(is_way, "way", "node")), "feature_type": types,
                "name": names, "wkt": pc.if_else(pa.array(is_way), poly, point)}))


def _run(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``cmd``; return (seconds, peak RSS in MiB of the process, from wait4)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr_file = proc.stderr
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    err = stderr_file.read().decode(errors="replace") if stderr_file else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} … failed ({proc.returncode}):\n{err[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def ensure_morph_kgc() -> Path:
    """The python of a virtualenv with morph-kgc (created with pip on first use)."""
    python = MORPH_VENV / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", "import morph_kgc"], capture_output=True).returncode == 0:
        return python
    print(f"installing morph-kgc into {MORPH_VENV} …", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(MORPH_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "morph-kgc"], check=True)
    return python


def lower_bound(source: Path, output: Path) -> None:
    """Read the CSV with pyogrio and write the mapping's N-Triples with plain pyarrow concatenation."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyogrio

    _, table = pyogrio.read_arrow(source)
    geo = "http://www.opengis.net/ont/geosparql#"
    eol = "https://w3id.org/eolink/ontology#"
    with output.open("wb") as fh:
        for batch in table.to_batches(max_chunksize=250_000):
            osm_id = batch.column("osm_id").cast("string")
            osm_type = batch.column("osm_type")
            subject = pc.binary_join_element_wise("<https://www.openstreetmap.org/", osm_type, "/", osm_id, ">", "")
            geom = pc.binary_join_element_wise("<https://w3id.org/eolink/resource/geometry/bench/", osm_type,
                                               osm_id, ">", "")

            def literal(col):  # noqa: ANN001, ANN202 - N-Triples escaping of \ and "
                return pc.replace_substring(pc.replace_substring(col, "\\", "\\\\"), '"', '\\"')

            lines = [
                pc.binary_join_element_wise(subject, f" <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{geo}Feature> .\n", ""),
                pc.binary_join_element_wise(subject, f' <{eol}osmId> "', osm_id,
                                            '"^^<http://www.w3.org/2001/XMLSchema#integer> .\n', ""),
                pc.binary_join_element_wise(subject, f' <{eol}osmType> "', osm_type, '" .\n', ""),
                pc.binary_join_element_wise(subject, ' <http://www.w3.org/2000/01/rdf-schema#label> "',
                                            literal(batch.column("name")), '" .\n', ""),
                pc.binary_join_element_wise(subject, f" <{eol}featureType> <https://w3id.org/eolink/codelist/osm-feature-type/",
                                            batch.column("feature_type"), "> .\n", ""),
                pc.binary_join_element_wise(subject, f" <{geo}hasGeometry> ", geom, " .\n", ""),
                pc.binary_join_element_wise(geom, f" <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{geo}Geometry> .\n", ""),
                pc.binary_join_element_wise(geom, f' <{geo}asWKT> "', literal(batch.column("wkt")),
                                            f'"^^<{geo}wktLiteral> .\n', ""),
            ]
            for arr in lines:  # the concatenated strings are the array's data buffer: write it as is
                arr = arr.combine_chunks() if hasattr(arr, "combine_chunks") else arr
                _, offsets, data = arr.buffers()
                bounds = np.frombuffer(offsets, dtype=np.int32)[arr.offset: arr.offset + len(arr) + 1]
                fh.write(data.slice(int(bounds[0]), int(bounds[-1]) - int(bounds[0])).to_pybytes())


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))


def _same_lines(a: Path, b: Path) -> bool:
    """Whether two N-Triples files hold the same set of lines (sorted with the system sort, bounded memory)."""
    env = {**os.environ, "LC_ALL": "C"}
    sa = subprocess.run(["sort", "-u", "-S", "25%", str(a)], capture_output=True, env=env, check=True).stdout
    sb = subprocess.run(["sort", "-u", "-S", "25%", str(b)], capture_output=True, env=env, check=True).stdout
    return sa == sb


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transform", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 features instead of 1,000,000")
    parser.add_argument("--features", type=int, default=None, help="number of features")
    parser.add_argument("--skip-morph", action="store_true", help="leave morph-kgc out")
    parser.add_argument("--lower-bound-worker", nargs=2, metavar=("CSV", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.lower_bound_worker:
        lower_bound(Path(args.lower_bound_worker[0]), Path(args.lower_bound_worker[1]))
        return 0
    n = args.features or (100_000 if args.quick else 1_000_000)
    work = Path(tempfile.mkdtemp(prefix="eolink-bench-transform-"))
    try:
        source = work / "osm.csv"
        t0 = time.perf_counter()
        generate(source, n)
        print(f"data: {n:,} OSM-like features, {source.stat().st_size / 2**20:.0f} MiB CSV "
              f"(seed {SEED}, {time.perf_counter() - t0:.1f} s to generate)")
        mapping = work / "mapping.ttl"
        mapping.write_text(MAPPING.replace("SOURCE", str(source)))
        expected = n * TRIPLES_PER_FEATURE
        results: dict[str, tuple[float, float, int]] = {}

        out = work / "eolink.nt"
        seconds, peak = _run([sys.executable, "-m", "eolink", "map", "--mapping", str(mapping), "--output", str(out),
                              "--quiet", "--chunk-rows", str(CHUNK_ROWS)])
        results["eolink"] = (seconds, peak, _count_lines(out))

        # bounded memory: the same run on a quarter of the data (still several chunks) peaks about as high
        small_n = max(1, n // 4)
        small = work / "osm-quarter.csv"
        generate(small, small_n)
        small_mapping = work / "mapping-quarter.ttl"
        small_mapping.write_text(MAPPING.replace("SOURCE", str(small)))
        _, small_peak = _run([sys.executable, "-m", "eolink", "map", "--mapping", str(small_mapping), "--output",
                              str(work / "quarter.nt"), "--quiet", "--chunk-rows", str(CHUNK_ROWS)])
        small.unlink()
        (work / "quarter.nt").unlink()

        bound = work / "bound.nt"
        seconds, peak = _run([sys.executable, "-m", "benchmarks.transform", "--lower-bound-worker", str(source),
                              str(bound)], cwd=ROOT)
        results["lower bound"] = (seconds, peak, _count_lines(bound))
        same = _same_lines(out, bound)

        if not args.skip_morph:
            python = ensure_morph_kgc()
            config = work / "morph.ini"
            morph_out = work / "morph.nt"
            config.write_text(f"[CONFIGURATION]\noutput_file={morph_out}\noutput_format=N-TRIPLES\n\n"
                              f"[DataSource1]\nmappings={mapping}\n")
            seconds, peak = _run([str(python), "-m", "morph_kgc", str(config)], cwd=work)
            results["morph-kgc"] = (seconds, peak, _count_lines(morph_out))

        print(f"{'engine':<12} {'seconds':>9} {'triples':>12} {'triples/s':>12} {'peak MiB':>9}")
        for name, (seconds, peak, lines) in results.items():
            print(f"{name:<12} {seconds:>9.2f} {lines:>12,} {lines / seconds:>12,.0f} {peak:>9.0f}")
        ok = all(lines == expected for _, _, lines in results.values()) and same
        print(f"outputs: {expected:,} triples expected; eolink and lower bound hold the same lines: {same}")
        rate = {k: v[2] / v[0] for k, v in results.items()}
        vs_bound = rate["eolink"] / rate["lower bound"]
        summary = [f"eolink {rate['eolink']:,.0f} triples/s", f"{vs_bound:.2f}x the lower bound (goal >= 0.5x)"]
        print(f"ratio eolink / lower bound: {vs_bound:.2f}  (goal ≥ 0.5: within 2×)")
        if "morph-kgc" in rate:
            vs_morph = rate["eolink"] / rate["morph-kgc"]
            print(f"ratio eolink / morph-kgc:   {vs_morph:.2f}  (goal ≥ 5)")
            summary.insert(1, f"{vs_morph:.1f}x morph-kgc (goal >= 5x)")
        print(f"memory: eolink peak {small_peak:.0f} MiB on {small_n:,} features, {results['eolink'][1]:.0f} MiB on "
              f"{n:,} (chunks of {CHUNK_ROWS:,} rows, at most workers + 1 in memory)")
        summary.append(f"peak {results['eolink'][1]:.0f} MiB (vs {small_peak:.0f} MiB on a quarter of the data)")
        summary.append("outputs OK" if ok else "OUTPUT MISMATCH")
        print(f"transform ({n:,} features): " + ", ".join(summary))
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
