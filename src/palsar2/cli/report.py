"""``palsar2 report``: the self-contained HTML report of a change result."""

from __future__ import annotations

import click


@click.command()
@click.argument("result_dir", type=click.Path(file_okay=False))
@click.option("--truth", default=None, help="Ground truth (truth.geojson / labels.tif) to add accuracy tables.")
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="HTML path (default RESULT_DIR/report.html).")
def command(result_dir: str, truth: str | None, out: str | None) -> None:
    """Write report.html: maps, histograms with thresholds, areas per class and town, accuracy."""
    from palsar2.change.report import write_report

    click.echo(str(write_report(result_dir, truth=truth, out=out)))
