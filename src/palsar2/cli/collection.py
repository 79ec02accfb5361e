"""``palsar2 collection``: the dataset page of a collection, or the list of collections."""

from __future__ import annotations

import json
import textwrap

import click

from palsar2.cli.options import get_settings, home_option


@click.command()
@home_option
@click.argument("name", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def command(home: str | None, name: str | None, fmt: str) -> None:
    """Describe collection NAME (description, availability from the catalog, band, terms,
    citation); without NAME, list the collections and their item counts."""
    from palsar2.catalog import open_catalog

    cat = open_catalog(get_settings(home).home)
    if name is None:
        counts = cat.counts()
        rows = [{"id": cid, "title": cat.definition(cid).title, "items": counts.get(cid, 0)}
                for cid in cat.collections()]
        if fmt == "json":
            click.echo(json.dumps(rows, indent=2))
        else:
            for r in rows:
                click.echo(f"{r['id']:<20} {r['items']:>6} items  {r['title']}")
        return
    coll = cat.collection(name)  # NotFoundError for an unknown name
    d = coll.definition
    assert d is not None
    avail = cat.availability(coll.id or name)
    if fmt == "json":
        click.echo(json.dumps({**d.to_dict(), "items": coll.size(), "availability": avail},
                              indent=2, default=str))
        return
    click.echo(describe_text(d, avail, coll.size()))


def describe_text(d, avail: list[dict], n_items: int) -> str:
    """The dataset page as text."""
    out = [d.title, "=" * len(d.title), "", f"ID: {d.id}"]
    if d.extra.get("earth_engine_id"):
        out.append(f"Earth Engine: {d.extra['earth_engine_id']}")
    out += ["", d.description.rstrip(), ""]
    for b in d.bands:
        out.append(f"Band {b['name']}: {b.get('description', '')}")
    if d.visualisation:
        v = d.visualisation
        out.append(f"Visualisation: min {v.get('min')}, max {v.get('max')} (DN)")
    if d.default_view:
        dv = d.default_view
        out.append(f"Default view: lon {dv['lon']}, lat {dv['lat']}, zoom {dv['zoom']}")
    out += ["", f"Licence: {d.license}", *textwrap.wrap(f"Terms: {d.terms}", 100),
            *textwrap.wrap(f"Citation: {d.citation}", 100), ""]
    if d.beam_table:
        out.append("Published table (date, frames, beam, pass):")
        for e in sorted(d.beam_table, key=lambda e: e.date):
            frames = ", ".join(f"{f:04d}" for f in e.frames)
            out.append(f"  {e.date}  {frames:<18} {e.beam:<6} {e.pass_direction}")
            if e.note:
                out.append(f"      note: {e.note}")
        out.append("")
    out.append(f"Availability in this catalog ({n_items} items):")
    if not avail:
        out.append("  (no items ingested)")
    for r in avail:
        frames = ", ".join(f"{f:04d}" for f in r["frames"])
        out.append(f"  {r['date']}  {frames:<18} {r['beam'] or '-':<6} "
                   f"{r['pass_direction'] or '-':<10} look {r['look_side'] or '-'}  "
                   f"{r['items']} item{'s' if r['items'] != 1 else ''}")
    return "\n".join(out)
