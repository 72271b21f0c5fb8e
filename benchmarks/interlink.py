"""Interlinking benchmark: eolink vs pyJedAI's spatial module vs the STRtree / geopandas ``sjoin`` bound.

Run as ``python -m benchmarks.interlink`` (10 k × 100 k generated polygons plus the
demo world), ``--quick`` (2 k × 20 k), ``--large`` (adds 100 k × 1 M). Data are
generated with fixed seeds (:mod:`eolink.interlink.synthetic`).

Peers, all in this one run:

* **pyJedAI 0.3.6** (``pyjedai.spatial``: equigrid filtering, MBR-weighted
  initialisation, DE-9IM verification), installed by this benchmark into its own
  virtualenv (``--pyjedai-venv``, default ``~/.cache/eolink-benchmarks/pyjedai``) with
  ``pip install --no-deps pyjedai==0.3.6`` plus shapely, pandas, numpy, nltk,
  ordered-set, tqdm, and run in a subprocess on the same geometries (as WKT; parsing
  is not timed for either side). Its indexed source must be MultiPolygon, so the
  smaller side is handed over as one-part MultiPolygons (relations are unchanged).
  Its budget is set above the number of candidates, so it is exhaustive.
* **shapely STRtree** bulk ``query(predicate="intersects")`` and **geopandas**
  ``sjoin`` — the lower bound for intersects-only linking.

Link sets are checked for identity. pyJedAI's ``crosses`` ignores the geometries'
dimensions (wrong for polygon pairs) and its ``covers``/``coveredBy`` are the OGC
predicates, not GeoSPARQL's Egenhofer ``ehCovers``/``ehCoveredBy``; those three are
excluded from the comparison, which covers intersects, within, contains, equals,
touches and overlaps.

Goals printed with the ratios: ≥ 10× faster than pyJedAI for all relations; within
1.5× of the STRtree bound for intersects only; progressive ≥ 0.9 recall at 20 % of
the comparisons.

"Comparisons" are read as JedAI-spatial counts them: its progressive GIA.nt queues, and
its batch GIA.nt verifies, only the equigrid co-occurrences whose MBRs intersect
(``validCandidate``) — pyJedAI's exhaustive run reports the same number as its verified
pairs, printed next to eolink's candidate count. The earlier reading, a fraction of *all*
co-occurrences of eolink's equigrid, is printed too. Each comes with the recall an oracle
(linked pairs first, most links first) reaches within the same budget: when a case has
fewer than five comparisons per linked pair, no order can reach 0.9 at 20 %.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

from eolink.interlink import discover_links
from eolink.interlink.progressive import count_candidates, recall_curve
from eolink.interlink.synthetic import random_polygons

__all__ = ["main"]

COMPARED = ("sfIntersects", "sfWithin", "sfContains", "sfEquals", "sfTouches", "sfOverlaps")
PYJEDAI_NAMES = {
    "sfIntersects": "intersects", "sfWithin": "within", "sfContains": "contains", "sfEquals": "equals",
    "sfTouches": "touches", "sfOverlaps": "overlaps", "sfCrosses": "crosses",
}

_PYJEDAI_RUNNER = r'''
import csv, io, json, sys, time
import numpy as np
from pyjedai.datamodel import SpatialData
from pyjedai.spatial.filtering import StandardSpatialFiltering
from pyjedai.spatial.initialization import StandardSpatialInitialization
from pyjedai.spatial.verification import StandardSpatialVerification

folder = sys.argv[1]
csv.field_size_limit(2**31 - 1)
with open(folder + "/source.tsv") as s, open(folder + "/target.tsv") as t:
    data = SpatialData(csv.reader(s, delimiter="\t"), "\t", csv.reader(t, delimiter="\t"), "\t")
start = time.perf_counter()
index, theta_x, theta_y = StandardSpatialFiltering().process(data)
queue = StandardSpatialInitialization(budget=10**12, wScheme="MBR").process(data, index, theta_x, theta_y)
verification = StandardSpatialVerification(q_pairs=0)
verification.process(data, queue)
seconds = time.perf_counter() - start
r = verification.relations
out = {"seconds": seconds, "verified": r.verifiedPairs}
for name in ("intersects", "within", "contains", "equals", "touches", "overlaps", "crosses"):
    out[name] = np.column_stack([getattr(r, name + "D1"), getattr(r, name + "D2")]).astype(int).tolist() \
        if getattr(r, name + "D1") else []
json.dump(out, open(folder + "/result.json", "w"))
'''


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def _fresh(a: np.ndarray) -> np.ndarray:
    """A copy with new geometry objects: no prepared-geometry cache carries over between contenders."""
    return np.asarray(shapely.from_wkb(shapely.to_wkb(a)), dtype=object)


def _best(fn, small: np.ndarray, large: np.ndarray, **kwargs):
    """(result, seconds): the best of 5 runs (3 when a run takes over 1 s, 1 over 10 s) on fresh copies.

    The minimum is the least disturbed by other processes on a shared machine.
    """
    best, value = float("inf"), None
    for attempt in range(5):
        a, b = _fresh(small), _fresh(large)
        value, seconds = _timed(fn, a, b, **kwargs)
        best = min(best, seconds)
        if seconds > 10 or (seconds > 1 and attempt >= 2):
            break
    return value, best


def ensure_pyjedai(venv: Path) -> Path | None:
    """The python of a virtualenv holding pyJedAI's spatial module (created on first use)."""
    python = venv / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", "import pyjedai.spatial.verification"],
                                          capture_output=True).returncode == 0:
        return python
    print(f"installing pyJedAI 0.3.6 into {venv} …", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "--no-deps", "pyjedai==0.3.6"], check=True)
        subprocess.run([*pip, "shapely>=2", "pandas", "numpy", "nltk", "ordered-set", "tqdm"], check=True)
    except (subprocess.CalledProcessError, OSError) as err:
        print(f"pyJedAI could not be installed ({err}); its column is skipped")
        return None
    return python


