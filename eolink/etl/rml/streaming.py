"""Bounded-memory execution: a mapping run over its sources chunk by chunk.

:func:`execute` of the engine reads every source whole before it writes. For
sources larger than memory, :func:`execute_streaming` reads a *chunkable* source
a chunk of rows at a time and runs the mapping on each chunk (the chunk replaces
the source as an in-memory table; every other source is empty meanwhile), then
runs the remaining sources once. A source is chunkable when it is a CSV file, a
vector file (``eolr:Features``) or a SQL query, and no referencing object map
joins it to another source or to itself with a join condition (a join needs the
whole parent source). Everything else is read whole, as before.

Row numbers (blank-node labels, feature ids of vector sources) are global, so
with a fixed ``run_id`` the output is the same set of lines as one whole run;
only duplicates that one run removes within a block may repeat across chunks
(the same triples, hence the same graph).

:func:`plan` tells which sources are chunkable; :func:`read_chunks` reads rows
``start:stop`` of one in chunks — :mod:`eolink.etl.distributed` uses both to
spread the chunks over a Dask cluster.

>>> import tempfile
>>> from pathlib import Path
>>> from eolink.etl.rml import load_mapping
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "people.csv").write_text("id,name\\n1,Ann\\n2,Bob\\n3,Cy\\n")
>>> m = load_mapping('''
... @prefix rml: <http://w3id.org/rml/> .
... <#P> rml:logicalSource [ rml:source "people.csv"; rml:referenceFormulation rml:CSV ];
...   rml:subjectMap [ rml:template "http://ex.org/{id}" ];
...   rml:predicateObjectMap [ rml:predicate <http://ex.org/name>; rml:objectMap [ rml:reference "name" ] ] .
... ''', base_dir=folder)
>>> print("".join(execute_streaming(m, chunk_rows=2)), end="")
<http://ex.org/1> <http://ex.org/name> "Ann" .
<http://ex.org/2> <http://ex.org/name> "Bob" .
<http://ex.org/3> <http://ex.org/name> "Cy" .
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping as AbstractMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from eolink.errors import EolinkError, InputError
from eolink.etl.rml.executor import execute
from eolink.etl.rml.model import LogicalSource, Mapping
from eolink.etl.rml.sources import Table, source_key

__all__ = ["Plan", "plan", "read_chunks", "count_rows", "execute_streaming", "resolve_path"]

_CHUNKABLE = ("CSV", "Features", "SQL")


@dataclass(frozen=True)
class Plan:
    """Which logical sources a mapping can read in chunks, and which it must read whole."""

    chunked: tuple[LogicalSource, ...]
    whole: tuple[LogicalSource, ...]

    def empty_tables(self, keep: LogicalSource | None = None) -> dict[str, pd.DataFrame]:
        """Empty in-memory tables standing for every chunked source but ``keep``."""
        return {source_key(s): pd.DataFrame() for s in self.chunked if s != keep}


def plan(mapping: Mapping, *, sources: AbstractMapping[str, Table] | None = None) -> Plan:
    """Split the logical sources of ``mapping`` into chunkable and whole (see the module docstring)."""
    given = set(sources or ())
    maps = {tm.iri: tm for tm in mapping.triples_maps}
    order: list[LogicalSource] = []
    for tm in mapping.triples_maps:
        if tm.logical_source not in order:
            order.append(tm.logical_source)
    blocked: set[LogicalSource] = set()
    for tm in mapping.triples_maps:
        for pom in tm.predicate_object_maps:
            for rom in pom.ref_objects:
                parent = maps[rom.parent].logical_source
                if rom.joins or parent != tm.logical_source:
                    blocked |= {parent, tm.logical_source}
    chunked = tuple(s for s in order if s.formulation in _CHUNKABLE and s not in blocked
                    and source_key(s) not in given)
    return Plan(chunked, tuple(s for s in order if s not in chunked))


def resolve_path(source: LogicalSource, base_dir: Path | None) -> Path:
    """The file of a file source, relative paths resolved as the engine does."""
    base = Path.cwd() if source.relative_to == "cwd" or base_dir is None else base_dir
    path = Path(source.source)
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise InputError(f"source file {path} does not exist")
    return path


def count_rows(source: LogicalSource, *, base_dir: Path | None = None) -> int | None:
    """Rows of a chunkable file source (None for SQL: not counted)."""
    if source.formulation == "SQL":
        return None
    path = resolve_path(source, base_dir)
    if source.formulation == "Features":
        from eolink.etl.readers.vector import feature_count

        return feature_count(path, layer=_layer(source))
    total = 0
    for chunk in _csv_chunks(path, 1_000_000, usecols=[0]):
        total += len(chunk)
    return total


def _layer(source: LogicalSource) -> str | int | None:
    it = source.iterator
    return int(it) if it is not None and it.isdigit() else it


def _csv_chunks(path: Path, chunk_rows: int, *, skip: int = 0, nrows: int | None = None,
                usecols: list[int] | None = None) -> Iterator[pd.DataFrame]:
    """CSV rows as string columns (empty cells missing, as the engine's CSV reader), ``chunk_rows`` at a time.

    pyarrow's streaming CSV reader does the parsing (multi-threaded, arrow strings);
    its record batches are regrouped into frames of ``chunk_rows`` rows.
    """
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        with path.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not a readable CSV file: {err}") from err
    if not header:
        return
    names = header if usecols is None else [header[i] for i in usecols]
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows_after_names=skip, block_size=1 << 22),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in header},
                                                 include_columns=names, strings_can_be_null=True,
                                                 quoted_strings_can_be_null=True, null_values=[""]),
        )
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(f"{path}: not a readable CSV file: {err}") from err
    pending: list[pa.RecordBatch] = []
    have = 0
    left = nrows

    def frame(batches: list[pa.RecordBatch]) -> pd.DataFrame:
        table = pa.Table.from_batches(batches)
        return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)

    while left is None or left > 0:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowInvalid as err:
            raise InputError(f"{path}: not a readable CSV file: {err}") from err
        if left is not None:
            batch = batch.slice(0, left)
            left -= len(batch)
        pending.append(batch)
        have += len(batch)
        while have >= chunk_rows:
            table = pa.Table.from_batches(pending)
            yield frame(table.slice(0, chunk_rows).to_batches())
            rest = table.slice(chunk_rows)
            pending, have = rest.to_batches(), len(rest)
    if have:
        yield frame(pending)


def read_chunks(
    source: LogicalSource,
    *,
    base_dir: Path | None = None,
    database: str | None = None,
    chunk_rows: int = 100_000,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Yield ``(first_row, frame)`` for rows ``start:stop`` of a chunkable source, ``chunk_rows`` at a time.

    Frames are what the engine would read for the whole source, sliced: CSV
    values as strings, vector features with their global row number as ``id``.
    """
    if source.formulation == "SQL":
        from eolink.etl.readers.postgis import iter_postgis

        if start or stop is not None:
            raise InputError("SQL sources are read from the start (no row ranges)")
        dsn = source.source or database
        if not dsn:
            raise InputError("SQL logical source but no database")
        first = 0
        for frame in iter_postgis(dsn, query=source.iterator, chunk_rows=chunk_rows):
            yield first, frame
            first += len(frame)
        return
    path = resolve_path(source, base_dir)
    if source.formulation == "Features":
        from eolink.etl.readers.vector import iter_features

        first = start
        for frame in iter_features(path, chunk_rows=chunk_rows, layer=_layer(source), start=start, stop=stop):
            yield first, frame
            first += len(frame)
        return
    first = start
    for frame in _csv_chunks(path, chunk_rows, skip=start, nrows=None if stop is None else stop - start):
        frame.index = pd.RangeIndex(len(frame))
        yield first, frame
        first += len(frame)


def execute_streaming(
    mapping: Mapping,
    *,
    sources: AbstractMapping[str, Table] | None = None,
    base_dir: Path | None = None,
    chunk_rows: int = 100_000,
    database: str | None = None,
    graphs: bool = True,
    run_id: str | None = None,
    on_rows: Callable[[int], None] | None = None,
    binary: bool = False,
    workers: int = 1,
) -> Iterator[Any]:
    """Run ``mapping`` like :func:`eolink.etl.rml.execute`, reading chunkable sources ``chunk_rows`` at a time.

    ``on_rows`` is called with the number of source rows after each chunk (progress);
    ``binary=True`` yields UTF-8 ``bytes`` blocks (see :func:`eolink.etl.rml.execute`).
    ``workers`` > 1 maps that many chunks at once in threads (pyarrow's kernels release
    the GIL) while the next chunk is read; blocks still come out in chunk order, and
    at most ``workers + 1`` chunks are in memory.
    Memory holds one chunk and its output, plus the sources that must be read whole.

    Raises
    ------
    MappingError, InputError
        As :func:`eolink.etl.rml.execute`; an error in a later chunk stops the run
        after earlier blocks were yielded (write to a temporary file, as ``eolink map`` does).
    """
    base_dir = base_dir if base_dir is not None else mapping.base_dir
    run_id = run_id or secrets.token_hex(3)
    the_plan = plan(mapping, sources=sources)
    given = dict(sources or {})
    common: dict[str, Any] = {"base_dir": base_dir, "chunk_rows": chunk_rows, "database": database,
                              "graphs": graphs, "run_id": run_id, "binary": binary}
    for source in the_plan.chunked:
        tables = {**given, **the_plan.empty_tables(keep=source), **_whole_empty(the_plan)}

        def run_chunk(first: int, frame: pd.DataFrame, tables: dict[str, Any] = tables,
                      source: LogicalSource = source) -> list[Any]:
            try:
                return list(execute(mapping, sources={**tables, source_key(source): frame}, row_offset=first,
                                    **common))
            except EolinkError as err:
                if first:
                    raise type(err)(f"{err.message} (in rows from {first})") from err
                raise

        chunks = read_chunks(source, base_dir=base_dir, database=database, chunk_rows=chunk_rows)
        for rows, blocks in _ordered_map(run_chunk, chunks, workers):
            yield from blocks
            if on_rows is not None:
                on_rows(rows)
    if the_plan.whole:
        yield from execute(mapping, sources={**given, **the_plan.empty_tables()}, **common)


def _ordered_map(fn: Callable[[int, pd.DataFrame], list[Any]], chunks: Iterator[tuple[int, pd.DataFrame]],
                 workers: int) -> Iterator[tuple[int, list[Any]]]:
    """``(rows, fn(first, frame))`` for each chunk, in order, with up to ``workers`` chunks mapped at once."""
    if workers <= 1:
        for first, frame in chunks:
            yield len(frame), fn(first, frame)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eolink-map") as pool:
        pending: deque[Any] = deque()
        try:
            for first, frame in chunks:
                pending.append((len(frame), pool.submit(fn, first, frame)))
                if len(pending) > workers:
                    rows, future = pending.popleft()
                    yield rows, future.result()
            while pending:
                rows, future = pending.popleft()
                yield rows, future.result()
        finally:
            for _, future in pending:
                future.cancel()


def _whole_empty(the_plan: Plan) -> dict[str, pd.DataFrame]:
    return {source_key(s): pd.DataFrame() for s in the_plan.whole}
