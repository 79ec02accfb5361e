"""Options shared by several commands, defined once (rasterio's ``rio/options.py`` pattern)."""

from __future__ import annotations

from typing import Any

import click

from palsar2.config import Settings, settings

home_option = click.option(
    "--home", type=click.Path(file_okay=False), default=None,
    help="Catalog home (default: $PALSAR2_HOME, else the user data directory).",
)
scheduler_option = click.option(
    "--scheduler", default=None,
    help="Dask scheduler: threads (default), processes, local (LocalCluster) or tcp://host:port. "
    "Default: $PALSAR2_SCHEDULER.",
)
progress_option = click.option("--progress/--no-progress", default=True, show_default=True,
                               help="Show progress bars on stderr.")


def get_settings(home: str | None = None, scheduler: str | None = None) -> Settings:
    return settings(home=home, scheduler=scheduler)


# Options of the commands that write one image of an item as a COG (calibrate, filter).
UNITS = ("db", "power", "amplitude")
cog_out_option = click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
                              help="Output COG path.")
chunks_option = click.option("--chunks", type=click.IntRange(256, 16384), default=2048,
                             show_default=True, help="Dask chunk size (pixels per side).")


def units_option(help: str) -> Any:
    return click.option("--units", type=click.Choice(UNITS), default="db", show_default=True, help=help)


def open_item(home: str | None, item_id: str) -> Any:
    """The catalog item ``item_id`` from the catalog at ``home`` (NotFoundError names it)."""
    from palsar2.catalog import open_catalog

    return open_catalog(home).get(item_id)


def write_image(img: Any, out: str, scheduler: str, progress: bool) -> str:
    """Run the image's graph on the scheduler and write it as a COG; returns the path."""
    from palsar2.raster.scheduler import use_scheduler

    with use_scheduler(scheduler):
        return str(img.to_cog(out, progress=progress))
