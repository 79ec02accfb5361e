"""``palsar2 calibrate ITEM_ID --out FILE``: sigma0 of a catalog item as a COG."""

from __future__ import annotations

import click

from palsar2.cli.options import (
    chunks_option,
    cog_out_option,
    get_settings,
    home_option,
    open_item,
    progress_option,
    scheduler_option,
    units_option,
    write_image,
)


@click.command()
@click.argument("item_id")
@cog_out_option
@units_option("Output units: dB, linear power or amplitude.")
@chunks_option
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
