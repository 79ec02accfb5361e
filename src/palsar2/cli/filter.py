"""``palsar2 filter ITEM_ID --filter NAME --out FILE``: speckle-filtered sigma0 as a COG."""

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
from palsar2.errors import ParameterError
from palsar2.raster.speckle import FILTERS


def parse_params(pairs: tuple[str, ...]) -> dict[str, float]:
    """KEY=VALUE pairs into filter parameters (numbers); ParameterError naming a bad one."""
    out: dict[str, float] = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise ParameterError(f"param: expected KEY=VALUE, got {p!r}")
        try:
            num = float(value)
        except ValueError:
            raise ParameterError(f"{key}: not a number: {value!r}") from None
        out[key.strip()] = int(num) if key.strip() == "target_size" else num
    return out


@click.command()
@click.argument("item_id")
@click.option("--filter", "filter_name", required=True, type=click.Choice(sorted(FILTERS)),
              help="Speckle filter.")
@click.option("--size", type=int, default=None, help="Window size (odd; default 7).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Filter parameter, e.g. looks=2, damping=1, sigma=0.7 (repeatable).")
@cog_out_option
@units_option("Output units (filtering itself is done in linear power).")
@chunks_option
@home_option
@scheduler_option
@progress_option
def command(item_id: str, filter_name: str, size: int | None, params: tuple[str, ...], out: str, units: str,
            chunks: int, home: str | None, scheduler: str | None, progress: bool) -> None:
    """Speckle-filter ITEM_ID's sigma0 and write it as a COG."""
    from palsar2.raster.image import Image

    s = get_settings(home, scheduler)
    img = Image.from_item(open_item(str(s.home), item_id), chunks=chunks)
    img = img.speckle(filter_name, size, **parse_params(params)).sigma0(units)
    click.echo(write_image(img, out, s.scheduler, progress))
