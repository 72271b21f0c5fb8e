"""``eolink map --mapping FILE --output FILE``: run an RML mapping standalone.

Relative source paths resolve as the RML specs say (legacy RML / R2RML: the
mapping's directory; current RML: ``rml:root``). Output is streamed to
``OUTPUT.part`` and renamed when complete; an error or Ctrl-C removes it.
"""

from __future__ import annotations

from pathlib import Path

import click

from eolink.cli.ingest import dask_option
from eolink.cli.options import console

__all__ = ["command"]


@click.command("map")
@click.option("--mapping", "mapping_file", required=True, type=click.Path(path_type=Path),
              help="RML or R2RML mapping (Turtle).")
@click.option("--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (N-Triples or N-Quads).")
@click.option("--format", "fmt", type=click.Choice(["nt", "nq"]), default=None,
              help="nt drops graph terms; default from the output suffix (.nt → nt, else nq).")
@click.option("--database", default=None, metavar="DSN",
              help="PostgreSQL/PostGIS connection for R2RML logical tables (rr:tableName, rr:sqlQuery).")
@click.option("--chunk-rows", default=100_000, show_default=True, type=click.IntRange(min=1),
              help="Rows read and mapped at a time (bounds memory).")
@click.option("--workers", default=None, type=click.IntRange(min=1),
              help="Chunks mapped at once in threads (default: the number of CPUs, at most 4).")
@click.option("--partition-rows", default=250_000, show_default=True, type=click.IntRange(min=1),
              help="Rows per Dask task (with --dask).")
@dask_option
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
def command(mapping_file: Path, output: Path, fmt: str | None, database: str | None, chunk_rows: int,
            workers: int | None, partition_rows: int, dask: str | None, quiet: bool) -> None:
    """Run the mapping in --mapping and write its triples to --output."""
    import contextlib
    import time

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from eolink.etl.rml import load_mapping, write_blocks
    from eolink.etl.rml.streaming import execute_streaming

    fmt = fmt or ("nt" if output.suffix.lower() == ".nt" else "nq")
    mapping = load_mapping(mapping_file)
    out = console()
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                            console=out, disable=quiet, transient=True)
        stack.enter_context(progress)
        task = progress.add_task("reading sources…", total=None)
        state = {"rows": 0, "bytes": 0}

        def rows_done(n: int) -> None:
            state["rows"] += n
            progress.update(task, description=f"{state['rows']:,} rows mapped, {state['bytes'] / 2**20:,.0f} MiB written")

        common = {"database": database, "graphs": fmt == "nq", "on_rows": rows_done}
        if dask:
            from eolink.etl.distributed import dask_client, execute_distributed

            client = stack.enter_context(dask_client(dask))
            blocks = execute_distributed(mapping, client, partition_rows=partition_rows, chunk_rows=chunk_rows,
                                         **common)
        else:
            import os

            threads = workers or max(1, min(4, os.cpu_count() or 1))
            blocks = execute_streaming(mapping, chunk_rows=chunk_rows, binary=True, workers=threads, **common)

        def counted():  # noqa: ANN202 - generator of blocks
            for block in blocks:
                state["bytes"] += len(block)
                yield block

        count = write_blocks(counted(), output)
    seconds = time.perf_counter() - started
    out.print(f"wrote {count:,} {'triples' if fmt == 'nt' else 'quads'} to {output} in {seconds:.1f} s")
