"""``eolink serve``: the SPARQL endpoint and the map."""

from __future__ import annotations

from pathlib import Path

import click

from eolink.cli.options import data_dir_option, settings_for, with_reasoning

__all__ = ["command", "run_server"]


def run_server(settings, *, federation: Path | None = None) -> None:  # noqa: ANN001 - eolink.config.Settings
    """Serve the app with uvicorn until interrupted (``federation``: a sources TOML file to answer over)."""
    import uvicorn

    from eolink.app.main import create_app

    app = create_app(settings)
    if federation is not None:
        app.state.federation_config = str(federation)
    click.echo(f"eolink: serving {settings.store_dir} on http://{settings.host}:{settings.port}/ (endpoint /sparql, map /map)", err=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


@click.command("serve")
@data_dir_option
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option("--token", default=None, envvar="EOLINK_TOKEN", help="Bearer token that enables updates (read-only without).")
@click.option("--federation", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Sources TOML file: /sparql answers over these endpoints (see `eolink federate`).")
@with_reasoning
def command(
    data_dir: Path | None, host: str | None, port: int | None, token: str | None, federation: Path | None,
    rdfs: bool | None, rewrite: bool | None,
) -> None:
    """Serve /sparql (SPARQL 1.1 protocol) and /map over the store."""
    run_server(settings_for(data_dir, host=host, port=port, token=token, rdfs=rdfs, rewrite=rewrite), federation=federation)
