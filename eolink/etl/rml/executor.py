"""Vectorised execution of a :class:`~eolink.etl.rml.model.Mapping` into N-Quads text.

Each triples map runs over its logical source in chunks of rows. Within a chunk a
term map is evaluated for all rows at once: references are columns, templates are
element-wise concatenations of (IRI-safe) columns, functions take whole columns,
and N-Quads lines are assembled column-wise with pyarrow. Multi-valued references
(JSON arrays, list columns) and joins are handled by row-index joins in pandas.

>>> from eolink.etl.rml.parser import parse_mapping
>>> m = parse_mapping('''
... @prefix rml: <http://w3id.org/rml/> .
... <#T> rml:logicalSource [ rml:source "t"; rml:referenceFormulation rml:CSV ];
...   rml:subjectMap [ rml:template "http://ex.org/{id}" ];
...   rml:predicateObjectMap [ rml:predicate <http://ex.org/name>; rml:objectMap [ rml:reference "name" ] ] .
... ''')
>>> print("".join(execute(m, sources={"t": [{"id": "a b", "name": 'say "hi"'}]})), end="")
<http://ex.org/a%20b> <http://ex.org/name> "say \\"hi\\"" .
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Mapping as AbstractMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from eolink.errors import EolinkError, MappingError
from eolink.etl.rml import _terms as T
from eolink.etl.rml.functions import Function, get_function
from eolink.etl.rml.model import LogicalSource, Mapping, RefObjectMap, TermMap, TriplesMap
from eolink.etl.rml.sources import Table, load_source

__all__ = ["execute"]

_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_NULL = pa.scalar(None, pa.string())


@dataclass
class _Vals:
    """A column of texts/terms and, for each, the row (within the chunk) it came from."""

    rows: np.ndarray
    text: pa.Array
    unique: bool = False  # rows known to be distinct (one value per row)

    def dropna(self) -> _Vals:
        valid = pc.is_valid(self.text)
        if bool(pc.all(valid).as_py() in (True, None)):
            return self
        mask = valid.to_numpy(zero_copy_only=False)
        return _Vals(self.rows[mask], pc.filter(self.text, valid), self.unique)


Term = str | _Vals | None  # constant N-Triples text | per-row terms | default graph


def execute(
    mapping: Mapping,
    *,
    sources: AbstractMapping[str, Table] | None = None,
    base_dir: Path | None = None,
    chunk_rows: int = 100_000,
    database: str | None = None,
    graphs: bool = True,
    run_id: str | None = None,
    row_offset: int = 0,
    binary: bool = False,
) -> Iterator[Any]:
    """Run ``mapping``, yielding blocks of N-Quads text (``str``; UTF-8 ``bytes`` with ``binary=True``).

    Triples in the default graph are written as N-Triples lines (no graph term).
    ``sources`` maps in-memory table names (as written in ``rml:source``) to
    DataFrames, GeoDataFrames or lists of dicts. Every source is read and every
    reference checked before the first block is yielded; rows whose references
    are missing produce no triple. Duplicate lines are removed within a block.
    ``database`` is the connection string SQL logical sources read from when the
    mapping names none (R2RML ``rr:logicalTable``). ``graphs=False`` drops graph
    terms (N-Triples output). ``run_id`` and ``row_offset`` fix blank-node labels
    (``_:b{run_id}t{map}r{row}``), so runs over partitions of a source can
    reproduce the labels of one run over the whole.

    Raises
    ------
    MappingError
        A reference is not a column of its source, or a function is unknown.
    InputError
        A source file is missing or unreadable.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    run = _Run(mapping, sources or {}, base_dir if base_dir is not None else mapping.base_dir, chunk_rows)
    run.database = database
    run.graphs = graphs
    run.row_offset = row_offset
    if run_id is not None:
        run.run_id = run_id
    run.prepare()
    yield from (run.byte_blocks() if binary else run.blocks())


def _align(vals: list[_Vals]) -> tuple[np.ndarray, list[pa.Array]]:
    """Join columns on their rows (a cartesian product within a row when multi-valued)."""
    first = vals[0]
    if all(v.rows is first.rows or (len(v.rows) == len(first.rows) and np.array_equal(v.rows, first.rows))
           for v in vals[1:]) and (first.unique or len(first.rows) == len(np.unique(first.rows))):
        return first.rows, [v.text for v in vals]
    frame = pd.DataFrame({"row": first.rows, "i0": np.arange(len(first.rows))})
    for k, v in enumerate(vals[1:], start=1):
        other = pd.DataFrame({"row": v.rows, f"i{k}": np.arange(len(v.rows))})
        frame = frame.merge(other, on="row", how="inner")
    rows = frame["row"].to_numpy()
    texts = [v.text.take(pa.array(frame[f"i{k}"].to_numpy())) for k, v in enumerate(vals)]
    return rows, texts


