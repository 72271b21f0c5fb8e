"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["data_dir_option", "open_store_for", "console"]

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


def open_store_for(data_dir: Path | None, *, read_only: bool = False):  # noqa: ANN201 - EmbeddedStore
    """Open the embedded store of ``data_dir``."""
    from eolink.stores import open_store

    settings = settings_for(data_dir)
    return open_store(settings.store_dir, read_only=read_only)


def console():  # noqa: ANN201 - rich Console
    """The rich console commands print to (stderr for progress, so stdout stays parseable)."""
    from rich.console import Console

    return Console(stderr=True)
