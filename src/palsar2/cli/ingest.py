"""``palsar2 ingest``: add products to the catalog (copies as COGs, or ``--in-place``)."""

from __future__ import annotations

import click

from palsar2.cli.options import get_settings, home_option, progress_option


@click.command()
@home_option
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--in-place", is_flag=True,
              help="Register the originals (GDAL paths, zips read via /vsizip/) without copying.")
@click.option("--replace", is_flag=True,
              help="Replace an item whose ID exists with different image bytes.")
@click.option("--collection", default=None,
              help="Put the items in this collection (default: StripMap_202401 when the date and "
              "frame are in its table, else PALSAR2).")
@click.option("--footprint", type=click.Choice(["data", "summary"]), default="data",
              show_default=True,
              help="Footprint from the valid pixels, or from summary.txt's image corners "
              "(metadata only: faster for large archives).")
@click.option("--date", default=None, help="Earth Engine exports: observation date (YYYY-MM-DD).")
@click.option("--frame", type=int, default=None, help="Earth Engine exports: frame number.")
@click.option("--pass", "pass_direction", type=click.Choice(["ascending", "descending"]),
              default=None, help="Earth Engine exports: pass direction.")
@click.option("--look-side", type=click.Choice(["L", "R"], case_sensitive=False), default=None,
              help="Earth Engine exports: look side.")
@click.option("--orbit", type=int, default=None, help="Earth Engine exports: absolute orbit.")
@progress_option
def command(home: str | None, paths: tuple[str, ...], in_place: bool, replace: bool,
            collection: str | None, footprint: str, date: str | None, frame: int | None,
            pass_direction: str | None, look_side: str | None, orbit: int | None,
            progress: bool) -> None:
    """Ingest product directories, zips, order folders or Earth Engine exports (PATH...).

    Prints what was ingested, skipped and failed; each failure is one line on stderr naming the
    file and the reason, and the exit status is non-zero when any product failed.
    """
    from palsar2.catalog import open_catalog

    ee = {k: v for k, v in (("date", date), ("frame", frame), ("pass_direction", pass_direction),
                            ("look_side", look_side.upper() if look_side else None),
                            ("orbit", orbit)) if v is not None}
    cat = open_catalog(get_settings(home).home)
    report = cat.ingest(list(paths), in_place=in_place, replace=replace, progress=progress,
                        collection=collection, footprint=footprint, **ee)
    for source, reason in report.failed:
        line = reason if source in reason else f"{source}: {reason}"
        click.echo(f"palsar2: error: {line}", err=True)
    for item_id in report.ingested:
        click.echo(f"{'replaced' if item_id in report.replaced else 'ingested'} {item_id}")
    for item_id, reason in report.skipped:
        click.echo(f"skipped {item_id}: {reason}")
    click.echo(report.summary(), err=True)
    if report.failed:
        raise SystemExit(report.errors[0].exit_code if report.errors else 1)
