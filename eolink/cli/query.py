"""``eolink query 'SPARQL'``: run a query against the store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from eolink.cli.options import with_reasoning, data_dir_option, open_store_for

__all__ = ["command"]


@click.command("query")
@click.argument("sparql")
@data_dir_option
@with_reasoning
@click.option("--format", "fmt", type=click.Choice(["table", "json", "xml", "csv", "tsv", "turtle", "ntriples"]), default="table", show_default=True)
@click.option("--limit", type=int, default=None, help="Return at most this many rows.")
def command(sparql: str, data_dir: Path | None, fmt: str, limit: int | None, rdfs: bool | None, rewrite: bool | None) -> None:
    """Run SPARQL (a query, or @FILE to read it from a file) over all products."""
    from eolink.sparql.results import serialize

    if sparql.startswith("@"):
        sparql = Path(sparql[1:]).read_text(encoding="utf-8")
    with open_store_for(data_dir, rdfs=rdfs, rewrite=rewrite) as store:
        result = store.query(sparql, limit=limit)
    if fmt != "table":
        if result.kind == "graph" and fmt not in ("turtle", "ntriples"):
            fmt = "turtle"
        sys.stdout.buffer.write(serialize(result, fmt))
        return
    from rich.console import Console
    from rich.table import Table

    out = Console()
    if result.kind == "ask":
        out.print("true" if result.boolean else "false")
    elif result.kind == "graph":
        sys.stdout.buffer.write(serialize(result, "turtle"))
    else:
        table = Table(*result.variables)
        for row in result.rows:
            table.add_row(*("" if t is None else str(t.value) for t in row))
        out.print(table)
        out.print(f"{len(result.rows)} rows" + (" (truncated)" if result.truncated else ""), style="dim")
