"""Change indices on speckle-filtered linear power (SCIENCE.md section 3).

Element-wise, so they take numpy or dask arrays alike. I1 is before, I2 after; NaN (nodata) or
non-positive power in either image gives NaN.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from palsar2.errors import ParameterError

Method = Literal["log_ratio", "normalized_difference", "mean_ratio"]
METHODS: tuple[str, ...] = ("log_ratio", "normalized_difference", "mean_ratio")

# RGB composite legend: GSI/JAXA convention (SCIENCE.md 3), stated on every picture.
RGB_LEGEND = {
    "red": "before (sigma0 dB)",
    "green": "after (sigma0 dB)",
    "blue": "after (sigma0 dB)",
    "reading": "red = backscatter decrease, cyan = increase, grey = no change",
}


def _valid(i1: Any, i2: Any) -> Any:
    return (i1 > 0) & (i2 > 0)


def log_ratio(i1: Any, i2: Any) -> Any:
    """10 log10(<I2>/<I1>) in dB, float32; positive = brighter after."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = 10.0 * np.log10(i2 / i1)
    return np.where(_valid(i1, i2), lr, np.nan).astype(np.float32)


def normalized_difference(i1: Any, i2: Any) -> Any:
    """(I2 - I1) / (I2 + I1), in [-1, 1]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        nd = (i2 - i1) / (i2 + i1)
    return np.where(_valid(i1, i2), nd, np.nan).astype(np.float32)


def mean_ratio(i1: Any, i2: Any) -> Any:
    """1 - min(<I1>/<I2>, <I2>/<I1>), in [0, 1); 0 = no change. Symmetric: no sign."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mr = 1.0 - np.minimum(i1 / i2, i2 / i1)
    return np.where(_valid(i1, i2), mr, np.nan).astype(np.float32)


def index(method: str, i1: Any, i2: Any) -> Any:
    """The named change index of two power images."""
    try:
        fn = {"log_ratio": log_ratio, "normalized_difference": normalized_difference,
              "mean_ratio": mean_ratio}[method]
    except KeyError:
        raise ParameterError(f"--method {method!r}: unknown (choose from {', '.join(METHODS)})") from None
    return fn(i1, i2)


def to_log_ratio_equivalent(method: str, value: float) -> float:
    """Convert a signed index value to the log-ratio dB it corresponds to (for thresholds)."""
    if method == "log_ratio":
        return value
    if method == "normalized_difference":  # nd = (r-1)/(r+1)  ->  r = (1+nd)/(1-nd)
        return float(10 * np.log10((1 + value) / (1 - value)))
    if method == "mean_ratio":
        return float(-10 * np.log10(1 - value))
    raise ParameterError(f"method {method!r}: unknown")


def rgb_composite(before_db: np.ndarray, after_db: np.ndarray, *, lo: float = -25.0,
                  hi: float = 0.0) -> np.ndarray:
    """uint8 (rows, cols, 4) RGBA: before in red, after in green and blue, dB stretched lo..hi.

    Nodata in either image is transparent (alpha 0). See :data:`RGB_LEGEND`.
    """
    def stretch(a: np.ndarray) -> np.ndarray:
        s = np.clip((np.nan_to_num(a, nan=lo) - lo) / (hi - lo), 0, 1)
        return (s * 255 + 0.5).astype(np.uint8)

    r, g = stretch(before_db), stretch(after_db)
    alpha = np.where(np.isfinite(before_db) & np.isfinite(after_db), 255, 0).astype(np.uint8)
    return np.stack([r, g, g, alpha], axis=-1)
