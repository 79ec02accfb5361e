"""The whole job in one call: simulate (reusing what exists), ingest, map change for every pair of
the event, score it against the simulator's truth, write the reports; the CLI then serves it.

This module sits at the top of the data flow (it uses simulate, catalog and change), like the CLI.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from palsar2.errors import CatalogError

EVENT_DATE = "2024-01-01"
COLLECTION = "StripMap_202401"


@dataclass
class DemoResult:
    """What the demo produced, where, and how long each step took."""

    work: Path
    results_dir: Path
    simulation: Any = None
    ingested: Any = None
    pairs: list[dict[str, Any]] = field(default_factory=list)
    unpaired: list[tuple[str, str]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    timing_s: dict[str, float] = field(default_factory=dict)


def run_demo(home: Path, *, work: Path | None = None, spacing: float = 40.0, seed: int = 0,
             frames: list[int] | None = None, detect: bool = True, progress: bool = False,
             echo: Callable[[str], None] = print) -> DemoResult:
    """Simulate into ``work`` (default ``home/demo``), ingest into the catalog at ``home``, and
    (unless ``detect`` is false) map, score and report every pair of the 2024-01-01 event."""
    from palsar2.catalog import open_catalog
    from palsar2.simulate import simulate

    work = Path(work) if work is not None else Path(home) / "demo"
    res = DemoResult(work=work, results_dir=work / "results")
    t0 = time.perf_counter()
    echo(f"simulating the {COLLECTION} collection into {work} (spacing {spacing} m, seed {seed})")
    sim = simulate(work, spacing=spacing, seed=seed, frames=frames, progress=progress)
    res.simulation, res.timing_s["simulate"] = sim, time.perf_counter() - t0
    res.steps.append("simulate")
    echo(f"  {len(sim.products)} products ({len(sim.skipped)} reused), {len(sim.truth)} ground truths")

    t0 = time.perf_counter()
    cat = open_catalog(home)
    report = cat.ingest([str(p) for p in sim.products], progress=progress)
    res.ingested, res.timing_s["ingest"] = report, time.perf_counter() - t0
    if not report.ok:
        file, reason = report.failed[0]
        raise CatalogError(f"{file}: ingest failed: {reason} ({report.summary()})")
    res.steps.append("ingest")
    echo(f"  catalog {home}: {report.summary()}")
    if not detect:
        return res

    t0 = time.perf_counter()
    _detect_all(cat, sim, res, progress=progress, echo=echo)
    res.timing_s["change"] = time.perf_counter() - t0
    res.steps += ["change", "evaluate", "report"]
    (work / "demo.json").write_text(json.dumps(
        {"pairs": res.pairs, "unpaired": res.unpaired, "timing_s": res.timing_s}, indent=2))
    return res


def _detect_all(cat: Any, sim: Any, res: DemoResult, *, progress: bool,
                echo: Callable[[str], None]) -> None:
    from palsar2.change import DetectOptions, detect, evaluate, write_report
    from palsar2.change.pairs import pair_report

    pairs, unpaired = pair_report(cat.collection(COLLECTION), EVENT_DATE)
    res.unpaired = [(u.after.id, u.reason) for u in unpaired]
    for item_id, why in res.unpaired:
        echo(f"  no pair for {item_id}: {why}")
    opts = DetectOptions(progress=progress)
    truth_root = res.work / "truth"
    for k, p in enumerate(pairs, 1):
        out = res.results_dir / p.name
        echo(f"[{k}/{len(pairs)}] {p.name}: {p.reason}")
        if (out / "stats.json").exists() and (out / "report.html").exists():
            # Results are reused like the simulation: delete the folder to recompute.
            stats = json.loads((out / "stats.json").read_text())
        else:
            result = detect(p.before, p.after, dem=sim.dem, options=opts, pair=p.name)
            try:
                result.write(out)
            finally:
                result.close()
            stats = result.stats
        entry: dict[str, Any] = {"pair": p.name, "before": p.before.id, "after": p.after.id,
                                 "dir": str(out), "areas_m2": stats.get("areas_m2", {})}
        truth = truth_root / p.after.id
        if truth.exists():
            scores = evaluate(truth, out)
            write_report(out)  # picks up evaluation.json
            at = scores["mmu"].get("500") or next(iter(scores["mmu"].values()))
            entry["f1_at_500m2"] = {name: round(v["f1"], 3) for name, v in at.items()}
        res.pairs.append(entry)
        areas = ", ".join(f"{n} {a / 1e4:.1f} ha" for n, a in entry["areas_m2"].items()
                          if n != "no_change" and a > 0)
        echo(f"  {out}: {areas or 'no change mapped'}")
