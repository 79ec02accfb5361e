"""``palsar2 calibrate ITEM_ID --out FILE``: sigma0 of a catalog item as a COG."""

from __future__ import annotations

from typing import Any

import click

from palsar2.cli.options import get_settings, home_option, progress_option, scheduler_option

UNITS = ("db", "power", "amplitude")


def open_item(home: str | None, item_id: str) -> Any:
    """The catalog item ``item_id`` from the catalog at ``home`` (NotFoundError names it)."""
    from palsar2.catalog import open_catalog

    return open_catalog(home).get(item_id)


def write_image(img: Any, out: str, scheduler: str, progress: bool) -> str:
    """Run the image's graph on the scheduler and write it as a COG; returns the path."""
    from palsar2.raster.scheduler import use_scheduler

    with use_scheduler(scheduler):
        return str(img.to_cog(out, progress=progress))


@click.command()
@click.argument("item_id")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False), help="Output COG path.")
@click.option("--units", type=click.Choice(UNITS), default="db", show_default=True,
              help="Output units: dB, linear power or amplitude.")
@click.option("--chunks", type=click.IntRange(256, 16384), default=2048, show_default=True,
              help="Dask chunk size (pixels per side).")
@home_option
@scheduler_option
@progress_option
def command(item_id: str, out: str, units: str, chunks: int, home: str | None, scheduler: str | None,
            progress: bool) -> None:
    """Calibrate ITEM_ID (DN -> sigma0 with the item's own factor) and write it as a COG."""
    from palsar2.raster.image import Image

    s = get_settings(home, scheduler)
    img = Image.from_item(open_item(str(s.home), item_id), chunks=chunks).sigma0(units)
    click.echo(write_image(img, out, s.scheduler, progress))
