"""Spatial store benchmark: eolink vs pyoxigraph alone vs PostGIS vs shapely's STRtree.

Generated Voronoi parcels in UTM 33N (EPSG:32633), stored as CRS84 WKT literals,
plus small change polygons (1 per 100 parcels). For each size:

* bulk load (eolink: parse + spatial index + feature view + atomic graph swap, until
  ``load(..., count=False)`` returns (counting the graph afterwards is a separate scan,
  pyoxigraph's ``bulk_load`` does not count either) — a compaction may go on in the background and is reported on its own
  line; queries are timed after it; pyoxigraph: its own ``bulk_load``; PostGIS: COPY +
  GiST index + ANALYZE; STRtree: build),
* window selection (median over windows of about 1 km²),
* parcel × change-polygon intersection join,
* within-distance (200 m around a point) selection.

Every workload's answer is checked against STRtree + shapely (the independent
reference) before its time counts. pyoxigraph alone scans and parses every
literal per query, so it runs on few windows and no join above 10 k parcels.

Run: ``python -m benchmarks.store [--sizes 10000,100000] [--windows 50] [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyoxigraph as ox
import pyproj
import shapely

from eolink.stores import open_store

GEO = "http://www.opengis.net/ont/geosparql#"
PREFIXES = f"""PREFIX geo: <{GEO}>
PREFIX geof: <http://www.opengis.net/def/function/geosparql/>
PREFIX uom: <http://www.opengis.net/def/uom/OGC/1.0/>
PREFIX ex: <http://example.org/>
"""
ORIGIN = (500_000.0, 6_650_000.0)  # UTM 33N, southern Sweden / Baltic
PARCEL_SIZE_M = 100.0


@dataclass
class Dataset:
    parcels: np.ndarray  # CRS84 shapely polygons
    changes: np.ndarray
    windows: list[shapely.Polygon]
    points: list[shapely.Point]

    def ntriples(self) -> str:
        parts = []
        for prefix, kind, geoms in (("p", "Parcel", self.parcels), ("c", "Change", self.changes)):
            ids = np.arange(len(geoms)).astype(str).astype(object)
            wkt = shapely.to_wkt(geoms, rounding_precision=9)
            subject = "<http://example.org/" + prefix + ids + ">"
            geom = "<http://example.org/" + prefix + "g" + ids + ">"
            lines = (
                subject + f" <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/{kind}> .\n"
                + subject + f" <{GEO}hasGeometry> " + geom + " .\n"
                + geom + f' <{GEO}asWKT> "' + wkt.astype(object) + f'"^^<{GEO}wktLiteral> .\n'
            )
            parts.append("".join(lines.tolist()))
        return "".join(parts)


def generate(n: int, *, windows: int, seed: int = 42) -> Dataset:
    rng = np.random.default_rng(seed)
    side = np.sqrt(n) * PARCEL_SIZE_M
    pts = rng.random((n, 2)) * side + ORIGIN
    extent = shapely.box(ORIGIN[0], ORIGIN[1], ORIGIN[0] + side, ORIGIN[1] + side)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=extent))
    cells = shapely.intersection(cells, extent)
    cells = cells[~shapely.is_empty(cells)][:n]
    centres = rng.random((max(n // 100, 1), 2)) * side + ORIGIN
    changes = shapely.buffer(shapely.points(centres), rng.uniform(20, 120, len(centres)), quad_segs=4)
    to84 = pyproj.Transformer.from_crs("EPSG:32633", "OGC:CRS84", always_xy=True)

    def project(geoms: np.ndarray) -> np.ndarray:
        return shapely.transform(geoms, lambda c: np.column_stack(to84.transform(c[:, 0], c[:, 1])))

    window_side = 1000.0
    corners = rng.random((windows, 2)) * (side - window_side) + ORIGIN
    boxes = shapely.box(corners[:, 0], corners[:, 1], corners[:, 0] + window_side, corners[:, 1] + window_side)
    points = shapely.points(rng.random((windows, 2)) * side + ORIGIN)
    return Dataset(project(cells), project(changes), list(project(boxes)), list(project(points)))


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


@dataclass
class Row:
    workload: str
    times: dict[str, float] = field(default_factory=dict)


def wkt_literal(geom: shapely.Geometry) -> str:
    return f'"{shapely.to_wkt(geom, rounding_precision=9)}"^^geo:wktLiteral'


def ids_of(result, prefix: str) -> set[int]:
    return {int(row[0].value.rsplit(prefix, 1)[1]) for row in result.rows}


class EolinkSide:
    name = "eolink"

    def __init__(self, data: Dataset, text: str, directory: str) -> None:
        self.store = open_store(directory)
        # count=False: like pyoxigraph's bulk_load, the load does not count the graph afterwards
        self.load_s, _ = timed(lambda: self.store.load("http://example.org/parcels", text, count=False))
        # the load returns complete and durable; a compaction may follow in the background.
        # Queries are timed after it, in the steady state (reported separately).
        self.compaction_s, _ = timed(getattr(self.store, "wait_for_compaction", lambda: None))

    def window(self, box: shapely.Polygon) -> set[int]:
        q = PREFIXES + f"SELECT ?f WHERE {{ ?f a ex:Parcel ; geo:hasGeometry ?g . ?g geo:asWKT ?w . FILTER(geof:sfIntersects(?w, {wkt_literal(box)})) }}"
        return ids_of(self.store.query(q), "/p")

    def within(self, point: shapely.Point, metres: float) -> set[int]:
        q = PREFIXES + f"SELECT ?f WHERE {{ ?f a ex:Parcel ; geo:hasGeometry ?g . ?g geo:asWKT ?w . FILTER(geof:distance(?w, {wkt_literal(point)}, uom:metre) <= {metres}) }}"
        return ids_of(self.store.query(q), "/p")

    def join(self) -> set[tuple[int, int]]:
        q = PREFIXES + """SELECT ?p ?c WHERE { ?p a ex:Parcel ; geo:hasGeometry/geo:asWKT ?wp .
            ?c a ex:Change ; geo:hasGeometry/geo:asWKT ?wc . FILTER(geof:sfIntersects(?wp, ?wc)) }"""
        rows = self.store.query(q).rows
        return {(int(p.value.rsplit("/p", 1)[1]), int(c.value.rsplit("/c", 1)[1])) for p, c in rows}

    def close(self) -> None:
        self.store.close()


class OxigraphSide:
    """pyoxigraph alone: its bulk loader and its built-in (unindexed) geof:sfIntersects."""

    name = "pyoxigraph"

    def __init__(self, data: Dataset, text: str, directory: str) -> None:
        self.store = ox.Store(directory)
        self.load_s, _ = timed(lambda: self.store.bulk_load(text.encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("http://example.org/parcels")))

    def window(self, box: shapely.Polygon) -> set[int]:
        q = PREFIXES + f"SELECT ?f WHERE {{ ?f a ex:Parcel ; geo:hasGeometry ?g . ?g geo:asWKT ?w . FILTER(geof:sfIntersects(?w, {wkt_literal(box)})) }}"
        return {int(s["f"].value.rsplit("/p", 1)[1]) for s in self.store.query(q, use_default_graph_as_union=True)}

    def join(self) -> set[tuple[int, int]]:
        q = PREFIXES + """SELECT ?p ?c WHERE { ?p a ex:Parcel ; geo:hasGeometry/geo:asWKT ?wp .
            ?c a ex:Change ; geo:hasGeometry/geo:asWKT ?wc . FILTER(geof:sfIntersects(?wp, ?wc)) }"""
        return {(int(s["p"].value.rsplit("/p", 1)[1]), int(s["c"].value.rsplit("/c", 1)[1])) for s in self.store.query(q, use_default_graph_as_union=True)}

    def close(self) -> None:
        del self.store


class PostGISSide:
    name = "PostGIS"

    def __init__(self, data: Dataset, pg) -> None:  # noqa: ANN001 - eolink.testing.postgis.PostGIS
        import psycopg

        self.conn = psycopg.connect(pg.dsn, autocommit=True)

        def load() -> None:
            with self.conn.cursor() as cur:
                cur.execute("CREATE TABLE parcels (id int PRIMARY KEY, geom geometry(Geometry, 4326))")
                cur.execute("CREATE TABLE changes (id int PRIMARY KEY, geom geometry(Geometry, 4326))")
                for table, geoms in (("parcels", data.parcels), ("changes", data.changes)):
                    ewkb = shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True)
                    with cur.copy(f"COPY {table} (id, geom) FROM STDIN") as copy:
                        for i, value in enumerate(ewkb.tolist()):  # COPY rows are written one by one
                            copy.write_row((i, value))
                    cur.execute(f"CREATE INDEX ON {table} USING GIST (geom)")
                    cur.execute(f"ANALYZE {table}")

        self.load_s, _ = timed(load)

    def window(self, box: shapely.Polygon) -> set[int]:
        rows = self.conn.execute("SELECT id FROM parcels WHERE ST_Intersects(geom, ST_GeomFromText(%s, 4326))", (box.wkt,)).fetchall()
        return {r[0] for r in rows}

    def within(self, point: shapely.Point, metres: float) -> set[int]:
        rows = self.conn.execute(
            "SELECT id FROM parcels WHERE ST_DWithin(geom::geography, ST_GeomFromText(%s, 4326)::geography, %s, false)"
            " AND geom && ST_Expand(ST_GeomFromText(%s, 4326), %s)",
            (point.wkt, metres, point.wkt, metres / 50_000.0),
        ).fetchall()
        return {r[0] for r in rows}

    def join(self) -> set[tuple[int, int]]:
        rows = self.conn.execute("SELECT p.id, c.id FROM parcels p JOIN changes c ON ST_Intersects(p.geom, c.geom)").fetchall()
        return {(a, b) for a, b in rows}

    def close(self) -> None:
        self.conn.close()


class STRtreeSide:
    """The in-memory lower bound: shapely's STRtree with GEOS predicates, no RDF, no SQL."""

    name = "STRtree"

    def __init__(self, data: Dataset) -> None:
        self.data = data
        self.load_s, self.tree = timed(lambda: shapely.STRtree(data.parcels))
        self.geod = pyproj.Geod(ellps="WGS84")

    def window(self, box: shapely.Polygon) -> set[int]:
        return set(self.tree.query(box, predicate="intersects").tolist())

    def within(self, point: shapely.Point, metres: float) -> set[int]:
        """Parcels within ``metres`` of ``point``: distance in an azimuthal equidistant projection centred on it."""
        hits, _ = self.within_with_margin(point, metres)
        return hits

    def within_with_margin(self, point: shapely.Point, metres: float, margin: float = 1.0) -> tuple[set[int], set[int]]:
        """(hits, parcels whose distance is within ``margin`` metres of the threshold — models may differ there)."""
        pad = metres / 50_000.0
        cand = self.tree.query(shapely.box(point.x - pad, point.y - pad, point.x + pad, point.y + pad))
        aeqd = pyproj.Transformer.from_crs("OGC:CRS84", f"+proj=aeqd +lat_0={point.y} +lon_0={point.x} +datum=WGS84", always_xy=True)
        local = shapely.transform(self.data.parcels[cand], lambda c: np.column_stack(aeqd.transform(c[:, 0], c[:, 1])))
        d = shapely.distance(local, shapely.Point(0, 0))
        return set(cand[d <= metres].tolist()), set(cand[np.abs(d - metres) <= margin].tolist())

    def join(self) -> set[tuple[int, int]]:
        c, p = self.tree.query(self.data.changes, predicate="intersects")
        return set(zip(p.tolist(), c.tolist()))

    def close(self) -> None:
        pass


