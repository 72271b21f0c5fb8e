"""The SPARQL endpoint under load: eolink serve vs the Oxigraph server, concurrent clients on loopback.

The same GeoFedBench-like parcels (fixed seed) are loaded into ``eolink serve`` and
into ``oxigraph serve``; for each of three queries — a cheap lookup of one parcel,
a spatial window (``geof:sfIntersects`` with a random box) and an aggregate (parcels
and mean area per crop type) — ``--clients`` concurrent clients send requests for a
fixed time. Printed per server and query: throughput, p50/p99 latency, errors; for
eolink also the resident memory of the server with its query workers before and
after the run. Full run: 3 × 20 s per server (60 s of load each); ``--quick``: 3 × 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from eolink.stores import open_store
from tests.app.conftest import start_server, stop_server
from tests.sparql.federation.conftest import start_oxigraph, stop
from tests.sparql.federation.geofedbench import EX, PREFIXES, generate

__all__ = ["main"]


def _queries(rng: random.Random, parcels: int) -> dict[str, callable]:
    def lookup() -> str:
        return f"SELECT ?p ?o WHERE {{ <{EX}parcel/{rng.randrange(parcels)}> ?p ?o }}"

    def window() -> str:
        x, y = rng.uniform(10.0, 15.7), rng.uniform(46.0, 48.7)
        box = f"POLYGON (({x} {y}, {x + 0.3} {y}, {x + 0.3} {y + 0.3}, {x} {y + 0.3}, {x} {y}))"
        return PREFIXES + f'SELECT ?p WHERE {{ ?p geo:hasGeometry ?g . ?g geo:asWKT ?w . FILTER(geof:sfIntersects(?w, "{box}"^^geo:wktLiteral)) }}'

    def aggregate() -> str:
        return PREFIXES + "SELECT ?c (COUNT(?p) AS ?n) (AVG(?a) AS ?mean) WHERE { ?p ex:cropType ?c ; ex:area ?a } GROUP BY ?c"

    return {"lookup": lookup, "window": window, "aggregate": aggregate}


def _rss(pid: int) -> int:
    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


async def _load(url: str, make: callable, clients: int, seconds: float) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=120) as http:
            while time.perf_counter() < deadline:
                query = make()
                started = time.perf_counter()
                try:
                    response = await http.post(url, content=query.encode(), headers={"content-type": "application/sparql-query", "accept": "application/sparql-results+json"})
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors, int(time.perf_counter() - started)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s per query instead of 20 s, 3 k parcels")
    parser.add_argument("--seconds", type=float, help="seconds of load per query and server")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--parcels", type=int)
    args = parser.parse_args(argv)
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    parcels = args.parcels or (3000 if args.quick else 20_000)
    dataset = generate(60, parcels, 10, seed=11)
    data = dataset.parts["west"] + dataset.parts["east"]
    work = Path(tempfile.mkdtemp(prefix="eolink-endpointbench-"))
    with open_store(work / "eolink" / "store") as store:
        store.load(f"{EX}graph/parcels", data, fmt="nt")
    print(f"{parcels} parcels, {data.count(chr(10))} triples; {args.clients} concurrent clients, {seconds:g} s per query and server", flush=True)
    results: dict[tuple[str, str], tuple[float, float, float, int]] = {}
    memory = (0, 0)
    total_errors = 0
    for server in ("eolink", "oxigraph"):
        if server == "eolink":
            proc, base = start_server(work / "eolink", extra_env={"EOLINK_QUERY_TIMEOUT_S": "60"})
            url = base + "/sparql"
        else:
            (work / "ox").mkdir()
            proc, url = start_oxigraph(work / "ox", data)
        try:
            rng = random.Random(5)
            makers = _queries(rng, parcels)
            for make in makers.values():  # warm-up with the same concurrency: every query worker started, caches filled
                asyncio.run(_load(url, make, args.clients, 2.0 if args.quick else 5.0))
            rss_before = _rss(proc.pid)
            for name, make in makers.items():
                latencies, errors, elapsed = asyncio.run(_load(url, make, args.clients, seconds))
                total_errors += errors
                results[(server, name)] = (len(latencies) / max(elapsed, 1e-9), _percentile(latencies, 0.5), _percentile(latencies, 0.99), errors)
                tput, p50, p99, _ = results[(server, name)]
                print(f"{server:<9}{name:<10} {tput:8.1f} q/s   p50 {p50 * 1000:8.1f} ms   p99 {p99 * 1000:8.1f} ms   errors {errors}", flush=True)
            if server == "eolink":
                memory = (rss_before, _rss(proc.pid))
        finally:
            (stop_server if server == "eolink" else stop)(proc)
    print()
    print(f"{'query':<10}{'eolink q/s':>12}{'oxigraph q/s':>14}{'ratio':>8}{'eolink p99 ms':>15}{'oxigraph p99 ms':>17}")
    ratios = []
    for name in ("lookup", "window", "aggregate"):
        e, o = results[("eolink", name)], results[("oxigraph", name)]
        ratio = e[0] / o[0] if o[0] else float("nan")
        ratios.append(ratio)
        print(f"{name:<10}{e[0]:>12.1f}{o[0]:>14.1f}{ratio:>7.2f}x{e[2] * 1000:>15.1f}{o[2] * 1000:>17.1f}")
    growth = (memory[1] - memory[0]) / 2**20
    print(f"\neolink server + query workers RSS: {memory[0] / 2**20:.0f} MiB before, {memory[1] / 2**20:.0f} MiB after ({growth:+.0f} MiB)")
    print(
        f"SUMMARY: eolink/oxigraph throughput lookup {ratios[0]:.2f}x, window {ratios[1]:.2f}x, aggregate {ratios[2]:.2f}x; "
        f"errors {total_errors}; eolink memory growth {growth:+.0f} MiB over {3 * seconds:g} s of load"
    )
    return 0 if total_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
