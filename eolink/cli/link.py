"""``eolink link``: discover topological relations between two products."""

from __future__ import annotations

from pathlib import Path

import click

from eolink.cli.options import console, data_dir_option, open_store_for

__all__ = ["command"]


@click.command("link")
@click.option("--source", required=True, help="Source product graph IRI.")
@click.option("--target", required=True, help="Target product graph IRI.")
@click.option("--relations", default="all", show_default=True, help="Comma-separated relation names (sfIntersects,…) or 'all'.")
@data_dir_option
def command(source: str, target: str, relations: str, data_dir: Path | None) -> None:
    """Link the features of SOURCE and TARGET with GeoSPARQL relations; the links load into the store."""
    from eolink.interlink.de9im import RELATIONS
    from eolink.interlink.linker import link_graphs

    names = RELATIONS if relations == "all" else tuple(r.strip() for r in relations.split(","))
    out = console()
    with open_store_for(data_dir) as store, out.status("linking…"):
        run = link_graphs(store, source, target, relations=names)
    out.print(f"{run.total} links ({run.candidates} candidate pairs) in <{run.graph}>")
    for name, n in run.links.items():
        out.print(f"  {name}: {n}")