def run_pyjedai(python: Path, source: np.ndarray, target: np.ndarray, timeout: float) -> dict | None:
    """pyJedAI's exhaustive spatial pipeline on ``source`` (indexed) × ``target``; None on failure."""
    with tempfile.TemporaryDirectory() as folder:
        if not (shapely.get_type_id(source) == 3).all():
            print("  pyJedAI needs polygons on its indexed side; skipped")
            return None
        multi = shapely.multipolygons(source, indices=np.arange(len(source)))
        Path(folder, "source.tsv").write_text("\n".join(shapely.to_wkt(multi, rounding_precision=-1)) + "\n")
        Path(folder, "target.tsv").write_text("\n".join(shapely.to_wkt(target, rounding_precision=-1)) + "\n")
        Path(folder, "run.py").write_text(_PYJEDAI_RUNNER)
        try:
            done = subprocess.run([str(python), str(Path(folder, "run.py")), folder], capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"  pyJedAI did not finish within {timeout:.0f} s")
            return None
        if done.returncode != 0:
            print("  pyJedAI failed:", done.stderr.strip().splitlines()[-1:] or done.returncode)
            return None
        return json.loads(Path(folder, "result.json").read_text())


def as_pairs(links, relation: str) -> set[tuple[int, int]]:
    mask = links.relation == relation
    return set(zip(links.source[mask].tolist(), links.target[mask].tolist()))


def oracle_recall(links, budget: int) -> float:
    """The largest share of ``links`` any order finds within ``budget`` verified pairs: the pairs with most links first."""
    if len(links) == 0:
        return 1.0
    _, per_pair = np.unique(links.source * np.int64(links.target.max() + 1) + links.target, return_counts=True)
    best = np.sort(per_pair)[::-1].cumsum()
    return float(best[min(budget, len(best)) - 1] / len(links)) if budget else 0.0


