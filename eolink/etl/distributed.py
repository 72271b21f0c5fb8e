"""The same mapping, spread over the partitions of its sources on a Dask cluster.

``--dask ADDRESS`` connects to a running scheduler (``tcp://host:8786``);
``--dask local`` starts a :class:`distributed.LocalCluster` of worker processes on
this machine. Nothing home-made plays the cluster: partitions are ordinary Dask
tasks (``Client.submit``), results come back in partition order, and at most a
few partitions per worker are in flight, so the driver's memory stays bounded.

* :func:`execute_distributed` — ``eolink map --dask``: every chunkable source
  (:func:`eolink.etl.rml.streaming.plan`) is cut into row ranges, each range is
  read *by the worker* (workers need the files at the same paths: a shared file
  system) and mapped with the row offset of its range; the rest of the mapping
  runs as one more task.
* :func:`map_table_distributed` — ``eolink ingest --dask``: the feature table of a
  product, read by the driver, is cut into partitions that are sent to the
  workers and mapped there with the shipped mapping.

Both produce the same lines as the single-process run (row numbers and
blank-node labels are global; give the same ``run_id`` to compare blank nodes).

>>> import tempfile
>>> from pathlib import Path
>>> from eolink.etl.rml import load_mapping
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "p.csv").write_text("id\\n1\\n2\\n3\\n")
>>> m = load_mapping('''
... @prefix rml: <http://w3id.org/rml/> .
... <#P> rml:logicalSource [ rml:source "p.csv" ];
...   rml:subjectMap [ rml:template "http://ex.org/{id}"; rml:class <http://ex.org/C> ] .
... ''', base_dir=folder)
>>> with dask_client("local", workers=1) as client:            # doctest: +SKIP
...     print("".join(execute_distributed(m, client, partition_rows=2)), end="")
<http://ex.org/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex.org/C> .
<http://ex.org/2> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex.org/C> .
<http://ex.org/3> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex.org/C> .
"""

from __future__ import annotations

import contextlib
import secrets
from collections import deque
from collections.abc import Callable, Iterator, Mapping as AbstractMapping
from pathlib import Path
from typing import Any

from eolink.errors import EolinkError, InputError

__all__ = ["dask_client", "execute_distributed", "map_table_distributed", "partition_ranges"]


