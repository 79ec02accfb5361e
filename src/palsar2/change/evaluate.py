"""Accuracy of a change result against ground truth: pixels per class, objects by size, at several MMUs.

Truth is what the simulator writes under OUT/truth/<item id>/: ``labels.tif`` (uint8 class codes on
the scene grid) or ``truth.geojson`` (polygons with ``code``), or a directory holding either. It is
brought onto the result grid (nearest neighbour / rasterised) and scored where the result has data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from palsar2.change.classes import BY_CODE, NO_CHANGE, NODATA, THEME_CODES
from palsar2.change.cleanup import STRUCT8, mmu_pixels, remove_small
from palsar2.errors import ParameterError

MMUS_M2 = (100.0, 500.0, 2500.0)
SIZE_CLASSES_M2 = ((0, 500), (500, 2500), (2500, 10000), (10000, float("inf")))
DETECT_OVERLAP = 0.1  # a truth object counts as detected when >= 10% of it is mapped as its class


def pixel_scores(truth: np.ndarray, pred: np.ndarray, valid: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1 and IoU of two boolean masks over the valid pixels."""
    t, p = truth & valid, pred & valid
    tp = int(np.count_nonzero(t & p))
    fp = int(np.count_nonzero(p & ~t))
    fn = int(np.count_nonzero(t & ~p))
    prec = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    rec = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else float("nan"))
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 1.0
    iou = tp / (tp + fp + fn) if (tp + fp + fn) else 1.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": prec, "recall": rec, "f1": f1, "iou": iou}


def object_scores(truth: np.ndarray, pred: np.ndarray, valid: np.ndarray, px_area: float,
                  min_truth_m2: float = 0.0) -> dict[str, Any]:
    """Detection rate of truth objects by size class and object precision of predicted objects."""
    lt, nt = ndi.label(truth & valid, structure=STRUCT8)
    sizes = np.bincount(lt.ravel(), minlength=nt + 1)
    # overlaps counted over the (sparse) selected pixels only: a float64 weight per pixel of a
    # full 2.5 m frame would take 7 GB
    hits = np.bincount(lt[pred & valid], minlength=nt + 1)
    area = sizes * px_area
    det = (hits >= DETECT_OVERLAP * sizes) & (sizes > 0)
    by_size = []
    for lo, hi in SIZE_CLASSES_M2:
        sel = (area >= lo) & (area < hi) & (area >= min_truth_m2)
        sel[0] = False
        n = int(sel.sum())
        by_size.append({"min_m2": lo, "max_m2": None if hi == float("inf") else hi, "objects": n,
                        "detected": int(det[sel].sum()), "rate": float(det[sel].mean()) if n else None})
    del lt
    lp, npred = ndi.label(pred & valid, structure=STRUCT8)
    phit = np.bincount(lp[truth & valid], minlength=npred + 1)
    psize = np.bincount(lp.ravel(), minlength=npred + 1)
    good = phit[1:] > 0
    sel_all = (area >= min_truth_m2)
    sel_all[0] = False
    n_all = int(sel_all.sum())
    return {"truth_objects": n_all, "detected": int(det[sel_all].sum()),
            "detection_rate": float(det[sel_all].mean()) if n_all else None,
            "predicted_objects": int(npred),
            "object_precision": float(good.mean()) if npred else None,
            "predicted_area_m2": float(psize[1:].sum() * px_area),
            "truth_area_m2": float(sizes[1:].sum() * px_area), "by_size": by_size}


STRIP_ROWS = 2048


def _codes_present(a: np.ndarray, valid: np.ndarray) -> set[int]:
    """Class codes present in the valid pixels, counted by row strips (no frame-sized copies)."""
    counts = np.zeros(256, np.int64)
    for r in range(0, a.shape[0], STRIP_ROWS):
        counts += np.bincount(a[r:r + STRIP_ROWS][valid[r:r + STRIP_ROWS]], minlength=256)
    return {int(c) for c in np.flatnonzero(counts)}


