"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["data_dir_option", "open_store_for", "console", "with_reasoning", "settings_for"]

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory of eolink's state (store, indexes). Default: $EOLINK_DATA_DIR or ~/.local/share/eolink.",
)


def settings_for(data_dir: Path | None, **overrides: object):  # noqa: ANN201 - Settings, imported lazily
    """Settings from the environment with the command's options on top."""
    from eolink.config import Settings

    return Settings.from_env(data_dir=data_dir, **overrides)


reasoning_options = (
    click.option("--rdfs", is_flag=True, default=None, help="RDFS entailment of the data and the GeoSPARQL hierarchy."),
    click.option("--rewrite", is_flag=True, default=None, help="GeoSPARQL query rewrite: topology properties computed from geometries."),
)


def with_reasoning(command):  # noqa: ANN001, ANN201 - click decorator
    """Add ``--rdfs`` and ``--rewrite`` to a command."""
    for option in reversed(reasoning_options):
        command = option(command)
    return command


def open_store_for(data_dir: Path | None, *, read_only: bool = False, rdfs: bool | None = None, rewrite: bool | None = None):  # noqa: ANN201 - EmbeddedStore
    """Open the embedded store of ``data_dir`` (reasoning options from the flags, else the environment)."""
    from eolink.stores import open_store

    settings = settings_for(data_dir, rdfs=rdfs, rewrite=rewrite)
    return open_store(settings.store_dir, read_only=read_only, rdfs=settings.rdfs, rewrite=settings.rewrite)


def console():  # noqa: ANN201 - rich Console
    """The rich console commands print to (stderr for progress, so stdout stays parseable)."""
    from rich.console import Console

    return Console(stderr=True)
