"""The change detector: two images in, classes, log-ratio, polygons and statistics out.

Stages (everything through dask, memory bounded by the chunk size):

1. Both images are read as linear power, the before image reprojected onto the after grid, a
   residual shift measured (and corrected when asked), then each is speckle-filtered once
   (palsar2.raster.speckle) and kept as float16 dB in a scratch :class:`~.store.ChunkStore`.
2. One pass over the stores accumulates the histogram of the change index, per-tile histograms
   (split-based thresholds) and coarse block means (tens of metres) of both dates.
3. On the coarse grid (small, in memory): water thresholds, sea, distance to the sea, coastal
   buffer, lowland, and, with a DEM, slope / layover / shadow masks - computed once per frame.
4. Thresholds are chosen from the histograms (degenerate ones replaced by the documented rule).
5. Classes are computed lazily per chunk with a halo (hysteresis growth, themes, clean-up, MMU);
   :meth:`ChangeResult.write` streams them, and the log-ratio, into COGs, vectorises window by
   window and writes statistics and the report.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from palsar2.change import blocks
from palsar2.change.align import Alignment, estimate_shift, shift_image, to_grid
from palsar2.change.cleanup import clean_depth, mmu_pixels
from palsar2.change.indices import METHODS
from palsar2.change.themes import LookGeometry, distance_to, sea_mask, terrain_masks
from palsar2.change.thresholds import (
    FINE_BIN_DB,
    LR_RANGE,
    TILE_BIN_DB,
    Histogram,
    ThresholdResult,
    choose,
    edges_for,
    no_change_mode,
    otsu,
    parse_threshold,
)
from palsar2.errors import ChangeError, ParameterError

# index -> (fine edges, tile edges)
_INDEX_EDGES = {
    "log_ratio": ((*LR_RANGE, FINE_BIN_DB), (*LR_RANGE, TILE_BIN_DB)),
    "normalized_difference": ((-1.0, 1.0, 0.002), (-1.0, 1.0, 0.01)),
    "mean_ratio": ((-1.0, 1.0, 0.002), (-1.0, 1.0, 0.01)),
}
DB_RANGE = (-45.0, 25.0, 0.1)
HYSTERESIS_DEPTH = 32
WATER_DB_FALLBACK = -18.0  # calm water at L-band HH is far below this; land far above


@dataclass(frozen=True)
class DetectOptions:
    """Parameters of :func:`detect` (CLI flags in brackets)."""

    filter: str | None = "refined_lee"   # [--filter] None/"none": inputs are already filtered
    size: int = 7                        # [--size] speckle window
    method: str = "log_ratio"            # [--method] log_ratio | normalized_difference | mean_ratio
    threshold: str = "auto"              # [--threshold] auto | otsu | ki | split | cfar | "DEC,INC" (dB)
    mmu_m2: float = 500.0                # [--mmu] minimum mapping unit
    min_object_px: int = 3               # and never objects under this many pixels (speckle specks)
    tile_m: float = 1000.0               # split-based tile side
    coarse_m: float = 40.0               # grid of the sea / lowland / terrain masks
    estimate_shift: bool = True
    correct_shift: bool = False          # [--correct-shift]
    hysteresis: bool = True
    grow_fraction: float = 0.55          # growth threshold = mode + grow_fraction * (threshold - mode)
    k_cfar: float = 4.5                  # CFAR seeds: mode -/+ k robust sigmas (fallback, and auto's clamp)
    morph_size: int = 3                  # opening/closing square (skipped when pixels > 10 m)
    themes: bool = True
    coast_buffer_m: float | None = None  # new land: within this distance of the pre-event sea (None: 1.5 coarse px)
    sea_min_area_m2: float = 2.0e6
    lowland_m: float = 10.0              # inundation: elevation at most this (with a DEM)
    lowland_distance_m: float = 2000.0   # ... and within this distance of the sea
    min_slope_deg: float = 10.0
    landslide_sign: str = "geometry"     # geometry | decrease | increase | both. geometry (needs a DEM and the
                                         # look): increases where the local incidence is under
                                         # slide_crossover_deg (a bare scar facing the radar is brighter than
                                         # the forest it replaced), decreases elsewhere; without a look: decrease
    slide_crossover_deg: float = 29.0    # local incidence where bare-scar and forest sigma0 cross (L-band HH:
                                         # forest ~-8 dB, -0.05 dB/deg; bare scar ~-10 dB, -0.4 dB/deg at 35 deg)
    object_window_m: float = 30.0        # landslides: also test the ratio of local means over ~30 m (0 = off;
                                         # 30 m beat 50 m in precision at 5 and 10 m on seeds 101 and 7)
    landslide_max_pixel_m: float = 10.0  # no landslide theme on coarser pixels: too few per slide for the object
                                         # test (tuning seed 101, slides >= 2,500 m2 at MMU 2,500: object
                                         # precision 0.78 at 10 m, 0.33 at 15 m, 0.18 at 20 m; the 40 m demo
                                         # mapped 6 km2 of "landslides" per pair at F1 0.04)
    urban_window_m: float = 50.0         # burnt / collapsed: the same object-scale test on bright-before urban
    urban_k: float = 5.5                 # ground, kept at its earlier window and levels (measured: burnt area
    urban_grow_k: float = 2.5            # on seed 202 at 5 m fell to 0.76x with the landslide settings)
    object_k: float = 4.0                # ... seeds at k robust sigmas of that ratio's no-change mode (was 5.5
                                         # with decreases only; tuned with the geometry sign on seeds 101 and 7)
    object_grow_k: float = 2.5           # ... grown down to this many sigmas
    urban_db: float = -4.0               # bright-before (urban) filtered sigma0 dB
    burnt_db: float = -11.0              # urban decrease at least this strong is "burnt" (collapse: -5..-8 dB)
    water_db: float | None = None        # None: Otsu on the coarse images
    look: LookGeometry | None = None     # overrides the geometry read from the after item
    chunks: int = 2048
    workdir: str | None = None           # scratch stores (None: in memory below 64 Mpx on threads, else tmp;
                                         # with a remote cluster it must be a directory the workers share)
    progress: bool = False

    def validate(self) -> DetectOptions:
        if self.method not in METHODS:
            raise ParameterError(f"--method {self.method!r}: unknown (choose from {', '.join(METHODS)})")
        parse_threshold(self.threshold)
        if self.mmu_m2 < 0:
            raise ParameterError(f"--mmu {self.mmu_m2}: must be >= 0 m2")
        if not (isinstance(self.size, int) and self.size >= 1):
            raise ParameterError(f"--size {self.size!r}: must be a positive odd integer")
        if self.landslide_sign not in ("geometry", "decrease", "increase", "both"):
            raise ParameterError(f"landslide_sign {self.landslide_sign!r}: geometry, decrease, increase or both")
        if not 0.0 < self.slide_crossover_deg < 90.0:
            raise ParameterError(f"slide_crossover_deg {self.slide_crossover_deg}: must be between 0 and 90 deg")
        if not self.landslide_max_pixel_m > 0:
            raise ParameterError(f"landslide_max_pixel_m {self.landslide_max_pixel_m}: must be > 0 m")
        if self.chunks < 256:
            raise ParameterError(f"chunks {self.chunks}: must be at least 256")
        if self.method != "log_ratio" and "," in str(self.threshold):
            raise ParameterError("--threshold DEC,INC (dB) needs --method log_ratio")
        return self


@dataclass
class Source:
    """One input image as linear power with its grid and what is known about it."""

    data: Any
    geobox: Any
    id: str
    look: LookGeometry | None = None
    datetime: dt.datetime | None = None


def as_source(x: Any, chunks: int = 2048) -> Source:
    """A catalog Item, a palsar2.raster Image, or a (power array, GeoBox[, id]) tuple, as a Source."""
    import dask.array as da

    if isinstance(x, tuple):
        data, gbox, *rest = x
        return Source(da.asarray(data).astype(np.float32), gbox, str(rest[0]) if rest else "image")
    if hasattr(x, "assets") and hasattr(x, "geobox"):  # catalog Item
        from palsar2.raster.image import Image

        img = Image.from_item(x, chunks=chunks)
        look = None
        pd_, ls = getattr(x, "pass_direction", None), getattr(x, "look_side", None)
        on = (getattr(x, "properties", {}) or {}).get("view:off_nadir")
        if pd_ and ls and on is not None:
            look = LookGeometry(pd_, ls, float(on))
        return Source(img.data, x.geobox, str(x.id), look, getattr(x, "datetime", None))
    if hasattr(x, "data") and hasattr(x, "geobox") and hasattr(x, "sigma0"):  # raster Image
        img = x.sigma0("power")
        ids = getattr(img, "source_ids", ()) or ("image",)
        return Source(img.data, img.geobox, "+".join(ids))
    raise ParameterError(f"input {type(x).__name__}: expected a catalog Item, an Image or (array, GeoBox)")


def _pixel_size(gbox: Any) -> float:
    a = gbox.affine
    return float(math.sqrt(abs(a.a * a.e - a.b * a.d)))


def _filtered(src: Any, opts: DetectOptions) -> Any:
    if not opts.filter or opts.filter == "none":
        return src
    from palsar2.raster.speckle import filter_dask

    return filter_dask(src, opts.filter, opts.size)


def _to_db16(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        d = 10 * np.log10(p)
    return np.where(np.isfinite(d), d, np.nan).astype(np.float16)


def _progress(opts: DetectOptions):
    if opts.progress:
        from dask.diagnostics import ProgressBar

        return ProgressBar(out=sys.stderr, minimum=1.0)
    import contextlib

    return contextlib.nullcontext()


def detect(before: Any, after: Any, *, dem: Any = None, options: DetectOptions | None = None,
           pair: str | None = None) -> ChangeResult:
    """Map what changed between a pre-event and a post-event image of the same geometry.

    ``before``/``after``: catalog Items (checked with :func:`~.pairs.check_pair`), Images, or
    ``(power, GeoBox)`` tuples. ``dem``: a path to a DEM raster or ``(array, GeoBox)``.
    """
    import dask
    import dask.array as da

    opts = (options or DetectOptions()).validate()
    timing: dict[str, float] = {}
    t0 = time.perf_counter()
    if hasattr(before, "assets") and hasattr(after, "assets"):
        from palsar2.change.pairs import check_pair

        check_pair(before, after)
    b, a = as_source(before, opts.chunks), as_source(after, opts.chunks)
    gbox = a.geobox
    px = _pixel_size(gbox)
    f = max(1, int(round(opts.coarse_m / px)))
    ch = max(f, f * int(round(opts.chunks / f)))
    shape = tuple(int(s) for s in gbox.shape)

    # 1. on one grid, shift check, filtered once into scratch stores
    bd = to_grid(b.data, b.geobox, gbox)
    alignment = Alignment(reprojected=bd is not b.data)
    if opts.estimate_shift:
        est = estimate_shift(bd, a.data)
        est.reprojected = alignment.reprojected
        alignment = est
    if opts.correct_shift and alignment.magnitude > 0.05:
        bd = shift_image(bd, alignment.dy, alignment.dx)
        alignment.corrected = True
    bd = da.asarray(bd).rechunk(ch)
    ad = da.asarray(a.data).rechunk(ch)
    chunks = ad.chunks
    # worker processes cannot write into this process's memory: stores go to disk for them too
    on_disk = opts.workdir is not None or shape[0] * shape[1] > 64_000_000 or not _in_process_scheduler()
    workdir = Path(opts.workdir or tempfile.gettempdir())
    sb = _store(shape, chunks, workdir if on_disk else None, "before")
    sa = _store(shape, chunks, workdir if on_disk else None, "after")
    fb = _filtered(bd, opts).map_blocks(_to_db16, dtype=np.float16)
    fa = _filtered(ad, opts).map_blocks(_to_db16, dtype=np.float16)
    timing["align_s"] = time.perf_counter() - t0
    with _progress(opts):
        da.store([fb, fa], [sb, sa], lock=False)
    timing["filter_store_s"] = time.perf_counter() - t0 - timing["align_s"]
    b16, a16 = sb.to_dask(), sa.to_dask()

    # 2. statistics pass over the stores
    (lo, hi, w), (tlo, thi, tw) = _INDEX_EDGES[opts.method]
    tile_px = max(16, int(round(opts.tile_m / px)))
    cfg = {"method": opts.method, "edges": edges_for(lo, hi, w), "lr_edges": edges_for(LR_RANGE[0], LR_RANGE[1], FINE_BIN_DB),
           "tile_edges": edges_for(tlo, thi, tw), "tile_px": tile_px, "object_window": _object_window(opts, px),
           "urban_window": _object_window(opts, px, opts.urban_window_m),
           "obj_sample": _ObjSample(len(chunks[0]) * len(chunks[1]), ch),
           "tile_rows": -(-shape[0] // tile_px), "tile_cols": -(-shape[1] // tile_px), "factor": f,
           "coarse_shape": (-(-shape[0] // f), -(-shape[1] // f))}
    r_off = np.cumsum((0,) + chunks[0])
    c_off = np.cumsum((0,) + chunks[1])
    db_, da_ = b16.to_delayed(optimize_graph=False), a16.to_delayed(optimize_graph=False)
    parts = [dask.delayed(blocks.chunk_stats)(db_[i, j], da_[i, j], int(r_off[i]), int(c_off[j]), cfg)
             for i in range(len(chunks[0])) for j in range(len(chunks[1]))]
    with _progress(opts):
        t1 = time.perf_counter()
        st = dask.delayed(blocks.merge_stats)(parts, cfg).compute()
        timing["statistics_s"] = time.perf_counter() - t1
    hist = Histogram(st["hist"], cfg["edges"])
    if hist.total == 0:
        sb.close(), sa.close()
        raise ChangeError(f"pair {pair or (b.id + ' / ' + a.id)}: the two images do not overlap (no valid pixel in common)")

    # 3. coarse masks, once per frame
    look = opts.look or a.look
    coarse = _coarse_masks(st["coarse_b"], st["coarse_a"], gbox, f, px, dem, look, opts)

    # 4. thresholds
    method, fixed_values = parse_threshold(opts.threshold)
    th = choose(hist, st["tiles"], cfg["tile_edges"], method, fixed_values, k_cfar=opts.k_cfar,
                k_max=opts.k_cfar)
    params = _classifier_params(th, hist, coarse, opts, px)
    om, osg = no_change_mode(Histogram(st["obj_hist"], cfg["lr_edges"])) if st["obj_hist"].sum() else (0.0, 1.0)
    um, usg = no_change_mode(Histogram(st["urb_hist"], cfg["lr_edges"])) if st["urb_hist"].sum() else (0.0, 1.0)
    params.update(urban_window=cfg["urban_window"], urb_mode=um, urb_sigma=usg, urb_k=opts.urban_k,
                  urb_grow_k=opts.urban_grow_k)
    params.update(object_window=cfg["object_window"], obj_mode=om, obj_sigma=osg, obj_k=opts.object_k,
                  obj_grow_k=opts.object_grow_k)
    timing["masks_thresholds_s"] = time.perf_counter() - t1 - timing["statistics_s"]

    # 5. lazy classes and log-ratio
    bits = da.map_blocks(blocks.upsample_bits, dtype=np.uint8, chunks=chunks,
                         coarse=dask.delayed(coarse["bits"]), f=f)
    depth = (HYSTERESIS_DEPTH if opts.hysteresis else 0) + (params["clean_depth"] if params["clean"] else 0) \
        + max(cfg["object_window"], cfg["urban_window"]) // 2
    classes = da.map_overlap(_classify_block, b16, a16, bits, depth=depth, boundary="none",
                             dtype=np.uint8, trim=True, p=params, align_arrays=False)
    lr = da.map_blocks(_lr_block, b16, a16, dtype=np.float32)
    name = pair or f"{a.id}__{b.id}"
    return ChangeResult(geobox=gbox, pair=name, before_id=b.id, after_id=a.id, options=opts,
                        thresholds=th, alignment=alignment, params=params, histogram=hist,
                        lr_histogram=Histogram(st["lr_hist"], cfg["lr_edges"]), coarse=coarse, look=look,
                        log_ratio=lr, classes=classes, _stores=(sb, sa), timing=timing,
                        notes=season_notes(b.datetime, a.datetime))


# Japan's paddies are flooded from transplanting (May) to mid-summer drainage (August)
PADDY_FLOOD_MONTHS = range(5, 9)


def season_notes(before: dt.datetime | None, after: dt.datetime | None) -> list[str]:
    """Caveats a pair's dates imply (SCIENCE.md: the 2023-06-06 scenes show flooded paddies)."""
    if before is None or after is None:
        return []
    notes = []
    if before.month in PADDY_FLOOD_MONTHS and after.month not in PADDY_FLOOD_MONTHS:
        notes.append(f"the before image ({before.date()}) is from the paddy-flooding season and the after "
                     f"image ({after.date()}) is not: flooded paddies read as water before, so drained "
                     "paddies near the coast can show as new land and paddy change as increase")
    if before.tzinfo is None or after.tzinfo is None:
        before, after = before.replace(tzinfo=None), after.replace(tzinfo=None)
    days = (after - before).days
    if days > 365:
        notes.append(f"{days} days between the images: change older than the event "
                     "(e.g. the 2023-05-05 Suzu earthquake for 2022 pre-event scenes) is included")
    return notes


