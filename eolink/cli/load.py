"""``eolink load FILE``: load any RDF file into a named graph."""

from __future__ import annotations

from pathlib import Path

import click

from eolink.cli.options import with_reasoning, console, data_dir_option, open_store_for

__all__ = ["command"]

_SUFFIXES = {".nt": "nt", ".nq": "nq", ".ttl": "ttl", ".trig": "trig", ".rdf": "rdf", ".owl": "rdf", ".xml": "rdf", ".jsonld": "jsonld"}


@click.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@with_reasoning
@click.option("--graph", default=None, help="Named graph IRI (default: file:// IRI of the file).")
@click.option("--replace/--add", default=True, show_default=True, help="Replace the graph or add to it.")
@click.option("--format", "fmt", type=click.Choice(sorted(set(_SUFFIXES.values()))), default=None, help="RDF format (from the suffix when omitted).")
def command(
    files: tuple[Path, ...], data_dir: Path | None, graph: str | None, replace: bool, fmt: str | None, rdfs: bool | None, rewrite: bool | None
) -> None:
    """Load RDF FILES (N-Triples, N-Quads, Turtle, TriG, RDF/XML, JSON-LD) into the store."""
    from eolink.errors import InputError

    out = console()
    with open_store_for(data_dir, rdfs=rdfs, rewrite=rewrite) as store:
        for path in files:
            kind = fmt or _SUFFIXES.get(path.suffix.lower())
            if kind is None:
                raise InputError(f"{path}: unknown RDF format; pass --format")
            target = graph or path.resolve().as_uri()
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeElapsedColumn

            with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TimeElapsedColumn(), console=out) as bar:
                # no total until the loader reports: a pulsing bar and the elapsed time while pyoxigraph loads
                task = bar.add_task(f"loading {path.name}", total=None)
                count = store.load(
                    target, path.read_bytes(), fmt=kind, replace=replace, base_iri=path.resolve().as_uri(),
                    on_progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            out.print(f"{path.name}: {count} triples in <{target}>")
