"""Federated GeoSPARQL: eolink's federator vs Comunica vs one centralised store.

A GeoFedBench-like dataset (admin units + crop codes / western parcels / eastern
parcels + dated snow observations; fixed seed) is split over three Oxigraph
servers on 127.0.0.1; a fourth holds the union (the centralised store). Every
server sits behind a small counting HTTP proxy, so the requests each federator
sends to the sources are counted the same way. Per workload query the benchmark
prints time (median of the timed runs), source requests and result rows for
eolink's federation, Comunica (``@comunica/query-sparql`` 5.x on Node 22, both
installed by the benchmark with npm into ``~/.cache/eolink/benchmarks/comunica``)
and the centralised store, and checks every eolink answer row-for-row against the
centralised store. Comunica has no GeoSPARQL: it is compared on the non-spatial
queries, and its (empty) answers to the spatial ones are shown as they are.

Run: ``python -m benchmarks.federation`` (200 units / 20 k parcels / 2 k observations)
or ``--quick`` (40 / 1.5 k / 300).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from eolink.sparql.federation import Federation, parse_config
from tests.sparql.federation.conftest import start_oxigraph, stop
from tests.sparql.federation.geofedbench import SPATIAL_QUERIES, WORKLOAD, generate

__all__ = ["main", "CountingProxy"]

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "eolink" / "benchmarks" / "comunica"
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "content-length", "host"}

RUNNER_JS = r"""
const { QueryEngine } = require('@comunica/query-sparql');
const fs = require('fs');
const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const term = t => t.termType === 'Literal' ? t.value : t.value;
(async () => {
  const engine = new QueryEngine();
  const runs = [];
  let rows = [];
  for (let i = 0; i < job.repeat; i++) {
    await engine.invalidateHttpCache();
    const started = process.hrtime.bigint();
    const stream = await engine.queryBindings(job.query, { sources: job.sources.map(u => ({ type: 'sparql', value: u })) });
    const bindings = await stream.toArray();
    runs.push(Number(process.hrtime.bigint() - started) / 1e9);
    rows = bindings.map(b => job.vars.map(v => { const t = b.get(v); return t ? term(t) : ''; }));
  }
  process.stdout.write(JSON.stringify({ runs, rows }));
})().catch(err => { process.stdout.write(JSON.stringify({ error: String(err) })); });
"""


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """Clients closing idle keep-alive connections are normal; anything else is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class CountingProxy:
    """An HTTP/1.1 reverse proxy on 127.0.0.1 that forwards to ``upstream`` and counts requests."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.host, self.port_up = parts.hostname, parts.port
        self.count = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                proxy.count += 1
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                connection = http.client.HTTPConnection(proxy.host, proxy.port_up, timeout=600)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    data = response.read()
                finally:
                    connection.close()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in _HOP:
                        self.send_header(key, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_HEAD = _forward

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{urlsplit(upstream).path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _comunica() -> Path | None:
    """Install Node 22 + Comunica with npm into the cache folder (once); return the folder, or None."""
    node = CACHE / "node_modules" / "node" / "bin" / "node"
    if not (node.exists() and (CACHE / "node_modules" / "@comunica" / "query-sparql").exists()):
        npm = shutil.which("npm")
        if npm is None:
            print("npm not found: Comunica is skipped")
            return None
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"installing node@22 and @comunica/query-sparql into {CACHE} …", flush=True)
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), "node@22", "@comunica/query-sparql@5"], capture_output=True, text=True)
        if done.returncode != 0 or not node.exists():
            print(f"npm install failed: Comunica is skipped\n{done.stderr[-2000:]}")
            return None
    (CACHE / "runner.js").write_text(RUNNER_JS)
    return CACHE


def _run_comunica(folder: Path, query: str, variables: list[str], sources: list[str], repeat: int, timeout: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as job:
        json.dump({"query": query, "sources": sources, "repeat": repeat, "vars": variables}, job)
    try:
        done = subprocess.run(
            [str(folder / "node_modules" / "node" / "bin" / "node"), str(folder / "runner.js"), job.name],
            cwd=folder, capture_output=True, text=True, timeout=timeout,
        )
        return json.loads(done.stdout or '{"error": "no output: ' + done.stderr[-300:].replace('"', "'") + '"}')
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    finally:
        os.unlink(job.name)


def _central(url: str, query: str) -> tuple[float, list[tuple[str, ...]], list[str]]:
    started = time.perf_counter()
    response = httpx.post(url, content=query.encode(), headers={"content-type": "application/sparql-query", "accept": "application/sparql-results+json"}, timeout=600)
    response.raise_for_status()
    data = response.json()
    elapsed = time.perf_counter() - started
    names = data["head"]["vars"]
    return elapsed, [tuple(b[n]["value"] if n in b else "" for n in names) for b in data["results"]["bindings"]], names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 units / 1.5 k parcels / 300 observations, 1 timed run")
    parser.add_argument("--units", type=int)
    parser.add_argument("--parcels", type=int)
    parser.add_argument("--observations", type=int)
    parser.add_argument("--repeat", type=int, help="timed runs per query (median reported)")
    parser.add_argument("--no-comunica", action="store_true")
    args = parser.parse_args(argv)
    units = args.units or (40 if args.quick else 200)
    parcels = args.parcels or (1500 if args.quick else 20_000)
    observations = args.observations or (300 if args.quick else 2000)
    repeat = args.repeat or (1 if args.quick else 3)
    dataset = generate(units, parcels, observations, seed=7)
    print(f"dataset: {units} admin units, {parcels} parcels, {observations} observations; sources: {', '.join(f'{k} ({v.count(chr(10))} triples)' for k, v in dataset.parts.items())}")
    folder = None if args.no_comunica else _comunica()
    work = Path(tempfile.mkdtemp(prefix="eolink-fedbench-"))
    procs, proxies = [], {}
    try:
        for name, text in {**dataset.parts, "central": dataset.union}.items():
            (work / name).mkdir()
            proc, url = start_oxigraph(work / name, text)
            procs.append(proc)
            proxies[name] = CountingProxy(url)
        sources = {n: p.url for n, p in proxies.items() if n != "central"}
        config = parse_config("".join(f'[[source]]\nname = "{n}"\nendpoint = "{u}"\ntimeout_s = 600\n' for n, u in sources.items()))
        federation = Federation(config)
        loop = asyncio.new_event_loop()
        before = sum(proxies[n].count for n in sources)
        started = time.perf_counter()
        loop.run_until_complete(federation.describe(save=False))
        print(f"eolink describe (once, like Semagrow's metadata): {time.perf_counter() - started:.2f} s, {sum(proxies[n].count for n in sources) - before} requests\n")
        header = f"{'query':<26}{'kind':<10}{'rows e/c/C':>18}{'eolink s':>10}{'comunica s':>12}{'central s':>11}{'req e':>7}{'req c':>7}{'c/e':>7}{'e/C':>7}  ok"
        print(header)
        print("-" * len(header))
        speedups, central_ratios, request_ok, all_ok = [], [], True, True
        for name, (kind, query) in WORKLOAD.items():
            # centralised store
            _central(proxies["central"].url, query)
            central_times = []
            for _ in range(repeat):
                elapsed, central_rows, names = _central(proxies["central"].url, query)
                central_times.append(elapsed)
            # eolink federation (ASK cache cleared before every run: every run pays its probes)
            federation._ask_cache.clear()
            loop.run_until_complete(federation.query(query))
            eolink_times, eolink_requests = [], []
            for _ in range(repeat):
                federation._ask_cache.clear()
                before = sum(proxies[n].count for n in sources)
                started = time.perf_counter()
                answer = loop.run_until_complete(federation.query(query))
                eolink_times.append(time.perf_counter() - started)
                eolink_requests.append(sum(proxies[n].count for n in sources) - before)
            eolink_rows = [tuple("" if t is None else t.value for t in row) for row in answer.result.rows]
            ok = Counter(eolink_rows) == Counter(central_rows)
            all_ok &= ok
            # Comunica
            c_time = c_req = None
            c_rows: list = []
            if folder is not None:
                before = sum(proxies[n].count for n in sources)
                runs = min(repeat, 2) + 1  # one warm-up run, then at most two timed runs (Comunica is slow at full size)
                result = _run_comunica(folder, query, names, list(sources.values()), runs, 300 if args.quick else 900)
                total = sum(proxies[n].count for n in sources) - before
                if "error" in result:
                    print(f"  comunica on {name}: {result['error'][:200]}")
                else:
                    c_time = statistics.median(result["runs"][1:] or result["runs"])
                    c_req = total / runs
                    c_rows = result["rows"]
            e_time = statistics.median(eolink_times)
            e_req = statistics.median(eolink_requests)
            C_time = statistics.median(central_times)
            ratio_c = f"{c_time / e_time:6.1f}x" if c_time else "   n/a"
            ratio_central = e_time / C_time
            if kind != "spatial" and c_time:
                speedups.append(c_time / e_time)
                request_ok &= e_req <= c_req
            if kind != "spatial":
                central_ratios.append(ratio_central)
            rows = f"{len(eolink_rows)}/{len(c_rows) if c_time else '-'}/{len(central_rows)}"
            print(
                f"{name:<26}{kind:<10}{rows:>18}{e_time:>10.3f}{(f'{c_time:.3f}' if c_time else 'n/a'):>12}{C_time:>11.3f}"
                f"{e_req:>7.0f}{(f'{c_req:.0f}' if c_req is not None else 'n/a'):>7}{ratio_c:>7}{ratio_central:>6.1f}x  {'yes' if ok else 'NO'}",
                flush=True,
            )
        loop.run_until_complete(federation.aclose())
        loop.close()
        print("\ne = eolink federation, c = Comunica, C = centralised Oxigraph store; req = HTTP requests to the sources per run;")
        print("c/e = Comunica time / eolink time; e/C = eolink time / centralised time; ok = eolink rows equal the centralised rows.")
        if SPATIAL_QUERIES:
            print(f"Spatial queries ({', '.join(sorted(SPATIAL_QUERIES))}): Comunica evaluates no geof: function, its row counts are shown as returned.")
        geo = statistics.geometric_mean(speedups) if speedups else float("nan")
        worst = max(central_ratios) if central_ratios else float("nan")
        print(
            f"\nSUMMARY: eolink vs Comunica on non-spatial queries: {geo:.1f}x faster (geometric mean, min {min(speedups) if speedups else float('nan'):.1f}x), "
            f"requests {'never more' if request_ok else 'MORE on some query'}; eolink/centralised on non-spatial: worst {worst:.1f}x; "
            f"all eolink answers equal the centralised store: {'yes' if all_ok else 'NO'}"
        )
        return 0 if all_ok else 1
    finally:
        for proxy in proxies.values():
            proxy.close()
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