@contextlib.contextmanager
def dask_client(address: str, *, workers: int | None = None, timeout: str = "10s") -> Iterator[Any]:
    """A :class:`distributed.Client` for ``address`` (``"local"``: a LocalCluster of processes on 127.0.0.1, closed on exit).

    Raises
    ------
    InputError
        The scheduler cannot be reached within ``timeout``, or dask is missing.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:  # pragma: no cover - dask is a dependency
        raise InputError("--dask needs the packages dask and distributed") from err

    if address == "local":
        import os

        n = workers or max(1, min(4, os.cpu_count() or 1))
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                          host="127.0.0.1", silence_logs=40) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError) as err:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {err}") from err
    try:
        yield client
    finally:
        client.close()


def partition_ranges(total: int, partition_rows: int) -> list[tuple[int, int]]:
    """``(start, stop)`` row ranges of at most ``partition_rows`` rows covering ``0:total``.

    >>> partition_ranges(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    if partition_rows < 1:
        raise InputError("partition size must be positive")
    return [(s, min(s + partition_rows, total)) for s in range(0, total, partition_rows)]


def _map_range(mapping: Any, source: Any, start: int, stop: int, empty: list[str], options: dict[str, Any]) -> str:
    """Worker task: map rows ``start:stop`` of ``source`` (every other source empty)."""
    import pandas as pd

    from eolink.etl.rml import execute
    from eolink.etl.rml.sources import source_key
    from eolink.etl.rml.streaming import read_chunks

    tables = {key: pd.DataFrame() for key in empty}
    out: list[str] = []
    for first, frame in read_chunks(source, base_dir=options["base_dir"], database=options["database"],
                                    chunk_rows=options["chunk_rows"], start=start, stop=stop):
        out.extend(execute(mapping, sources={**tables, source_key(source): frame}, row_offset=first, **options))
    return "".join(out)


def _map_rest(mapping: Any, empty: list[str], given: dict[str, Any], options: dict[str, Any]) -> str:
    """Worker task: the sources read whole."""
    import pandas as pd

    from eolink.etl.rml import execute

    return "".join(execute(mapping, sources={**given, **{k: pd.DataFrame() for k in empty}}, **options))


def _ordered(client: Any, calls: list[tuple[Callable[..., Any], tuple[Any, ...]]], in_flight: int,
             on_done: Callable[[int], None] | None = None) -> Iterator[str]:
    """Submit ``calls`` with at most ``in_flight`` pending; yield their results in order."""
    pending: deque[Any] = deque()
    todo = iter(enumerate(calls))
    try:
        for _ in range(in_flight):
            nxt = next(todo, None)
            if nxt is None:
                break
            pending.append((nxt[0], client.submit(nxt[1][0], *nxt[1][1], pure=False)))
        while pending:
            k, future = pending.popleft()
            try:
                result = future.result()
            except EolinkError:
                raise
            future.release()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append((nxt[0], client.submit(nxt[1][0], *nxt[1][1], pure=False)))
            if on_done is not None:
                on_done(k)
            yield result
    finally:
        for _, future in pending:
            future.cancel()


def _workers(client: Any) -> int:
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # noqa: BLE001 - scheduler info is only a sizing hint
        return 1


def execute_distributed(
    mapping: Any,
    client: Any,
    *,
    sources: AbstractMapping[str, Any] | None = None,
    base_dir: Path | None = None,
    database: str | None = None,
    graphs: bool = True,
    run_id: str | None = None,
    partition_rows: int = 250_000,
    chunk_rows: int = 100_000,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """Run ``mapping`` on the Dask cluster of ``client``; yield N-Quads blocks in partition order.

    Parameters are those of :func:`eolink.etl.rml.streaming.execute_streaming`, plus
    ``partition_rows`` (rows per task). SQL query sources are not cut into ranges
    (a query has no stable row order): they run whole in one task.
    """
    from eolink.etl.rml.sources import source_key
    from eolink.etl.rml.streaming import count_rows, plan

    base_dir = base_dir if base_dir is not None else mapping.base_dir
    run_id = run_id or secrets.token_hex(3)
    the_plan = plan(mapping, sources=sources)
    chunked = [s for s in the_plan.chunked if s.formulation != "SQL"]
    whole = [s for s in the_plan.chunked if s.formulation == "SQL"] + list(the_plan.whole)
    options = {"base_dir": base_dir, "database": database, "graphs": graphs, "run_id": run_id,
               "chunk_rows": min(chunk_rows, partition_rows)}
    calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
    sizes: list[int] = []
    all_keys = [source_key(s) for s in the_plan.chunked] + [source_key(s) for s in the_plan.whole]
    for source in chunked:
        empty = [k for k in all_keys if k != source_key(source)]
        total = count_rows(source, base_dir=base_dir) or 0
        for start, stop in partition_ranges(total, partition_rows):
            calls.append((_map_range, (mapping, source, start, stop, empty, options)))
            sizes.append(stop - start)
    if whole:
        empty = [source_key(s) for s in chunked]
        calls.append((_map_rest, (mapping, empty, dict(sources or {}), options)))
        sizes.append(0)
    done = (lambda k: on_rows(sizes[k])) if on_rows is not None else None
    yield from _ordered(client, calls, 2 * _workers(client), done)


def _map_partition(features: Any, product_row: dict[str, Any] | None, product_type: str, run_id: str,
                   row_offset: int) -> str:
    """Worker task: the shipped mapping over one partition of a feature table."""
    from eolink.etl.rml import execute, load_mapping
    from eolink.mappings import mapping_path, mapping_sources

    mapping = load_mapping(mapping_path(product_type))
    row = product_row if product_row is not None else {"product_id": features["product_id"].iloc[0]}
    sources = mapping_sources(features, row)
    if product_row is None:
        sources["product"] = []
    return "".join(execute(mapping, sources=sources, run_id=run_id, row_offset=row_offset))


def map_table_distributed(table: Any, client: Any, *, partition_rows: int = 50_000, run_id: str) -> str:
    """N-Quads of a :class:`~eolink.etl.table.FeatureTable` mapped on the cluster, partition by partition.

    The product row goes with the first partition only, so product triples are
    written once; the result equals :func:`eolink.etl.pipeline.map_table` with the
    same ``run_id``.
    """
    row = table.product.as_row()
    features = table.features.assign(product_id=row["product_id"]) if "product_id" not in table.features \
        else table.features
    ranges = partition_ranges(len(features), partition_rows) or [(0, 0)]
    calls = []
    for k, (start, stop) in enumerate(ranges):
        part = features.iloc[start:stop].reset_index(drop=True)
        calls.append((_map_partition, (part, row if k == 0 else None, table.product.product_type, run_id, start)))
    return "".join(_ordered(client, calls, 2 * _workers(client)))