def _in_process_scheduler() -> bool:
    """True when dask runs the graph in this process (threads or synchronous)."""
    import dask.local
    import dask.threaded
    from dask.base import get_scheduler

    return get_scheduler() in (None, dask.threaded.get, dask.local.get_sync)


def _object_window(opts: DetectOptions, px: float, metres: float | None = None) -> int:
    """Odd window (pixels) of the object-scale ratio; 1 when off or under 3 pixels."""
    m = opts.object_window_m if metres is None else metres
    n = int(round(m / px)) if m > 0 else 1
    n = n if n % 2 else n + 1
    return n if n >= 3 else 1


class _ObjSample:
    """Which chunks feed the object-scale histogram: all of a small image, every third of a big one."""

    def __init__(self, n_chunks: int, ch: int):
        self.every = 1 if n_chunks < 12 else 3
        self.ch = ch

    def __call__(self, r0: int, c0: int) -> bool:
        return (r0 // self.ch + c0 // self.ch) % self.every == 0


def _store(shape, chunks, directory, name):
    from palsar2.change.store import ChunkStore

    return ChunkStore(shape, chunks, np.float16, directory, name)


def _lr_block(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    return (a.astype(np.float32) - b.astype(np.float32)).astype(np.float32)


def _classify_block(b: np.ndarray, a: np.ndarray, bits: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    return blocks.classify(b, a, bits, p=p)


def _water_threshold(coarse_db: np.ndarray, opts: DetectOptions, which: str) -> dict[str, Any]:
    """Water/land threshold (dB) of one date: Otsu on the coarse image, checked, else the fixed rule."""
    if opts.water_db is not None:
        return {"value": float(opts.water_db), "method": "fixed", "degenerate": False, "reason": ""}
    h = Histogram.of(coarse_db, edges_for(*DB_RANGE))
    if h.total < 16:
        return {"value": WATER_DB_FALLBACK, "method": "fixed", "degenerate": True,
                "reason": f"{which}: too few coarse pixels", "fallback": f"fixed {WATER_DB_FALLBACK} dB"}
    r = otsu(h, lo=-30.0, hi=-10.0)
    d = r.details
    # water must be a real, dark class: mean under -16 dB and well separated from land
    bad = r.degenerate or d.get("mean_low") is None or d["mean_low"] > -16.0 or d.get("ashman_d", 0) < 2.0
    if bad:
        why = r.reason or f"dark class mean {d.get('mean_low')} dB / Ashman D {d.get('ashman_d')}: no clear water"
        return {"value": WATER_DB_FALLBACK, "method": "otsu", "degenerate": True, "reason": f"{which}: {why}",
                "fallback": f"fixed {WATER_DB_FALLBACK} dB", "otsu": r.value}
    return {"value": r.value, "method": "otsu", "degenerate": False, "reason": "",
            "water_mean_db": d["mean_low"], "land_mean_db": d["mean_high"], "ashman_d": d["ashman_d"]}


def _coarse_masks(cb: np.ndarray, ca: np.ndarray, gbox: Any, f: int, px: float, dem: Any,
                  look: LookGeometry | None, opts: DetectOptions) -> dict[str, Any]:
    """Water, sea, distance to the sea, coastal buffer, lowland and terrain masks on the coarse grid."""
    cpx = px * f
    valid = np.isfinite(cb) & np.isfinite(ca)
    wb, wa = _water_threshold(cb[valid], opts, "before"), _water_threshold(ca[valid], opts, "after")
    water_b = valid & (cb < wb["value"])
    sea_b = sea_mask(water_b, valid, max(1, int(opts.sea_min_area_m2 / cpx**2)))
    dist = distance_to(sea_b, cpx)
    buffer = opts.coast_buffer_m if opts.coast_buffer_m is not None else max(1.5 * cpx, 60.0)
    coastal = dist <= buffer
    out: dict[str, Any] = {"before_db": cb, "after_db": ca, "valid": valid, "sea_before": sea_b,
                           "distance_to_sea_m": dist, "coastal": coastal, "water": {"before": wb, "after": wa},
                           "factor": f, "pixel_m": cpx, "coast_buffer_m": buffer}
    bits = np.zeros(cb.shape, np.uint8)
    bits[coastal] |= blocks.COASTAL
    bits[sea_b] |= blocks.SEA_BEFORE
    near = dist <= opts.lowland_distance_m
    town = valid & (cb >= opts.urban_db - 2.0)
    if dem is not None:
        z = _dem_on(dem, gbox, f, cb.shape)
        tm = terrain_masks(z, cpx, look, min_slope_deg=opts.min_slope_deg)
        lowland = near & (z <= opts.lowland_m) & np.isfinite(z)
        bits[tm["landslide_ok"]] |= blocks.SLIDE_OK
        if "local_incidence" in tm:
            # a scar facing the radar (small local incidence) brightens, one facing away darkens
            out["slide_fore"] = tm["landslide_ok"] & (tm["local_incidence"] < opts.slide_crossover_deg)
            bits[out["slide_fore"]] |= blocks.SLIDE_FORE
        bits[np.isfinite(z)] |= blocks.HAS_DEM
        town &= tm["slope"] < opts.min_slope_deg
        out.update(dem=z, slope=tm["slope"], landslide_ok=tm["landslide_ok"],
                   layover=tm.get("layover"), shadow=tm.get("shadow"))
    else:
        lowland = dist <= opts.lowland_distance_m / 2
    bits[lowland] |= blocks.LOWLAND
    bits[town] |= blocks.URBAN_OK
    out["lowland"] = lowland
    out["bits"] = bits
    return out


def _dem_on(dem: Any, gbox: Any, f: int, shape: tuple[int, int]) -> np.ndarray:
    """The DEM averaged onto the coarse grid (after grid decimated by f)."""
    import rasterio
    from rasterio.warp import Resampling, reproject

    a = gbox.affine
    from affine import Affine

    dst_t = a @ Affine.scale(f, f)
    out = np.full(shape, np.nan, np.float32)
    try:
        if isinstance(dem, tuple):
            arr, dg = dem[0], dem[1]
            reproject(np.asarray(arr, np.float32), out, src_transform=dg.affine, src_crs=dg.crs.to_wkt(),
                      dst_transform=dst_t, dst_crs=gbox.crs.to_wkt(), resampling=Resampling.average,
                      src_nodata=np.nan, dst_nodata=np.nan)
        else:
            with rasterio.open(dem) as src:
                reproject(rasterio.band(src, 1), out, dst_transform=dst_t, dst_crs=gbox.crs.to_wkt(),
                          resampling=Resampling.average, dst_nodata=np.nan)
    except (rasterio.errors.RasterioError, OSError) as exc:
        raise ParameterError(f"--dem {dem}: cannot read ({exc})") from None
    return out


def _classifier_params(th: dict[str, ThresholdResult], hist: Histogram, coarse: dict[str, Any],
                       opts: DetectOptions, px: float) -> dict[str, Any]:
    mode = th["decrease"].details.get("mode", 0.0)
    t_dec, t_inc = th["decrease"].value, th["increase"].value
    g = opts.grow_fraction
    min_px = max(mmu_pixels(opts.mmu_m2, px * px), opts.min_object_px)
    morph = opts.morph_size if px <= 10.0 else 0
    cd, capped = clean_depth(min_px, morph)
    burnt = float(opts.burnt_db)
    return {"method": opts.method, "t_dec": float(t_dec), "t_inc": float(t_inc),
            "t_dec_grow": float(mode + g * (t_dec - mode)), "t_inc_grow": float(mode + g * (t_inc - mode)),
            "t_inc_slide": float(2 * mode - t_dec), "t_inc_slide_grow": float(mode - g * (t_dec - mode)),
            "hysteresis": opts.hysteresis, "themes": opts.themes,
            "water_db_before": float(coarse["water"]["before"]["value"]),
            "water_db_after": float(coarse["water"]["after"]["value"]),
            "urban_db": float(opts.urban_db), "burnt_db": burnt,
            "landslide_sign": opts.landslide_sign if (opts.landslide_sign != "geometry" or "slide_fore" in coarse)
            else "decrease",
            "landslides": px <= opts.landslide_max_pixel_m,
            "clean": True, "min_pixels": min_px, "morph_size": morph, "clean_depth": cd,
            "clean_depth_capped": capped, "mode": float(mode)}


from palsar2.change.result import ChangeResult