def _absolute_template(term_map: TermMap) -> bool:
    """Whether every IRI of this template is absolute and valid whatever the values.

    True for templates starting with an absolute IRI whose literal parts hold only
    IRI characters: the inserted values are IRI-safe (percent-encoded), so the
    per-value resolution and validation can be skipped.
    """
    template = term_map.template
    if term_map.kind != "template" or template is None or not template.parts or template.parts[0][0]:
        return False
    probe = "".join("x" if is_ref else text for is_ref, text in template.parts)
    return bool(re.match(T.VALID_IRI_RE, probe))


class _Run:
    def __init__(self, mapping: Mapping, tables: AbstractMapping[str, Table], base_dir: Path | None,
                 chunk_rows: int) -> None:
        self.mapping = mapping
        self.tables = tables
        self.base_dir = base_dir
        self.chunk_rows = chunk_rows
        self.base_iri = mapping.base_iri
        self.frames: dict[LogicalSource, pd.DataFrame] = {}
        self.list_columns: dict[LogicalSource, set[str]] = {}
        self.maps = {tm.iri: tm for tm in mapping.triples_maps}
        self.index = {tm.iri: k for k, tm in enumerate(mapping.triples_maps)}
        self.run_id = secrets.token_hex(3)
        self.parent_cache: dict[tuple[str, tuple[str, ...]], tuple[np.ndarray, list[pa.Array], pa.Array]] = {}
        self.database: str | None = None
        self.graphs = True  # False: N-Triples, graph terms dropped
        self.row_offset = 0  # added to row numbers in blank-node labels (partitioned runs)

    # -- preparation: read every source once and check every reference --------------------
    def prepare(self) -> None:
        wanted: dict[LogicalSource, set[str]] = {}
        checks: list[tuple[TriplesMap, LogicalSource, str]] = []
        for tm in self.mapping.triples_maps:
            refs = wanted.setdefault(tm.logical_source, set())
            for term_map in self._term_maps(tm):
                for ref in term_map.references():
                    refs.add(ref)
                    checks.append((tm, tm.logical_source, ref))
                self._check_functions(tm, term_map)
            for pom in tm.predicate_object_maps:
                for rom in pom.ref_objects:
                    parent = self.maps[rom.parent]
                    for join in rom.joins:
                        refs.add(join.child)
                        checks.append((tm, tm.logical_source, join.child))
                        wanted.setdefault(parent.logical_source, set()).add(join.parent)
                        checks.append((parent, parent.logical_source, join.parent))
        for source, refs in wanted.items():
            try:
                frame = load_source(source, references=sorted(refs), tables=self.tables, base_dir=self.base_dir,
                                    database=self.database)
            except EolinkError as err:
                users = [tm.name for tm in self.mapping.triples_maps if tm.logical_source == source]
                raise type(err)(f"TriplesMap {users[0]}: {err.message}") from err
            self.frames[source] = frame
            self.list_columns[source] = {
                c for c in frame.columns
                if frame[c].dtype == object and frame[c].map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any()
            }
        for tm, source, ref in checks:
            frame = self.frames[source]
            if ref not in frame.columns and (len(frame) > 0 or len(frame.columns) > 0):
                raise tm.error(f"reference {ref!r} is not a column of source {source.source!r}")

    @staticmethod
    def _term_maps(tm: TriplesMap) -> Iterator[TermMap]:
        yield tm.subject.term
        yield from tm.subject.graphs
        for pom in tm.predicate_object_maps:
            yield from pom.predicates
            yield from pom.objects
            yield from pom.graphs

    def _check_functions(self, tm: TriplesMap, term_map: TermMap) -> None:
        if term_map.function is None:
            return
        if get_function(term_map.function.function) is None:
            raise tm.error(f"unknown function <{term_map.function.function}>")
        for _, inner in term_map.function.inputs:
            self._check_functions(tm, inner)

    # -- emission ---------------------------------------------------------------------
    def arrays(self) -> Iterator[pa.StringArray]:
        """The lines of each chunk of each triples map, as one string array per chunk (no nulls)."""
        for tm in self.mapping.triples_maps:
            frame = self.frames[tm.logical_source]
            for start in range(0, len(frame), self.chunk_rows):
                chunk = frame.iloc[start : start + self.chunk_rows]
                if start:
                    chunk = chunk.reset_index(drop=True)
                lines, distinct = self.quads(tm, chunk, start)
                if lines:
                    arr = pa.concat_arrays([a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
                                            for a in lines])
                    if not distinct:
                        arr = pc.unique(arr)
                    if len(arr):
                        yield arr

    def blocks(self) -> Iterator[str]:
        for arr in self.arrays():
            yield pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(arr)], pa.int32()), arr), "")[0].as_py()

    def byte_blocks(self) -> Iterator[bytes]:
        """UTF-8 blocks straight from the arrays' data buffers (no Python strings: the fast path to files)."""
        for arr in self.arrays():
            if arr.type != pa.string():
                arr = arr.cast(pa.string())
            _, offsets, data = arr.buffers()
            bounds = np.frombuffer(offsets, dtype=np.int32)[arr.offset: arr.offset + len(arr) + 1]
            yield data.slice(int(bounds[0]), int(bounds[-1]) - int(bounds[0])).to_pybytes()

    def quads(self, tm: TriplesMap, chunk: pd.DataFrame, start: int) -> tuple[list[pa.Array], bool]:
        """The lines of one chunk, and whether they are known to be pairwise distinct (no dedup needed).

        Lines are distinct when the subjects are distinct values, one per row, and every
        (predicate, object map) pair has a constant predicate and at most one object per
        row, with no predicate shared by two object maps that could give equal objects.
        Proving this is far cheaper than hashing every line.
        """
        n = len(chunk)
        subject = self.term(tm, tm.subject.term, chunk, start)
        sgraphs = [self.term(tm, g, chunk, start) for g in tm.subject.graphs]
        out: list[pa.Array] = []
        pairs: list[tuple[Term, Term, list[Term]]] = [(_RDF_TYPE, f"<{cls}>", sgraphs) for cls in tm.subject.classes]
        for pom in tm.predicate_object_maps:
            graphs = sgraphs + [self.term(tm, g, chunk, start) for g in pom.graphs]
            preds = [self.term(tm, p, chunk, start) for p in pom.predicates]
            objs = [self.term(tm, o, chunk, start) for o in pom.objects]
            objs += [self.ref_object(tm, rom, chunk, start) for rom in pom.ref_objects]
            pairs += [(p, o, graphs) for p in preds for o in objs]
        for p, o, graphs in pairs:
            out += self.emit(n, subject, p, o, graphs)
        return out, self._distinct(subject, pairs)

    @staticmethod
    def _distinct(subject: Term, pairs: list[tuple[Term, Term, list[Term]]]) -> bool:
        if not (isinstance(subject, _Vals) and subject.unique):
            return False
        objects_of: dict[str, list[Term]] = {}
        for p, o, graphs in pairs:
            if not isinstance(p, str):
                return False
            if not (isinstance(o, str) or (isinstance(o, _Vals) and o.unique)):
                return False
            if any(isinstance(g, _Vals) and not g.unique for g in graphs):
                return False
            objects_of.setdefault(p, []).append(o)
        for objs in objects_of.values():
            if len(objs) > 1 and (any(isinstance(o, _Vals) for o in objs) or len(set(objs)) < len(objs)):  # type: ignore[arg-type]
                return False
        return bool(pc.count_distinct(subject.text).as_py() == len(subject.text))

    def emit(self, n: int, s: Term, p: Term, o: Term, graphs: list[Term]) -> list[pa.Array]:
        if n == 0:
            return []
        out = []
        targets: list[Term] = []
        for g in (graphs if self.graphs else None) or [None]:
            if not any(g is t or (isinstance(g, str) and g == t) for t in targets):
                targets.append(g)
        for g in targets:
            parts: list[Term] = [s, " ", p, " ", o] + ([" ", g] if g is not None else []) + [" .\n"]
            cols = [x for x in parts if isinstance(x, _Vals)]
            if not cols:
                out.append(pa.array(["".join(parts)], pa.string()))  # type: ignore[arg-type]
                continue
            _, texts = _align(cols)
            it = iter(texts)
            line = T.concat(*[next(it) if isinstance(x, _Vals) else x for x in parts])
            out.append(pc.drop_null(line))
        return out

    # -- term maps ------------------------------------------------------------------
    def term(self, tm: TriplesMap, term_map: TermMap, frame: pd.DataFrame, start: int) -> Term:
        if term_map.kind == "constant":
            return term_map.constant
        n = len(frame)
        rows = np.arange(n)
        if term_map.kind == "none":
            labels = pa.array(np.char.add(f"_:b{self.run_id}t{self.index[tm.iri]}r",
                                          (np.arange(start, start + n) + self.row_offset).astype(str)), pa.string())
            return _Vals(rows, labels, True)
        vals = self.text(tm, term_map, frame).dropna()
        text = vals.text
        if term_map.term_type == "IRI":
            if not _absolute_template(term_map):
                text = T.resolve_iris(text, self.base_iri)
            text = T.concat("<", text, ">")
        elif term_map.term_type == "BlankNode":
            text = T.concat("_:", T.blank_labels(text))
        else:
            text = T.concat('"', T.escape_literals(text), '"')
            if term_map.language is not None:
                text = T.concat(text, "@" + term_map.language)
            elif term_map.datatype is not None:
                text = T.concat(text, f"^^<{term_map.datatype}>")
            elif term_map.language_reference is not None:
                lang = self.text(tm, term_map.language_reference, frame).dropna()
                lang = _Vals(lang.rows, pc.if_else(pc.match_substring_regex(lang.text, T.LANGUAGE_TAG_RE),
                                                   pc.utf8_lower(lang.text), _NULL))
                rows_, (t, lt) = _align([_Vals(vals.rows, text), lang])
                return _Vals(rows_, T.concat(t, "@", lt)).dropna()
        return _Vals(vals.rows, text, vals.unique).dropna()

    def column(self, tm: TriplesMap, ref: str, frame: pd.DataFrame, datatype: str | None = None) -> _Vals:
        series = frame[ref]
        if ref in self.list_columns.get(tm.logical_source, ()):
            # list cells (JSON arrays, Python lists): one value per element
            exploded = series.map(lambda v: list(v) if isinstance(v, (list, tuple, np.ndarray)) else v).explode()
            rows = exploded.index.to_numpy()
            return _Vals(rows, T.to_text(exploded.reset_index(drop=True).infer_objects(), datatype))
        return _Vals(np.arange(len(frame)), T.to_text(series, datatype), True)

    def text(self, tm: TriplesMap, term_map: TermMap, frame: pd.DataFrame) -> _Vals:
        """Lexical values of a non-constant term map (IRI-safe where a template builds an IRI)."""
        if term_map.kind == "reference":
            return self.column(tm, term_map.reference, frame, term_map.datatype)  # type: ignore[arg-type]
        if term_map.kind == "template":
            template = term_map.template
            assert template is not None
            refs = list(dict.fromkeys(template.references))
            if not refs:
                return _Vals(np.arange(len(frame)), pa.array([template.parts[0][1] if template.parts else ""]
                                                             * len(frame), pa.string()))
            cols = [self.column(tm, r, frame) for r in refs]
            rows, texts = _align(cols)
            if term_map.term_type == "IRI":
                texts = [T.iri_safe(t) for t in texts]
            by_ref = dict(zip(refs, texts))
            parts = [by_ref[text] if is_ref else text for is_ref, text in template.parts]
            return _Vals(rows, T.concat(*parts), all(c.unique for c in cols))
        if term_map.kind == "function":
            result = self.call(tm, term_map, frame)
            return _Vals(np.arange(len(frame)), T.to_text(result.reset_index(drop=True), term_map.datatype), True)
        if term_map.kind == "constant":
            return _Vals(np.arange(len(frame)), pa.array([term_map.constant_value] * len(frame), pa.string()), True)
        raise MappingError(f"TriplesMap {tm.name}: term map has no value")

    def raw(self, tm: TriplesMap, term_map: TermMap, frame: pd.DataFrame) -> Any:
        """The value of a function input: a scalar for constants, else a Series aligned to ``frame``."""
        if term_map.kind == "constant":
            return term_map.constant_value
        if term_map.kind == "reference":
            return frame[term_map.reference]
        if term_map.kind == "function":
            return self.call(tm, term_map, frame)
        vals = self.text(tm, term_map, frame)
        series = pd.Series(vals.text.to_pandas(), index=vals.rows)
        series = series[~series.index.duplicated()]
        return series.reindex(range(len(frame)))

    def call(self, tm: TriplesMap, term_map: TermMap, frame: pd.DataFrame) -> pd.Series:
        execution = term_map.function
        assert execution is not None
        fn = get_function(execution.function)
        assert fn is not None
        args = self.bind(tm, fn, [(p, self.raw(tm, v, frame)) for p, v in execution.inputs])
        crs = next((a.crs for a in args if getattr(getattr(a, "dtype", None), "name", "") == "geometry"), None)
        if crs is None:
            try:
                crs = getattr(frame, "crs", None)
            except AttributeError:
                crs = None
        try:
            result = fn.impl(*args, crs=crs, n=len(frame))
        except EolinkError as err:
            raise type(err)(f"TriplesMap {tm.name}: function <{fn.iri}>: {err}") from err
        if not isinstance(result, pd.Series):
            result = pd.Series([result] * len(frame))
        return result.reset_index(drop=True)

    @staticmethod
    def bind(tm: TriplesMap, fn: Function, inputs: list[tuple[str | None, Any]]) -> list[Any]:
        if fn.variadic:
            return [v for _, v in inputs]
        slots: list[Any] = [None] * len(fn.params)
        filled = [False] * len(fn.params)
        loose = []
        for param, value in inputs:
            local = re.split(r"[#/]", param)[-1] if param else None
            if local in fn.params and not filled[fn.params.index(local)]:
                k = fn.params.index(local)
                slots[k], filled[k] = value, True
            else:
                loose.append(value)
        for value in loose:
            if False not in filled:
                raise tm.error(f"function <{fn.iri}> takes {len(fn.params)} input(s), got {len(inputs)}")
            k = filled.index(False)
            slots[k], filled[k] = value, True
        if not filled[0]:
            raise tm.error(f"function <{fn.iri}> is missing its input {fn.params[0]!r}")
        return slots

    # -- referencing object maps ----------------------------------------------------------
    def ref_object(self, tm: TriplesMap, rom: RefObjectMap, chunk: pd.DataFrame, start: int) -> _Vals:
        parent = self.maps[rom.parent]
        if not rom.joins:
            if parent.logical_source == tm.logical_source:
                term = self.term(parent, parent.subject.term, chunk, start)
                if isinstance(term, str):
                    return _Vals(np.arange(len(chunk)), pa.array([term] * len(chunk), pa.string()), True)
                return term  # type: ignore[return-value]
            prows, _, pterm = self.parent_side(parent, ())
            n = len(chunk)
            return _Vals(np.repeat(np.arange(n), len(pterm)), pterm.take(pa.array(np.tile(np.arange(len(pterm)), n))),
                         len(pterm) <= 1)
        child_cols = [self.column(tm, j.child, chunk).dropna() for j in rom.joins]
        crows, ctexts = _align(child_cols)
        prows, ptexts, pterm = self.parent_side(parent, tuple(j.parent for j in rom.joins))
        keys = [f"k{k}" for k in range(len(rom.joins))]
        left = pd.DataFrame({"row": crows, **{k: t.to_numpy(zero_copy_only=False) for k, t in zip(keys, ctexts)}})
        right = pd.DataFrame({"term": pterm.to_numpy(zero_copy_only=False),
                              **{k: t.to_numpy(zero_copy_only=False) for k, t in zip(keys, ptexts)}})
        joined = left.merge(right, on=keys, how="inner")
        return _Vals(joined["row"].to_numpy(), pa.array(joined["term"].to_numpy(dtype=object), pa.string()))

    def parent_side(self, parent: TriplesMap, refs: tuple[str, ...]) -> tuple[np.ndarray, list[pa.Array], pa.Array]:
        """Join keys and subject terms of a parent triples map over its whole source (cached)."""
        key = (parent.iri, refs)
        if key not in self.parent_cache:
            frame = self.frames[parent.logical_source]
            subject = self.term(parent, parent.subject.term, frame, 0)
            if isinstance(subject, str):
                subject = _Vals(np.arange(len(frame)), pa.array([subject] * len(frame), pa.string()), True)
            assert isinstance(subject, _Vals)
            cols = [self.column(parent, r, frame).dropna() for r in refs]
            rows, texts = _align([subject, *cols])
            self.parent_cache[key] = (rows, texts[1:], texts[0])
        return self.parent_cache[key]
