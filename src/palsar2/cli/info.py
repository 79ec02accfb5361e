"""``palsar2 info``: configuration, or one product / item."""

from __future__ import annotations

import json

import click

from palsar2.cli.options import get_settings, home_option


@click.command()
@home_option
@click.argument("target", required=False)
def command(home: str | None, target: str | None) -> None:
    """Print the configuration; with TARGET (a product path or a catalog item ID) describe it."""
    s = get_settings(home)
    if target is None:
        click.echo(json.dumps(s.as_dict(), indent=2))
        return
    from palsar2.cli._describe import describe

    click.echo(json.dumps(describe(target, s), indent=2, default=str))
