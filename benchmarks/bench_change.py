"""Change detection quality on simulated collections (seeds the tests do not use) and full-frame scale.

Quality: frames 0760 (seed 202) and 0770 (seed 303) of the ascending-left pair simulated at 10 m,
cropped to the part of each frame that holds the events, detected with the default options and a
DEM, scored against the simulator's truth. Scale: one full 2.5 m frame pair from DN (catalog COGs)
to polygons, with peak memory sampled from /proc.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(os.environ.get("PALSAR2_BENCH_DIR", Path(__file__).resolve().parent.parent / "bench-output" / "change"))
QUALITY = ((202, 760), (303, 770))
# knobs for quick quality-only runs: PALSAR2_BENCH_SPACING="5,10" (metres, quality part),
# PALSAR2_BENCH_SEEDS="101:760,7:770" (tuning seeds), PALSAR2_BENCH_SCALE=0 (skip the full-frame run)
IBURI_F1 = 0.32
PREVIOUS_DEFAULTS = (
    "Previous defaults (landslides from decreases only, object test over 50 m at 5.5 sigmas; measured "
    "2026-12-01 08:25 UTC, same simulator): landslide object rate / object precision, seed 202 / 303: "
    "10 m 0.32 / 0.77 and 0.32 / 0.69; 5 m 0.50 / 0.86 and 0.45 / 0.85. Tuning seeds (101 / 7, not "
    "reported above) went with the new defaults from 0.28 / 0.70 and 0.33 / 0.69 to 0.39 / 0.78 and "
    "0.44 / 0.69 at 10 m, and from 0.43 / 0.86 and 0.53 / 0.87 to 0.59 / 0.90 and 0.72 / 0.93 at 5 m. "
    "Burnt area on the tuning seeds is untouched by the landslide work and fragile: 0.51x (101, 10 m), "
    "0.74x (101, 5 m), 0.00x (7, 5 m; no burnt district mapped).")
WHY_MISSED = (
    "Why the object rate stays under 0.7: a 2,500 m2 slide is 25 px at 10 m (100 at 5 m), so even the mean over "
    "the whole slide has about 1.2 dB (0.6 dB) of speckle noise, while about half the slides of at least "
    "2,500 m2 change by under 3 dB (scar and forest backscatter cross near 29 deg local incidence). Diagnosis "
    "on seed 202 (not used for tuning): 20% of those slides lie mostly outside the landslide mask (layover / "
    "foreshortening margin, shadow, 40 m masks), and the 2,500 m2 MMU on the mapped objects costs 0.14 at "
    "5 m (0.76 of the slides are touched by a mapped landslide before it) and 0.07 at 10 m.")
LAST_SCALE = {"date": "2026-12-01 08:54 UTC", "row": '| 31435 x 26882 | 845 | 169 | 3.76 | {"align_s": 1, '
              '"filter_store_s": 50, "statistics_s": 22, "masks_thresholds_s": 1, "write_log_ratio_s": 22, '
              '"write_classes_s": 49, "vectorise_stats_s": 23, "report_s": 1} | 1865 |'}


def _simulate(seed: int, spacing: float, frames: list[int]) -> Path:
    from palsar2.simulate import simulate

    out = ROOT / f"sim_{spacing:g}m_s{seed}"
    simulate(out, spacing=spacing, seed=seed, frames=frames)
    return out


def _products(sim: Path, frame: int) -> tuple[Any, Any]:
    from palsar2.products import open_product

    prods = sorted((open_product(p) for p in (sim / "products").iterdir() if f"{frame:04d}-" in p.name),
                   key=lambda p: p.center_time)
    return prods[0], prods[-1]


def _truth_box(sim: Path, after_id: str, margin: int = 100) -> tuple[int, int, int, int]:
    import rasterio

    with rasterio.open(sim / "truth" / after_id / "labels.tif") as src:
        t = src.read(1)
    r, c = np.nonzero(t > 1)
    return (max(0, r.min() - margin), min(t.shape[0], r.max() + margin),
            max(0, c.min() - margin), min(t.shape[1], c.max() + margin))


def _crop_source(prod: Any, box: tuple[int, int, int, int]) -> tuple[Any, Any, str]:
    import rasterio
    from rasterio.windows import Window

    r0, r1, c0, c1 = box
    with rasterio.open(prod.bands[0].href) as src:
        dn = src.read(1, window=Window(c0, r0, c1 - c0, r1 - r0)).astype(np.float32)
    p = dn * dn * np.float32(10 ** (prod.bands[0].calibration_db / 10))
    p[dn == 0] = np.nan
    return p, prod.geobox[r0:r1, c0:c1], prod.id


def quality_run(sim: Path, frame: int, out: Path, **opts: Any) -> dict[str, Any]:
    """Detect on the event crop of one simulated frame pair and evaluate; returns the scores."""
    from palsar2.change import DetectOptions, detect, evaluate
    from palsar2.change.themes import LookGeometry

    before, after = _products(sim, frame)
    box = _truth_box(sim, after.id)
    look = LookGeometry(after.pass_direction, after.look_side, after.off_nadir_deg)
    t = time.perf_counter()
    r = detect(_crop_source(before, box), _crop_source(after, box), dem=str(sim / "dem.tif"),
               options=DetectOptions(look=look, **opts), pair=f"{after.id}__{before.id}")
    r.write(out)
    r.close()
    secs = time.perf_counter() - t
    ev = evaluate(sim / "truth" / after.id, out)
    ev["seconds"] = secs
    ev["pixels"] = (box[1] - box[0]) * (box[3] - box[2])
    ev["thresholds"] = {k: (v.method, round(v.value, 2), v.degenerate) for k, v in r.thresholds.items()}
    return ev


def _summary(ev: dict[str, Any]) -> dict[str, Any]:
    m5, m25 = ev["mmu"]["500"], ev["mmu"]["2500"]
    nl, ls25, ls5 = m5.get("new_land", {}), m25.get("landslide", {}), m5.get("landslide", {})
    burnt = m5.get("burnt", {})
    return {"new_land_f1": nl.get("f1"), "landslide_obj_rate_2500": ls25.get("objects", {}).get("detection_rate"),
            "landslide_obj_precision_2500": ls25.get("objects", {}).get("object_precision"),
            "landslide_pixel_precision_2500": ls25.get("precision"),
            "landslide_pixel_f1_500": ls5.get("f1"), "landslide_pixel_f1_2500": ls25.get("f1"),
            "burnt_area_ratio": burnt.get("area_ratio"), "inundation_f1": m5.get("inundation", {}).get("f1"),
            "collapsed_area_ratio": m5.get("collapsed", {}).get("area_ratio"),
            "seconds": ev["seconds"], "mpx": ev["pixels"] / 1e6, "thresholds": ev["thresholds"]}


class PeakRSS:
    """Peak resident memory (this process and its children) sampled every 0.2 s."""

    def __init__(self) -> None:
        import psutil

        self.proc, self.peak, self._stop = psutil.Process(), 0, threading.Event()

    def _rss(self) -> int:
        total = self.proc.memory_info().rss
        for c in self.proc.children(recursive=True):
            try:
                total += c.memory_info().rss
            except Exception:
                pass
        return total

    def __enter__(self) -> PeakRSS:
        def loop() -> None:
            while not self._stop.is_set():
                self.peak = max(self.peak, self._rss())
                time.sleep(0.2)

        self._t = threading.Thread(target=loop, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def scale_run(spacing: float = 2.5, frame: int = 760, seed: int = 202) -> dict[str, Any]:
    """A full frame pair from catalog COGs (DN) to polygons: wall time and peak memory."""
    from palsar2.catalog import open_catalog
    from palsar2.change import DetectOptions, detect, find_pairs

    sim = _simulate(seed, spacing, [frame])
    home = ROOT / f"cat_{spacing:g}m_s{seed}"
    cat = open_catalog(home)
    cat.ingest([sim / "products"])
    (pair,) = [p for p in find_pairs(cat.collection("StripMap_202401"), "2024-01-01") if p.after.frame == frame]
    out = ROOT / f"scale_{spacing:g}m"
    with PeakRSS() as mem:
        t = time.perf_counter()
        r = detect(pair.before, pair.after, dem=str(sim / "dem.tif"),
                   options=DetectOptions(workdir=str(ROOT)), pair=pair.name)
        r.write(out)
        r.close()
        secs = time.perf_counter() - t
    h, w = r.geobox.shape
    return {"seconds": secs, "peak_gb": mem.peak / 2**30, "shape": (h, w), "mpx": h * w / 1e6,
            "timing": r.timing, "polygons": r.stats.get("polygons")}


def _env_spacings(quick: bool) -> list[float]:
    v = os.environ.get("PALSAR2_BENCH_SPACING")
    return [float(x) for x in v.split(",")] if v else ([20.0] if quick else [5.0, 10.0])


def _env_seeds() -> tuple[tuple[int, int], ...]:
    v = os.environ.get("PALSAR2_BENCH_SEEDS")
    return tuple(tuple(int(y) for y in x.split(":")) for x in v.split(",")) if v else QUALITY  # type: ignore[misc]


def quality_section(spacing: float, seeds: tuple[tuple[int, int], ...] = QUALITY, **opts: Any) -> tuple[list[str], list]:
    """Markdown lines of the quality table at one spacing, and the per-seed summaries."""
    rows, evs = [], []
    for seed, frame in seeds:
        sim = _simulate(seed, spacing, [frame])
        ev = quality_run(sim, frame, ROOT / f"quality_{spacing:g}m_s{seed}", **opts)
        s = _summary(ev)
        evs.append(s)
        rows.append((seed, frame, s))
    lines = [f"### Quality: simulated pairs at {spacing:g} m, event crops, default options + DEM", "",
             "| seed / frame | Mpx | s | new land F1 (MMU 500) | landslide object rate (>= 2,500 m2) | "
             "landslide object precision | landslide pixel precision | landslide pixel F1 (500 / 2,500) | "
             "burnt area / truth | inundation F1 | thresholds (dB) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]

    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.2f}"

    for seed, frame, s in rows:
        lines.append(f"| {seed} / {frame} | {s['mpx']:.1f} | {s['seconds']:.0f} | {f(s['new_land_f1'])} | "
                     f"{f(s['landslide_obj_rate_2500'])} | {f(s['landslide_obj_precision_2500'])} | "
                     f"{f(s['landslide_pixel_precision_2500'])} | {f(s['landslide_pixel_f1_500'])} / "
                     f"{f(s['landslide_pixel_f1_2500'])} | {f(s['burnt_area_ratio'])} | {f(s['inundation_f1'])} | "
                     f"{s['thresholds']} |")
    f1s = [s["landslide_pixel_f1_500"] for s in evs if s["landslide_pixel_f1_500"] is not None]
    if f1s:
        m = float(np.mean(f1s))
        lines += ["", f"Landslide pixel F1 (MMU 500) {m:.2f} against the published Iburi baseline {IBURI_F1} "
                      f"(ALOS-2 difference, 7x7 window, slope mask): {m - IBURI_F1:+.2f} ({m / IBURI_F1:.2f}x)."]

    def ok(v: Any, lo: float, hi: float = float("inf")) -> str:
        return "-" if v is None else ("met" if lo <= v <= hi else "MISSED")

    lines += ["", "| target | " + " | ".join(f"seed {sd}" for sd, _, _ in rows) + " |",
              "|---|" + "---|" * len(rows),
              "| new land F1 >= 0.85 | " + " | ".join(ok(s["new_land_f1"], 0.85) for _, _, s in rows) + " |",
              "| landslide object rate >= 0.7 (>= 2,500 m2) | "
              + " | ".join(ok(s["landslide_obj_rate_2500"], 0.7) for _, _, s in rows) + " |",
              "| landslide object precision >= 0.6 | "
              + " | ".join(ok(s["landslide_obj_precision_2500"], 0.6) for _, _, s in rows) + " |",
              "| burnt area within 20% | " + " | ".join(ok(s["burnt_area_ratio"], 0.8, 1.2) for _, _, s in rows) + " |",
              ""]
    return lines, evs


def run(quick: bool) -> str:
    lines = ["## Change detection (`benchmarks/bench_change.py`)", ""]
    for spacing in _env_spacings(quick):
        q, _ = quality_section(spacing, _env_seeds())
        lines += q
    lines += [PREVIOUS_DEFAULTS, "", WHY_MISSED, "",
              "Earlier attempt (other simulator version, 5 m): new land F1 0.95, landslide object rate 0.85/0.77 "
              "with precision 0.88/0.82, burnt 0.92-1.00x, landslide pixel F1 0.56."]
    if os.environ.get("PALSAR2_BENCH_SCALE", "1") == "0":
        # quality-only run: keep the last measured scale figures, labelled with their date
        lines += ["", "### Scale: one full 2.5 m frame pair, DN (catalog COGs) to polygons", "",
                  f"_Not rerun in this run; last measured {LAST_SCALE['date']}._", "",
                  "| frame px | Mpx | wall s | peak GB | stages (s) | polygons |", "|---|---|---|---|---|---|",
                  LAST_SCALE["row"], "", "Target: <= 180 s and <= 4 GB on two cores (earlier attempt: 1,097 s / 7.4 GB)."]
        return "\n".join(lines)
    if not quick:
        sc = scale_run()
        lines += ["", "### Scale: one full 2.5 m frame pair, DN (catalog COGs) to polygons", "",
                  "| frame px | Mpx | wall s | peak GB | stages (s) | polygons |", "|---|---|---|---|---|---|",
                  f"| {sc['shape'][0]} x {sc['shape'][1]} | {sc['mpx']:.0f} | {sc['seconds']:.0f} | "
                  f"{sc['peak_gb']:.2f} | {json.dumps({k: round(v) for k, v in sc['timing'].items()})} | "
                  f"{sc['polygons']} |",
                  "", "Target: <= 180 s and <= 4 GB on two cores (earlier attempt: 1,097 s / 7.4 GB)."]
    return "\n".join(lines)
