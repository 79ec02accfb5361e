"""``palsar2 evaluate``: score a change result against ground truth (JSON and a table)."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--truth", required=True, help="truth.geojson, labels.tif, or the simulator's OUT/truth/<item id>/.")
@click.option("--result", "result", required=True, type=click.Path(file_okay=False), help="Change result directory.")
@click.option("--mmu", "mmus", default="100,500,2500", show_default=True, help="Minimum mapping units (m2).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON instead of the table.")
def command(truth: str, result: str, mmus: str, as_json: bool) -> None:
    """Pixel precision/recall/F1/IoU per class and object detection rate by size, per MMU."""
    from palsar2.change.evaluate import evaluate, format_table
    from palsar2.errors import ParameterError

    try:
        units = tuple(float(x) for x in mmus.split(","))
    except ValueError:
        raise ParameterError(f"--mmu {mmus!r}: expected comma-separated m2 values like 100,500,2500") from None
    res = evaluate(truth, result, units)
    click.echo(json.dumps(res, indent=2) if as_json else format_table(res))
