"""The spatial index of the embedded store: every geometry literal, its CRS84 envelope, on disk.

The index is keyed by literal (lexical form + datatype), not by graph: the query
planner restricts a variable bound by ``geo:asWKT`` (or ``asGML``, ``asGeoJSON``,
``asKML``) to the literals whose envelope can satisfy a spatial filter, and
pyoxigraph joins that short list with the rest of the query. So the one
invariant that matters is: *every geometry literal in the store is in the
index*. Extra literals (of a dropped graph) only add candidates the exact filter
then rejects; :meth:`SpatialIndex.compact` removes them.

The invariant survives crashes because the index is written *before* the triples
become visible: a load appends a segment (an Arrow IPC file, written to a
temporary name and renamed) and only then commits the graph. A SPARQL update
writes a ``dirty`` marker first and removes it after re-synchronising the index
with the store; a marker found on opening triggers that synchronisation.

Envelopes are in CRS84 and padded (1 % of their size plus 1e-7°) so that the
curvature a straight edge acquires when reprojected can never make an envelope
test reject a pair the exact test, done in the literals' own CRS, accepts.

>>> index = SpatialIndex(None)
>>> index.add([("POINT (24.94 60.17)", GEO + "wktLiteral"), ("POINT (0 0)", GEO + "wktLiteral")])
2
>>> index.candidates((24.9, 60.1, 25.0, 60.2)).tolist()
[0]
>>> index.literal(0)
('POINT (24.94 60.17)', 'http://www.opengis.net/ont/geosparql#wktLiteral')
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import shapely

from eolink.errors import EolinkError
from eolink.ontology import CRS84, GEO

__all__ = ["SpatialIndex", "PreparedSegment", "literal_keys", "GEOMETRY_PREDICATES", "GEOMETRY_DATATYPES"]

#: Predicates whose objects are geometry literals.
GEOMETRY_PREDICATES = (GEO + "asWKT", GEO + "asGML", GEO + "asGeoJSON", GEO + "asKML")
#: Datatypes of geometry literals.
GEOMETRY_DATATYPES = (GEO + "wktLiteral", GEO + "gmlLiteral", GEO + "geoJSONLiteral", GEO + "kmlLiteral")

_PAD_RELATIVE = 0.01
_PAD_ABSOLUTE = 1e-7


def _hash(lexicals: Sequence[str], datatypes: Sequence[str]) -> np.ndarray:
    """64-bit keys of literals (blake2b of datatype and lexical form)."""
    out = np.empty(len(lexicals), dtype=np.uint64)
    for i, (lex, dt) in enumerate(zip(lexicals, datatypes)):  # hashing has no vectorised form; ~1 µs each
        out[i] = int.from_bytes(hashlib.blake2b(f"{dt}\x00{lex}".encode(), digest_size=8).digest(), "little")
    return out


def literal_keys(literals: Sequence[tuple[str, str]]) -> np.ndarray:
    """The index's 64-bit keys of ``(lexical form, datatype IRI)`` literals.

    >>> literal_keys([("POINT (1 2)", GEO + "wktLiteral")]).dtype
    dtype('uint64')
    """
    return _hash([l for l, _ in literals], [d for _, d in literals])


def _parse(lexicals: Sequence[str], datatypes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Geometries (None where a literal does not parse) and normalised CRS IRIs, as the geof: functions parse them."""
    from eolink.sparql.geosparql.crs import normalise_crs_iri
    from eolink.sparql.geosparql.literals import crs_from_iri, parse_wkt_array

    n = len(lexicals)
    geometries = np.full(n, None, dtype=object)
    crss = np.full(n, CRS84, dtype=object)
    kinds = np.asarray(datatypes, dtype=object)
    texts = np.asarray(lexicals, dtype=object)
    wkt = kinds == GEO + "wktLiteral"
    if wkt.any():
        try:
            geometries[wkt], crss[wkt] = parse_wkt_array(texts[wkt].tolist())
        except EolinkError:
            # one bad literal: fall back to parsing them one by one so the good ones are indexed
            for i in np.flatnonzero(wkt):
                geometries[i], crss[i] = _parse_one(texts[i], kinds[i])
    for i in np.flatnonzero(~wkt):  # GML/GeoJSON/KML are rare and have no vectorised parser
        geometries[i], crss[i] = _parse_one(texts[i], kinds[i])
    for crs in set(crss.tolist()):
        mask = crss == crs
        try:
            normal = normalise_crs_iri(crs)
            crs_from_iri(normal)
        except EolinkError:
            geometries[mask] = None
            continue
        crss[mask] = normal
    return geometries, crss


