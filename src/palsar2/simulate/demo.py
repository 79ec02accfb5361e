"""The whole job in one call: simulate (reusing what exists), ingest, then detect/report/serve.

The change detection, report and server steps are wired by their packages when they exist
(``palsar2.change``, ``palsar2.server``); until then :func:`run_demo` stops after the ingest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from palsar2.simulate.engine import SimulationResult, simulate


@dataclass
class DemoResult:
    """What the demo produced."""

    work: Path
    simulation: SimulationResult
    ingested: object | None = None
    steps: list[str] = field(default_factory=list)


def run_demo(home: Path, *, work: Path | None = None, spacing: float = 40.0, seed: int = 0,
             frames: list[int] | None = None, progress: bool = False,
             echo: Callable[[str], None] = print) -> DemoResult:
    """Simulate into ``work`` (default ``home/demo``) and ingest into the catalog at ``home``."""
    work = Path(work) if work is not None else Path(home) / "demo"
    echo(f"simulating the StripMap_202401 collection into {work} (spacing {spacing} m, seed {seed})")
    sim = simulate(work, spacing=spacing, seed=seed, frames=frames, progress=progress)
    res = DemoResult(work, sim, steps=["simulate"])
    echo(f"  {len(sim.products)} products ({len(sim.skipped)} reused), {len(sim.truth)} ground truths")
    try:
        from palsar2.catalog import open_catalog
    except ImportError:
        echo("catalog not available in this build: stopping after the simulation")
        return res
    cat = open_catalog(home)
    report = cat.ingest([str(p) for p in sim.products], progress=progress)
    res.ingested = report
    if report.ok and len(report.ingested) + len(report.skipped) < len(sim.products):
        from palsar2.errors import CatalogError

        raise CatalogError(f"{work}: the catalog at {home} ignored {len(sim.products)} products "
                           f"({report.summary()}); catalog.ingest skips sources inside its home")
    if not report.ok:
        from palsar2.errors import CatalogError

        file, reason = report.failed[0]
        raise CatalogError(f"{file}: ingest failed: {reason} ({report.summary()})")
    res.steps.append("ingest")
    echo(f"  catalog {home}: {report.summary()}")
    return res
