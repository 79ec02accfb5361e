"""``palsar2 demo``: simulate, ingest, detect, report and serve (the README's first command)."""

from __future__ import annotations

import click

from palsar2.cli.options import get_settings, home_option


@click.command()
@home_option
@click.option("--work", type=click.Path(file_okay=False), default=None,
              help="Simulation and results directory (default: $PALSAR2_HOME/demo); what exists is reused.")
@click.option("--spacing", type=float, default=40.0, show_default=True, help="Pixel spacing in metres.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--detect/--no-detect", default=True, show_default=True,
              help="Map change for every pair of the 2024-01-01 event (and score it against the truth).")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Start the server after writing the files.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Server interface.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Server port.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bars on stderr.")
def command(home: str | None, work: str | None, spacing: float, seed: int, detect: bool, serve: bool,
            host: str, port: int, progress: bool) -> None:
    """Simulate the collection (reusing what exists), ingest it, map change, write reports, serve."""
    from palsar2.demo import run_demo

    s = get_settings(home)
    res = run_demo(s.home, work=work, spacing=spacing, seed=seed, detect=detect, progress=progress,
                   echo=lambda m: click.echo(m, err=True))
    took = ", ".join(f"{k} {v:.0f} s" for k, v in res.timing_s.items())
    click.echo(f"demo files in {res.work} ({took})")
    for p in res.pairs:
        click.echo(f"  report: {p['dir']}/report.html")
    if not serve:
        return
    import uvicorn

    from palsar2.catalog import open_catalog
    from palsar2.server import create_app

    results = res.results_dir if res.results_dir.exists() else None
    app = create_app(open_catalog(s.home), results_dir=results)
    click.echo(f"palsar2: web map at http://{host}:{port}/map/  (STAC API http://{host}:{port}/, "
               f"OpenAPI /docs); Ctrl+C to stop")
    uvicorn.run(app, host=host, port=port, log_level="warning")
