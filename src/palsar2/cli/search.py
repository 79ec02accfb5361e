"""``palsar2 search``: query the catalog like Earth Engine (``--end`` exclusive)."""

from __future__ import annotations

import json

import click

from palsar2.cli.options import get_settings, home_option


@click.command()
@home_option
@click.option("--collection", default=None, help="Collection ID (default: every collection).")
@click.option("--start", default=None, help="Scene start time from (inclusive), e.g. 2024-01-01.")
@click.option("--end", default=None, help="Scene start time until (exclusive).")
@click.option("--bbox", default=None, help="W,S,E,N in degrees (lon/lat); or lon,lat for a point.")
@click.option("--frame", type=int, default=None, help="Frame number, e.g. 750.")
@click.option("--beam", default=None, help="Beam with look side, e.g. U2-6L.")
@click.option("--pass", "pass_direction", default=None, help="ascending or descending.")
@click.option("--look-side", default=None, help="L (left) or R (right).")
@click.option("--path", "path_", type=int, default=None, help="Path (relative orbit).")
@click.option("--orbit", type=int, default=None, help="Absolute orbit.")
@click.option("--sort", default="start_time", show_default=True, help="Property to sort by.")
@click.option("--descending", is_flag=True, help="Sort in descending order.")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="At most N items.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "ids", "stac"]),
              default="table", show_default=True, help="Output format (stac: an ItemCollection).")
def command(home: str | None, collection: str | None, start: str | None, end: str | None,
            bbox: str | None, frame: int | None, beam: str | None, pass_direction: str | None,
            look_side: str | None, path_: int | None, orbit: int | None, sort: str,
            descending: bool, limit: int | None, fmt: str) -> None:
    """Search items by date, bounds and properties; print a table, JSON, IDs or STAC."""
    from palsar2.catalog import open_catalog
    from palsar2.catalog.query import as_geometry, to_utc
    from palsar2.errors import QueryError

    # Validate here so that messages name the command-line option.
    t0 = to_utc(start, "--start") if start else None
    t1 = to_utc(end, "--end") if end else None
    if t0 and t1 and t1 < t0:
        raise QueryError(f"--end: {end} is before --start {start}")
    geom = as_geometry(bbox, "--bbox") if bbox else None
    cat = open_catalog(get_settings(home).home)
    coll = cat.collection(collection)
    if t0 or t1:
        coll = coll.filter_date(t0 or "1970-01-01", t1 or "9999-12-31")
    if geom is not None:
        coll = coll.filter_bounds(geom)
    props = {"--frame": ("frame", frame), "--beam": ("beam", beam),
             "--pass": ("pass_direction", pass_direction), "--look-side": ("look_side", look_side),
             "--path": ("path", path_), "--orbit": ("orbit", orbit)}
    for option, (name, value) in props.items():
        if value is not None:
            try:
                coll = coll.filter(**{name: value})
            except QueryError as exc:
                raise QueryError(f"{option}: {exc}") from None
    coll = coll.sort(sort, ascending=not descending)
    if limit is not None:
        coll = coll.limit(limit)
    items = coll.items()
    if fmt == "ids":
        for item in items:
            click.echo(item.id)
    elif fmt == "json":
        click.echo(json.dumps([i.to_dict() for i in items], indent=2, default=str))
    elif fmt == "stac":
        import pystac

        ic = pystac.ItemCollection([i.to_stac() for i in items])
        click.echo(json.dumps(ic.to_dict(), indent=2))
    else:
        click.echo(format_table(items))


def format_table(items: list) -> str:
    """Fixed-width table of items: ID, start time, frame, beam, pass, look side, path, orbit."""
    head = ("id", "start (UTC)", "frame", "beam", "pass", "look", "path", "orbit")
    rows = [head] + [(i.id, f"{i.start_time:%Y-%m-%d %H:%M:%S}", _s(i.frame), _s(i.beam),
                      _s(i.pass_direction), _s(i.look_side), _s(i.path), _s(i.orbit))
                     for i in items]
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
    lines.append(f"{len(items)} item{'s' if len(items) != 1 else ''}")
    return "\n".join(lines)


def _s(v: object) -> str:
    return "-" if v is None else str(v)
