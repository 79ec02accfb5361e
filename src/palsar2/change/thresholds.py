"""Automatic thresholds on histograms: Otsu, Kittler-Illingworth, split-based tiles, CFAR, fixed.

Everything works on histograms (counts over fixed bin edges), so a full frame is thresholded from
counts accumulated chunk by chunk and nothing needs the pixels in memory. Degenerate cases
(unimodal data, almost no change, a minimum at the histogram edge) are detected and reported in
:class:`ThresholdResult`; callers fall back to a documented rule and say so.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from palsar2.errors import ParameterError, ThresholdError

Side = Literal["decrease", "increase"]

# Log-ratio histograms: fine bins for global thresholds, coarse bins for per-tile ones.
LR_RANGE = (-30.0, 30.0)
FINE_BIN_DB = 0.05
TILE_BIN_DB = 0.25

# A two-class split must lower the minimum-error criterion by this much (nats) against one
# Gaussian, else the data are called unimodal. A Gaussian cut in two halves *raises* J by 0.38.
MIN_KI_GAIN = 0.05
# Below this fraction of pixels a class is "almost nothing".
MIN_CLASS_FRACTION = 1e-4


def edges_for(lo: float, hi: float, width: float) -> np.ndarray:
    """Bin edges from lo to hi of the given width (float64)."""
    n = int(round((hi - lo) / width))
    return np.linspace(lo, hi, n + 1)


@dataclass(frozen=True)
class Histogram:
    """Counts over bin edges; values outside the edges are not counted (NaN never is)."""

    counts: np.ndarray
    edges: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, edges: np.ndarray) -> Histogram:
        """Histogram of the finite values of an array (any shape) over fixed edges."""
        return cls(bin_counts(values, edges), np.asarray(edges, dtype=np.float64))

    @property
    def centres(self) -> np.ndarray:
        return 0.5 * (self.edges[:-1] + self.edges[1:])

    @property
    def width(self) -> float:
        return float(self.edges[1] - self.edges[0])

    @property
    def total(self) -> float:
        return float(self.counts.sum())

    def __add__(self, other: Histogram) -> Histogram:
        return Histogram(self.counts + other.counts, self.edges)

    def fraction(self, lo: float = -np.inf, hi: float = np.inf) -> float:
        """Fraction of the counted values in [lo, hi)."""
        c = self.centres
        t = self.total
        return float(self.counts[(c >= lo) & (c < hi)].sum() / t) if t else 0.0

    def mean_std(self) -> tuple[float, float]:
        c, n = self.centres, self.counts
        t = n.sum()
        if t == 0:
            return math.nan, math.nan
        m = float((c * n).sum() / t)
        return m, float(math.sqrt(max((((c - m) ** 2) * n).sum() / t, 0.0) + self.width**2 / 12))

    def to_dict(self) -> dict[str, Any]:
        nz = np.nonzero(self.counts)[0]
        a, b = (int(nz[0]), int(nz[-1]) + 1) if nz.size else (0, 0)
        return {"edges_lo": float(self.edges[a]), "bin_width": self.width,
                "counts": [int(x) for x in self.counts[a:b]]}


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """int64 counts of the finite values in each bin of uniform edges (fast bincount)."""
    v = np.asarray(values).ravel()
    v = v[np.isfinite(v)]
    lo, hi, n = float(edges[0]), float(edges[-1]), len(edges) - 1
    v = v[(v >= lo) & (v < hi)]
    idx = ((v - lo) * (n / (hi - lo))).astype(np.int64)
    np.clip(idx, 0, n - 1, out=idx)
    return np.bincount(idx, minlength=n).astype(np.int64)


@dataclass
class ThresholdResult:
    """A threshold (dB) and how it was found; ``degenerate`` says it should not be trusted."""

    method: str
    value: float
    side: str = ""
    degenerate: bool = False
    reason: str = ""
    fallback: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["value"] = None if not np.isfinite(self.value) else round(float(self.value), 4)
        return d


# ---------------------------------------------------------------------------------- class stats
def _cumulative(counts: np.ndarray, x: np.ndarray, width: float):
    """Per split index k (class 1 = bins < k): P1, P2, mu1, mu2, var1, var2 (vectorised on last axis)."""
    n = counts.astype(np.float64)
    c0 = np.cumsum(n, axis=-1)
    c1 = np.cumsum(n * x, axis=-1)
    c2 = np.cumsum(n * x * x, axis=-1)
    t0, t1, t2 = c0[..., -1:], c1[..., -1:], c2[..., -1:]
    # split k in 1..nbins-1: class 1 = bins [0, k)
    a0, a1, a2 = c0[..., :-1], c1[..., :-1], c2[..., :-1]
    b0, b1, b2 = t0 - a0, t1 - a1, t2 - a2
    with np.errstate(divide="ignore", invalid="ignore"):
        tot = np.where(t0 > 0, t0, np.nan)
        p1, p2 = a0 / tot, b0 / tot
        mu1, mu2 = a1 / a0, b1 / b0
        # bin-width correction keeps a one-bin class from having zero variance
        v1 = np.maximum(a2 / a0 - mu1**2, 0) + width**2 / 12
        v2 = np.maximum(b2 / b0 - mu2**2, 0) + width**2 / 12
    return p1, p2, mu1, mu2, v1, v2


def _window(hist: Histogram, lo: float | None, hi: float | None) -> np.ndarray:
    """Boolean mask of split positions (edges[1:-1]) allowed in [lo, hi]."""
    e = hist.edges[1:-1]
    ok = np.ones(e.shape, bool)
    if lo is not None:
        ok &= e >= lo
    if hi is not None:
        ok &= e <= hi
    return ok


def ki_criterion(p1, p2, v1, v2):
    """Kittler-Illingworth J(T) = 1 + 2(P1 ln s1 + P2 ln s2) - 2(P1 ln P1 + P2 ln P2)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 + (p1 * np.log(v1) + p2 * np.log(v2)) - 2 * (p1 * np.log(p1) + p2 * np.log(p2))


