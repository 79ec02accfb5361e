"""Per-chunk kernels of the detector: statistics of stage 1 and the classifier of stage 2.

Plain numpy functions of one chunk (and its halo), called through dask by :mod:`.detect`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage as ndi

from palsar2.change import classes as C
from palsar2.change.cleanup import STRUCT8, clean_classes, hysteresis
from palsar2.change.thresholds import bin_counts

# bits of the coarse mask layer (COASTAL: close enough to the pre-event sea for new land)
# SLIDE_FORE: landslide terrain whose local incidence is small enough that a bare scar brightens
COASTAL, LOWLAND, SLIDE_OK, SEA_BEFORE, HAS_DEM, URBAN_OK, SLIDE_FORE = 1, 2, 4, 8, 16, 32, 64
# a burnt district grows into dark pixels down to (after-image water threshold - this margin):
# ash at ~-14 dB has speckle tails under the threshold, tsunami water (~-22 dB) lies beyond it
BURNT_WATER_MARGIN_DB = 3.0


def index_of(lr: np.ndarray, method: str) -> np.ndarray:
    """The thresholded (signed) index from the log-ratio in dB."""
    if method == "log_ratio":
        return lr
    r = np.power(np.float32(10.0), lr / np.float32(10.0))
    if method == "normalized_difference":
        return ((r - 1) / (r + 1)).astype(np.float32)
    # mean_ratio, signed by the direction of change
    return (np.sign(lr) * (1 - np.power(np.float32(10.0), -np.abs(lr) / np.float32(10.0)))).astype(np.float32)


def object_scale_lr(b: np.ndarray, a: np.ndarray, size: int) -> np.ndarray:
    """Log-ratio (dB) of size x size local means of the filtered power: the object-scale index.

    Landslides of a few thousand m2 change by a few dB, inside the pixel noise of a single-look
    filtered ratio; averaging over the object scale lowers the noise enough to see them. Windows
    over 7 pixels are computed on a grid decimated by q = size // 5 (block means in power), then
    repeated back: the same object scale (tens of metres) for a fraction of the work at 2.5 m.
    """
    from scipy.ndimage import uniform_filter

    if size <= 1:
        return a - b
    q = max(1, size // 5)
    c = np.float32(np.log(10) / 10)
    pb = np.exp(b.astype(np.float32) * c)
    pa = np.exp(a.astype(np.float32) * c)
    ok = np.isfinite(pb) & np.isfinite(pa)
    pb[~ok] = 0
    pa[~ok] = 0
    h, w = b.shape
    if q > 1:
        H, W = -(-h // q), -(-w // q)

        def dec(x: np.ndarray) -> np.ndarray:
            y = np.zeros((H * q, W * q), np.float32)
            y[:h, :w] = x
            return y.reshape(H, q, W, q).sum(axis=(1, 3))

        pb, pa, okf = dec(pb), dec(pa), dec(ok.astype(np.float32))
        n = max(3, int(round(size / q)) | 1)
    else:
        okf, n = ok.astype(np.float32), size
    sb = uniform_filter(pb, n, mode="constant")
    sa = uniform_filter(pa, n, mode="constant")
    wv = uniform_filter(okf, n, mode="constant")
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.log(sa / sb) * np.float32(1 / c)
    lr = np.where(wv > 0.5 * q * q, lr, np.nan).astype(np.float32)
    if q > 1:
        lr = np.repeat(np.repeat(lr, q, axis=0), q, axis=1)[:h, :w]
    return np.where(ok, lr, np.nan)


def chunk_stats(b_db: np.ndarray, a_db: np.ndarray, r0: int, c0: int, cfg: dict[str, Any]) -> dict[str, Any]:
    """Histogram of the index, per-tile histograms and coarse means (power) of one chunk."""
    b = b_db.astype(np.float32)
    a = a_db.astype(np.float32)
    lr = a - b
    idx = index_of(lr, cfg["method"])
    hist = bin_counts(idx, cfg["edges"])
    same = cfg["method"] == "log_ratio" and len(cfg["edges"]) == len(cfg["lr_edges"])
    out: dict[str, Any] = {"r0": r0, "c0": c0, "hist": hist,
                           "lr_hist": hist if same else bin_counts(lr, cfg["lr_edges"]),
                           "obj_hist": np.zeros(len(cfg["lr_edges"]) - 1, np.int64)}
    out["urb_hist"] = out["obj_hist"]
    if cfg["object_window"] > 1 and cfg["obj_sample"](r0, c0):
        # the object-scale spread is a frame statistic: a sample of chunks estimates it well
        out["obj_hist"] = bin_counts(object_scale_lr(b, a, cfg["object_window"]), cfg["lr_edges"])
    uw = cfg.get("urban_window", 1)
    if uw > 1 and cfg["obj_sample"](r0, c0):
        out["urb_hist"] = out["obj_hist"] if uw == cfg["object_window"] else \
            bin_counts(object_scale_lr(b, a, uw), cfg["lr_edges"])
    # per-tile coarse histograms (tile ids global), counted on chunk-local tile ids: no sorting
    t = cfg["tile_px"]
    te = cfg["tile_edges"]
    n = len(te) - 1
    tr0, tc0 = r0 // t, c0 // t
    lrow = (r0 + np.arange(b.shape[0])) // t - tr0
    lcol = (c0 + np.arange(b.shape[1])) // t - tc0
    nlr, nlc = int(lrow[-1]) + 1, int(lcol[-1]) + 1
    ok = np.isfinite(idx) & (idx >= te[0]) & (idx < te[-1])
    k = np.clip(((np.where(ok, idx, te[0]) - te[0]) * (n / (te[-1] - te[0]))), 0, n - 1).astype(np.int32)
    loc = (lrow[:, None] * nlc + lcol[None, :]).astype(np.int32)
    counts = np.bincount((loc * n + k)[ok], minlength=nlr * nlc * n).reshape(nlr * nlc, n)
    gr = (tr0 + np.arange(nlr))[:, None] * cfg["tile_cols"] + (tc0 + np.arange(nlc))[None, :]
    keep = counts.sum(axis=1) > 0
    out["tile_ids"], out["tile_counts"] = gr.ravel()[keep].astype(np.int64), counts[keep].astype(np.int32)
    f = cfg["factor"]
    out["coarse_b"], out["coarse_a"] = block_mean_db(b, f), block_mean_db(a, f)
    return out


def block_mean_db(db: np.ndarray, f: int) -> np.ndarray:
    """Mean in linear power over f x f cells (partial cells at the edge), back to dB; NaN-aware."""
    if f == 1:
        return db.astype(np.float32)
    h, w = db.shape
    H, W = -(-h // f), -(-w // f)
    p = np.full((H * f, W * f), np.nan, np.float32)
    p[:h, :w] = np.power(np.float32(10.0), db / np.float32(10.0))
    p = p.reshape(H, f, W, f)
    ok = np.isfinite(p)
    s = np.where(ok, p, 0).sum(axis=(1, 3))
    n = ok.sum(axis=(1, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        m = s / n
        # a cell needs half its pixels valid, so the swath edge does not darken the coast
        return np.where(n >= (f * f) / 2, 10 * np.log10(m), np.nan).astype(np.float32)


def merge_stats(parts: list[dict[str, Any]], cfg: dict[str, Any]) -> dict[str, Any]:
    """Sum chunk statistics into frame totals; assemble coarse images."""
    n_tiles = cfg["tile_rows"] * cfg["tile_cols"]
    nb = len(cfg["tile_edges"]) - 1
    tiles = np.zeros((n_tiles, nb), np.int64)
    hist = np.zeros(len(cfg["edges"]) - 1, np.int64)
    lr_hist = np.zeros(len(cfg["lr_edges"]) - 1, np.int64)
    obj_hist = np.zeros(len(cfg["lr_edges"]) - 1, np.int64)
    urb_hist = np.zeros(len(cfg["lr_edges"]) - 1, np.int64)
    f = cfg["factor"]
    ch, cw = cfg["coarse_shape"]
    cb = np.full((ch, cw), np.nan, np.float32)
    ca = np.full((ch, cw), np.nan, np.float32)
    for p in parts:
        hist += p["hist"]
        lr_hist += p["lr_hist"]
        obj_hist += p["obj_hist"]
        urb_hist += p["urb_hist"]
        np.add.at(tiles, p["tile_ids"], p["tile_counts"])
        i, j = p["r0"] // f, p["c0"] // f
        hh, ww = p["coarse_b"].shape
        cb[i:i + hh, j:j + ww] = p["coarse_b"]
        ca[i:i + hh, j:j + ww] = p["coarse_a"]
    return {"hist": hist, "lr_hist": lr_hist, "obj_hist": obj_hist, "urb_hist": urb_hist, "tiles": tiles, "coarse_b": cb, "coarse_a": ca}


def upsample_bits(coarse: np.ndarray, f: int, block_info: Any = None) -> np.ndarray:
    """The coarse mask layer, nearest-neighbour upsampled onto one full-resolution chunk."""
    (r0, r1), (c0, c1) = block_info[None]["array-location"]
    rows = np.minimum((np.arange(r0, r1) // f), coarse.shape[0] - 1)
    cols = np.minimum((np.arange(c0, c1) // f), coarse.shape[1] - 1)
    return coarse[rows[:, None], cols[None, :]]


def classify(b_db: np.ndarray, a_db: np.ndarray, bits: np.ndarray, *, p: dict[str, Any]) -> np.ndarray:
    """Class codes of one chunk (with halo): change, hysteresis growth, themes, then clean-up."""
    b = b_db.astype(np.float32)
    a = a_db.astype(np.float32)
    valid = np.isfinite(a) & np.isfinite(b)
    lr = np.where(valid, a - b, np.float32(0))
    idx = index_of(lr, p["method"])
    dec_seed = valid & (idx <= p["t_dec"])
    inc_seed = valid & (idx >= p["t_inc"])
    if p["hysteresis"]:
        dec = hysteresis(dec_seed, valid & (idx <= p["t_dec_grow"]))
        inc = hysteresis(inc_seed, valid & (idx >= p["t_inc_grow"]))
    else:
        dec, inc = dec_seed, inc_seed
    water_b = valid & (b < p["water_db_before"])
    water_a = valid & (a < p["water_db_after"])
    coastal = (bits & COASTAL) > 0
    lowland = (bits & LOWLAND) > 0
    slide_ok = (bits & SLIDE_OK) > 0
    sea_b = (bits & SEA_BEFORE) > 0
    has_dem = (bits & HAS_DEM) > 0
    # bright before, on flat ground (not a foreshortened slope) in a bright neighbourhood (a town)
    urban_b = valid & (b >= p["urban_db"]) & ((bits & URBAN_OK) > 0)

    cls = np.full(b.shape, C.NO_CHANGE, np.uint8)
    cls[~valid] = C.NODATA
    # the pre-event sea, and water at both dates (sea clutter, wind, ships), is not land change:
    # only the themes below (new land) may claim it
    both_water = (water_b & water_a) | sea_b
    cls[inc & ~both_water] = C.INCREASE
    cls[dec & ~both_water] = C.DECREASE
    if p["themes"]:
        obj_dec = obj_inc = urb_dec = np.zeros(b.shape, bool)
        ulr = lr  # district-scale change (urban window, minus its no-change mode) where computed
        slide_terrain = valid & slide_ok & has_dem & ~urban_b & ~sea_b & p.get("landslides", True)
        if p["object_window"] > 1 and slide_terrain.any():
            # object scale: confident seeds at k sigma of the local-mean ratio, grown at a lower level
            olr = object_scale_lr(b, a, p["object_window"])
            d = np.where(np.isfinite(olr) & slide_terrain, olr - p["obj_mode"], 0)
            ks, kg = p["obj_k"] * p["obj_sigma"], p["obj_grow_k"] * p["obj_sigma"]
            obj_dec = hysteresis(d <= -ks, d <= -kg)
            obj_inc = hysteresis(d >= ks, d >= kg)
        if p.get("urban_window", 1) > 1 and urban_b.any():
            # the same test on urban ground, at its own window and levels (burnt / collapsed districts)
            ulr = object_scale_lr(b, a, p["urban_window"]) - np.float32(p["urb_mode"])
            d = np.where(np.isfinite(ulr) & urban_b, ulr, 0)
            urb_dec = hysteresis(d <= -p["urb_k"] * p["urb_sigma"], d <= -p["urb_grow_k"] * p["urb_sigma"])
        # landslide candidates: change on steep slopes outside layover/shadow, not urban, not sea
        # (no water test: a slide on a slope facing away from the radar is as dark as water)
        sign = p["landslide_sign"]
        sl_dec, sl_inc = (dec | obj_dec), (inc | obj_inc)
        if sign == "geometry":
            # a scar's brightening on a fore-slope mirrors its darkening on a back-slope: demand the
            # same confidence (the decrease threshold mirrored about the mode), not the frame's
            # increase threshold, which can sit inside the noise when few pixels brighten
            t_s, t_g = max(p["t_inc"], p["t_inc_slide"]), max(p["t_inc_grow"], p["t_inc_slide_grow"])
            px_inc = hysteresis(valid & (idx >= t_s), valid & (idx >= t_g)) if p["hysteresis"] \
                else valid & (idx >= t_s)
            sl_inc = px_inc | obj_inc
        if sign == "geometry":
            fore = (bits & SLIDE_FORE) > 0
            sl_change = np.where(fore, sl_inc, sl_dec)
        else:
            sl_change = (sl_dec | sl_inc) if sign == "both" else (sl_dec if sign == "decrease" else sl_inc)
        cls[sl_change & slide_terrain] = C.LANDSLIDE
        # burnt / collapsed: decrease where the before image was bright urban. Burnt where the
        # district-scale change (urban window) reaches burnt_db, decided per object of those pixels
        # so one district is one class. Deciding on whole urban-loss objects merged a burnt market
        # with the collapsed blocks around it and averaged it into "collapsed" (seed 7: 0.00x).
        urban_loss = (dec | urb_dec) & urban_b & ~water_a
        burnt = np.zeros(b.shape, bool)
        if urban_loss.any():
            burnt = _burnt(lr, a, ulr, urban_loss, (dec | urb_dec) & urban_b & ~sea_b,
                           dec & ((bits & URBAN_OK) > 0) & ~sea_b, p)
            cls[urban_loss & ~burnt] = C.COLLAPSED
            cls[burnt] = C.BURNT
        # inundation: decrease to water on lowland near the sea, not sea before
        cls[dec & lowland & water_a & ~water_b & ~sea_b & ~burnt] = C.INUNDATION
        # new land: water before, land after, next to the sea (coastal uplift)
        new_land = coastal & water_b & ~water_a & valid & (idx >= p["t_inc_grow"])
        if p["hysteresis"]:
            new_land = hysteresis(new_land & (idx >= p["t_inc"]), new_land)
        cls[new_land] = C.NEW_LAND
    if p["clean"]:
        cls = clean_classes(cls, p["min_pixels"], p["morph_size"])
    return cls


def _burnt(lr: np.ndarray, a: np.ndarray, ulr: np.ndarray, urban_loss: np.ndarray, town_loss: np.ndarray,
           town_dec: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    """Burnt district pixels among the urban losses of one chunk.

    Seeds: objects where the district-scale change (urban window) reaches ``burnt_db`` and whose
    mean after-image level is above the water threshold (ash at ~-14 dB, not tsunami water at
    ~-22 dB). Deciding on whole urban-loss objects instead merged a burnt market with the collapsed
    blocks around it and averaged it into "collapsed" (seed 7 at 5 m: 0.00x the burnt area).
    Growth: the window blurs the district's edge, so burnt grows, at most half a window from the
    seeds, into urban losses and town decreases whose own change is as strong (town texture leaves
    some burnt pixels under urban_db before, and ash has speckle tails under the water threshold),
    unless they are clearly water.
    """
    scale_lr = np.where(np.isfinite(ulr), ulr, lr)
    core = town_loss & (scale_lr <= p["burnt_db"])
    lab, n = ndi.label(core, structure=STRUCT8)
    if n == 0:
        return np.zeros(lr.shape, bool)
    lab_c = lab[core]  # per-object sums over the object pixels only
    cnt = np.maximum(np.bincount(lab_c, minlength=n + 1), 1)
    mean_lr = np.bincount(lab_c, weights=lr[core], minlength=n + 1) / cnt
    pa = np.power(np.float32(10.0), a[core] / np.float32(10.0))
    with np.errstate(divide="ignore"):
        mean_after = 10 * np.log10(np.bincount(lab_c, weights=pa, minlength=n + 1) / cnt)
    ok = (mean_lr <= p["burnt_db"]) & (mean_after >= p["water_db_after"])
    ok[0] = False
    not_deep_water = a >= p["water_db_after"] - BURNT_WATER_MARGIN_DB
    seeds = ok[lab] & not_deep_water
    if not seeds.any():
        return seeds
    grow = (urban_loss | (town_dec & not_deep_water)) & (lr <= p["burnt_db"])
    reach = max(1, int(p.get("urban_window", 1)) // 2)
    grow &= ndi.binary_dilation(seeds, structure=STRUCT8, iterations=reach)
    return hysteresis(seeds, grow)
