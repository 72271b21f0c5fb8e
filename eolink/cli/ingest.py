"""``eolink ingest FILE…``: read, map, validate and load products."""

from __future__ import annotations

from pathlib import Path

import click

from eolink.cli.options import console, data_dir_option, open_store_for

#: ``--dask ADDRESS|local`` (the options module is not this task's to edit; defined here and reused by ``map``).
dask_option = click.option(
    "--dask",
    default=None,
    metavar="ADDRESS|local",
    help="Map on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' for a local cluster.",
)

__all__ = ["command"]


@click.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_dir_option
@click.option("--type", "product_type", default=None, help="Product type (detected when omitted).")
@click.option("--crs", default=None, help="CRS to assume when a file has none (e.g. EPSG:32635).")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation.")
@dask_option
def command(files: tuple[Path, ...], data_dir: Path | None, product_type: str | None, crs: str | None,
            no_validate: bool, dask: str | None) -> None:
    """Ingest product FILES into the store (one named graph each; all or nothing)."""
    import contextlib

    from rich.table import Table

    from eolink.etl.pipeline import ingest

    out = console()
    with contextlib.ExitStack() as stack:
        client = None
        if dask:
            from eolink.etl.distributed import dask_client

            client = stack.enter_context(dask_client(dask))
        store = stack.enter_context(open_store_for(data_dir))
        with out.status("ingesting…") as status:
            results = ingest(
                list(files),
                store,
                product_type=product_type,
                crs=crs,
                validate=not no_validate,
                on_progress=lambda stage, path: status.update(f"{stage} {path.name}"),
                client=client,
            )
    table = Table(title="ingested")
    for column in ("file", "type", "features", "triples", "graph"):
        table.add_column(column)
    for r in results:
        table.add_row(r.path.name, r.product_type, str(r.features), str(r.triples), r.graph)
    out.print(table)
