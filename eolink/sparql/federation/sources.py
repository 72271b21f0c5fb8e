"""Federation sources: the configuration file and the clients that query each source.

One TOML file lists the sources::

    [federation]
    descriptions = "sources.void.ttl"     # where `eolink federate describe` writes (relative to this file)
    timeout_s = 30                        # default per-source timeout

    [[source]]
    name = "parcels"
    endpoint = "http://127.0.0.1:7001/query"
    headers = { Authorization = "Bearer ..." }   # optional
    geosparql = true                     # the source evaluates geof: filters itself

    [[source]]
    name = "local"
    type = "local"                       # eolink's own store (directory or the served store)
    path = "/data/eolink/store"

Every request a client makes is counted (``requests``), so the planner's cost
can be checked against peers.

>>> config = parse_config('[[source]]\\nname = "a"\\nendpoint = "http://127.0.0.1:1/sparql"\\n')
>>> config.sources[0].name, config.sources[0].kind
('a', 'remote')
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from eolink.errors import FederationError, InputError, QueryError
from eolink.sparql.results import QueryResult, term_from_json

__all__ = [
    "SourceConfig",
    "FederationConfig",
    "parse_config",
    "load_config",
    "Source",
    "RemoteSource",
    "LocalSource",
    "open_source",
]


@dataclass(frozen=True)
class SourceConfig:
    """One configured source."""

    name: str
    kind: str = "remote"
    endpoint: str | None = None
    path: Path | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 30.0
    geosparql: bool = True


@dataclass(frozen=True)
class FederationConfig:
    """All sources plus where their descriptions are kept."""

    sources: list[SourceConfig]
    descriptions: Path | None = None
    timeout_s: float = 30.0
    batch_size: int = 1000

    def endpoints(self) -> list[str]:
        """Endpoint URLs of the remote sources (what ``SERVICE`` may name)."""
        return [s.endpoint for s in self.sources if s.endpoint]

    def by_endpoint(self, iri: str) -> SourceConfig | None:
        """The source whose endpoint URL (or name) is ``iri``."""
        return next((s for s in self.sources if iri in (s.endpoint, f"urn:eolink:source:{s.name}")), None)


def parse_config(text: str, *, base: Path | None = None) -> FederationConfig:
    """Read the TOML text of a federation configuration (paths relative to ``base``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"federation configuration is not valid TOML: {err}") from err
    head = data.get("federation", {})
    default_timeout = float(head.get("timeout_s", 30.0))
    sources: list[SourceConfig] = []
    for number, raw in enumerate(data.get("source", []), start=1):
        name = str(raw.get("name") or f"source{number}")
        kind = str(raw.get("type", "local" if "path" in raw and "endpoint" not in raw else "remote"))
        if kind not in ("remote", "local"):
            raise InputError(f"source {name}: type must be 'remote' or 'local', not {kind!r}")
        endpoint = raw.get("endpoint")
        if kind == "remote" and not (isinstance(endpoint, str) and endpoint.startswith(("http://", "https://"))):
            raise InputError(f"source {name}: a remote source needs an http(s) endpoint URL")
        path = raw.get("path")
        if kind == "local" and path is not None:
            path = Path(path) if base is None or Path(path).is_absolute() else base / path
        headers = raw.get("headers", {})
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise InputError(f"source {name}: headers must be a table of strings")
        sources.append(
            SourceConfig(name, kind, endpoint, path, dict(headers), float(raw.get("timeout_s", default_timeout)), bool(raw.get("geosparql", True)))
        )
    if not sources:
        raise InputError("the federation configuration lists no [[source]]")
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise InputError(f"source names must be unique: {names}")
    descriptions = head.get("descriptions")
    if descriptions is not None:
        descriptions = Path(descriptions) if base is None or Path(descriptions).is_absolute() else base / descriptions
    return FederationConfig(sources, descriptions, default_timeout, int(head.get("batch_size", 1000)))


