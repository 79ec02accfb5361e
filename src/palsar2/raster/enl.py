"""Equivalent number of looks: moments (mean^2/var of intensity) and log-based, plus a finder of
homogeneous areas (the windows with the lowest coefficient of variation) to estimate them on.

Always on intensity (linear power): on amplitude the moment estimator gives 3.66 for single-look
data (SCIENCE.md 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from palsar2.errors import ParameterError, RasterError


@dataclass(frozen=True)
class Window:
    """A square window of an image: top-left row/col, side, and its intensity statistics."""

    row: int
    col: int
    size: int
    mean: float
    cv: float

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.row, self.row + self.size), slice(self.col, self.col + self.size)


def _valid(intensity: Any) -> np.ndarray:
    a = np.asarray(intensity, dtype=np.float64).ravel()
    return a[np.isfinite(a)]


def enl_moments(intensity: Any) -> float:
    """ENL = mean^2 / var of the valid intensities (population variance)."""
    v = _valid(intensity)
    if v.size < 2:
        raise RasterError(f"ENL needs at least 2 valid pixels, got {v.size}")
    var = v.var()
    if var <= 0:
        return float("inf")
    return float(v.mean() ** 2 / var)


def enl_log(intensity: Any) -> float:
    """ENL from the variance of log intensity: solve trigamma(L) = var(ln I) (gamma speckle)."""
    from scipy.optimize import brentq
    from scipy.special import polygamma

    v = _valid(intensity)
    v = v[v > 0]
    if v.size < 2:
        raise RasterError(f"ENL needs at least 2 positive pixels, got {v.size}")
    s = float(np.log(v).var())
    if s <= 0:
        return float("inf")
    lo, hi = 1e-3, 1e6
    f = lambda L: float(polygamma(1, L)) - s
    if f(hi) > 0:
        return float("inf")
    if f(lo) < 0:
        return lo
    return float(brentq(f, lo, hi, xtol=1e-6, rtol=1e-10))


def window_stats(intensity: Any, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per non-overlapping size x size window: mean, coefficient of variation, valid fraction."""
    import dask.array as da

    if not isinstance(size, (int, np.integer)) or size < 2:
        raise ParameterError(f"size: homogeneous-window size must be an integer >= 2, got {size!r}")
    rows, cols = intensity.shape
    nr, nc = rows // size, cols // size
    if nr == 0 or nc == 0:
        raise ParameterError(f"size: window {size} is larger than the image {rows}x{cols}")
    if hasattr(intensity, "dask"):
        x = intensity[: nr * size, : nc * size]
        step = max(1, 2048 // size) * size
        x = x.rechunk((step, step))

        def moments(b: np.ndarray) -> np.ndarray:
            return _block_moments(b, size)

        m = x.map_blocks(moments, dtype=np.float64, new_axis=2,
                         chunks=tuple(tuple(c // size for c in ch) for ch in x.chunks) + ((3,),))
        s = np.asarray(da.compute(m)[0])
    else:
        s = _block_moments(np.asarray(intensity)[: nr * size, : nc * size], size)
    s1, s2, n = s[..., 0], s[..., 1], s[..., 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        var = np.maximum(s2 / n - mean * mean, 0)
        cv = np.sqrt(var) / mean
    return mean, cv, n / (size * size)


def _block_moments(b: np.ndarray, size: int) -> np.ndarray:
    r, c = b.shape[0] // size, b.shape[1] // size
    v = b.astype(np.float64).reshape(r, size, c, size)
    ok = np.isfinite(v)
    v0 = np.where(ok, v, 0.0)
    return np.stack([v0.sum(axis=(1, 3)), (v0 * v0).sum(axis=(1, 3)), ok.sum(axis=(1, 3))], axis=-1)


def find_homogeneous(intensity: Any, size: int = 32, count: int = 10, min_valid: float = 1.0) -> list[Window]:
    """The ``count`` windows (non-overlapping, fully valid by default) with the lowest CV, best first.

    Windows with a mean at or below zero are never chosen. Works on numpy or dask arrays.
    """
    if not isinstance(count, (int, np.integer)) or count < 1:
        raise ParameterError(f"count: must be a positive integer, got {count!r}")
    mean, cv, frac = window_stats(intensity, size)
    ok = np.isfinite(cv) & (frac >= min_valid) & (mean > 0)
    if not ok.any():
        raise RasterError("no homogeneous window: no window is fully valid (try a smaller size)")
    idx = np.flatnonzero(ok.ravel())
    order = idx[np.argsort(cv.ravel()[idx], kind="stable")][:count]
    nc = mean.shape[1]
    return [Window(int(k // nc) * size, int(k % nc) * size, size, float(mean.ravel()[k]), float(cv.ravel()[k]))
            for k in order]


@dataclass(frozen=True)
class EnlEstimate:
    """ENL by both estimators over the homogeneous windows found."""

    moments: float
    log: float
    windows: tuple[Window, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"enl_moments": self.moments, "enl_log": self.log, "window_size": self.windows[0].size,
                "windows": [{"row": w.row, "col": w.col, "mean": w.mean, "cv": w.cv} for w in self.windows]}


def estimate_enl(intensity: Any, size: int = 32, count: int = 10) -> EnlEstimate:
    """ENL (median over the ``count`` most homogeneous windows) by moments and by log variance."""
    wins = find_homogeneous(intensity, size, count)
    m, lg = [], []
    for w in wins:
        block = intensity[w.slices]
        block = np.asarray(block.compute() if hasattr(block, "dask") else block)
        m.append(enl_moments(block))
        lg.append(enl_log(block))
    return EnlEstimate(float(np.median(m)), float(np.median(lg)), tuple(wins))