def bench_case(name: str, small: np.ndarray, large: np.ndarray, *, pyjedai: Path | None, timeout: float,
               progressive: bool = True, generated: bool = True) -> dict:
    """One source pair: every method, timings, ratios and identity checks."""
    print(f"\n== {name}: {len(small):,} × {len(large):,} features")
    out: dict = {"case": name}
    small = np.asarray(small, dtype=object)
    large = np.asarray(large, dtype=object)
    links, t_all = _best(discover_links, small, large)
    _, t_grid = _best(discover_links, small, large, index="grid")
    print(f"eolink all relations (STRtree)   {t_all:8.3f} s  {len(links):,} links, {links.verified:,} pairs verified")
    print(f"eolink all relations (equigrid)  {t_grid:8.3f} s")
    out.update(eolink_all=t_all, eolink_grid=t_grid, links=len(links))
    inter, t_int = _best(discover_links, small, large, relations=["sfIntersects"])
    (qi, ti), t_tree = _best(lambda a, b: shapely.STRtree(a).query(b, predicate="intersects"), small, large)
    tree_pairs = set(zip(ti.tolist(), qi.tolist()))
    import geopandas as gpd

    joined, t_sjoin = _best(lambda a, b: gpd.sjoin(gpd.GeoDataFrame(geometry=a), gpd.GeoDataFrame(geometry=b),
                                                   predicate="intersects", how="inner"), small, large)
    sjoin_pairs = set(zip(joined.index.tolist(), joined["index_right"].tolist()))
    ours = as_pairs(inter, "sfIntersects")
    same = ours == tree_pairs == sjoin_pairs == as_pairs(links, "sfIntersects")
    print(f"eolink intersects only           {t_int:8.3f} s  {len(ours):,} pairs")
    print(f"shapely STRtree bulk query       {t_tree:8.3f} s  -> eolink / STRtree = {t_int / t_tree:.2f}× (goal ≤ 1.5×)")
    print(f"geopandas sjoin (incl. frames)   {t_sjoin:8.3f} s  -> eolink / sjoin   = {t_int / t_sjoin:.2f}×")
    print(f"intersects link sets identical (eolink, STRtree, sjoin): {same}")
    out.update(eolink_intersects=t_int, strtree=t_tree, sjoin=t_sjoin, intersects_identical=same,
               bound_ratio=t_int / t_tree, generated=generated)
    if progressive:
        counts = count_candidates(small, large)
        grid_budget = int(np.ceil(0.2 * counts["grid"]))
        curve, t_curve = _timed(recall_curve, _fresh(small), _fresh(large), fractions=[0.05, 0.1, 0.2, 0.5, 1.0, grid_budget])
        text = "  ".join(f"{p.fraction:.0%}:{p.recall:.3f}" for p in curve[:-1])
        mbr20, grid20 = curve[2], curve[-1]
        print(f"progressive recall by budget     {text}  ({counts['mbr']:,} comparisons; curve {t_curve:.2f} s)")
        print(f"  recall at 20 % of JedAI-spatial's comparisons (co-occurring pairs whose MBRs intersect, "
              f"{counts['mbr']:,}): {mbr20.recall:.3f} (goal ≥ 0.9; an oracle reaches {oracle_recall(links, mbr20.comparisons):.3f})")
        print(f"  recall at 20 % of all equigrid co-occurrences (eolink's cell, {counts['grid']:,}; earlier reading): "
              f"{grid20.recall:.3f} (an oracle reaches {oracle_recall(links, grid20.comparisons):.3f})")
        out.update(recall20=mbr20.recall, recall20_ceiling=oracle_recall(links, mbr20.comparisons),
                   recall20_grid=grid20.recall, recall20_grid_ceiling=oracle_recall(links, grid20.comparisons),
                   comparisons=counts["mbr"])
    if pyjedai is not None:
        result = run_pyjedai(pyjedai, small, large, timeout)
        if result is not None:
            t_pj = result["seconds"]
            mismatches = {}
            dims_s, dims_t = shapely.get_dimensions(small), shapely.get_dimensions(large)
            for rel in COMPARED:
                theirs = {tuple(p) for p in result[PYJEDAI_NAMES[rel]]}
                if rel == "sfOverlaps":  # pyJedAI's overlaps ignores dimensions too: compare same-dimension pairs
                    theirs = {(i, j) for i, j in theirs if dims_s[i] == dims_t[j]}
                mine = as_pairs(links, rel)
                if theirs != mine:
                    mismatches[rel] = (len(mine - theirs), len(theirs - mine))
            crosses_theirs = len(result["crosses"])
            print(f"pyJedAI all relations            {t_pj:8.2f} s  {result['verified']:,} pairs verified "
                  f"(eolink's candidates: {links.candidates:,}) -> pyJedAI / eolink = {t_pj / t_all:.1f}× (goal ≥ 10×)")
            print(f"  link sets identical on {', '.join(COMPARED)}: {not mismatches}"
                  + (f" (differences eolink-only/pyJedAI-only: {mismatches})" if mismatches else ""))
            print(f"  excluded: crosses (pyJedAI {crosses_theirs:,} vs eolink {links.count('sfCrosses'):,}: its pattern "
                  "ignores dimensions), covers/coveredBy (OGC, not Egenhofer); overlaps compared on same-dimension pairs")
            out.update(pyjedai=t_pj, speedup=t_pj / t_all, pyjedai_identical=not mismatches)
    return out


