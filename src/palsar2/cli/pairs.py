"""``palsar2 pairs``: before/after pairs for an event date, and why (also items left unpaired)."""

from __future__ import annotations

import json

import click

from palsar2.cli.options import get_settings, home_option


@click.command()
@home_option
@click.option("--event", required=True, help="Event date (YYYY-MM-DD); items on or after it are post-event.")
@click.option("--before", "before", default=None, help="Pre-event date to pair with (default: the latest).")
@click.option("--collection", default="StripMap_202401", show_default=True, help="Collection ID.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def command(home: str | None, event: str, before: str | None, collection: str, fmt: str) -> None:
    """List every post-event item with its pre-event twin (same path, frame, look side, pass)."""
    from palsar2.catalog import open_catalog
    from palsar2.change.pairs import pair_report, pairs_table

    s = get_settings(home)
    coll = open_catalog(s.home).collection(collection)
    pairs, unpaired = pair_report(coll, event, before)
    if fmt == "json":
        click.echo(json.dumps({"pairs": [{"name": p.name, "before": p.before.id, "after": p.after.id,
                                          "reason": p.reason} for p in pairs],
                               "unpaired": [{"after": u.after.id, "reason": u.reason} for u in unpaired]},
                              indent=2))
    else:
        click.echo(pairs_table(pairs, unpaired))