def split_stats(hist: Histogram, t: float) -> dict[str, float]:
    """Class fractions, means, stds, Ashman D and KI gain of the split of a histogram at t."""
    k = int(np.clip(np.searchsorted(hist.edges, t), 1, len(hist.edges) - 2))
    p1, p2, m1, m2, v1, v2 = (a[..., k - 1] for a in _cumulative(hist.counts, hist.centres, hist.width))
    return _describe(float(p1), float(p2), float(m1), float(m2), float(v1), float(v2), hist)


def _describe(p1, p2, m1, m2, v1, v2, hist: Histogram) -> dict[str, float]:
    _, s = hist.mean_std()
    j = float(ki_criterion(p1, p2, v1, v2)) if p1 > 0 and p2 > 0 else math.inf
    j1 = 1 + 2 * math.log(s) if s > 0 else math.nan
    d = math.sqrt(2) * abs(m1 - m2) / math.sqrt(v1 + v2) if p1 > 0 and p2 > 0 else 0.0
    return {"p_low": p1, "p_high": p2, "mean_low": m1, "mean_high": m2,
            "std_low": math.sqrt(v1) if np.isfinite(v1) else math.nan,
            "std_high": math.sqrt(v2) if np.isfinite(v2) else math.nan,
            "ashman_d": d, "ki_gain": j1 - j, "smaller_fraction": min(p1, p2)}