def load_config(path: Path | str) -> FederationConfig:
    """Read a federation configuration file; descriptions default to ``<stem>.void.ttl`` beside it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read the federation configuration {path}: {err}") from err
    config = parse_config(text, base=path.parent)
    if config.descriptions is None:
        config = FederationConfig(config.sources, path.with_suffix(".void.ttl"), config.timeout_s, config.batch_size)
    return config


class Source:
    """What the federator needs from a source: SELECT, CONSTRUCT (N-Triples) and ASK, counted."""

    config: SourceConfig
    requests: int

    @property
    def name(self) -> str:
        return self.config.name

    async def select(self, sparql: str) -> QueryResult:
        raise NotImplementedError

    async def construct(self, sparql: str) -> bytes:
        raise NotImplementedError

    async def ask(self, sparql: str) -> bool:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release connections."""


class RemoteSource(Source):
    """Any SPARQL 1.1 endpoint, queried with POST ``application/sparql-query`` over httpx."""

    def __init__(self, config: SourceConfig) -> None:
        self.config = config
        self.requests = 0
        self._client: object | None = None
        self._loop: object | None = None

    @property
    def client(self) -> object:
        """The httpx client of the running event loop (a client cannot outlive its loop)."""
        import httpx

        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.config.timeout_s), limits=httpx.Limits(max_connections=8))
            self._loop = loop
        return self._client

    async def _post(self, sparql: str, accept: str) -> bytes:
        import httpx

        self.requests += 1
        headers = {"content-type": "application/sparql-query", "accept": accept, **self.config.headers}
        try:
            response = await self.client.post(self.config.endpoint, content=sparql.encode(), headers=headers, timeout=self.config.timeout_s)  # type: ignore[attr-defined]
        except httpx.TimeoutException as err:
            raise FederationError(f"source {self.name} ({self.config.endpoint}) did not answer within {self.config.timeout_s:g} s") from err
        except httpx.HTTPError as err:
            raise FederationError(f"source {self.name} ({self.config.endpoint}) failed: {err}") from err
        if response.status_code != 200:
            raise FederationError(f"source {self.name} ({self.config.endpoint}) answered HTTP {response.status_code}: {response.text[:300]}")
        return response.content

    async def select(self, sparql: str) -> QueryResult:
        import json

        body = await self._post(sparql, "application/sparql-results+json")
        try:
            data = json.loads(body)
            if "boolean" in data:
                return QueryResult.ask(bool(data["boolean"]))
            names = data["head"]["vars"]
            rows = [tuple(term_from_json(b[n]) if n in b else None for n in names) for b in data["results"]["bindings"]]
        except (ValueError, KeyError, TypeError, QueryError) as err:
            raise FederationError(f"source {self.name} sent malformed SPARQL JSON results: {err}") from err
        return QueryResult.select(names, rows)

    async def construct(self, sparql: str) -> bytes:
        return await self._post(sparql, "application/n-triples")

    async def ask(self, sparql: str) -> bool:
        result = await self.select(sparql)
        return bool(result.boolean)

    async def aclose(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()  # type: ignore[attr-defined]
        self._client = None


class LocalSource(Source):
    """eolink's embedded store (the GeoSPARQL library and spatial index apply), queried in a thread."""

    def __init__(self, config: SourceConfig, store: object) -> None:
        self.config = config
        self.store = store
        self.requests = 0

    async def _query(self, sparql: str) -> QueryResult:
        self.requests += 1
        try:
            return await asyncio.to_thread(self.store.query, sparql)  # type: ignore[attr-defined]
        except QueryError as err:
            raise FederationError(f"source {self.name} failed: {err.message}") from err

    async def select(self, sparql: str) -> QueryResult:
        return await self._query(sparql)

    async def construct(self, sparql: str) -> bytes:
        from eolink.sparql.results import serialize

        return serialize(await self._query(sparql), "ntriples")

    async def ask(self, sparql: str) -> bool:
        return bool((await self._query(sparql)).boolean)


def open_source(config: SourceConfig, *, store: object | None = None) -> Source:
    """The client for one configured source (``store``: the served store, for local sources without a path)."""
    if config.kind == "remote":
        return RemoteSource(config)
    if config.path is not None:
        from eolink.stores.embedded import EmbeddedStore

        return LocalSource(config, EmbeddedStore(config.path, read_only=True))
    if store is None:
        raise InputError(f"local source {config.name} has no path and no store was given")
    return LocalSource(config, store)
