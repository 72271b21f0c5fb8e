"""The embedded store: pyoxigraph on disk, one named graph per product, safe loads.

A load writes a *pending* marker (the graph IRI, fsync'ed), bulk-loads the triples
into the graph with pyoxigraph's fast loader while a thread finds, parses and
envelopes the data's geometry literals for the spatial index and collects the
graph's feature view (:mod:`eolink.stores.embedded.features`), commits both
(persisted), flushes, and removes the marker; a load that is large compared
with the store is followed by a compaction in the background (see
:meth:`EmbeddedStore._compact_after`). Data that
would replace or extend an existing graph is parsed completely first, so bad data
never touches the store; a new graph whose data fails to parse is removed again,
which is the state before. A crash (kill -9) while the marker exists leaves a
graph that is dropped when the store is next opened: a product is then either
whole or absent, never partial, and the index always covers every geometry
literal of the store. In one process, queries and loads exclude each other (a
readers–writer lock), so a query never sees a half-loaded graph. Queries see the
union of all graphs as their default graph; the planner answers spatial filters
from the index and the GeoSPARQL function library evaluates ``geof:`` functions.

On disk, ``path/rdf`` holds the pyoxigraph store, ``path/spatial`` the index and
``path/pending`` the marker of a load in progress.

>>> store = EmbeddedStore(None)
>>> store.load("http://ex/g", '<http://ex/a> <http://ex/p> "1" .')
1
>>> store.query("SELECT ?o WHERE { ?s <http://ex/p> ?o }").rows[0][0].value
'1'
>>> store.drop("http://ex/g")
True
"""

from __future__ import annotations

import gc
import io
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from eolink.errors import EolinkError, InputError, QueryError, StoreError
from eolink.sparql.guard import check_query
from eolink.sparql.results import QueryResult

if TYPE_CHECKING:
    from eolink.sparql.planner import Plan
from eolink.stores.base import RDF_FILE_FORMATS, GraphInfo, describe_store
from eolink.stores.embedded._rwlock import ReadWriteLock
from eolink.stores.embedded.features import FeatureView, StagedGraph, build_view_triples, disk_state, view_triples_in
from eolink.stores.embedded.spatial import GEOMETRY_PREDICATES, PreparedSegment, SpatialIndex, literal_keys

__all__ = ["EmbeddedStore"]

_log = logging.getLogger(__name__)

