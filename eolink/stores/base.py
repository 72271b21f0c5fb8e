"""The Store protocol every backend satisfies (embedded, remote endpoint, virtual PostGIS).

The endpoint, federation, interlinking and search see stores only through this
protocol. Graph IRIs are plain strings; each product is one named graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from eolink.sparql.results import QueryResult

__all__ = ["Store", "GraphInfo", "RDF_FILE_FORMATS", "describe_store"]

#: File formats :meth:`Store.load` accepts: name -> (media type, is a quad format).
RDF_FILE_FORMATS: dict[str, tuple[str, bool]] = {
    "nt": ("application/n-triples", False),
    "nq": ("application/n-quads", True),
    "ttl": ("text/turtle", False),
    "trig": ("application/trig", True),
    "rdf": ("application/rdf+xml", False),
    "jsonld": ("application/ld+json", True),
}


@dataclass(frozen=True)
class GraphInfo:
    """One named graph and its size."""

    iri: str
    triples: int


def describe_store(select: Callable[[str], Sequence[Sequence[object]]], graphs: list[GraphInfo]) -> dict[str, object]:
    """VoID-like statistics of a store: triples, graphs, classes and predicates with counts.

    ``select`` runs a SPARQL SELECT on the store and returns its rows of terms.

    >>> describe_store(lambda q: [], [GraphInfo("http://ex/g", 3)])["triples"]
    3
    """
    classes = select("SELECT ?c (COUNT(*) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n)")
    predicates = select("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)")
    return {
        "triples": sum(g.triples for g in graphs),
        "graphs": [{"iri": g.iri, "triples": g.triples} for g in graphs],
        "classes": {c.value: int(n.value) for c, n in classes},  # type: ignore[attr-defined]
        "predicates": {p.value: int(n.value) for p, n in predicates},  # type: ignore[attr-defined]
    }


@runtime_checkable
class Store(Protocol):
    """What eolink needs from an RDF store."""

    def load(self, graph: str, data: bytes | str | Iterable[bytes], *, fmt: str = "nt", replace: bool = True, count: bool = True) -> int | None:
        """Load RDF into ``graph`` atomically (replacing it by default); return the graph's triple count
        (``count=False``: ``None``, for callers that do not need it — counting scans the graph)."""
        ...

    def drop(self, graph: str) -> bool:
        """Remove a named graph; return whether it existed."""
        ...

    def graphs(self) -> list[GraphInfo]:
        """The named graphs with their triple counts."""
        ...

    def query(self, sparql: str, *, limit: int | None = None) -> QueryResult:
        """Run a SPARQL query over the union of all graphs."""
        ...

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update atomically."""
        ...

    def describe(self) -> dict[str, object]:
        """VoID-like statistics of the store."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...
