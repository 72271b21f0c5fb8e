"""The feature view: the store's feature–geometry–class triples, per graph, as arrays.

GeoSPARQL queries almost always reach a geometry literal through the same chain::

    ?f a ex:Parcel ; geo:hasGeometry ?g . ?g geo:asWKT ?w . FILTER(geof:sfIntersects(?w, …))

Once the spatial index has decided the filter, pyoxigraph would still look up every
answer's ``asWKT``, ``hasGeometry`` and ``rdf:type`` triple (three RocksDB lookups per
row). The feature view keeps exactly those triples — the objects of the geometry
serialisation predicates (:data:`~eolink.stores.embedded.spatial.GEOMETRY_PREDICATES`)
as literal keys of the spatial index, ``geo:hasGeometry``, ``geo:hasDefaultGeometry``
and ``rdf:type`` — one row per triple *and graph*, so that joins over the union
default graph have the engine's bag semantics (a triple in two graphs matches twice).
The planner (:mod:`eolink.sparql.chains`) then answers the chain itself and hands
pyoxigraph the resulting IRIs.

Exactness rules:

* the view of a graph is built from the same payload pyoxigraph loads, parsed with
  pyoxigraph (or, for plain N-Triples/N-Quads lines, a strict pattern whose match count
  must equal the predicate's occurrence count, else pyoxigraph parses them); a graph
  whose view triples contain blank nodes is read back from the store instead, because
  the loader renames blank nodes;
* terms are joined by 64-bit hashes and the joined strings compared, so a collision
  cannot join wrong rows;
* the view is *usable* only while it is known to equal the store: a ``stale`` marker
  (written before a drop or an update, removed when the view has been brought up to
  date) and the store's ``pending`` marker disable it, and a reader opening the store
  beside a writer compares the manifest's sequence number before and after it opened
  the store (see :meth:`FeatureView.token`).

On disk, ``path/features`` holds one Arrow file per graph and ``manifest.json``
(``seq`` and the graph → file map), replaced atomically.

>>> view = FeatureView(None)
>>> triples = ViewTriples.from_rows([
...     (CODES[GEO + "hasGeometry"], "<http://e/f>", "<http://e/g>", 0),
...     (CODES[GEO + "asWKT"], "<http://e/g>", "", 42),
...     (CODES[RDF_TYPE], "<http://e/f>", "<http://e/Parcel>", 0)])
>>> view.commit("http://e/graph", view.stage(triples), replace=True)
>>> view.usable, view.rows()
(True, 3)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from eolink.ontology import GEO, RDF
from eolink.stores.embedded.spatial import GEOMETRY_PREDICATES, write_synced, literal_keys

__all__ = [
    "FeatureView", "ViewTriples", "Relation", "view_triples_in", "term_hashes",
    "VIEW_PREDICATES", "CODES", "RDF_TYPE", "HAS_GEOMETRY_CODES", "TYPE_CODE",
]

RDF_TYPE = RDF + "type"
#: The predicates the view keeps; a triple's code is its predicate's position here.
VIEW_PREDICATES = GEOMETRY_PREDICATES + (GEO + "hasGeometry", GEO + "hasDefaultGeometry", RDF_TYPE)
CODES = {iri: code for code, iri in enumerate(VIEW_PREDICATES)}
#: Codes of the geometry serialisation predicates (objects are literal keys).
LITERAL_CODES = tuple(range(len(GEOMETRY_PREDICATES)))
HAS_GEOMETRY_CODES = (CODES[GEO + "hasGeometry"], CODES[GEO + "hasDefaultGeometry"])
TYPE_CODE = CODES[RDF_TYPE]
_DEFAULT_GRAPH = ""  # the store's default graph (only SPARQL updates write there)


def term_hashes(terms: Sequence[str] | np.ndarray | pa.Array) -> np.ndarray:
    """64-bit hashes of N-Triples terms (vectorised; equal terms, equal hashes).

    >>> bool(term_hashes(["<http://e/a>"])[0] == term_hashes(np.array(["<http://e/a>"], dtype=object))[0])
    True
    """
    if isinstance(terms, (pa.Array, pa.ChunkedArray)):
        terms = terms.to_numpy(zero_copy_only=False)
    values = np.asarray(terms, dtype=object)
    if len(values) == 0:
        return np.empty(0, dtype=np.uint64)
    return pd.util.hash_array(values, categorize=False).astype(np.uint64, copy=False)


@dataclass
class ViewTriples:
    """The view triples of one graph: predicate code, subject, object (IRIs and blank nodes in N-Triples form)."""

    table: pa.Table
    #: blank nodes occur: the labels differ from the store's, so the graph must be read back from the store
    opaque: bool = False

    @staticmethod
    def from_rows(rows: Iterable[tuple[int, str, str, int]], *, opaque: bool = False) -> ViewTriples:
        """From ``(code, subject, object, literal_key)`` rows (object ``""`` and a key for literal codes)."""
        rows = list(rows)
        codes = np.array([r[0] for r in rows], dtype=np.uint8)
        return ViewTriples.from_columns(codes, [r[1] for r in rows], [r[2] for r in rows],
                                        np.array([r[3] for r in rows], dtype=np.uint64), opaque=opaque)

    @staticmethod
    def from_columns(codes: np.ndarray, subjects: Sequence[str], objects: Sequence[str], keys: np.ndarray,
                     *, opaque: bool | None = False) -> ViewTriples:
        """From column arrays; ``opaque=None``: opaque when a term is a blank node (or a quoted triple)."""
        subjects_array = pa.array(subjects, type=pa.large_string())
        objects_array = pa.array(objects, type=pa.large_string())
        if opaque is None:
            opaque = any(
                bool(pc.any(pc.starts_with(column, prefix)).as_py() or False)
                for column in (subjects_array, objects_array) for prefix in ("_:", "<<")
            )
        literal = np.isin(codes, LITERAL_CODES)
        object_hashes = term_hashes(objects if isinstance(objects, list) else objects_array)
        object_hashes[literal] = keys[literal]
        table = pa.table({
            "code": pa.array(codes, type=pa.uint8()),
            "subject": subjects_array,
            "subject_hash": pa.array(term_hashes(subjects if isinstance(subjects, list) else subjects_array), type=pa.uint64()),
            "object": objects_array,
            "object_hash": pa.array(object_hashes, type=pa.uint64()),
        })
        return ViewTriples(_distinct(table), opaque)

    def __len__(self) -> int:
        return self.table.num_rows


def _distinct(table: pa.Table) -> pa.Table:
    """One row per triple (a graph is a set)."""
    n = table.num_rows
    if n == 0:
        return table
    with np.errstate(over="ignore"):
        combined = (
            table.column("subject_hash").to_numpy() * np.uint64(0x9E3779B97F4A7C15)
            ^ table.column("object_hash").to_numpy() * np.uint64(0xC2B2AE3D27D4EB4F)
            ^ table.column("code").to_numpy().astype(np.uint64)
        )
    groups, uniques = pd.factorize(combined)
    if len(uniques) == n:
        return table
    _, first_index = np.unique(groups, return_index=True)
    first = first_index[groups]
    repeated = np.flatnonzero(first != np.arange(n))
    # a repeated key is a duplicate only if the triple itself is the same (hashes can collide)
    same = np.ones(len(repeated), dtype=bool)
    for column in ("code", "subject", "object", "object_hash"):
        values = table.column(column)
        same &= pc.equal(values.take(pa.array(repeated)), values.take(pa.array(first[repeated]))).to_numpy(zero_copy_only=False)
    keep = np.ones(n, dtype=bool)
    keep[repeated[same]] = False
    return table.filter(pa.array(keep))


# -- finding the view triples in a payload ----------------------------------------------------

_LINE_FORMATS = ("nt", "nq")
_TERM = rb"(?:<[^>\s]*>|_:[^\s<>]+?)"
_END = rb"[ \t]*(?:" + _TERM + rb"[ \t]*)?\.[ \t]*(?:#[^\r\n]*)?\r?(?=\n)"  # optional graph term, dot, comment


#: A whole N-Triples/N-Quads line (after its newline) with a view predicate and, as object, a typed
#: literal without escapes (groups 3, 4) or an IRI/blank node (group 5); one pass over the payload.
_VIEW_LINE = re.compile(
    rb"\n[ \t]*(" + _TERM + rb")[ \t]*<(" + b"|".join(re.escape(p.encode()) for p in VIEW_PREDICATES) + rb")>[ \t]*"
    rb'(?:"([^"\\\r\n]*)"\^\^<([^>\s]*)>|(' + _TERM + rb"))" + _END
)


def _lines_naming(payload: bytes, needle: bytes) -> list[bytes]:
    lines = []
    at = payload.find(needle)
    while at >= 0:
        start = payload.rfind(b"\n", 0, at) + 1
        end = payload.find(b"\n", at)
        end = len(payload) if end < 0 else end
        lines.append(payload[start:end])
        at = payload.find(needle, end)
    return lines


#: Payload slice searched per call (a long regular-expression call holds the GIL the loader's thread needs).
_SLICE_BYTES = 8 * 1024 * 1024


def _quick_lines(payload: bytes, pattern: re.Pattern[bytes]) -> dict[str, list[tuple[bytes, ...]]]:
    """Matches of a line pattern, by predicate, for every line of the payload (first and last included)."""
    found: list[tuple[bytes, ...]] = []  # lines after a newline; the first line has none before it
    start = 0
    while start < len(payload):
        # a slice from a newline to just after a newline: every line it holds is whole
        end = payload.find(b"\n", min(start + _SLICE_BYTES, len(payload) - 1))
        end = len(payload) if end < 0 else end + 1
        found.extend(pattern.findall(payload, max(start - 1, 0), end))
        start = end
    first_end = payload.find(b"\n")
    edges = [payload[:first_end if first_end >= 0 else len(payload)]]
    if first_end >= 0 and not payload.endswith(b"\n"):
        edges.append(payload[payload.rfind(b"\n") + 1:])  # no newline after it
    for line in edges:
        found.extend(pattern.findall(b"\n" + line + b"\n"))
    by_predicate: dict[str, list[tuple[bytes, ...]]] = {}
    for match in found:
        by_predicate.setdefault(match[1].decode(), []).append(match)
    return by_predicate


def view_triples_in(
    payload: bytes, fmt: str, parser_format: object, base_iri: str | None = None
) -> tuple[list[tuple[str, str]], list[str], list[int], list[tuple[int, str, str]]]:
    r"""The view triples of serialised RDF as pyoxigraph parses it.

    Returns ``(literals, literal_subjects, literal_codes, iri_triples)``: the geometry
    literals with the subject and predicate code of each of their triples, and the
    ``(code, subject, object)`` triples of ``hasGeometry``/``hasDefaultGeometry``/``rdf:type``
    whose object is an IRI or blank node (terms in N-Triples form). Plain N-Triples and
    N-Quads lines are read by patterns (checked to account for every occurrence of each
    predicate); anything else is parsed by pyoxigraph.

    >>> import pyoxigraph as ox
    >>> data = (b'<http://e/f> <http://www.opengis.net/ont/geosparql#hasGeometry> <http://e/g> .\n'
    ...         b'<http://e/g> <http://www.opengis.net/ont/geosparql#asWKT> "POINT (1 2)"^^<http://www.opengis.net/ont/geosparql#wktLiteral> .\n')
    >>> literals, subjects, codes, triples = view_triples_in(data, "nt", ox.RdfFormat.N_TRIPLES)
    >>> literals, subjects, triples
    ([('POINT (1 2)', 'http://www.opengis.net/ont/geosparql#wktLiteral')], ['<http://e/g>'], [(4, '<http://e/f>', '<http://e/g>')])
    """
    import pyoxigraph as ox

    literals: list[tuple[str, str]] = []
    subjects: list[str] = []
    codes: list[int] = []
    triples: list[tuple[int, str, str]] = []
    # (a base IRI changes nothing there: pyoxigraph's N-Triples and N-Quads parsers reject relative IRIs)
    line_based = fmt in _LINE_FORMATS and b"\\u" not in payload and b"\\U" not in payload
    to_parse: list[bytes] = []
    if line_based:
        quick = _quick_lines(payload, _VIEW_LINE)
        for predicate in VIEW_PREDICATES:
            code = CODES[predicate]
            needle = f"<{predicate}>".encode()
            matches = quick.get(predicate, [])
            if len(matches) != payload.count(needle):
                # something unusual (escapes, a literal class, the IRI elsewhere in a line): pyoxigraph decides
                to_parse.extend(_lines_naming(payload, needle))
            elif code in LITERAL_CODES:
                if any(m[4] for m in matches):  # an IRI object: the filter of a query on it fails; pyoxigraph decides
                    to_parse.extend(_lines_naming(payload, needle))
                    continue
                literals.extend((m[2].decode(), m[3].decode()) for m in matches)
                subjects.extend(m[0].decode() for m in matches)
                codes.extend([code] * len(matches))
            else:
                if any(not m[4] for m in matches):  # a literal object (a literal class?): pyoxigraph decides
                    to_parse.extend(_lines_naming(payload, needle))
                    continue
                triples.extend((code, m[0].decode(), m[4].decode()) for m in matches)
        source = b"\n".join(to_parse) + b"\n"
    else:
        source = payload
    if source.strip():
        for quad in ox.parse(source, format=parser_format, base_iri=base_iri):
            code = CODES.get(quad.predicate.value)
            if code is None:
                continue
            obj = quad.object
            if code in LITERAL_CODES:
                if isinstance(obj, ox.Literal):
                    literals.append((obj.value, obj.datatype.value))
                    subjects.append(str(quad.subject))
                    codes.append(code)
            elif isinstance(obj, (ox.NamedNode, ox.BlankNode)):
                triples.append((code, str(quad.subject), str(obj)))
    return literals, subjects, codes, triples


def build_view_triples(
    literal_keys_of: dict[tuple[str, str], int] | None,
    literals: list[tuple[str, str]],
    subjects: list[str],
    codes: list[int],
    triples: list[tuple[int, str, str]],
) -> ViewTriples:
    """The :class:`ViewTriples` of :func:`view_triples_in`'s output (literal keys as the spatial index computes them)."""
    if literal_keys_of is None:
        unique = list(dict.fromkeys(literals))
        literal_keys_of = dict(zip(unique, literal_keys(unique).tolist()))
    if len(literal_keys_of) == len(literals) and list(literal_keys_of)[:1] == literals[:1]:
        keys = np.fromiter(literal_keys_of.values(), dtype=np.uint64, count=len(literals))  # distinct, in order
    else:
        keys = np.fromiter((literal_keys_of[lit] for lit in literals), dtype=np.uint64, count=len(literals))
    all_codes = np.concatenate([np.asarray(codes, dtype=np.uint8), np.fromiter((t[0] for t in triples), dtype=np.uint8, count=len(triples))])
    all_subjects = subjects + [t[1] for t in triples]
    all_objects = [""] * len(literals) + [t[2] for t in triples]
    all_keys = np.concatenate([keys, np.zeros(len(triples), dtype=np.uint64)])
    return ViewTriples.from_columns(all_codes, all_subjects, all_objects, all_keys, opaque=None)


