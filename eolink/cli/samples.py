"""``eolink samples DIR``: write the demo world's product files."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["command"]


@click.command("samples")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=20210615, show_default=True, help="Random seed of the synthetic products.")
def command(directory: Path, seed: int) -> None:
    """Write the demo world (Helsinki, tile 35VLG) into DIRECTORY."""
    from eolink.samples import write_demo_world

    world = write_demo_world(directory, seed=seed)
    for kind, path in world.products.items():
        click.echo(f"{kind}\t{path}")