def median_time(fn: Callable[[shapely.Geometry], set], inputs: list, reference: list[set] | None) -> tuple[float, list[set]]:
    times, answers = [], []
    for k, item in enumerate(inputs):
        seconds, answer = timed(lambda: fn(item))
        if reference is not None and answer != reference[k]:
            raise AssertionError(f"{getattr(fn, '__qualname__', fn)} disagrees with the reference on input {k}: {len(answer)} vs {len(reference[k])}")
        times.append(seconds)
        answers.append(answer)
    return statistics.median(times), answers


def check_within(name: str, answers: list[set], reference: list[tuple[set, set]]) -> None:
    """Distance answers equal the reference except for parcels within 1 m of the threshold (geodesic models differ there)."""
    for k, (answer, (hits, margin)) in enumerate(zip(answers, reference)):
        if (answer - margin) != (hits - margin):
            raise AssertionError(f"{name} within-distance disagrees with the reference on point {k}: {len(answer)} vs {len(hits)}")


def run_size(n: int, windows: int, oxigraph_windows: int, with_postgis: bool) -> list[Row]:
    import tempfile

    print(f"\n== {n:,} parcels ==", flush=True)
    t, data = timed(lambda: generate(n, windows=windows))
    text = data.ntriples()
    print(f"generated {len(data.parcels):,} parcels, {len(data.changes):,} change polygons, {len(text) / 1e6:.0f} MB N-Triples in {t:.1f}s", flush=True)
    ref = STRtreeSide(data)
    rows = {name: Row(name) for name in ("load", "window (median)", "within 200 m (median)", "join")}
    rows["load"].times["STRtree"] = ref.load_s
    ref_windows = [ref.window(b) for b in data.windows]
    ref_within = [ref.within_with_margin(p, 200.0) for p in data.points]
    rows["window (median)"].times["STRtree"], _ = median_time(ref.window, data.windows, None)
    rows["within 200 m (median)"].times["STRtree"], _ = median_time(lambda p: ref.within(p, 200.0), data.points, None)
    rows["join"].times["STRtree"], ref_join = timed(ref.join)

    with tempfile.TemporaryDirectory() as tmp:
        eol = EolinkSide(data, text, f"{tmp}/eolink")
        rows["load"].times["eolink"] = eol.load_s
        print(f"eolink load returned after {eol.load_s:.1f}s; its background compaction ended {eol.compaction_s:.1f}s later", flush=True)
        eol.window(data.windows[0])  # first query warms the literal cache
        rows["window (median)"].times["eolink"], _ = median_time(eol.window, data.windows, ref_windows)
        rows["within 200 m (median)"].times["eolink"], answers = median_time(lambda p: eol.within(p, 200.0), data.points, None)
        check_within("eolink", answers, ref_within)
        rows["join"].times["eolink"], answer = timed(eol.join)
        assert answer == ref_join, f"eolink join: {len(answer)} vs {len(ref_join)}"
        eol.close()

        oxi = OxigraphSide(data, text, f"{tmp}/oxigraph")
        rows["load"].times["pyoxigraph"] = oxi.load_s
        k = min(oxigraph_windows, windows)
        rows["window (median)"].times["pyoxigraph"], _ = median_time(oxi.window, data.windows[:k], ref_windows[:k])
        if n <= 10_000:
            rows["join"].times["pyoxigraph"], answer = timed(oxi.join)
            assert answer == ref_join, f"pyoxigraph join: {len(answer)} vs {len(ref_join)}"
        oxi.close()

    if with_postgis:
        from eolink.testing.postgis import temporary_postgis

        with temporary_postgis() as pg:
            pgs = PostGISSide(data, pg)
            rows["load"].times["PostGIS"] = pgs.load_s
            pgs.window(data.windows[0])
            rows["window (median)"].times["PostGIS"], _ = median_time(pgs.window, data.windows, ref_windows)
            rows["within 200 m (median)"].times["PostGIS"], answers = median_time(lambda p: pgs.within(p, 200.0), data.points, None)
            check_within("PostGIS", answers, ref_within)
            rows["join"].times["PostGIS"], answer = timed(pgs.join)
            assert answer == ref_join, f"PostGIS join: {len(answer)} vs {len(ref_join)}"
            pgs.close()
    return list(rows.values())


