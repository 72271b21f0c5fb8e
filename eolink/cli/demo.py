"""``eolink demo``: build the demo world, ingest and link it, then serve it."""

from __future__ import annotations

from pathlib import Path

import click

from eolink.cli.options import console, data_dir_option, settings_for

__all__ = ["command"]


@click.command("demo")
@data_dir_option
@click.option("--no-serve", is_flag=True, help="Build the demo store and stop.")
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
def command(data_dir: Path | None, no_serve: bool, host: str | None, port: int | None) -> None:
    """Write the Helsinki demo world, ingest and link it, print a summary, and serve it."""
    from rich.table import Table

    from eolink.demo import build_demo
    from eolink.stores import open_store

    settings = settings_for(data_dir, host=host, port=port)
    out = console()
    samples_dir = settings.data_dir / "samples"
    with open_store(settings.store_dir) as store:
        with out.status("building the demo world…") as status:
            summary = build_demo(store, samples_dir, on_progress=lambda stage, what: status.update(f"{stage}: {what}"))
        products = Table(title="products")
        for column in ("product", "type", "features", "triples"):
            products.add_column(column, justify="right" if column in ("features", "triples") else "left")
        for r in summary.products:
            products.add_row(r.graph.rsplit("/", 1)[-1], r.product_type, str(r.features), str(r.triples))
        links = Table(title="links")
        for column in ("source", "target", "candidates", "links", "by relation"):
            links.add_column(column)
        for run in summary.links:
            detail = ", ".join(f"{k} {v}" for k, v in run.links.items() if v)
            links.add_row(run.source.rsplit("/", 1)[-1], run.target.rsplit("/", 1)[-1], str(run.candidates), str(run.total), detail)
        out.print(products)
        out.print(links)
        out.print(f"store: {settings.store_dir} ({store.count()} triples)")
    if not no_serve:
        from eolink.cli.serve import run_server

        run_server(settings)
