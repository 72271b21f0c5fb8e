"""``eolink search "QUERY"``: semantic search over scenes and products; ``eolink search export-stac DIR``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from eolink.cli.options import data_dir_option, open_store_for, settings_for

__all__ = ["command"]


class _SearchGroup(click.Group):
    """A group whose first argument is a query unless it names a subcommand (``eolink search maize`` works)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["query", *args]
        return super().parse_args(ctx, args)


@click.group("search", cls=_SearchGroup)
def command() -> None:
    """Search scenes and products in words: eolink search "Sentinel-2 over Espoo, summer 2021, cloud below 20 %"."""


def _searcher(store, data_dir: Path | None, *, dense: bool | None = None):  # noqa: ANN001, ANN202 - lazy imports
    from eolink.search import Searcher

    return Searcher(store, settings_for(data_dir).data_dir / "search", dense=dense)


@command.command("query")
@click.argument("text", nargs=-1, required=True)
@data_dir_option
@click.option("--limit", type=int, default=10, show_default=True, help="Number of results.")
@click.option("--mode", type=click.Choice(["hybrid", "bm25", "lexical", "dense"]), default="hybrid", show_default=True)
@click.option("--bbox", default=None, help="Extra spatial filter minlon,minlat,maxlon,maxlat.")
@click.option("--no-dense", is_flag=True, help="Do not load the embedding model.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def query_command(text: tuple[str, ...], data_dir: Path | None, limit: int, mode: str, bbox: str | None, no_dense: bool, as_json: bool) -> None:
    """Search with a free-text query."""
    from eolink.errors import InputError

    box = None
    if bbox:
        try:
            box = tuple(float(v) for v in bbox.split(","))
        except ValueError as err:
            raise InputError("--bbox must be four numbers minlon,minlat,maxlon,maxlat") from err
    with open_store_for(data_dir, read_only=True) as store:  # read-only: works beside `eolink serve`
        results = _searcher(store, data_dir, dense=False if no_dense else None).search(" ".join(text), limit=limit, mode=mode, bbox=box)
    if as_json:
        sys.stdout.write(json.dumps(results.as_dict(), indent=1) + "\n")
        return
    from rich.console import Console

    out = Console()
    understood = results.parsed.describe() if results.parsed else {}
    out.print(f"[dim]understood: {json.dumps(understood, ensure_ascii=False)}[/dim]")
    for note in results.notes:
        out.print(f"[yellow]{note}[/yellow]")
    for rank, hit in enumerate(results.hits, 1):
        r = hit.record
        when = r.start.strftime("%Y-%m-%d") if r.start else ""
        out.print(f"{rank:>2}. [bold]{r.identifier}[/bold] ({r.product_type if r.kind == 'product' else r.platform}, {when}) score {hit.score:.3f}")
        for part in hit.matched:
            detail = part.get("detail") or part.get("terms") or part.get("cosine") or ""
            out.print(f"      ✓ {part['part']} {detail}")
    out.print(f"[dim]{results.total} matching, {len(results.hits)} shown, {results.took_ms:.1f} ms[/dim]")


@command.command("export-stac")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@data_dir_option
def export_command(directory: Path, data_dir: Path | None) -> None:
    """Write the catalogue (scenes and products) as a static STAC catalogue into DIRECTORY."""
    from eolink.search.stac import export_stac

    with open_store_for(data_dir, read_only=True) as store:
        records = _searcher(store, data_dir, dense=False).records()
    path = export_stac(records, directory)
    click.echo(f"eolink: {len(records)} STAC items written, catalogue {path}", err=True)


@command.command("import-stac")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@data_dir_option
@click.option("--product-id", default=None, help="Identifier of the scene-catalogue product (default: the file or folder name).")
def import_command(path: Path, data_dir: Path | None, product_id: str | None) -> None:
    """Ingest the scene Items of a local STAC Catalog / Collection / ItemCollection / Item."""
    from eolink.search.stac import import_stac

    with open_store_for(data_dir) as store:
        result = import_stac(path, store, product_id=product_id)
    click.echo(f"eolink: {result.features} scenes ingested into <{result.graph}>", err=True)
