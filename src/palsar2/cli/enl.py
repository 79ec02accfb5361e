"""``palsar2 enl ITEM_ID``: equivalent number of looks over the item's most homogeneous areas."""

from __future__ import annotations

import json
import sys

import click

from palsar2.cli.filter import parse_params
from palsar2.cli.options import (
    get_settings,
    home_option,
    open_item,
    progress_option,
    scheduler_option,
)
from palsar2.raster.speckle import FILTERS


@click.command()
@click.argument("item_id")
@click.option("--window", type=click.IntRange(4, 1024), default=32, show_default=True,
              help="Side of the square windows searched for homogeneous areas (pixels).")
@click.option("--count", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="How many of the most homogeneous windows to estimate on.")
@click.option("--filter", "filter_name", type=click.Choice(sorted(FILTERS)), default=None,
              help="Estimate after this speckle filter (default: raw sigma0).")
@click.option("--size", type=int, default=None, help="Filter window size (default 7).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="Filter parameter (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the windows used).")
@home_option
@scheduler_option
@progress_option
def command(item_id: str, window: int, count: int, filter_name: str | None, size: int | None,
            params: tuple[str, ...], as_json: bool, home: str | None, scheduler: str | None,
            progress: bool) -> None:
    """Estimate the ENL of ITEM_ID (intensity moments and log-variance estimators)."""
    from palsar2.raster.enl import estimate_enl
    from palsar2.raster.image import Image
    from palsar2.raster.scheduler import use_scheduler

    s = get_settings(home, scheduler)
    img = Image.from_item(open_item(str(s.home), item_id))
    if filter_name:
        img = img.speckle(filter_name, size, **parse_params(params))
    with use_scheduler(s.scheduler) as client:
        if progress and client is None:
            from dask.diagnostics import ProgressBar

            with ProgressBar(out=sys.stderr, minimum=1.0):
                est = estimate_enl(img.data, size=window, count=count)
        else:
            est = estimate_enl(img.data, size=window, count=count)
    d = {"item": item_id, "filter": filter_name or "none", **est.as_dict()}
    if as_json:
        click.echo(json.dumps(d, indent=2))
        return
    click.echo(f"{item_id}  filter={d['filter']}  windows={len(est.windows)}x{window}px")
    click.echo(f"ENL (moments, mean^2/var of intensity): {est.moments:.3f}")
    click.echo(f"ENL (log, trigamma of var ln I):        {est.log:.3f}")