def view_triples_of_store(store: object, graph: str | None) -> dict[str, list[tuple[int, object, object]]]:
    """Rows ``(code, subject, object)`` per graph (``""``: the default graph) read back from pyoxigraph.

    ``graph``: one graph only; ``None``: every graph and the default graph.
    """
    import pyoxigraph as ox

    rows_by_graph: dict[str, list] = {}
    graph_node = None if graph is None else (ox.DefaultGraph() if graph == _DEFAULT_GRAPH else ox.NamedNode(graph))
    for predicate in VIEW_PREDICATES:
        code = CODES[predicate]
        for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None, graph_node):  # type: ignore[attr-defined]
            name = _DEFAULT_GRAPH if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
            rows_by_graph.setdefault(name, []).append((code, quad.subject, quad.object))
    return rows_by_graph


def _triples_from_quads(rows: list) -> ViewTriples:
    import pyoxigraph as ox

    literals, subjects, codes, triples = [], [], [], []
    for code, subject, obj in rows:
        if code in LITERAL_CODES:
            if isinstance(obj, ox.Literal):
                literals.append((obj.value, obj.datatype.value))
                subjects.append(str(subject))
                codes.append(code)
        elif isinstance(obj, (ox.NamedNode, ox.BlankNode)):
            triples.append((code, str(subject), str(obj)))
    view = build_view_triples(None, literals, subjects, codes, triples)
    view.opaque = False  # read from the store: blank node labels are the store's own
    return view


