"""``palsar2 stac``: export the catalog as a static STAC catalog, or import one."""

from __future__ import annotations

import click

from palsar2.cli.options import get_settings, home_option


@click.group()
def command() -> None:
    """Static STAC catalogs: export the catalog, or import items from one."""


@command.command("export")
@home_option
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--copy-assets", is_flag=True,
              help="Copy local asset files beside each item (relative hrefs).")
def export(home: str | None, directory: str, copy_assets: bool) -> None:
    """Write every item as a self-contained static STAC catalog in DIRECTORY."""
    from palsar2.catalog import open_catalog

    cat = open_catalog(get_settings(home).home)
    path = cat.export_stac(directory, copy_assets=copy_assets)
    click.echo(f"wrote {path} ({len(cat)} items)")


@command.command("import")
@home_option
@click.argument("directory", type=click.Path())
@click.option("--replace", is_flag=True, help="Replace items whose checksum differs.")
def import_(home: str | None, directory: str, replace: bool) -> None:
    """Register the items of the static STAC catalog in DIRECTORY (assets stay where they are)."""
    from palsar2.catalog import open_catalog

    cat = open_catalog(get_settings(home).home)
    report = cat.import_stac(directory, replace=replace)
    for source, reason in report.failed:
        click.echo(f"palsar2: error: {source}: {reason}", err=True)
    click.echo(report.summary())
    if report.failed:
        raise SystemExit(report.errors[0].exit_code if report.errors else 1)
