"""A real eolink server (subprocess, uvicorn on 127.0.0.1) over a small store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from eolink.stores import open_store

TOKEN = "test-token-123"
DATA = """
@prefix ex: <http://example.org/> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
ex:a ex:name "Alpha" ; ex:value 1 ; geo:hasGeometry ex:ga .
ex:ga geo:asWKT "POINT (24.94 60.17)"^^geo:wktLiteral .
ex:b ex:name "Beta"@en ; ex:value 2 .
ex:c ex:name "Gamma, \\"quoted\\"" ; ex:value 3 .
"""
GRAPH = "http://example.org/graph/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    data_dir: Path
    token: str

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"


def start_server(data_dir: Path, *, token: str | None = None, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ)
    env.pop("EOLINK_TOKEN", None)
    env.pop("EOLINK_FEDERATION", None)
    env.update(extra_env or {})
    command = [sys.executable, "-m", "eolink.cli", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    if token:
        command += ["--token", token]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read()}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                # the first query starts the query-worker fork server: do it here, with time to spare
                httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=120)
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("served")
    with open_store(data_dir / "store") as store:
        store.load(GRAPH, DATA, fmt="ttl")
    proc, url = start_server(data_dir, token=TOKEN)
    try:
        yield Server(url, data_dir, TOKEN)
    finally:
        stop_server(proc)