# -- the view ---------------------------------------------------------------------------------

def _read_manifest(directory: Path) -> dict:
    try:
        return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def disk_state(directory: Path) -> tuple[int, bool]:
    """``(manifest sequence number, stale marker present)`` of the view in ``directory`` as on disk now
    (``-1`` when there is no manifest): a reader compares it before and after opening the store."""
    return _read_manifest(directory).get("seq", -1), (directory / "stale").exists()


@dataclass
class StagedGraph:
    """View triples of a load, written to a temporary file, waiting for :meth:`FeatureView.commit`."""

    triples: ViewTriples
    file: Path | None


class Relation:
    """Rows of one kind of view triple with hash lookups on its columns.

    >>> r = Relation({"subject_hash": np.array([5, 3, 5], dtype=np.uint64)}, {})
    >>> r.lookup("subject_hash", np.array([5, 9], dtype=np.uint64))
    (array([0, 0]), array([0, 2]))
    """

    def __init__(self, columns: dict[str, np.ndarray], strings: dict[str, pa.Array]) -> None:
        self.columns = columns
        self.strings = strings
        self._orders: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def _sorted(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in self._orders:
            values = self.columns[column]
            order = np.argsort(values, kind="stable")
            self._orders[column] = (order, values[order])
        return self._orders[column]

    def lookup(self, column: str, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs ``(i, row)`` with ``column[row] == keys[i]`` (every matching row, in key order)."""
        order, values = self._sorted(column)
        keys = np.asarray(keys, dtype=values.dtype)
        lo = np.searchsorted(values, keys, side="left")
        hi = np.searchsorted(values, keys, side="right")
        counts = hi - lo
        total = int(counts.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        which = np.repeat(np.arange(len(keys)), counts)
        starts = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        return which, order[starts + np.arange(total)]

    def text(self, column: str, rows: np.ndarray) -> np.ndarray:
        """The strings of ``column`` at ``rows`` (an object array)."""
        return self.strings[column].take(pa.array(np.asarray(rows, dtype=np.int64))).to_numpy(zero_copy_only=False)


class FeatureView:
    """The feature–geometry–class triples of the store, per graph (see the module docstring).

    Parameters
    ----------
    directory
        Where the view is persisted; ``None`` keeps it in memory only.
    read_only
        Open without writing (a writer may be working beside it).
    """

    def __init__(self, directory: Path | None, *, read_only: bool = False) -> None:
        self.directory = directory
        self.read_only = read_only
        self._graphs: dict[str, pa.Table] = {}
        self._files: dict[str, str] = {}
        self._seq = 0
        self._relations: dict[str, Relation] | None = None
        self._disabled = False
        #: a file of the view could not be read (only :meth:`rebuild` mends that)
        self.broken = False
        #: no view existed on disk (a store made before the view, or a new one): the writer builds it
        self.fresh = directory is None
        if directory is not None:
            self.fresh = not (directory / "manifest.json").exists()
            if read_only and self.fresh:
                self._disabled = True
                return
            directory.mkdir(parents=True, exist_ok=True)
            manifest = self._read_manifest()
            self._seq = manifest.get("seq", 0)
            for graph, name in manifest.get("graphs", {}).items():
                try:
                    self._graphs[graph] = feather.read_table(directory / name, memory_map=True)
                except (OSError, pa.ArrowInvalid):
                    self.broken = True  # a file the manifest names is gone or unreadable: the writer rebuilds the view
                    continue
                self._files[graph] = name
            if not manifest and not read_only:
                self._write_manifest()
            if not read_only:
                for stale in directory.glob("*.tmp"):
                    stale.unlink(missing_ok=True)
                listed = set(self._files.values())
                for orphan in directory.glob("graph-*.arrow"):  # left by a crash between writing and listing
                    if orphan.name not in listed and not self.broken:
                        orphan.unlink(missing_ok=True)

    # -- state -------------------------------------------------------------------------------

    def _read_manifest(self) -> dict:
        return {} if self.directory is None else _read_manifest(self.directory)

    def _write_manifest(self) -> None:
        if self.directory is None:
            return
        tmp = self.directory / f"manifest-{uuid.uuid4().hex}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump({"seq": self._seq, "graphs": self._files}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.directory / "manifest.json")

    @property
    def stale(self) -> bool:
        """Whether the view may differ from the store (a drop or update was interrupted, or is running)."""
        return self.directory is not None and (self.directory / "stale").exists()

    def mark_stale(self) -> None:
        """Record (durably) that the store is about to change in a way the view follows afterwards."""
        if self.directory is not None:
            (self.directory / "stale").write_text("view being updated\n")
        self._disabled = True

    def mark_current(self) -> None:
        """The view equals the store again."""
        if self.directory is not None:
            (self.directory / "stale").unlink(missing_ok=True)
        self._disabled = False

    def disable(self) -> None:
        """Stop using the view in this process (it may not match the store this process sees)."""
        self._disabled = True

    @property
    def usable(self) -> bool:
        """Whether queries may be answered from the view.

        The ``stale`` marker on disk is read when the store is opened (a writer rebuilds the view,
        a reader disables it); afterwards this process's own writes keep ``_disabled`` current.
        """
        return not (self._disabled or self.broken)

    @property
    def seq(self) -> int:
        """The sequence number of the view this object holds (moves with every change)."""
        return self._seq

    def rows(self) -> int:
        """View triples held, over all graphs."""
        return sum(t.num_rows for t in self._graphs.values())

    # -- writing -----------------------------------------------------------------------------

    def stage(self, triples: ViewTriples) -> StagedGraph:
        """Write a graph's view triples to a temporary file (safe in another thread)."""
        tmp = None
        if self.directory is not None:
            tmp = self.directory / f"staged-{uuid.uuid4().hex}.tmp"
            write_synced(triples.table, tmp)
        return StagedGraph(triples, tmp)

    def discard(self, staged: StagedGraph | None) -> None:
        """Forget a staged graph that will not be committed."""
        if staged is not None and staged.file is not None:
            staged.file.unlink(missing_ok=True)

    def commit(self, graph: str, staged: StagedGraph, *, replace: bool) -> None:
        """Make a staged graph the view of ``graph`` (``replace``) or add it to the graph's view."""
        table = staged.triples.table
        if not replace and graph in self._graphs:
            self.discard(staged)
            merged = pa.concat_tables([self._graphs[graph].combine_chunks(), table])
            staged = self.stage(ViewTriples(_distinct(merged)))
            table = staged.triples.table
        self._install(graph, table, staged.file)

    def _install(self, graph: str, table: pa.Table, file: Path | None) -> None:
        old = self._files.get(graph)
        if self.directory is not None:
            name = f"graph-{hashlib.sha1(graph.encode()).hexdigest()[:16]}-{uuid.uuid4().hex[:8]}.arrow"
            if file is None:
                file = self.directory / f"staged-{uuid.uuid4().hex}.tmp"
                write_synced(table, file)
            os.replace(file, self.directory / name)
            self._files[graph] = name
        self._graphs[graph] = table
        self._seq += 1
        self._write_manifest()
        if old is not None and self.directory is not None and old != self._files.get(graph):
            (self.directory / old).unlink(missing_ok=True)
        self._relations = None

    def drop(self, graph: str) -> None:
        """Forget ``graph``'s view."""
        old = self._files.pop(graph, None)
        if self._graphs.pop(graph, None) is None and old is None:
            return
        self._seq += 1
        self._write_manifest()
        if old is not None and self.directory is not None:
            (self.directory / old).unlink(missing_ok=True)
        self._relations = None

    def rebuild(self, store: object) -> None:
        """Rebuild the whole view from the store's triples (after an update or an interrupted drop)."""
        by_graph = view_triples_of_store(store, None)
        for graph in list(self._graphs):
            if graph not in by_graph:
                self.drop(graph)
        for graph, rows in by_graph.items():
            self._install(graph, _triples_from_quads(rows).table, None)
        self.broken = False
        self.mark_current()

    def read_back(self, store: object, graph: str) -> ViewTriples:
        """One graph's view triples read from the store (for graphs with blank nodes)."""
        rows = view_triples_of_store(store, graph).get(graph, [])
        return _triples_from_quads(rows)

    # -- reading -----------------------------------------------------------------------------

    def relations(self) -> dict[str, Relation]:
        """The view as three relations: ``geometry`` (codes of the serialisation predicates),
        ``has`` (hasGeometry/hasDefaultGeometry) and ``type``."""
        if self._relations is None:
            tables = [t for t in self._graphs.values() if t.num_rows]
            if tables:
                table = pa.concat_tables([t.select(["code", "subject", "subject_hash", "object", "object_hash"]) for t in tables]).combine_chunks()
            else:
                table = ViewTriples.from_rows([]).table
            codes = table.column("code").to_numpy()
            out = {}
            for name, wanted in (("geometry", LITERAL_CODES), ("has", HAS_GEOMETRY_CODES), ("type", (TYPE_CODE,))):
                part = table.filter(pa.array(np.isin(codes, wanted)))
                out[name] = Relation(
                    {c: part.column(c).to_numpy() for c in ("code", "subject_hash", "object_hash")},
                    {c: part.column(c).combine_chunks() for c in ("subject", "object")},
                )
            self._relations = out
        return self._relations
