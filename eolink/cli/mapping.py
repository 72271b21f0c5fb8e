"""``eolink mapping draft FILE``: draft an editable RML mapping from a source's schema."""

from __future__ import annotations

from pathlib import Path

import click

from eolink.cli.options import console

__all__ = ["command"]


@click.group("mapping")
def command() -> None:
    """Work with RML mappings."""


@command.command("draft")
@click.argument("source")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Mapping file to write (default: stdout).")
@click.option("--class", "class_iri", default=None, metavar="IRI", help="Class of the features (besides geo:Feature).")
@click.option("--base", "base_iri", default=None, metavar="IRI", help="Namespace of the IRIs the mapping mints.")
@click.option("--layer", default=None, help="Only this layer (default: every layer, one class each).")
@click.option("--table", default=None, help="PostGIS table, when SOURCE is a PostgreSQL connection string.")
@click.option("--id", "id_column", default=None, metavar="COLUMN",
              help="Column identifying rows (default: row number for files, primary key for tables).")
def draft(source: str, output: Path | None, class_iri: str | None, base_iri: str | None, layer: str | None,
          table: str | None, id_column: str | None) -> None:
    """Draft an RML mapping for the vector file (or PostGIS --table) SOURCE."""
    from eolink.errors import InputError
    from eolink.etl.draft import draft_mapping

    if table is None and source.startswith(("postgresql://", "postgres://", "host=")):
        raise InputError("a database source needs --table")
    text = draft_mapping(source if table is not None else Path(source),
                         mapping_dir=(output.parent if output is not None else Path.cwd()),
                         class_iri=class_iri, base_iri=base_iri, layer=layer, table=table, id_column=id_column)
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    console().print(f"wrote {output}")