def _envelopes_crs84(geometries: np.ndarray, crss: np.ndarray) -> np.ndarray:
    """Padded CRS84 envelopes ``(n, 4)``; NaN rows for literals that do not parse (they never match)."""
    from eolink.sparql.geosparql.literals import to_crs84

    n = len(geometries)
    envelopes = np.full((n, 4), np.nan)
    for crs in set(crss.tolist()):
        mask = (crss == crs) & ~shapely.is_missing(geometries)
        if not mask.any():
            continue
        try:
            projected = to_crs84(geometries[mask], crs)
        except EolinkError:
            continue
        envelopes[mask] = shapely.bounds(projected)
    width = envelopes[:, 2] - envelopes[:, 0]
    height = envelopes[:, 3] - envelopes[:, 1]
    pad_x = width * _PAD_RELATIVE + _PAD_ABSOLUTE
    pad_y = height * _PAD_RELATIVE + _PAD_ABSOLUTE
    envelopes[:, 0] -= pad_x
    envelopes[:, 2] += pad_x
    envelopes[:, 1] -= pad_y
    envelopes[:, 3] += pad_y
    return envelopes


def _parse_one(lexical: str, datatype: str) -> tuple[object, str]:
    from eolink.sparql.geosparql.terms import parse_geometry

    try:
        value = parse_geometry(lexical, datatype)
    except (EolinkError, ValueError, TypeError):
        return None, CRS84
    return value.geometry, value.crs


@dataclass
class PreparedSegment:
    """Literals parsed and indexed by :meth:`SpatialIndex.prepare`, ready to :meth:`~SpatialIndex.commit`."""

    segment: _Segment
    #: the segment written to a temporary file (renamed on commit), or None for an in-memory index
    file: Path | None


def write_synced(table: pa.Table, path: Path) -> None:
    feather.write_feather(table, path, compression="uncompressed")
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


