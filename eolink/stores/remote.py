"""A remote SPARQL 1.1 endpoint behind the :class:`~eolink.stores.base.Store` protocol.

Queries go to the query endpoint (POST ``application/sparql-query``), updates to the
update endpoint, and graph loads/drops through the Graph Store HTTP Protocol when a
graph-store URL is given (a single ``PUT``/``POST`` is atomic on conforming servers),
otherwise through SPARQL Update. Works with eolink, Oxigraph, Fuseki, GraphDB, QLever…

>>> store = RemoteStore("http://127.0.0.1:1/sparql")
>>> store.endpoint
'http://127.0.0.1:1/sparql'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import pyoxigraph as ox

from eolink.errors import InputError, QueryError, StoreError
from eolink.sparql.guard import check_query
from eolink.sparql.results import QueryResult, term_from_json
from eolink.stores.base import RDF_FILE_FORMATS, GraphInfo, describe_store

__all__ = ["RemoteStore"]


class RemoteStore:
    """Store protocol over HTTP (see the module docstring).

    Parameters
    ----------
    endpoint
        Query endpoint URL.
    update_endpoint
        Update endpoint (default: ``endpoint``).
    graph_store
        Graph Store Protocol URL (``…/rdf-graphs/service`` for eolink, ``…/store`` for Oxigraph).
    headers
        Extra headers on every request (e.g. ``Authorization``).
    timeout_s
        Per-request timeout.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        graph_store: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        import httpx

        if not endpoint.startswith(("http://", "https://")):
            raise InputError(f"not an http(s) endpoint URL: {endpoint!r}")
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint
        self.graph_store = graph_store
        self.headers = dict(headers or {})
        self._client = httpx.Client(timeout=timeout_s)

    def _send(self, method: str, url: str, **kwargs: object):  # noqa: ANN202 - httpx.Response
        import httpx

        headers = {**self.headers, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        try:
            response = self._client.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as err:
            raise StoreError(f"{url} failed: {err}") from err
        if response.status_code == 400:
            raise QueryError(f"{url} refused the request: {response.text[:300]}")
        if response.status_code >= 400:
            raise StoreError(f"{url} answered HTTP {response.status_code}: {response.text[:300]}")
        return response

    def query(self, sparql: str, *, limit: int | None = None) -> QueryResult:
        """Run a query remotely; at most ``limit`` rows/triples are kept (``truncated`` set if more came)."""
        accept = "application/sparql-results+json, application/n-triples;q=0.9"
        response = self._send("POST", self.endpoint, content=sparql.encode(), headers={"content-type": "application/sparql-query", "accept": accept})
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media in ("application/n-triples", "text/plain"):
            triples = [ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)]
            cut = limit is not None and len(triples) > limit
            return QueryResult.graph(triples[:limit] if cut else triples, truncated=cut)
        try:
            data = json.loads(response.content)
        except ValueError as err:
            raise StoreError(f"{self.endpoint} sent something that is not SPARQL JSON results ({media})") from err
        if "boolean" in data:
            return QueryResult.ask(bool(data["boolean"]))
        names = data["head"]["vars"]
        bindings = data["results"]["bindings"]
        cut = limit is not None and len(bindings) > limit
        rows = [tuple(term_from_json(b[n]) if n in b else None for n in names) for b in (bindings[:limit] if cut else bindings)]
        return QueryResult.select(names, rows, truncated=cut)

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update remotely (``LOAD``/``SERVICE`` refused before sending)."""
        check_query(sparql)
        self._send("POST", self.update_endpoint, content=sparql.encode(), headers={"content-type": "application/sparql-update"})

    def load(self, graph: str, data: bytes | str | Iterable[bytes], *, fmt: str = "nt", replace: bool = True, count: bool = True) -> int | None:
        """Load RDF into ``graph`` (Graph Store ``PUT``/``POST``, or ``INSERT DATA``); return the graph's triple count."""
        if fmt not in RDF_FILE_FORMATS:
            raise InputError(f"unknown RDF format {fmt!r}; use one of {', '.join(RDF_FILE_FORMATS)}")
        payload = data.encode() if isinstance(data, str) else data if isinstance(data, bytes) else b"".join(data)
        if self.graph_store:
            self._send("PUT" if replace else "POST", self.graph_store, params={"graph": graph}, content=payload, headers={"content-type": RDF_FILE_FORMATS[fmt][0]})
        else:
            try:
                triples = ox.parse(payload, format=_OX[fmt], base_iri=graph)
                body = " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in triples)
            except (SyntaxError, ValueError) as err:
                raise InputError(f"cannot parse the {fmt} data for <{graph}>: {err}") from err
            prefix = f"DROP SILENT GRAPH <{graph}> ; " if replace else ""
            self._send("POST", self.update_endpoint, content=f"{prefix}INSERT DATA {{ GRAPH <{graph}> {{ {body} }} }}".encode(), headers={"content-type": "application/sparql-update"})
        return self.count(graph) if count else None

    def count(self, graph: str) -> int:
        """Triples in ``graph``."""
        rows = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").rows
        return int(rows[0][0].value) if rows else 0

    def drop(self, graph: str) -> bool:
        """Remove ``graph``; return whether it existed."""
        existed = self.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").boolean
        if existed:
            self._send("POST", self.update_endpoint, content=f"DROP GRAPH <{graph}>".encode(), headers={"content-type": "application/sparql-update"})
        return bool(existed)

    def graphs(self) -> list[GraphInfo]:
        """Named graphs with their triple counts."""
        result = self.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return sorted((GraphInfo(g.value, int(n.value)) for g, n in result.rows), key=lambda info: info.iri)

    def describe(self) -> dict[str, object]:
        """VoID-like statistics (as :meth:`EmbeddedStore.describe`)."""
        return describe_store(lambda sparql: self.query(sparql).rows, self.graphs())

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_OX = {
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "rdf": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