def demo_sources(directory: Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The demo world's products as geometry arrays in EPSG:32635 (OSM repaired where invalid)."""
    from eolink.etl.readers import read_product
    from eolink.samples import write_demo_world

    world = write_demo_world(directory)

    def geoms(path):
        frame = read_product(path).features.to_crs("EPSG:32635")
        g = np.asarray(frame.geometry.values, dtype=object)
        bad = ~shapely.is_valid(g)
        g[bad] = shapely.make_valid(g[bad])
        return g

    osm, change, crop = geoms(world.osm), geoms(world.change_mask), geoms(world.crop_map)
    return [("demo world: change areas × OSM (points, lines, polygons)", change, osm),
            ("demo world: crop fields × change areas", change, crop)]


def demo_like(n_small: int, n_large: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Demo-world-like generated sources: change-area-sized polygons × building-sized polygons, roads and POIs."""
    from eolink.interlink.synthetic import random_points

    extent = float(np.sqrt(n_large) * 60.0)
    small = random_polygons(n_small, seed=seed, extent=extent, size=60.0, vertices=10)
    n_poly, n_line = n_large // 2, n_large // 4
    buildings = random_polygons(n_poly, seed=seed + 1, extent=extent, size=12.0, vertices=6)
    rng = np.random.default_rng(seed + 2)
    starts = rng.random((n_line, 2)) * extent + np.array([380_000.0, 6_670_000.0])
    ends = starts + (rng.random((n_line, 2)) - 0.5) * 120.0
    roads = shapely.linestrings(np.stack([starts, (starts + ends) / 2 + rng.normal(0, 5, (n_line, 2)), ends], axis=1))
    pois = random_points(n_large - n_poly - n_line, seed=seed + 3, extent=extent)
    return small, np.concatenate([buildings, roads, pois])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.interlink", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 k × 20 k instead of 10 k × 100 k")
    parser.add_argument("--large", action="store_true", help="also 100 k × 1 M")
    parser.add_argument("--no-pyjedai", action="store_true", help="skip pyJedAI")
    parser.add_argument("--pyjedai-venv", type=Path, default=Path.home() / ".cache" / "eolink-benchmarks" / "pyjedai")
    parser.add_argument("--pyjedai-timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)
    pyjedai = None if args.no_pyjedai else ensure_pyjedai(args.pyjedai_venv)
    sizes = [(2_000, 20_000)] if args.quick else [(10_000, 100_000)]
    if args.large:
        sizes.append((100_000, 1_000_000))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, small, large in demo_sources(Path(tmp)):
            results.append(bench_case(label, small, large, pyjedai=pyjedai, timeout=args.pyjedai_timeout, generated=False))
    for n_small, n_large in sizes:
        extent = float(np.sqrt(n_large) * 60.0)
        small = random_polygons(n_small, seed=1, extent=extent, size=40.0)
        large = random_polygons(n_large, seed=2, extent=extent, size=25.0)
        results.append(bench_case(f"generated polygons {n_small:,} × {n_large:,}", small, large, pyjedai=pyjedai,
                                  timeout=args.pyjedai_timeout))
        small, large = demo_like(n_small, n_large, seed=3)
        results.append(bench_case(f"demo-world-like {n_small:,} × {n_large:,} (polygons × polygons, lines, points)",
                                  small, large, pyjedai=pyjedai, timeout=args.pyjedai_timeout))
    # goals are about bulk linking: the generated cases (the demo world's products are a few hundred features,
    # timed in milliseconds, and printed above)
    generated = [r for r in results if r["generated"]]
    speedups = [r["speedup"] for r in generated if "speedup" in r]
    bounds = [r["bound_ratio"] for r in generated]
    recalls = [r["recall20"] for r in generated if "recall20" in r]
    ceilings = [r["recall20_ceiling"] for r in generated if "recall20" in r]
    recalls_grid = [r["recall20_grid"] for r in generated if "recall20" in r]
    ceilings_grid = [r["recall20_grid_ceiling"] for r in generated if "recall20" in r]
    identical = all(r["intersects_identical"] for r in results) and all(r.get("pyjedai_identical", True) for r in results)
    big = generated[-2]
    summary = (
        f"SUMMARY interlink: largest generated case {big['case'].split(' ', 2)[-1]}: eolink all relations {big['eolink_all']:.2f} s"
        + (f", pyJedAI {big['pyjedai']:.2f} s ({big['speedup']:.0f}×)" if "speedup" in big else "")
        + f"; speedup over pyJedAI min {min(speedups):.0f}× (goal ≥10×)" * bool(speedups)
        + f"; intersects-only / STRtree max {max(bounds):.2f}× (goal ≤1.5×)"
        + f"; progressive recall@20% of JedAI-spatial's comparisons {', '.join(f'{r:.2f}' for r in recalls)} (goal ≥0.9; "
        + f"oracle ceiling {', '.join(f'{c:.2f}' for c in ceilings)})"
        + f"; of all equigrid co-occurrences {', '.join(f'{r:.2f}' for r in recalls_grid)} (oracle ceiling "
        + f"{', '.join(f'{c:.2f}' for c in ceilings_grid)})"
        + f"; link sets identical: {identical}"
    )
    print("\n" + summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
