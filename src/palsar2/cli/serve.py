"""``palsar2 serve``: tiles, the STAC API and the web map over HTTP (uvicorn, loopback by default)."""

from __future__ import annotations

from pathlib import Path

import click

from palsar2.cli.options import get_settings, home_option


@click.command()
@home_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (loopback by default; 0.0.0.0 exposes it to the network).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port.")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, exists=True,
                                                          path_type=Path),
              default=None, help="Directory of change results (palsar2 change output) to serve.")
@click.option("--cors", "cors", multiple=True, metavar="ORIGIN",
              help="Allow browser requests from this origin (repeatable), e.g. http://localhost:3000.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def command(home: str | None, host: str, port: int, results_dir: Path | None,
            cors: tuple[str, ...], log_level: str) -> None:
    """Serve the catalog: STAC API at /, tiles under /tiles, web map at /map/, OpenAPI at /docs."""
    import uvicorn

    from palsar2.catalog import open_catalog
    from palsar2.server import create_app

    s = get_settings(home)
    catalog = open_catalog(s.home)
    app = create_app(catalog, results_dir=results_dir, cors_origins=cors)
    click.echo(f"palsar2: serving {s.home} on http://{host}:{port}/map/ (STAC API at "
               f"http://{host}:{port}/, OpenAPI at /docs); Ctrl+C to stop", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
