"""Options shared by several commands, defined once (rasterio's ``rio/options.py`` pattern)."""

from __future__ import annotations

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
