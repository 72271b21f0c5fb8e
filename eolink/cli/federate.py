"""``eolink federate``: describe the sources of a federation, query it, serve it as one endpoint."""

from __future__ import annotations

from pathlib import Path

import click

from eolink.cli.options import data_dir_option, settings_for

__all__ = ["command"]

_config_argument = click.argument("config", type=click.Path(dir_okay=False, exists=True, path_type=Path))


@click.group("federate")
def command() -> None:
    """Federated SPARQL over the sources listed in a TOML file (see eolink.sparql.federation.sources)."""


@command.command("describe")
@_config_argument
def describe(config: Path) -> None:
    """(Re)build every source's VoID + spatial/temporal description and save it beside CONFIG."""
    import asyncio

    from eolink.sparql.federation import Federation

    federation = Federation.from_file(config)

    async def run() -> dict:
        try:
            return await federation.describe()
        finally:
            await federation.aclose()

    descriptions = asyncio.run(run())
    for d in descriptions.values():
        box = "no geometries" if d.bbox is None else "bbox " + ", ".join(f"{v:.4f}" for v in d.bbox)
        period = f"{d.time_start} … {d.time_end}" if d.time_start else "no dates"
        click.echo(f"{d.name}: {d.triples} triples, {len(d.predicates)} predicates, {len(d.classes)} classes, {box}, {period}")
    click.echo(f"eolink: descriptions written to {federation.config.descriptions}", err=True)


@command.command("query")
@_config_argument
@click.argument("sparql")
@click.option("--format", "fmt", default="csv", show_default=True, help="Result format (json, xml, csv, tsv, geojson; turtle… for graphs).")
@click.option("--partial", is_flag=True, help="Skip failing sources instead of failing (the answer may be incomplete).")
def query(config: Path, sparql: str, fmt: str, partial: bool) -> None:
    """Run SPARQL (text, or @FILE) over the federation and print the result."""
    import asyncio
    import sys

    from eolink.sparql.federation import Federation
    from eolink.sparql.results import serialize

    if sparql.startswith("@"):
        sparql = Path(sparql[1:]).read_text(encoding="utf-8")
    federation = Federation.from_file(config)
    answer = asyncio.run(federation.query(sparql, partial=partial))
    sys.stdout.buffer.write(serialize(answer.result, fmt))
    if answer.partial:
        click.echo(f"eolink: warning: partial result, failed sources: {', '.join(answer.failed)}", err=True)


@command.command("serve")
@_config_argument
@data_dir_option
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
def serve(config: Path, data_dir: Path | None, host: str | None, port: int | None) -> None:
    """Serve /sparql over the federation in CONFIG (describing the sources first if needed)."""
    import asyncio

    import uvicorn

    from eolink.app.main import create_app
    from eolink.sparql.federation import Federation, load_config

    loaded = load_config(config)
    if loaded.descriptions is not None and not loaded.descriptions.exists() and all(s.kind == "remote" for s in loaded.sources):
        federation = Federation(loaded)
        asyncio.run(federation.describe())
    settings = settings_for(data_dir, host=host, port=port)
    app = create_app(settings)
    app.state.federation_config = config
    click.echo(f"eolink: serving the federation {config} on http://{settings.host}:{settings.port}/sparql", err=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