_OX_FORMATS = {
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "rdf": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


#: N-Triples are bulk-loaded in pieces of this size (each call of pyoxigraph's loader costs ≈ 1 s more
#: at 1 M features — measured 44 s in 64 MB pieces against 33–36 s in one — so pieces are large).
_CHUNK_BYTES = 1024 * 1024 * 1024
#: After a SPARQL update the feature view is rebuilt from the store when it holds at most this many rows.
_REBUILD_AFTER_UPDATE_ROWS = 500_000
#: A load of at least this share of the store's size on disk (and of at least _COMPACT_MIN_BYTES) is followed by a compaction.
_COMPACT_SHARE = 0.25
_COMPACT_MIN_BYTES = 16 * 1024 * 1024


def _chunks(payload: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) byte ranges of about :data:`_CHUNK_BYTES` that end at line breaks (N-Triples lines stand alone)."""
    start = 0
    while start < len(payload):
        end = payload.find(b"\n", min(start + _CHUNK_BYTES, len(payload)) - 1)
        end = len(payload) if end < 0 else end + 1
        yield start, end
        start = end


_FAILED = object()


class _IndexPreparation:
    """A payload's index segment (:meth:`SpatialIndex.prepare`) and feature view (:meth:`FeatureView.stage`),
    prepared in a background thread."""

    def __init__(self, index: SpatialIndex, view: FeatureView, payload: bytes, fmt: str, base_iri: str | None) -> None:
        self._outcome: object = _FAILED
        self._staged: StagedGraph | None = None
        self._thread = threading.Thread(target=self._run, args=(index, view, payload, fmt, base_iri), daemon=True)
        self._thread.start()

    def _run(self, index: SpatialIndex, view: FeatureView, payload: bytes, fmt: str, base_iri: str | None) -> None:
        # millions of short-lived tuples and strings: the cyclic collector would traverse them all
        # again and again (measured ≈ 5 s of 39 at 1 M features); reference counting frees them
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._prepare(index, view, payload, fmt, base_iri)
        finally:
            if collecting:
                gc.enable()

    def _prepare(self, index: SpatialIndex, view: FeatureView, payload: bytes, fmt: str, base_iri: str | None) -> None:
        try:
            literals, subjects, codes, triples = view_triples_in(payload, fmt, _OX_FORMATS[fmt], base_iri)
            unique = list(dict.fromkeys(literals))
            keys = literal_keys(unique)
            outcome = index.prepare(unique, keys=keys)
            staged = view.stage(build_view_triples(dict(zip(unique, keys.tolist())), literals, subjects, codes, triples))
        except (EolinkError, SyntaxError, ValueError, OSError) as err:
            _log.debug("geometry literals not prepared from the payload (%s); read back from the store", err)
            return
        self._outcome, self._staged = outcome, staged

    def result(self) -> PreparedSegment | None | object:
        """The prepared segment, ``None`` (nothing to index) or ``_FAILED``."""
        self._thread.join()
        return self._outcome

    def staged(self) -> StagedGraph | None:
        """The staged feature view (``None`` when the preparation failed)."""
        self._thread.join()
        return self._staged


def _check_graph_iri(graph: str) -> ox.NamedNode:
    try:
        node = ox.NamedNode(graph)
    except ValueError as err:
        raise InputError(f"not a valid graph IRI: {graph!r}") from err
    return node


def _geosparql_functions() -> tuple[dict, dict]:
    """The geof: library as pyoxigraph custom functions and aggregates (built once)."""
    global _FUNCTIONS
    if _FUNCTIONS is None:
        from eolink.sparql.geosparql import custom_aggregates, custom_functions

        _FUNCTIONS = (custom_functions(), custom_aggregates())
    return _FUNCTIONS


_FUNCTIONS: tuple[dict, dict] | None = None


class EmbeddedStore:
    """pyoxigraph-backed :class:`~eolink.stores.base.Store` (see the module docstring).

    Parameters
    ----------
    path
        Directory of the store; created if missing. ``None``: in memory.
    read_only
        Open an existing store for reading only (several processes may do so).
    planner
        Answer spatial filters from the index (``False`` evaluates them by scanning, for comparison).
    rdfs
        Materialise RDFS entailment of the data and the GeoSPARQL class/property hierarchy
        (see :mod:`eolink.stores.embedded.entailment`).
    rewrite
        The GeoSPARQL Query Rewrite extension: topology properties also hold between
        features and geometries whose geometries are so related (see :mod:`eolink.sparql.rewrite`).
    """

    def __init__(
        self,
        path: Path | None,
        *,
        read_only: bool = False,
        planner: bool = True,
        rdfs: bool = False,
        rewrite: bool = False,
    ) -> None:
        self.path = path
        self.planner = planner
        #: bumped on every load, drop and update (and after a compaction), so caches (search, query workers) know the store changed
        self.generation = 0
        self._generation_lock = threading.Lock()
        self._compaction: threading.Thread | None = None
        self.rdfs = rdfs
        self.rewrite = rewrite
        self._rw = ReadWriteLock()
        before = self._view_token()  # taken before the store is opened: see the read-only check below
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(path / "rdf"))
            else:
                (path / "rdf").mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path / "rdf"))
        except OSError as err:
            hint = " (is another eolink process, e.g. `eolink serve`, using it?)" if "lock" in str(err).lower() else ""
            raise StoreError(f"cannot open the store at {path}: {err}{hint}") from err
        self.read_only = read_only
        self.index = SpatialIndex(None if path is None else path / "spatial", read_only=read_only)
        self.features = FeatureView(None if path is None else path / "features", read_only=read_only)
        if read_only:
            # the view must describe the store this process opened: not if a writer was busy meanwhile
            if before != self._view_token() or before[1] or before[2] or before[0] != self.features.seq:
                self.features.disable()
        else:
            self._recover_pending()
            if self.index.dirty:
                self.index.sync(self._store)
            if self.features.stale or self.features.broken or (self.features.fresh and path is not None):
                _log.info("rebuilding the feature view of %s from the store", path)
                self.features.mark_stale()
                self.features.rebuild(self._store)
            if rdfs:
                self._entail()

    def _view_token(self) -> tuple[int, bool, bool]:
        """(view sequence number, view stale, load pending) as on disk now."""
        if self.path is None:
            return (0, False, False)
        seq, stale = disk_state(self.path / "features")
        return seq, stale, (self.path / "pending").exists()

    # -- writing ---------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError("the store is open read-only")

    @property
    def _pending_marker(self) -> Path | None:
        return None if self.path is None else self.path / "pending"

    def _recover_pending(self) -> None:
        """Drop the graph a crashed load left half-written (whole or absent, never partial)."""
        marker = self._pending_marker
        if marker is None or not marker.exists():
            return
        graph = marker.read_text(encoding="utf-8").strip()
        if graph:
            self.features.mark_stale()
            self._store.remove_graph(ox.NamedNode(graph))
            self._store.flush()
            self.features.drop(graph)
            self.features.mark_current()
        marker.unlink()

    def _mark_pending(self, graph: str) -> None:
        marker = self._pending_marker
        if marker is None:
            return
        tmp = marker.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(graph)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, marker)

    def _clear_pending(self) -> None:
        marker = self._pending_marker
        if marker is not None:
            marker.unlink(missing_ok=True)

    def load(
        self,
        graph: str,
        data: bytes | str | Iterable[bytes],
        *,
        fmt: str = "nt",
        replace: bool = True,
        base_iri: str | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        count: bool = True,
    ) -> int | None:
        """Load RDF into ``graph`` and return the graph's triple count (``None`` with ``count=False``).

        Counting scans the graph (≈ 2–4 s for 3 M triples); callers that ignore the count skip it.

        ``on_progress(bytes_done, bytes_total)`` is called as the load advances (N-Triples are
        loaded in pieces of :data:`_CHUNK_BYTES`, so that is after each GiB).

        ``fmt`` is a key of :data:`~eolink.stores.base.RDF_FILE_FORMATS`. Quads in
        named graphs of quad formats go to ``graph`` too: one product, one graph.
        With ``replace`` the previous content of ``graph`` is discarded, otherwise
        the new triples are added. Malformed data raises :class:`InputError` and
        leaves the store unchanged; see the module docstring for crashes.
        """
        self._writable()
        target = _check_graph_iri(graph)
        if fmt not in _OX_FORMATS:
            raise InputError(f"unknown RDF format {fmt!r}; use one of {', '.join(RDF_FILE_FORMATS)}")
        payload = data if isinstance(data, (bytes, str)) else b"".join(data)
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        quad_format = RDF_FILE_FORMATS[fmt][1]
        with self._rw.write():
            existed = self._store.contains_named_graph(target)
            if existed or quad_format:
                self._validate(payload, fmt, base_iri, graph)
            self._mark_pending(graph)
            # the index work (finding, parsing and enveloping the geometry literals) runs in a
            # thread while pyoxigraph's loader, which releases the GIL, writes the triples
            indexing = _IndexPreparation(self.index, self.features, payload, fmt, base_iri)
            try:
                if replace and existed:
                    self._store.remove_graph(target)
                if quad_format:
                    quads = ox.parse(payload, format=_OX_FORMATS[fmt], base_iri=base_iri)
                    self._store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, target) for q in quads)
                elif fmt == "nt":
                    for done in _chunks(payload):
                        self._store.bulk_load(payload[done[0]:done[1]], format=_OX_FORMATS[fmt], to_graph=target, base_iri=base_iri)
                        if on_progress:
                            on_progress(done[1], len(payload))
                else:
                    self._store.bulk_load(payload, format=_OX_FORMATS[fmt], to_graph=target, base_iri=base_iri)
                if on_progress:
                    on_progress(len(payload), len(payload))
            except (SyntaxError, ValueError, OSError) as err:
                prepared = indexing.result()
                if prepared is not _FAILED:
                    self.index.discard(prepared)  # type: ignore[arg-type]
                self.features.discard(indexing.staged())
                if not existed:
                    self._store.remove_graph(target)
                    self._store.flush()
                    self._clear_pending()
                    raise InputError(f"cannot parse the {fmt} data for <{graph}>: {err}") from err
                self.features.disable()  # the graph is partial until the store is reopened
                raise StoreError(f"loading <{graph}> failed: {err}; the graph is dropped when the store is reopened") from err
            prepared = indexing.result()
            staged = indexing.staged()
            if prepared is _FAILED:
                prepared = self.index.prepare(self._geometry_literals(target))
            self.index.commit(prepared)
            if staged is None or staged.triples.opaque:
                # blank nodes get new labels in the store (or the payload was not understood): read the graph back
                self.features.discard(staged)
                staged = self.features.stage(self.features.read_back(self._store, graph))
                self.features.commit(graph, staged, replace=True)
            else:
                self.features.commit(graph, staged, replace=replace or not existed)
            self._entail()
            self._store.flush()
            self._clear_pending()
            self._compact_after(len(payload))
            self._bump_generation()
        return self.count(graph) if count else None

    def _compact_after(self, loaded_bytes: int) -> None:
        """Compact the store after a large load, in a background thread (:meth:`wait_for_compaction`).

        pyoxigraph's bulk loader adds sorted files beside the existing ones; until they are
        merged, every lookup visits each of them (measured: 3× slower point lookups at
        1 M parcels). Merging costs time proportional to the store's size, so it runs only
        when the load was at least :data:`_COMPACT_SHARE` of it — its cost then stays a
        bounded share of the loads' — and not after small loads (under 16 MB), which add
        few files.
        """
        if self.path is None or loaded_bytes < _COMPACT_MIN_BYTES:
            return
        on_disk = sum(entry.stat().st_size for entry in os.scandir(self.path / "rdf") if entry.is_file())
        if loaded_bytes >= _COMPACT_SHARE * on_disk:
            # in the background (RocksDB compacts beside reads and writes; pyoxigraph releases the GIL):
            # the load is complete and durable already, only lookups are slower until the merge ends
            self.wait_for_compaction()
            self._compaction = threading.Thread(target=self._compact, name="eolink-compaction", daemon=True)
            self._compaction.start()

    def _compact(self) -> None:
        try:
            self._store.optimize()
        except OSError as err:  # the data is intact; lookups stay slower until a later compaction
            _log.warning("compaction of %s failed: %s", self.path, err)
        self._bump_generation()  # readers in other processes reopen on the merged files

    def wait_for_compaction(self) -> None:
        """Block until the background compaction that follows a large load (if any) has finished."""
        running = self._compaction
        if running is not None:
            running.join()
            self._compaction = None

    def _bump_generation(self) -> None:
        with self._generation_lock:
            self.generation += 1

    def _entail(self) -> None:
        if self.rdfs:
            from eolink.stores.embedded.entailment import ENTAILMENT_GRAPH, HIERARCHY_GRAPH, refresh

            refresh(self._store)
            # the entailed triples are in the store's union default graph too: the view follows them
            for graph in (ENTAILMENT_GRAPH, HIERARCHY_GRAPH):
                self.features.commit(graph, self.features.stage(self.features.read_back(self._store, graph)), replace=True)

    def _validate(self, payload: bytes, fmt: str, base_iri: str | None, graph: str) -> None:
        """Parse everything (in Rust, into a scratch in-memory store) before the real store is touched."""
        try:
            scratch = ox.Store()
            if RDF_FILE_FORMATS[fmt][1]:
                scratch.bulk_load(payload, format=_OX_FORMATS[fmt], base_iri=base_iri)
            else:
                scratch.bulk_load(payload, format=_OX_FORMATS[fmt], to_graph=ox.NamedNode("urn:eolink:scratch"), base_iri=base_iri)
        except (SyntaxError, ValueError, OSError) as err:
            raise InputError(f"cannot parse the {fmt} data for <{graph}>: {err}") from err

    def _geometry_literals(self, graph: ox.NamedNode) -> list[tuple[str, str]]:
        values = " ".join(f"<{p}>" for p in GEOMETRY_PREDICATES)
        solutions = self._store.query(
            f"SELECT DISTINCT ?o WHERE {{ GRAPH <{graph.value}> {{ VALUES ?p {{ {values} }} ?s ?p ?o FILTER(isLiteral(?o)) }} }}"
        )
        return [(s["o"].value, s["o"].datatype.value) for s in solutions]

    def drop(self, graph: str) -> bool:
        """Remove the named graph ``graph``; return whether it existed."""
        self._writable()
        node = _check_graph_iri(graph)
        with self._rw.write():
            if not self._store.contains_named_graph(node):
                return False
            self.features.mark_stale()
            self._store.remove_graph(node)
            self.features.drop(graph)
            self.features.mark_current()
            self._entail()
            self._bump_generation()
        return True

    def update(self, sparql: str, *, max_depth: int = 200) -> None:
        """Run a SPARQL 1.1 Update in one transaction (``LOAD`` and ``SERVICE`` refused)."""
        self._writable()
        check_query(sparql, max_depth=max_depth)
        with self._rw.write():
            self.index.mark_dirty()
            self.features.mark_stale()
            try:
                self._store.update(sparql)
            except SyntaxError as err:
                raise QueryError(f"SPARQL update syntax error: {err}") from err
            except (OSError, ValueError) as err:
                raise QueryError(f"SPARQL update failed: {err}") from err
            finally:
                self.index.sync(self._store)
                self._follow_update()
                self._entail()
                self._bump_generation()

    def _follow_update(self) -> None:
        """Bring the feature view up to date after a SPARQL update (it says nothing of what it changed).

        The view is read back from the store when that is cheap; a large store keeps the view
        marked stale (queries then go through pyoxigraph's own indexes) until it is next opened
        for writing, which rebuilds it.
        """
        if self.features.rows() <= _REBUILD_AFTER_UPDATE_ROWS:
            self.features.rebuild(self._store)
        else:
            _log.warning("feature view left stale after a SPARQL update of a large store; reopen the store to rebuild it")

    # -- reading ---------------------------------------------------------------------------

    def count(self, graph: str | None = None) -> int:
        """Triples in ``graph`` (all graphs when ``None``)."""
        where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "GRAPH ?g { ?s ?p ?o }"
        rows = self._raw_select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
        return int(rows[0][0].value) if rows else 0

    def graphs(self) -> list[GraphInfo]:
        """The named graphs with their triple counts, sorted by IRI."""
        rows = self._raw_select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        infos = [GraphInfo(g.value, int(n.value)) for g, n in rows]
        return sorted(infos, key=lambda info: info.iri)

    def has_graph(self, graph: str) -> bool:
        """Whether the named graph exists."""
        return self._store.contains_named_graph(_check_graph_iri(graph))

    def _raw_select(self, sparql: str) -> list[tuple[ox.NamedNode | ox.BlankNode | ox.Literal, ...]]:
        solutions = self._store.query(sparql, use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        return [tuple(s[n] for n in names) for s in solutions]

    def query(
        self,
        sparql: str,
        *,
        limit: int | None = None,
        max_depth: int = 200,
        default_graph_uris: list[str] | None = None,
        named_graph_uris: list[str] | None = None,
        planner: bool | None = None,
    ) -> QueryResult:
        """Run a SPARQL query; the default graph is the union of all graphs unless ``default_graph_uris`` is given.

        At most ``limit`` rows (or triples) are returned; ``truncated`` tells if more existed.
        ``planner`` overrides the store's setting for this query.
        """
        check_query(sparql, max_depth=max_depth)
        kwargs: dict[str, object] = {}
        functions, aggregates = _geosparql_functions()
        kwargs["custom_functions"] = functions
        if aggregates:
            kwargs["custom_aggregate_functions"] = aggregates
        if default_graph_uris:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph_uris]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graph_uris:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graph_uris]
        with self._rw.read():
            return self._query(sparql, kwargs, limit, planner)

    def _query(self, sparql: str, kwargs: dict[str, object], limit: int | None, planner: bool | None) -> QueryResult:
        if self.rewrite:
            from eolink.sparql.rewrite import rewrite_topology

            sparql = rewrite_topology(sparql)
        try:
            written = sparql
            if self.planner if planner is None else planner:
                plan = self._plan(sparql, kwargs)
                if plan.answer is not None:
                    rows = plan.answer.solutions()
                    truncated = limit is not None and len(rows) > limit
                    return QueryResult.select(plan.answer.variables, rows[:limit] if truncated else rows, truncated=truncated)
                sparql = plan.query
            try:
                answer = self._store.query(sparql, **kwargs)
            except SyntaxError:
                if sparql == written:
                    raise
                # the planner only optimises: a rewrite the engine cannot parse is a planner bug, not the user's
                _log.warning("the planned query did not parse; answering the query as written")
                answer = self._store.query(written, **kwargs)
            if isinstance(answer, (bool, ox.QueryBoolean)):
                return QueryResult.ask(bool(answer))
            if isinstance(answer, ox.QuerySolutions):
                names = [v.value for v in answer.variables]
                rows: list[tuple] = []
                for solution in answer:
                    if limit is not None and len(rows) >= limit:
                        return QueryResult.select(names, rows, truncated=True)
                    rows.append(tuple(solution[n] for n in names))
                return QueryResult.select(names, rows)
            triples: list[ox.Triple] = []
            for triple in answer:
                if limit is not None and len(triples) >= limit:
                    return QueryResult.graph(triples, truncated=True)
                triples.append(triple)
            return QueryResult.graph(triples)
        except SyntaxError as err:
            raise QueryError(f"SPARQL syntax error: {err}") from err
        except (OSError, ValueError, TypeError) as err:
            raise QueryError(f"query failed: {err}") from err

    def _plan(self, sparql: str, kwargs: dict[str, object]) -> Plan:
        from eolink.sparql.planner import Plan, plan_query

        def bindings(helper: str) -> list[tuple[str, str]]:
            solutions = self._store.query(helper, **kwargs)
            name = solutions.variables[0].value
            return [(s[name].value, s[name].datatype.value) for s in solutions if isinstance(s[name], ox.Literal)]

        try:
            plan = plan_query(sparql, self.index, binding_source=bindings, view=self._view_for(kwargs))
        except (EolinkError, SyntaxError, ValueError, IndexError) as err:
            # the planner only optimises: if it cannot handle a query, the engine answers it as written
            _log.warning("spatial planner skipped a query: %s", err)
            return Plan(sparql)
        return plan

    def _view_for(self, kwargs: dict[str, object]) -> FeatureView | None:
        """The feature view, when it describes what the query sees: the union default graph, no entailment
        or rewriting (whose triples and patterns the view does not hold)."""
        if self.rdfs or self.rewrite or not kwargs.get("use_default_graph_as_union") or "named_graphs" in kwargs:
            return None
        return self.features

    def explain(self, sparql: str) -> list[str]:
        """What the planner would do with ``sparql`` (one note per recognised filter)."""
        from eolink.sparql.planner import plan_query

        return plan_query(sparql, self.index, binding_source=lambda q: [], view=self._view_for({"use_default_graph_as_union": True})).notes

    def describe(self) -> dict[str, object]:
        """VoID-like statistics: triples, graphs, classes and predicates with counts."""
        return describe_store(self._raw_select, self.graphs())

    def dump(self, graph: str, fmt: str = "nt") -> bytes:
        """Serialise one graph."""
        return self._store.dump(format=_OX_FORMATS[fmt], from_graph=_check_graph_iri(graph)) or b""

    def flush(self) -> None:
        """Make sure everything written is on disk."""
        if not self.read_only:
            self._store.flush()

    def close(self) -> None:
        """Flush and release the store (the object must not be used afterwards)."""
        if hasattr(self, "_store"):
            self.wait_for_compaction()
            self.flush()
            del self._store

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