def _judge(res: ThresholdResult, hist: Histogram, side: str) -> ThresholdResult:
    """Fill details and flag degenerate splits (unimodal, almost no change, edge minimum)."""
    st = split_stats(hist, res.value)
    res.details.update({k: round(v, 5) if np.isfinite(v) else None for k, v in st.items()})
    change_frac = st["p_low"] if side == "decrease" else st["p_high"] if side == "increase" else st["smaller_fraction"]
    res.details["change_fraction"] = round(change_frac, 6)
    if change_frac < MIN_CLASS_FRACTION:
        res.degenerate, res.reason = True, f"almost no change: {change_frac:.2e} of pixels beyond {res.value:.2f} dB"
    elif change_frac > 0.5:
        res.degenerate, res.reason = True, f"'change' would be {change_frac:.0%} of pixels: the split is inside the no-change mode"
    elif not st["ki_gain"] > MIN_KI_GAIN:
        res.degenerate, res.reason = True, (
            f"unimodal: two classes fit no better than one (KI gain {st['ki_gain']:.3f} <= {MIN_KI_GAIN})")
    return res


# --------------------------------------------------------------------------------- the methods
def otsu(hist: Histogram, *, lo: float | None = None, hi: float | None = None, side: str = "") -> ThresholdResult:
    """Otsu's threshold: maximise P1 P2 (mu1 - mu2)^2 over split positions in [lo, hi]."""
    p1, p2, m1, m2, _, _ = _cumulative(hist.counts, hist.centres, hist.width)
    with np.errstate(invalid="ignore"):
        score = p1 * p2 * (m1 - m2) ** 2
    score = np.where(_window(hist, lo, hi) & np.isfinite(score), score, -np.inf)
    k = int(np.argmax(score))
    if not np.isfinite(score[k]):
        return ThresholdResult("otsu", math.nan, side, True, "empty histogram")
    res = ThresholdResult("otsu", float(hist.edges[k + 1]), side)
    return _judge(res, hist, side)


def kittler_illingworth(hist: Histogram, *, lo: float | None = None, hi: float | None = None,
                        side: str = "") -> ThresholdResult:
    """Minimum-error threshold (Kittler and Illingworth 1986), with edge-minimum detection."""
    p1, p2, _, _, v1, v2 = _cumulative(hist.counts, hist.centres, hist.width)
    j = ki_criterion(p1, p2, v1, v2)
    ok = _window(hist, lo, hi) & np.isfinite(j)
    j = np.where(ok, j, np.inf)
    k = int(np.argmin(j))
    if not np.isfinite(j[k]):
        return ThresholdResult("ki", math.nan, side, True, "empty histogram")
    res = _judge(ThresholdResult("ki", float(hist.edges[k + 1]), side), hist, side)
    allowed = np.nonzero(ok)[0]
    # a minimum on the first/last allowed split (or with a class under 0.1% of pixels) is KI's
    # known failure on unimodal data, not a threshold
    if not res.degenerate and (k in (allowed[0], allowed[-1]) or min(p1[k], p2[k]) < 1e-3):
        res.degenerate, res.reason = True, f"KI minimum at the histogram edge ({res.value:.2f} dB)"
    return res


def fixed(value: float, side: str = "") -> ThresholdResult:
    """A threshold given by the user (dB)."""
    return ThresholdResult("fixed", float(value), side)


def no_change_mode(hist: Histogram) -> tuple[float, float]:
    """Centre and robust spread (dB) of the main (no-change) mode of a log-ratio histogram.

    The spread comes from the half width at half maximum of the smoothed peak (sigma = HWHM /
    1.1774), which change tails on either side do not inflate.
    """
    n = hist.counts.astype(np.float64)
    if n.sum() == 0:
        raise ThresholdError("no valid pixels in the log-ratio histogram")
    k = max(1, int(round(0.5 / hist.width)))  # smooth over ~1 dB
    sm = np.convolve(n, np.ones(2 * k + 1) / (2 * k + 1), mode="same")
    i = int(np.argmax(sm))
    half = sm[i] / 2
    left = i
    while left > 0 and sm[left] > half:
        left -= 1
    right = i
    while right < len(sm) - 1 and sm[right] > half:
        right += 1
    hwhm = 0.5 * (right - left) * hist.width
    sigma = max(hwhm / 1.1774, hist.width)
    return float(hist.centres[i]), float(sigma)


