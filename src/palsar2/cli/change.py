"""``palsar2 change``: map what changed for one pair, or for every pair of an event."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from palsar2.cli.options import get_settings, home_option, progress_option, scheduler_option
from palsar2.errors import ParameterError

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@click.command()
@home_option
@scheduler_option
@progress_option
@click.option("--before", default=None, help="Pre-event item ID (with --event: a pre-event date to pair with).")
@click.option("--after", default=None, help="Post-event item ID.")
@click.option("--event", default=None, help="Event date: process every pair (one subdirectory per pair).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--dem", default=None, type=click.Path(dir_okay=False), help="DEM raster (metres) for terrain masks.")
@click.option("--filter", "filter_", default="refined_lee", show_default=True,
              help="Speckle filter (palsar2.raster), or 'none'.")
@click.option("--size", default=7, show_default=True, type=int, help="Speckle filter window.")
@click.option("--method", default="log_ratio", show_default=True,
              type=click.Choice(["log_ratio", "normalized_difference", "mean_ratio"]))
@click.option("--threshold", default="auto", show_default=True,
              help="auto | otsu | ki | split | cfar | DEC,INC in dB (e.g. -3,3).")
@click.option("--mmu", default=500.0, show_default=True, type=float, help="Minimum mapping unit (m2).")
@click.option("--correct-shift/--no-correct-shift", default=False, show_default=True,
              help="Shift the before image by the measured sub-pixel offset.")
@click.option("--collection", default="StripMap_202401", show_default=True)
def command(home, scheduler, progress, before, after, event, out, dem, filter_, size, method, threshold, mmu,
            correct_shift, collection) -> None:
    """Write log_ratio.tif, classes.tif, polygons (GeoPackage, GeoJSON), stats.json and report.html."""
    from palsar2.catalog import open_catalog
    from palsar2.change import DetectOptions
    from palsar2.change.pairs import pair_report
    from palsar2.raster.scheduler import use_scheduler

    s = get_settings(home, scheduler)
    if event is None and (before is None or after is None):
        raise ParameterError("--before and --after (item IDs), or --event DATE, are required")
    if event is not None and after is not None:
        raise ParameterError("--after: not allowed with --event (every pair of the event is processed)")
    if dem is not None and not Path(dem).exists():
        raise ParameterError(f"--dem {dem}: no such file")
    opts = DetectOptions(filter=None if filter_ == "none" else filter_, size=size, method=method,
                         threshold=threshold, mmu_m2=mmu, correct_shift=correct_shift, progress=progress)
    opts.validate()
    cat = open_catalog(s.home)
    out_dir = Path(out)
    with use_scheduler(s.scheduler):
        if event is None:
            b, a = cat.get(before), cat.get(after)
            _run(b, a, dem, opts, out_dir, None)
            return
        if before is not None and not DATE.match(before):
            raise ParameterError(f"--before {before!r}: with --event it must be a date YYYY-MM-DD")
        pairs, unpaired = pair_report(cat.collection(collection), event, before)
        for u in unpaired:
            click.echo(f"skip {u.after.id}: {u.reason}", err=True)
        if not pairs:
            raise ParameterError(f"--event {event}: no before/after pair in the catalog")
        for k, p in enumerate(pairs, 1):
            click.echo(f"[{k}/{len(pairs)}] {p.name}: {p.reason}", err=True)
            _run(p.before, p.after, dem, opts, out_dir / p.name, p.name)
        click.echo(str(out_dir))


def _run(b, a, dem, opts, out_dir: Path, name) -> None:
    from palsar2.change import detect

    res = detect(b, a, dem=dem, options=opts, pair=name)
    try:
        res.write(out_dir)
    finally:
        res.close()
    st = res.stats
    for side, t in res.thresholds.items():
        if t.fallback:
            click.echo(f"warning: {side} threshold: {t.reason or 'fallback'}; used {t.fallback}", err=True)
    areas = ", ".join(f"{k} {v / 1e4:.2f} ha" for k, v in st["areas_m2"].items() if k != "no_change" and v > 0)
    click.echo(f"{out_dir}: {st['polygons']} polygons; {areas or 'no change mapped'}", file=sys.stdout)