def _bbox(mask: np.ndarray) -> tuple[slice, slice] | None:
    """Row and column slices holding every True pixel of ``mask`` (None when there is none)."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0]:rows[-1] + 1].any(axis=0))
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def evaluate_arrays(truth: np.ndarray, pred: np.ndarray, px_area: float,
                    mmus: tuple[float, ...] = MMUS_M2) -> dict[str, Any]:
    """Scores of a predicted class raster against a truth class raster of the same grid.

    Memory: the two uint8 rasters, then per class only the bounding box of its truth and mapped
    pixels is labelled, so a full 2.5 m frame (845 Mpx) is scored in a few GB.
    """
    if truth.shape != pred.shape:
        raise ParameterError(f"truth shape {truth.shape} != result shape {pred.shape}")
    valid = (pred != NODATA) & (truth != NODATA)
    codes = sorted({c for c in _codes_present(truth, valid) if c > NO_CHANGE}
                   | {c for c in _codes_present(pred, valid) if c in THEME_CODES})
    out: dict[str, Any] = {"pixel_area_m2": px_area, "valid_pixels": int(valid.sum()), "mmu": {}}
    per_mmu: dict[float, dict[str, Any]] = {m: {} for m in mmus}

    def score(name: str, code: int | None, t_full: np.ndarray, p_full: np.ndarray, objects: bool) -> None:
        # a class with no pixel at all is scored on one empty pixel: the same empty scores
        box = _bbox(t_full | p_full) or (slice(0, 1), slice(0, 1))
        t, v = t_full[box], valid[box]
        for mmu in mmus:
            p = remove_small(p_full[box], mmu_pixels(mmu, px_area))
            s = {"code": code, **pixel_scores(t, p, v)}
            if objects:
                o = s["objects"] = object_scores(t, p, v, px_area, min_truth_m2=mmu)
                s["area_ratio"] = o["predicted_area_m2"] / o["truth_area_m2"] if o["truth_area_m2"] else None
            per_mmu[mmu][name] = s

    for code in codes:
        score(BY_CODE[code].name if code in BY_CODE else str(code), code, truth == code, pred == code, True)
    score("any_change", None, truth > NO_CHANGE, pred > NO_CHANGE, False)
    for mmu in mmus:
        out["mmu"][str(int(mmu))] = per_mmu[mmu]
    return out


# ------------------------------------------------------------------------------------------ I/O
def _find_truth(path: Path) -> Path:
    if path.is_dir():
        for name in ("labels.tif", "truth.geojson"):
            if (path / name).exists():
                return path / name
        raise ParameterError(f"--truth {path}: directory holds neither labels.tif nor truth.geojson")
    if not path.exists():
        raise ParameterError(f"--truth {path}: no such file")
    if path.suffix.lower() not in (".tif", ".tiff", ".geojson", ".json"):
        raise ParameterError(f"--truth {path}: expected labels.tif or truth.geojson")
    return path


def truth_on_grid(truth: Path, shape: tuple[int, int], transform, crs) -> np.ndarray:
    """The truth classes on a result grid: labels resampled (nearest) or polygons rasterised."""
    import rasterio
    from rasterio.features import rasterize
    from rasterio.warp import Resampling, reproject, transform_geom

    truth = _find_truth(Path(truth))
    out = np.zeros(shape, np.uint8)
    if truth.suffix.lower() in (".tif", ".tiff"):
        try:
            with rasterio.open(truth) as src:
                if src.shape == tuple(shape) and src.transform.almost_equals(transform) and src.crs == crs:
                    return src.read(1).astype(np.uint8)
                reproject(rasterio.band(src, 1), out, dst_transform=transform, dst_crs=crs,
                          resampling=Resampling.nearest, dst_nodata=0)
        except rasterio.RasterioIOError as exc:
            raise ParameterError(f"--truth {truth}: not a readable raster ({exc})") from None
        return out
    try:
        doc = json.loads(truth.read_text())
        feats = doc["features"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ParameterError(f"--truth {truth}: not a GeoJSON FeatureCollection ({exc})") from None
    src_crs = (doc.get("crs") or {}).get("properties", {}).get("name", "EPSG:4326")
    out[:] = NO_CHANGE
    pairs = []
    for f in feats:
        p = f.get("properties") or {}
        code = p.get("code")
        if code is None and p.get("class") in {c.name for c in BY_CODE.values()}:
            code = next(c.code for c in BY_CODE.values() if c.name == p["class"])
        if code is None or f.get("geometry") is None:
            continue
        pairs.append((transform_geom(src_crs, crs, f["geometry"]), int(code)))
    if pairs:  # small objects first would be hidden by big ones drawn later; draw big first
        pairs.sort(key=lambda gc: -_area_guess(gc[0]))
        rasterize(pairs, out=out, transform=transform, all_touched=False)
    return out


def _area_guess(geom: dict) -> float:
    from shapely.geometry import shape

    return shape(geom).area


def evaluate(truth: str | Path, result_dir: str | Path, mmus: tuple[float, ...] = MMUS_M2,
             write: bool = True) -> dict[str, Any]:
    """Score ``result_dir/classes.tif`` against truth; writes ``evaluation.json`` beside it."""
    import rasterio

    result_dir = Path(result_dir)
    cls_path = result_dir / "classes.tif"
    if not cls_path.exists():
        raise ParameterError(f"--result {result_dir}: no classes.tif (not a change result directory)")
    _find_truth(Path(truth))
    try:
        with rasterio.open(cls_path) as src:
            pred = src.read(1)
            transform, crs = src.transform, src.crs
    except rasterio.RasterioIOError as exc:
        raise ParameterError(f"--result {cls_path}: not a readable classes raster ({exc})") from None
    t = truth_on_grid(Path(truth), pred.shape, transform, crs)
    px_area = abs(transform.a * transform.e - transform.b * transform.d)
    res = evaluate_arrays(t, pred, px_area, mmus)
    res["truth"] = str(truth)
    res["result"] = str(result_dir)
    if write:
        (result_dir / "evaluation.json").write_text(json.dumps(res, indent=2, default=_json_default))
    return res


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(type(o))


def format_table(res: dict[str, Any]) -> str:
    """A plain-text table of the evaluation (one row per MMU and class)."""
    rows = [f"{'mmu m2':>7} {'class':<11} {'prec':>6} {'recall':>6} {'F1':>6} {'IoU':>6} "
            f"{'objects':>8} {'det.rate':>8} {'obj.prec':>8} {'area x':>7}"]

    def f(v: Any) -> str:
        return "   -  " if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:6.3f}"

    for mmu, per in res["mmu"].items():
        for name, s in per.items():
            o = s.get("objects", {})
            rows.append(f"{mmu:>7} {name:<11} {f(s['precision'])} {f(s['recall'])} {f(s['f1'])} {f(s['iou'])} "
                        f"{o.get('truth_objects', ''):>8} {f(o.get('detection_rate')):>8} "
                        f"{f(o.get('object_precision')):>8} {f(s.get('area_ratio')):>7}")
    return "\n".join(rows)