def report(n: int, rows: list[Row]) -> dict[str, float]:
    peers = ["eolink", "pyoxigraph", "PostGIS", "STRtree"]
    print(f"{'workload':<24}" + "".join(f"{p:>14}" for p in peers) + f"{'eolink/PostGIS':>16}{'pyoxigraph/eolink':>19}")
    ratios: dict[str, float] = {}
    for row in rows:
        cells = "".join(f"{row.times[p] * 1000:>12.2f}ms" if p in row.times else f"{'—':>14}" for p in peers)
        e = row.times.get("eolink")
        vs_pg = f"{e / row.times['PostGIS']:>15.2f}x" if e and "PostGIS" in row.times else f"{'—':>16}"
        vs_ox = f"{row.times['pyoxigraph'] / e:>18.1f}x" if e and "pyoxigraph" in row.times else f"{'—':>19}"
        print(f"{row.workload:<24}{cells}{vs_pg}{vs_ox}")
        if e and "PostGIS" in row.times:
            ratios[f"{row.workload} eolink/PostGIS"] = e / row.times["PostGIS"]
        if e and "pyoxigraph" in row.times:
            ratios[f"{row.workload} pyoxigraph/eolink"] = row.times["pyoxigraph"] / e
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated parcel counts (e.g. 10000,100000,1000000)")
    parser.add_argument("--windows", type=int, default=50, help="windows (and distance points) per size")
    parser.add_argument("--oxigraph-windows", type=int, default=5, help="windows for pyoxigraph alone (it scans every literal)")
    parser.add_argument("--no-postgis", action="store_true", help="skip PostGIS")
    parser.add_argument("--quick", action="store_true", help="10 k parcels, 10 windows")
    args = parser.parse_args(argv)
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    windows = 10 if args.quick else args.windows
    from eolink.testing.postgis import postgis_available

    with_postgis = not args.no_postgis and postgis_available()
    if not with_postgis:
        print("PostGIS not available: its column stays empty", file=sys.stderr)
    summary = []
    for n in sizes:
        rows = run_size(n, windows, args.oxigraph_windows, with_postgis)
        ratios = report(n, rows)
        window = ratios.get("window (median) eolink/PostGIS")
        join = ratios.get("join eolink/PostGIS")
        speedup = ratios.get("window (median) pyoxigraph/eolink")
        load = next(r for r in rows if r.workload == "load")
        load_ratio = load.times["eolink"] / load.times["pyoxigraph"]
        summary.append(
            f"{n:,}: window {window:.2f}x PostGIS, join {join:.2f}x PostGIS, {speedup:.0f}x faster than pyoxigraph, load {load_ratio:.2f}x pyoxigraph"
            if window and join and speedup
            else f"{n:,}: window {speedup or 0:.0f}x faster than pyoxigraph, load {load_ratio:.2f}x pyoxigraph"
        )
    print("\nsummary: " + "; ".join(summary) + " (all answers equal to the STRtree reference)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