def cfar(hist: Histogram, side: Side, k: float = 3.5) -> ThresholdResult:
    """Constant-false-alarm threshold: the no-change mode plus/minus k robust sigmas."""
    mode, sigma = no_change_mode(hist)
    t = mode - k * sigma if side == "decrease" else mode + k * sigma
    res = ThresholdResult("cfar", t, side, details={"mode": round(mode, 4), "sigma": round(sigma, 4), "k": k})
    st = split_stats(hist, t)
    res.details["change_fraction"] = round(st["p_low"] if side == "decrease" else st["p_high"], 6)
    return res


def split_based(tile_counts: np.ndarray, edges: np.ndarray, side: Side, *, mode: float, sigma: float,
                min_d: float = 2.0, min_ratio: float = 0.1, min_valid: int = 100,
                method: Literal["otsu", "ki"] = "otsu") -> ThresholdResult:
    """Split-based selection (Martinis 2009; Chini 2017): threshold the pooled bimodal tiles.

    ``tile_counts`` is (ntiles, nbins). Each tile is split on the change side of the no-change mode
    (beyond one sigma); a tile is kept when its two classes have Ashman D > ``min_d``, the smaller
    class holds more than ``min_ratio`` of the tile, the split beats one Gaussian (KI gain) and the
    change class lies on the asked side. The kept tiles' histograms are pooled and thresholded.
    """
    if tile_counts.ndim != 2 or tile_counts.shape[1] != len(edges) - 1:
        raise ParameterError(f"tile_counts: shape {tile_counts.shape} does not match {len(edges) - 1} bins")
    x = 0.5 * (edges[:-1] + edges[1:])
    width = float(edges[1] - edges[0])
    p1, p2, m1, m2, v1, v2 = _cumulative(tile_counts, x, width)
    e = edges[1:-1]
    allowed = (e <= mode - sigma) if side == "decrease" else (e >= mode + sigma)
    with np.errstate(invalid="ignore"):
        score = p1 * p2 * (m1 - m2) ** 2
    score = np.where(allowed[None, :] & np.isfinite(score), score, -np.inf)
    k = np.argmax(score, axis=1)
    r = np.arange(len(k))
    P1, P2, M1, M2, V1, V2 = (a[r, k] for a in (p1, p2, m1, m2, v1, v2))
    tot = tile_counts.sum(axis=1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = math.sqrt(2) * np.abs(M1 - M2) / np.sqrt(V1 + V2)
        mu = (tile_counts * x).sum(1) / tot
        var = np.maximum((tile_counts * x * x).sum(1) / tot - mu**2, 0) + width**2 / 12
        gain = (1 + np.log(var)) - ki_criterion(P1, P2, V1, V2)
    change_p = P1 if side == "decrease" else P2
    keep = ((tot >= min_valid) & np.isfinite(score[r, k]) & (d > min_d)
            & (np.minimum(P1, P2) > min_ratio) & (gain > MIN_KI_GAIN) & (change_p < 0.5))
    details: dict[str, Any] = {"tiles": len(k), "tiles_valid": int((tot >= min_valid).sum()),
                               "tiles_kept": int(keep.sum()), "min_d": min_d, "min_ratio": min_ratio}
    if not keep.any():
        return ThresholdResult("split", math.nan, side, True,
                               f"no bimodal tile (Ashman D > {min_d}, smaller class > {min_ratio})", details=details)
    pooled = Histogram(tile_counts[keep].sum(axis=0), np.asarray(edges, np.float64))
    lo, hi = (None, mode - sigma) if side == "decrease" else (mode + sigma, None)
    inner = (kittler_illingworth if method == "ki" else otsu)(pooled, lo=lo, hi=hi, side=side)
    details.update({"pooled_" + kk: v for kk, v in inner.details.items()})
    details["median_tile_d"] = round(float(np.median(d[keep])), 3)
    return ThresholdResult("split", inner.value, side, inner.degenerate, inner.reason, details=details)


def parse_threshold(spec: str) -> tuple[str, tuple[float, float] | None]:
    """'auto' | 'otsu' | 'ki' | 'split' | 'cfar' | 'DEC,INC' (dB) -> (method, fixed values)."""
    s = str(spec).strip().lower()
    if s in ("auto", "otsu", "ki", "split", "cfar"):
        return s, None
    try:
        a, b = (float(v) for v in s.split(","))
    except ValueError:
        raise ParameterError(
            f"--threshold {spec!r}: expected auto, otsu, ki, split, cfar or two dB values 'DEC,INC' like -3,3") from None
    if not a < 0 < b:
        raise ParameterError(f"--threshold {spec!r}: the decrease value must be < 0 and the increase value > 0 dB")
    return "fixed", (a, b)


FALLBACK_RULE = ("CFAR: no-change mode -/+ {k} robust sigmas (sigma from the half width at half "
                 "maximum of the log-ratio peak)")


def choose(hist: Histogram, tile_counts: np.ndarray | None, tile_edges: np.ndarray | None,
           method: str = "auto", fixed_values: tuple[float, float] | None = None, *,
           k_cfar: float = 3.5, k_min: float = 2.0, k_max: float | None = 3.5, min_d: float = 2.0,
           min_ratio: float = 0.1) -> dict[str, ThresholdResult]:
    """Decrease and increase thresholds of a log-ratio histogram by ``method``, with fallbacks.

    auto = split-based, else global Kittler-Illingworth, else CFAR. A degenerate result is never
    used: the documented CFAR rule replaces it and ``fallback`` says so. A threshold inside the
    no-change noise (closer than ``k_min`` sigmas to the mode) is moved out to the CFAR value. With
    auto, a threshold further out than ``k_max`` sigmas is brought in to it (change that is already
    significant at a known false-alarm rate would be lost for no gain), and ``fallback`` says so.
    """
    mode, sigma = no_change_mode(hist)
    out: dict[str, ThresholdResult] = {}
    for i, side in enumerate(("decrease", "increase")):
        lo, hi = (None, mode - sigma) if side == "decrease" else (mode + sigma, None)
        tried: list[ThresholdResult] = []
        if method == "fixed":
            assert fixed_values is not None
            res = fixed(fixed_values[i], side)
            res.details.update(split_stats(hist, res.value))
            res.details.update(mode=round(mode, 4), sigma=round(sigma, 4))
            out[side] = res
            continue
        if method in ("split", "auto") and tile_counts is not None and tile_edges is not None:
            tried.append(split_based(tile_counts, tile_edges, side, mode=mode, sigma=sigma,
                                     min_d=min_d, min_ratio=min_ratio))
        if method == "otsu":
            tried.append(otsu(hist, lo=lo, hi=hi, side=side))
        if method in ("ki", "auto"):
            tried.append(kittler_illingworth(hist, lo=lo, hi=hi, side=side))
        good = [r for r in tried if not r.degenerate]
        rule = FALLBACK_RULE.format(k=k_cfar)
        if good:
            res = good[0]
            if abs(res.value - mode) < k_min * sigma:
                c = cfar(hist, side, k_cfar)
                c.method = res.method
                c.fallback = f"{res.method} gave {res.value:.2f} dB, inside the no-change noise (< {k_min} sigma); {rule}"
                res = c
            elif method == "auto" and k_max is not None and abs(res.value - mode) > k_max * sigma:
                c = cfar(hist, side, k_max)
                c.method = res.method
                c.fallback = (f"{res.method} gave {res.value:.2f} dB, beyond {k_max} sigma of the no-change mode; "
                              f"clamped to {c.value:.2f} (CFAR, {k_max} sigma)")
                c.details["unclamped"] = round(res.value, 4)
                res = c
        else:
            res = cfar(hist, side, k_cfar)
            if tried:
                res.degenerate = True
                res.reason = "; ".join(f"{r.method}: {r.reason}" for r in tried)
                res.fallback = rule
        res.details.setdefault("mode", round(mode, 4))
        res.details.setdefault("sigma", round(sigma, 4))
        res.details["tried"] = [r.to_dict() for r in tried]
        out[side] = res
    return out
