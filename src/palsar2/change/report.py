"""One self-contained HTML report of a change result (works offline: images inline as base64 PNG).

Reads only the result directory (stats.json, preview.tif, classes.tif, log_ratio.tif, and
evaluation.json or a truth file when given); figures with matplotlib's Agg backend.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from palsar2.change import classes as C
from palsar2.change.indices import RGB_LEGEND, rgb_composite
from palsar2.errors import ParameterError

MAX_PX = 900  # longest side of map figures


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _read_small(path: Path, band: int = 1, resampling: str = "nearest") -> np.ndarray:
    import rasterio
    from rasterio.enums import Resampling

    with rasterio.open(path) as src:
        h, w = src.height, src.width
        s = max(1, int(np.ceil(max(h, w) / MAX_PX)))
        a = src.read(band, out_shape=(-(-h // s), -(-w // s)), resampling=Resampling[resampling])
        if src.nodata is not None and np.issubdtype(a.dtype, np.floating) and not np.isnan(src.nodata):
            a = np.where(a == src.nodata, np.nan, a)
    return a


def _figures(d: Path, stats: dict[str, Any]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    figs: dict[str, str] = {}
    if (d / "preview.tif").exists():
        b, a = _read_small(d / "preview.tif", 1), _read_small(d / "preview.tif", 2)
        for name, img in (("before", b), ("after", a)):
            fig, ax = plt.subplots(figsize=(6, 6))
            im = ax.imshow(img, cmap="gray", vmin=-25, vmax=0)
            ax.set_title(f"{name}: sigma0 (dB, filtered)")
            ax.set_axis_off()
            fig.colorbar(im, ax=ax, shrink=0.7, label="dB")
            figs[name] = _png(fig)
        fig, ax = plt.subplots(figsize=(6, 6))
        ax.imshow(rgb_composite(b, a))
        ax.set_title("RGB composite: R = before, G = B = after")
        ax.set_axis_off()
        ax.legend(handles=[Patch(color="#ff2020", label="red: decrease (darker after)"),
                           Patch(color="#20ffff", label="cyan: increase (brighter after)"),
                           Patch(color="#909090", label="grey: no change")], loc="lower left", fontsize=8)
        figs["rgb"] = _png(fig)
    if (d / "classes.tif").exists():
        cls = _read_small(d / "classes.tif", 1, "nearest")
        lut = np.zeros((256, 4))
        for c in C.CLASSES:
            lut[c.code] = [*(np.array(c.rgb) / 255), 1.0 if c.code else 0.0]
        fig, ax = plt.subplots(figsize=(6, 6))
        ax.imshow(lut[cls])
        ax.set_title("change classes")
        ax.set_axis_off()
        present = [c for c in C.CLASSES if c.code and (cls == c.code).any()]
        ax.legend(handles=[Patch(color=c.color, label=c.label) for c in present], loc="lower left", fontsize=8)
        figs["classes"] = _png(fig)
    if (d / "log_ratio.tif").exists():
        lr = _read_small(d / "log_ratio.tif", 1, "average")
        fig, ax = plt.subplots(figsize=(6, 6))
        im = ax.imshow(lr, cmap="RdBu", vmin=-10, vmax=10)
        ax.set_title("log-ratio 10 log10(after / before)")
        ax.set_axis_off()
        fig.colorbar(im, ax=ax, shrink=0.7, label="dB (blue = brighter after)")
        figs["log_ratio"] = _png(fig)
    h = stats.get("histogram")
    if h and h.get("counts"):
        counts = np.array(h["counts"], float)
        x = h["edges_lo"] + h["bin_width"] * (np.arange(len(counts)) + 0.5)
        fig, ax = plt.subplots(figsize=(8, 3.5))
        ax.semilogy(x, np.maximum(counts, 0.5), color="k", lw=1)
        for side, colour in (("decrease", "#e53935"), ("increase", "#00acc1")):
            t = stats["thresholds"].get(side, {})
            if t.get("value") is not None:
                ax.axvline(t["value"], color=colour, ls="--",
                           label=f"{side}: {t['value']:.2f} ({t['method']}{', fallback' if t.get('fallback') else ''})")
        cp = stats.get("classifier", {})
        for k in ("t_dec_grow", "t_inc_grow"):
            if k in cp:
                ax.axvline(cp[k], color="grey", ls=":", lw=1)
        ax.set_xlabel(f"{h.get('index', 'log_ratio')} ({'dB' if h.get('index', 'log_ratio') == 'log_ratio' else 'index'})")
        ax.set_ylabel("pixels")
        ax.set_title("change index histogram with the chosen thresholds (dotted: hysteresis growth)")
        ax.legend(fontsize=8)
        figs["histogram"] = _png(fig)
    return figs


def _table(rows: list[list[Any]], head: list[str]) -> str:
    th = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


CSS = """body{font-family:sans-serif;margin:2em;max-width:1300px;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#eee}td:first-child{text-align:left}.figs{display:flex;flex-wrap:wrap;gap:10px}
.figs img{max-width:620px}.warn{background:#fff3cd;border:1px solid #e0c060;padding:0.5em}
.note{color:#555;font-size:0.9em}"""


def write_report(result_dir: str | Path, truth: str | Path | None = None, out: str | Path | None = None) -> Path:
    """Write ``report.html`` (self-contained) for a result directory; with truth, include accuracy."""
    d = Path(result_dir)
    sp = d / "stats.json"
    if not sp.exists():
        raise ParameterError(f"RESULT_DIR {d}: no stats.json (not a change result directory)")
    stats = json.loads(sp.read_text())
    evaluation = None
    if truth is not None:
        from palsar2.change.evaluate import evaluate

        evaluation = evaluate(truth, d)
    elif (d / "evaluation.json").exists():
        evaluation = json.loads((d / "evaluation.json").read_text())
    figs = _figures(d, stats)
    parts = [f"<h1>Change map: {html.escape(stats['pair'])}</h1>",
             f"<p>Before <b>{html.escape(stats['before'])}</b>, after <b>{html.escape(stats['after'])}</b>. "
             f"Grid {html.escape(stats['grid']['crs'])}, {stats['grid']['pixel_m']:.2f} m pixels, "
             f"{stats['grid']['shape'][0]} x {stats['grid']['shape'][1]}. Made {html.escape(stats['created'])}.</p>"]
    if stats.get("fallbacks") or any(stats.get("degenerate", {}).values()):
        # A fallback may come without a degenerate reason (e.g. a split threshold inside the noise):
        # then the fallback text itself says why.
        msgs = [f"{k}: " + " &rarr; ".join(html.escape(t) for t in (v.get("reason"), v.get("fallback")) if t)
                for k, v in stats["thresholds"].items() if v.get("degenerate") or v.get("fallback")]
        parts.append("<p class='warn'>Threshold warning: " + "<br>".join(msgs) + "</p>")
    for note in stats.get("notes") or []:
        parts.append(f"<p class='warn'>Caveat: {html.escape(note)}.</p>")
    for theme, why in (stats.get("not_mapped") or {}).items():
        parts.append(f"<p class='warn'>Not mapped: {html.escape(theme)} ({html.escape(why)}).</p>")
    parts.append("<div class='figs'>" + "".join(f"<img alt='{k}' src='{v}'>" for k, v in figs.items()
                                                if k in ("before", "after", "rgb", "classes", "log_ratio")) + "</div>")
    parts.append(f"<p class='note'>RGB legend: red = {RGB_LEGEND['red']}, green and blue = {RGB_LEGEND['green']}; "
                 f"{RGB_LEGEND['reading']}.</p>")
    if "histogram" in figs:
        parts.append(f"<h2>Histogram and thresholds</h2><img alt='histogram' src='{figs['histogram']}'>")
    parts.append("<h2>Thresholds</h2>" + _table(
        [[k, v["method"], v["value"], v["degenerate"], v["reason"], v.get("fallback")]
         for k, v in stats["thresholds"].items()], ["side", "method", "value", "degenerate", "reason", "fallback"]))
    w = stats.get("water", {})
    parts.append(_table([[k, v.get("value"), v.get("method"), v.get("degenerate"), v.get("reason")]
                         for k, v in w.items()], ["water threshold", "dB", "method", "degenerate", "reason"]))
    al = stats.get("alignment", {})
    parts.append("<h2>Alignment</h2>" + _table(
        [[al.get("dy"), al.get("dx"), al.get("magnitude_px"), al.get("error"), al.get("reprojected"),
          al.get("corrected"), al.get("note")]],
        ["dy px", "dx px", "|shift| px", "spread px", "reprojected", "corrected", "note"]))
    areas = stats.get("areas_m2", {})
    parts.append("<h2>Areas per class</h2>" + _table(
        [[C.BY_NAME[k].label if k in C.BY_NAME else k, v, v / 1e4] for k, v in areas.items()
         if k != "no_change" and v > 0], ["class", "area m2", "ha"]))
    nl = stats.get("new_land", {}).get("shoreline", {})
    if nl.get("transects"):
        parts.append("<h3>New land: seaward advance along shore-normal transects</h3>" + _table(
            [[nl.get("transects"), nl.get("advancing"), nl.get("median_m"), nl.get("p90_m"), nl.get("max_m"),
              nl.get("coast_length_advancing_m")]],
            ["transects", "advancing", "median m", "p90 m", "max m", "coast length m"]))
    towns = stats.get("towns", {})
    if towns:
        names = sorted({c for t in towns.values() for c in t})
        parts.append("<h2>Areas per town (nearest town, m2)</h2>" + _table(
            [[t] + [v.get(n, 0.0) for n in names] for t, v in sorted(towns.items())], ["town"] + names))
    if evaluation:
        rows = []
        for mmu, per in evaluation["mmu"].items():
            for name, s in per.items():
                o = s.get("objects", {})
                rows.append([mmu, name, s["precision"], s["recall"], s["f1"], s["iou"], o.get("truth_objects"),
                             o.get("detection_rate"), o.get("object_precision"), s.get("area_ratio")])
        parts.append("<h2>Accuracy against truth</h2>" + _table(
            rows, ["MMU m2", "class", "precision", "recall", "F1", "IoU", "objects", "detection rate",
                   "object precision", "area ratio"]))
    parts.append("<h2>Parameters</h2><pre>" + html.escape(json.dumps(stats.get("options", {}), indent=1)) + "</pre>")
    doc = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>palsar2 change report "
           f"{html.escape(stats['pair'])}</title><style>{CSS}</style></head><body>" + "\n".join(parts)
           + "</body></html>")
    path = Path(out) if out else d / "report.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(doc, encoding="utf-8")
    tmp.replace(path)
    return path
