"""The ``palsar2`` command: a thin group over the library, one module per sub-command.

Sub-commands load lazily (``palsar2 --help`` stays fast and one broken optional dependency cannot
break every command). Every :class:`~palsar2.errors.Palsar2Error` becomes one line on stderr and the
error's exit code, here and nowhere else.
"""

from __future__ import annotations

import sys
from importlib import import_module

import click

from palsar2 import __version__
from palsar2.errors import Palsar2Error

# name -> (module, one-line help). Each module defines a click command called ``command``.
COMMANDS: dict[str, tuple[str, str]] = {
    "info": ("palsar2.cli.info", "Show configuration, or describe a product or catalog item."),
    "ingest": ("palsar2.cli.ingest", "Add products (dirs, zips, order folders, EE exports) to the catalog."),
    "search": ("palsar2.cli.search", "Query the catalog like Earth Engine (date, bounds, properties)."),
    "collection": ("palsar2.cli.collection", "Describe a collection and its availability."),
    "stac": ("palsar2.cli.stac", "Export the catalog as a static STAC catalog, or import one."),
    "calibrate": ("palsar2.cli.calibrate", "Write sigma0 (dB, power or amplitude) of an item as a COG."),
    "filter": ("palsar2.cli.filter", "Speckle-filter an item and write a COG."),
    "enl": ("palsar2.cli.enl", "Estimate the equivalent number of looks of an item."),
    "pairs": ("palsar2.cli.pairs", "List before/after pairs for an event date, and why."),
    "change": ("palsar2.cli.change", "Map what changed between a pre- and a post-event scene."),
    "evaluate": ("palsar2.cli.evaluate", "Score a change result against ground truth."),
    "report": ("palsar2.cli.report", "Write the self-contained HTML report of a change result."),
    "simulate": ("palsar2.cli.simulate", "Simulate the StripMap_202401 collection over Noto with truth."),
    "demo": ("palsar2.cli.demo", "Simulate, ingest, detect, report and serve: the whole job."),
    "serve": ("palsar2.cli.serve", "Serve tiles, a STAC API and the web map over HTTP."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, _ = COMMANDS[name]
        try:
            cmd = import_module(module).command
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            # Listed but not built yet: say so instead of a traceback.
            @click.command(name=name, help=COMMANDS[name][1] + " (not available in this build)")
            def missing() -> None:
                raise click.ClickException(f"'{name}' is not available in this build")

            return missing
        cmd.name = name
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table, so --help does not import every command module.
        rows = [(n, COMMANDS[n][1]) for n in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="palsar2")
def cli() -> None:
    """palsar2: ALOS-2 PALSAR-2 StripMap products to disaster maps."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the group and turn library errors into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="palsar2", standalone_mode=False)
    except Palsar2Error as exc:
        click.echo(f"palsar2: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("palsar2: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("palsar2: interrupted", err=True)
        sys.exit(130)
