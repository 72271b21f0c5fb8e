"""The ``eolink`` command: one click group, one module per command.

Every module of this package that defines ``command`` (a click command or group)
is registered, so adding a command is adding a module. Heavy imports happen
inside the commands so that ``eolink --help`` is instant.
Errors eolink raises on purpose end the command with a one-line message and
exit status 1; usage errors exit with 2.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from eolink import __version__
from eolink.errors import EolinkError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eolink")
def cli() -> None:
    """eolink — semantic linked geodata for Copernicus Earth-observation products."""


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "options":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            cli.add_command(command)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning eolink errors into a one-line message and exit status 1."""
    try:
        cli.main(args=argv, prog_name="eolink", standalone_mode=False)
    except EolinkError as err:
        click.echo(f"eolink: error: {err.message}", err=True)
        return 1
    except click.exceptions.Abort:
        click.echo("eolink: interrupted", err=True)
        return 130
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except KeyboardInterrupt:
        click.echo("eolink: interrupted", err=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
