"""Real Oxigraph servers on 127.0.0.1, each holding one part of the GeoFedBench-like dataset."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.sparql.federation.geofedbench import Dataset, generate

OXIGRAPH = Path(sys.executable).parent / "oxigraph"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_oxigraph(directory: Path, ntriples: str) -> tuple[subprocess.Popen, str]:
    """Load ``ntriples`` into an Oxigraph store in ``directory`` and serve it; return (process, query URL)."""
    binary = str(OXIGRAPH) if OXIGRAPH.exists() else shutil.which("oxigraph")
    if binary is None:
        pytest.skip("the oxigraph server (PyPI package `oxigraph`) is not installed")
    data = directory / "data.nt"
    data.write_text(ntriples, encoding="utf-8")
    subprocess.run([binary, "load", "--location", str(directory / "db"), "--file", str(data)], check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--location", str(directory / "db"), "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, content="ASK {}", headers={"content-type": "application/sparql-query"}, timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("oxigraph serve did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return generate(24, 600, 200)


@pytest.fixture(scope="session")
def oxigraph_sources(tmp_path_factory, dataset) -> Iterator[dict[str, str]]:
    procs = []
    urls = {}
    try:
        for name, text in dataset.parts.items():
            proc, url = start_oxigraph(tmp_path_factory.mktemp(f"ox-{name}"), text)
            procs.append(proc)
            urls[name] = url
        yield urls
    finally:
        for proc in procs:
            stop(proc)
