"""``palsar2 simulate``: write the simulated StripMap_202401 collection with ground truth."""

from __future__ import annotations

import click


@click.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Output directory (products/, truth/, dem.tif).")
@click.option("--spacing", type=float, default=40.0, show_default=True,
              help="Pixel spacing in metres (2.5 gives full-size ultra-fine frames).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (terrain, events, speckle).")
@click.option("--frames", type=str, default=None,
              help="Comma-separated frame numbers to simulate, e.g. 0760,2830 (default: all 18 scenes).")
@click.option("--progress/--no-progress", default=False, show_default=True, help="Progress bar on stderr.")
def command(out: str, spacing: float, seed: int, frames: str | None, progress: bool) -> None:
    """Simulate the collection's 18 scenes over the real Noto coast, with ground truth."""
    from palsar2.errors import ParameterError
    from palsar2.simulate import simulate

    frame_list = None
    if frames:
        try:
            frame_list = [int(f) for f in frames.replace(" ", "").split(",") if f]
        except ValueError:
            raise ParameterError(f"--frames: {frames!r} is not a comma-separated list of numbers") from None
    res = simulate(out, spacing=spacing, seed=seed, frames=frame_list, progress=progress)
    click.echo(f"{len(res.products)} products ({len(res.skipped)} reused), "
               f"{len(res.truth)} ground truths, DEM {res.dem} in {res.out}")