class _Segment:
    """One immutable batch of indexed literals with its own STRtree."""

    def __init__(self, table: pa.Table, path: Path | None, parsed: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.table = table
        self.path = path
        n = table.num_rows
        if parsed is None:  # opened from disk: rows are parsed when first needed
            self._geometries = np.full(n, None, dtype=object)
            self._crss = np.full(n, None, dtype=object)
            self._done = np.zeros(n, dtype=bool)
        else:
            self._geometries, self._crss = parsed
            self._done = np.ones(n, dtype=bool)
        self.keys = table.column("key").to_numpy()
        env = np.column_stack([table.column(c).to_numpy() for c in ("minx", "miny", "maxx", "maxy")])
        self.envelopes = env
        valid = ~np.isnan(env).any(axis=1)
        self.valid_rows = np.flatnonzero(valid)
        ok = env[valid]
        boxes = np.concatenate([  # in slices: a long call holds the GIL a concurrent load needs
            shapely.box(ok[i:i + 100_000, 0], ok[i:i + 100_000, 1], ok[i:i + 100_000, 2], ok[i:i + 100_000, 3])
            for i in range(0, len(ok), 100_000)
        ]) if len(ok) else np.empty(0, dtype=object)
        self.tree = shapely.STRtree(boxes) if len(boxes) else None

    def __len__(self) -> int:
        return self.table.num_rows

    def parsed(self, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Geometries and CRS IRIs of ``rows`` (all rows when ``None``), each parsed once, when first needed.

        A store reopened with a million literals thus answers its first window query after
        parsing its candidates only, not every literal.
        """
        if rows is None:
            rows = np.arange(len(self))
        rows = np.asarray(rows, dtype=np.int64)
        missing = np.unique(rows[~self._done[rows]])
        if len(missing):
            geometries, crss = _parse(_take(self.table.column("lexical"), missing), _take(self.table.column("datatype"), missing))
            self._geometries[missing], self._crss[missing] = geometries, crss
            self._done[missing] = True
        return self._geometries[rows], self._crss[rows]

    def query(self, box: shapely.Geometry) -> np.ndarray:
        if self.tree is None:
            return np.empty(0, dtype=np.int64)
        return self.valid_rows[self.tree.query(box)]


def _take(column: pa.ChunkedArray, rows: np.ndarray) -> list:
    """``column[rows]`` as Python values, chunk by chunk (``ChunkedArray.take`` concatenates every chunk first)."""
    if column.num_chunks == 1:
        return column.chunk(0).take(pa.array(rows)).to_pylist()
    bounds = np.cumsum([0] + [len(chunk) for chunk in column.chunks])
    which = np.searchsorted(bounds, rows, side="right") - 1
    out: list = [None] * len(rows)
    for c in np.unique(which):
        where = np.flatnonzero(which == c)
        values = column.chunk(int(c)).take(pa.array(rows[where] - bounds[c])).to_pylist()
        for k, position in enumerate(where.tolist()):
            out[position] = values[k]
    return out


class SpatialIndex:
    """Geometry literals of a store with padded CRS84 envelopes (see the module docstring).

    Parameters
    ----------
    directory
        Where segments are persisted; ``None`` keeps the index in memory only.
    read_only
        Open without cleaning up temporary files (a writer may be preparing them).
    """

    def __init__(self, directory: Path | None, *, read_only: bool = False) -> None:
        self.directory = directory
        self._segments: list[_Segment] = []
        self._offsets: list[int] = []
        self._all_keys = np.empty(0, dtype=np.uint64)
        self._key_order: tuple[np.ndarray, np.ndarray] | None = None
        self._lock = threading.RLock()
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            for path in sorted(directory.glob("segment-*.arrow")):
                self._append_segment(_Segment(feather.read_table(path, memory_map=True), path))
            if not read_only:  # a reader must not remove the files of a load in progress
                for stale in directory.glob("*.tmp"):
                    stale.unlink(missing_ok=True)

    # -- state -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(sum(len(s) for s in self._segments))

    @property
    def dirty(self) -> bool:
        """Whether a SPARQL update may have added literals the index has not seen."""
        return self.directory is not None and (self.directory / "dirty").exists()

    def mark_dirty(self) -> None:
        """Record (durably) that the store is about to change outside :meth:`add`."""
        if self.directory is not None:
            (self.directory / "dirty").write_text("sync needed\n")

    def mark_clean(self) -> None:
        """The index covers the store again."""
        if self.directory is not None:
            (self.directory / "dirty").unlink(missing_ok=True)

    def _append_segment(self, segment: _Segment) -> None:
        self._offsets.append(len(self))
        self._segments.append(segment)
        self._all_keys = np.concatenate([self._all_keys, segment.keys])

    # -- writing ---------------------------------------------------------------------------

    def add(self, literals: Iterable[tuple[str, str]]) -> int:
        """Index literals not indexed yet (persisted before returning); return how many were new."""
        return self.commit(self.prepare(literals))

    def prepare(self, literals: Iterable[tuple[str, str]], *, keys: np.ndarray | None = None) -> PreparedSegment | None:
        """Parse literals and compute their envelopes without touching the index (safe in another thread).

        ``None`` when there is nothing to index. :meth:`commit` then persists the result.
        ``keys``: the literals' :func:`literal_keys` when the caller has them (the literals then distinct).
        """
        pairs = list(literals) if keys is not None else list(dict.fromkeys(literals))
        if not pairs:
            return None
        lexicals = [p[0] for p in pairs]
        datatypes = [p[1] for p in pairs]
        if keys is None:
            keys = _hash(lexicals, datatypes)
        with self._lock:
            known = self._all_keys
        new = ~np.isin(keys, known)
        if not new.any():
            return None
        index = np.flatnonzero(new)
        lex = [lexicals[i] for i in index]
        dts = [datatypes[i] for i in index]
        geometries, crss = _parse(lex, dts)
        env = _envelopes_crs84(geometries, crss)
        table = pa.table(
            {
                "key": pa.array(keys[index], type=pa.uint64()),
                "lexical": pa.array(lex, type=pa.large_string()),
                "datatype": pa.array(dts, type=pa.string()).dictionary_encode(),
                "minx": env[:, 0],
                "miny": env[:, 1],
                "maxx": env[:, 2],
                "maxy": env[:, 3],
            }
        )
        tmp = None
        if self.directory is not None:
            # written (and synced) here, so that the thread preparing a load does the I/O too
            tmp = self.directory / f"prepared-{uuid.uuid4().hex}.tmp"
            write_synced(table, tmp)
        return PreparedSegment(_Segment(table, None, (geometries, crss)), tmp)

    def commit(self, prepared: PreparedSegment | None) -> int:
        """Persist a :meth:`prepare`\ d batch (rows indexed meanwhile are skipped); return the rows added."""
        if prepared is None:
            return 0
        with self._lock:
            segment = prepared.segment
            new = ~np.isin(segment.keys, self._all_keys)
            if not new.all():
                if prepared.file is not None:
                    prepared.file.unlink(missing_ok=True)
                if not new.any():
                    return 0
                keep = np.flatnonzero(new)
                geometries, crss = segment.parsed()
                return self.commit(PreparedSegment(_Segment(segment.table.take(pa.array(keep)), None, (geometries[keep], crss[keep])), None))
            path = None
            if self.directory is not None:
                path = self.directory / f"segment-{len(self._segments):06d}-{uuid.uuid4().hex[:8]}.arrow"
                if prepared.file is None:
                    write_synced(segment.table, path.with_suffix(".tmp"))
                    os.replace(path.with_suffix(".tmp"), path)
                else:
                    os.replace(prepared.file, path)
            segment.path = path
            self._append_segment(segment)
            return len(segment)

    def discard(self, prepared: PreparedSegment | None) -> None:
        """Forget a prepared batch that will not be committed (its file is removed)."""
        if prepared is not None and prepared.file is not None:
            prepared.file.unlink(missing_ok=True)

    def sync(self, store: object) -> int:
        """Add every geometry literal of ``store`` the index lacks; return how many were added."""
        values = " ".join(f"<{p}>" for p in GEOMETRY_PREDICATES)
        solutions = store.query(  # type: ignore[attr-defined]
            f"SELECT DISTINCT ?o WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?o FILTER(isLiteral(?o)) }}",
            use_default_graph_as_union=True,
        )
        literals = [(s["o"].value, s["o"].datatype.value) for s in solutions]
        added = self.add(literals)
        self.mark_clean()
        return added

    def compact(self, store: object) -> int:
        """Rewrite the index as one segment holding exactly the store's geometry literals; return rows removed."""
        with self._lock:
            before = len(self)
            old = list(self._segments)
            self._segments, self._offsets, self._all_keys = [], [], np.empty(0, dtype=np.uint64)
            self._key_order = None
            self.sync(store)
            for segment in old:
                if segment.path is not None:
                    segment.path.unlink(missing_ok=True)
            return before - len(self)

    # -- reading ---------------------------------------------------------------------------

    def candidates(self, envelope: tuple[float, float, float, float]) -> np.ndarray:
        """Global row numbers of literals whose padded envelope intersects ``envelope`` (CRS84)."""
        box = shapely.box(*envelope)
        parts = [segment.query(box) + offset for segment, offset in zip(self._segments, self._offsets)]
        return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)

    def neighbours(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs ``(row, other)`` for every indexed literal ``other`` whose envelope intersects ``row``'s."""
        rows = np.asarray(rows, dtype=np.int64)
        env = self.envelopes(rows)
        ok = ~np.isnan(env).any(axis=1)
        rows, env = rows[ok], env[ok]
        boxes = shapely.box(env[:, 0], env[:, 1], env[:, 2], env[:, 3])
        firsts, others = [], []
        for segment, offset in zip(self._segments, self._offsets):
            if segment.tree is None or len(boxes) == 0:
                continue
            i, j = segment.tree.query(boxes)
            firsts.append(rows[i])
            others.append(segment.valid_rows[j] + offset)
        if not firsts:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return np.concatenate(firsts), np.concatenate(others)

    def _locate(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        offsets = np.asarray(self._offsets)
        segment = np.searchsorted(offsets, rows, side="right") - 1
        return segment, rows - offsets[segment]

    def geometries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Parsed geometries (None for unparseable literals) and CRS IRIs of global rows."""
        rows = np.asarray(rows, dtype=np.int64)
        geoms = np.empty(len(rows), dtype=object)
        crss = np.empty(len(rows), dtype=object)
        segment, local = self._locate(rows)
        for s in np.unique(segment):
            mask = segment == s
            geoms[mask], crss[mask] = self._segments[s].parsed(local[mask])
        return geoms, crss

    def envelopes(self, rows: np.ndarray) -> np.ndarray:
        """Padded CRS84 envelopes of global rows."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), 4))
        segment, local = self._locate(rows)
        for s in np.unique(segment):
            mask = segment == s
            out[mask] = self._segments[s].envelopes[local[mask]]
        return out

    def literal(self, row: int) -> tuple[str, str]:
        """(lexical form, datatype IRI) of one global row."""
        segment, local = self._locate(np.asarray([row]))
        table = self._segments[int(segment[0])].table
        return table.column("lexical")[int(local[0])].as_py(), table.column("datatype")[int(local[0])].as_py()

    def literals(self, rows: np.ndarray) -> list[tuple[str, str]]:
        """(lexical form, datatype IRI) of many global rows, in order."""
        rows = np.asarray(rows, dtype=np.int64)
        out: list[tuple[str, str] | None] = [None] * len(rows)
        segment, local = self._locate(rows)
        for s in np.unique(segment):
            where = np.flatnonzero(segment == s)
            table = self._segments[s].table
            lex = _take(table.column("lexical"), local[where])
            dts = _take(table.column("datatype"), local[where])
            for k, position in enumerate(where.tolist()):
                out[position] = (lex[k], dts[k])
        return out  # type: ignore[return-value]

    def keys(self, rows: np.ndarray) -> np.ndarray:
        """The :func:`literal_keys` of global rows."""
        return self._all_keys[np.asarray(rows, dtype=np.int64)]

    def rows_of(self, literals: Sequence[tuple[str, str]]) -> np.ndarray:
        """Global rows of the given literals (those not indexed are left out)."""
        return self.rows_of_keys(_hash([l for l, _ in literals], [d for _, d in literals]))

    def rows_of_keys(self, keys: np.ndarray) -> np.ndarray:
        """Global rows of the literals with these :func:`literal_keys` (unknown keys are left out), in the order of ``keys``."""
        keys = np.asarray(keys, dtype=np.uint64)
        if self._key_order is None or len(self._key_order[0]) != len(self._all_keys):
            order = np.argsort(self._all_keys)
            self._key_order = (order, self._all_keys[order])
        order, ordered = self._key_order
        if not len(order):
            return np.empty(0, dtype=np.int64)
        position = np.clip(np.searchsorted(ordered, keys), 0, len(order) - 1)
        found = ordered[position] == keys
        return order[position[found]]
