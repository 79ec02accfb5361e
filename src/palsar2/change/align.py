"""Put both images on one grid (the after grid) and check / correct a residual sub-pixel shift.

The shift is estimated by phase cross-correlation (skimage, upsampled) on windows of the most
textured, fully valid parts of both images, 2x2 block-averaged in power and taken to dB so speckle
and brightness differences weigh less; the median over windows is reported, and applied to the
before image (bilinear, NaN-aware) only when asked.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from palsar2.errors import RasterError


@dataclass
class Alignment:
    """Residual shift of before relative to after (pixels, rows/cols), how it was measured, and what was done."""

    dy: float = 0.0
    dx: float = 0.0
    error: float | None = None
    windows: list[dict[str, Any]] = field(default_factory=list)
    reprojected: bool = False
    corrected: bool = False
    note: str = ""

    @property
    def magnitude(self) -> float:
        return math.hypot(self.dy, self.dx)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["magnitude_px"] = round(self.magnitude, 4)
        return d


def same_grid(g1: Any, g2: Any) -> bool:
    """True when two GeoBoxes are the same grid (shape, CRS, affine to a millimetre)."""
    if tuple(g1.shape) != tuple(g2.shape) or g1.crs != g2.crs:
        return False
    return all(abs(a - b) < 1e-3 for a, b in zip(tuple(g1.affine)[:6], tuple(g2.affine)[:6], strict=True))


def to_grid(data: Any, src_gbox: Any, dst_gbox: Any) -> Any:
    """Reproject power onto the after grid with palsar2.raster.warp (identity when already on it)."""
    if same_grid(src_gbox, dst_gbox):
        return data
    from palsar2.raster import warp

    return warp.reproject(data, src_gbox, dst_gbox)


def _block_mean_db(a: np.ndarray, f: int = 2) -> np.ndarray:
    h, w = (a.shape[0] // f) * f, (a.shape[1] // f) * f
    m = a[:h, :w].reshape(h // f, f, w // f, f).mean(axis=(1, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        return 10 * np.log10(m)


def candidate_windows(shape: tuple[int, int], size: int, n: int = 3) -> list[tuple[int, int]]:
    """Top-left corners of an n x n lattice of windows inside the image."""
    h, w = shape
    if h < size or w < size:
        return [(0, 0)]
    rows = np.linspace(0, h - size, n + 2)[1:-1].astype(int) if h > size else [0]
    cols = np.linspace(0, w - size, n + 2)[1:-1].astype(int) if w > size else [0]
    return [(int(r), int(c)) for r in rows for c in cols]


def estimate_shift(before: Any, after: Any, *, window: int = 768, n: int = 3, keep: int = 5,
                   upsample: int = 20) -> Alignment:
    """Sub-pixel shift of ``before`` against ``after`` (power, numpy or dask, same grid)."""
    from skimage.registration import phase_cross_correlation

    shape = tuple(after.shape)
    size = min(window, shape[0], shape[1])
    size -= size % 2
    if size < 32:
        return Alignment(note="image too small to measure a shift")
    cands = []
    wins0 = candidate_windows(shape, size, n)
    if hasattr(after, "chunks") and after.chunks is not None:
        wins0 = [_inside_chunk(r, c, size, after.chunks) for r, c in wins0]
    for r, c in wins0:
        a = np.asarray(after[r:r + size, c:c + size], dtype=np.float32)
        b = np.asarray(before[r:r + size, c:c + size], dtype=np.float32)
        ok = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
        frac = float(ok.mean())
        if frac < 0.95:
            continue
        da_, db_ = _block_mean_db(np.where(ok, a, np.nanmean(a[ok]))), _block_mean_db(np.where(ok, b, np.nanmean(b[ok])))
        cands.append((float(np.nanstd(da_)), r, c, da_, db_))
    if not cands:
        return Alignment(note="no fully valid window to measure a shift")
    cands.sort(key=lambda t: -t[0])  # most texture (stable bright structure) first
    shifts, wins = [], []
    for tex, r, c, da_, db_ in cands[:keep]:
        sh, err, _ = phase_cross_correlation(da_ - da_.mean(), db_ - db_.mean(), upsample_factor=upsample,
                                             normalization=None)
        # phase_cross_correlation returns the shift to register moving (before) onto reference (after)
        dy, dx = -2.0 * float(sh[0]), -2.0 * float(sh[1])  # back to full-resolution pixels
        shifts.append((dy, dx))
        wins.append({"row": r, "col": c, "size": size, "texture_db": round(tex, 3), "dy": round(dy, 3),
                     "dx": round(dx, 3), "error": round(float(err), 4)})
    s = np.array(shifts)
    dy, dx = float(np.median(s[:, 0])), float(np.median(s[:, 1]))
    spread = float(np.median(np.hypot(s[:, 0] - dy, s[:, 1] - dx))) if len(s) > 1 else None
    return Alignment(dy=round(dy, 4), dx=round(dx, 4), error=spread, windows=wins,
                     note="before is shifted by (dy, dx) pixels relative to after (median over windows)")


def _inside_chunk(r: int, c: int, size: int, chunks: tuple) -> tuple[int, int]:
    """Move a window into the dask chunk holding its centre (one chunk read per window)."""
    out = []
    for start, axis in ((r, chunks[0]), (c, chunks[1])):
        edges = np.cumsum((0,) + tuple(axis))
        centre = start + size // 2
        i = int(np.clip(np.searchsorted(edges, centre, side="right") - 1, 0, len(axis) - 1))
        lo, hi = int(edges[i]), int(edges[i + 1])
        out.append(int(np.clip(start, lo, max(lo, hi - size))) if hi - lo >= size else start)
    return out[0], out[1]


def _shift_block(block: np.ndarray, dy: float, dx: float) -> np.ndarray:
    from scipy import ndimage as ndi

    ok = np.isfinite(block)
    filled = np.where(ok, block, 0.0).astype(np.float32)
    num = ndi.shift(filled, (-dy, -dx), order=1, mode="constant", cval=0.0, prefilter=False)
    den = ndi.shift(ok.astype(np.float32), (-dy, -dx), order=1, mode="constant", cval=0.0, prefilter=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(den > 0.999, out, np.nan).astype(np.float32)


def shift_image(before: Any, dy: float, dx: float) -> Any:
    """Move ``before`` by (-dy, -dx) pixels so it lines up with after (bilinear; NaN stays nodata)."""
    import dask.array as da

    if not (math.isfinite(dy) and math.isfinite(dx)):
        raise RasterError(f"shift ({dy}, {dx}): not finite")
    depth = int(math.ceil(max(abs(dy), abs(dx)))) + 1
    x = da.asarray(before)
    return x.map_overlap(_shift_block, depth=depth, boundary=np.nan, dtype=np.float32, dy=dy, dx=dx)
