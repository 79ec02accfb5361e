"""Speckle filter throughput: palsar2's numba kernels vs vectorised numpy/scipy versions of the same
NaN-aware filters (built from ``scipy.ndimage.uniform_filter`` / ``correlate`` and shifted views),
measured side by side in one run on the same single-look image with nodata holes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from scipy import ndimage as ndi

from palsar2.raster import speckle


# --- vectorised numpy / scipy versions (NaN = nodata, edges use the neighbours that exist) -------
def _moments(a: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    valid = np.isfinite(a)
    x = np.where(valid, a, 0).astype(np.float64)
    n = ndi.uniform_filter(valid.astype(np.float64), size, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = ndi.uniform_filter(x, size, mode="constant") / n
        var = np.maximum(ndi.uniform_filter(x * x, size, mode="constant") / n - mean * mean, 0)
    return mean, var, valid


def _mmse(z, mean, var, cu2):
    with np.errstate(invalid="ignore", divide="ignore"):
        var_x = (var - mean * mean * cu2) / (1 + cu2)
        b = np.where((var_x > 0) & (var > 0), var_x / np.where(var > 0, var, 1), 0.0)
    return mean + b * (z - mean)


def sp_boxcar(a, size=7):
    mean, _, valid = _moments(a, size)
    return np.where(valid, mean, np.nan).astype(np.float32)


def sp_lee(a, size=7, looks=1.0):
    mean, var, valid = _moments(a, size)
    return np.where(valid, _mmse(a, mean, var, 1 / looks), np.nan).astype(np.float32)


def sp_enhanced_lee(a, size=7, looks=1.0, damping=1.0):
    mean, var, valid = _moments(a, size)
    cu, cmax = math.sqrt(1 / looks), math.sqrt(1 + 2 / looks)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ci = np.sqrt(var) / mean
        w = np.exp(-damping * (ci - cu) / (cmax - ci))
        out = np.where(ci <= cu, mean, np.where(ci >= cmax, a, mean * w + a * (1 - w)))
    return np.where(valid, out, np.nan).astype(np.float32)


def sp_gamma_map(a, size=7, looks=1.0):
    mean, var, valid = _moments(a, size)
    cu2 = 1 / looks
    with np.errstate(invalid="ignore", divide="ignore"):
        ci = np.sqrt(var) / mean
        alpha = (1 + cu2) / (ci * ci - cu2)
        t = alpha - looks - 1
        x = (t * mean + np.sqrt(mean * mean * t * t + 4 * alpha * looks * a * mean)) / (2 * alpha)
        out = np.where(ci <= math.sqrt(cu2), mean, np.where(ci >= math.sqrt(2 * cu2), a, x))
    return np.where(valid, out, np.nan).astype(np.float32)


def _shifts(a: np.ndarray, h: int):
    """(dy, dx, view) of a NaN-padded copy: every window offset as a full-size view."""
    p = np.pad(a.astype(np.float64), h, constant_values=np.nan)
    rows, cols = a.shape
    for dy in range(-h, h + 1):
        for dx in range(-h, h + 1):
            yield dy, dx, p[h + dy:h + dy + rows, h + dx:h + dx + cols]


def sp_frost(a, size=7, damping=2.0):
    mean, var, valid = _moments(a, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(mean > 0, damping * var / (mean * mean), 0.0)
    sw = np.zeros(a.shape)
    swz = np.zeros(a.shape)
    for dy, dx, v in _shifts(a, size // 2):
        ok = np.isfinite(v)
        w = np.exp(-k * math.hypot(dy, dx)) * ok
        sw += w
        swz += w * np.where(ok, v, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(valid, swz / sw, np.nan).astype(np.float32)


def sp_median(a, size=7):
    """scipy's median filter (NOT nodata-aware: NaN propagate; shown only as a speed reference)."""
    return ndi.median_filter(a, size, mode="nearest")


HALF = [lambda r, c: c <= 3, lambda r, c: c >= 3, lambda r, c: c >= r, lambda r, c: r >= c,
        lambda r, c: r <= 3, lambda r, c: r >= 3, lambda r, c: r + c <= 6, lambda r, c: r + c >= 6]
KERNELS = [np.array([[1.0 if t(r, c) else 0.0 for c in range(7)] for r in range(7)]) for t in HALF]


def sp_refined_lee(a, size=7, looks=1.0):
    valid = np.isfinite(a)
    x = np.where(valid, a, 0).astype(np.float64)
    vf = valid.astype(np.float64)
    # 3x3 sums on a 2-pixel padded grid, so sub-windows centred just outside still see the edge
    ps = ndi.uniform_filter(np.pad(x, 2), 3, mode="constant") * 9
    pn = ndi.uniform_filter(np.pad(vf, 2), 3, mode="constant") * 9
    pn = np.rint(pn)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = ps[2:-2, 2:-2] / pn[2:-2, 2:-2]
    rows, cols = a.shape
    m = {}
    for u in range(3):
        for v in range(3):
            sl = (slice(2 * u, 2 * u + rows), slice(2 * v, 2 * v + cols))
            with np.errstate(invalid="ignore", divide="ignore"):
                m[u, v] = np.where(pn[sl] > 0, ps[sl] / np.where(pn[sl] > 0, pn[sl], 1), centre)
    g = np.stack([m[0, 2] + m[1, 2] + m[2, 2] - m[0, 0] - m[1, 0] - m[2, 0],
                  m[0, 1] + m[0, 2] + m[1, 2] - m[1, 0] - m[2, 0] - m[2, 1],
                  m[0, 0] + m[0, 1] + m[0, 2] - m[2, 0] - m[2, 1] - m[2, 2],
                  m[0, 0] + m[0, 1] + m[1, 0] - m[1, 2] - m[2, 1] - m[2, 2]])
    d = np.argmax(np.abs(g), axis=0)
    mc = m[1, 1]
    sides = [((1, 0), (1, 2)), ((0, 2), (2, 0)), ((0, 1), (2, 1)), ((0, 0), (2, 2))]
    sel = np.zeros(a.shape, np.int64)
    for k, ((ua, va), (ub, vb)) in enumerate(sides):
        first = np.abs(m[ua, va] - mc) <= np.abs(m[ub, vb] - mc)
        sel = np.where(d == k, 2 * k + np.where(first, 0, 1), sel)
    mean = np.zeros(a.shape)
    var = np.zeros(a.shape)
    for k, ker in enumerate(KERNELS):
        s1 = ndi.correlate(x, ker, mode="constant")
        s2 = ndi.correlate(x * x, ker, mode="constant")
        n = ndi.correlate(vf, ker, mode="constant")
        with np.errstate(invalid="ignore", divide="ignore"):
            mk = s1 / n
            vk = np.maximum(s2 / n - mk * mk, 0)
        pick = sel == k
        mean[pick] = mk[pick]
        var[pick] = vk[pick]
    return np.where(valid, _mmse(a, mean, var, 1 / looks), np.nan).astype(np.float32)


def sp_lee_sigma(a, size=7, z98=None):
    i1, i2, sv = speckle.LEE_SIGMA_TABLE[0.9]
    valid = np.isfinite(a)
    z = a.astype(np.float64)
    m3, v3, _ = _moments(a, 3)
    prior = _mmse(z, m3, v3, 1.0)
    lo, hi = i1 * prior, i2 * prior
    s1 = np.zeros(a.shape)
    s2 = np.zeros(a.shape)
    n = np.zeros(a.shape)
    big = np.zeros(a.shape)
    for dy, dx, v in _shifts(a, size // 2):
        ok = (v >= lo) & (v <= hi)
        vv = np.where(ok, v, 0)
        s1 += vv
        s2 += vv * vv
        n += ok
        if abs(dy) <= 1 and abs(dx) <= 1:
            big += v > z98
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        var = np.maximum(s2 / n - mean * mean, 0)
    out = np.where(n > 0, _mmse(z, mean, var, sv * sv), prior)
    out = np.where((z > z98) & (big >= 5), z, out)
    return np.where(valid, out, np.nan).astype(np.float32)


ALTERNATIVES: dict[str, tuple[Callable, str]] = {
    "boxcar": (sp_boxcar, "uniform_filter (values, counts)"),
    "median": (sp_median, "ndimage.median_filter (not nodata-aware)"),
    "lee": (sp_lee, "uniform_filter of I, I^2, counts"),
    "enhanced_lee": (sp_enhanced_lee, "uniform_filter moments + np.where"),
    "frost": (sp_frost, "49 shifted views, np.exp weights"),
    "gamma_map": (sp_gamma_map, "uniform_filter moments + np.where"),
    "refined_lee": (sp_refined_lee, "uniform_filter 3x3 + 24 ndimage.correlate"),
    "lee_sigma": (sp_lee_sigma, "49 shifted views"),
}


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall time and the CPU time (all threads) of that run."""
    best = (math.inf, math.inf)
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        best = min(best, (time.perf_counter() - t, time.process_time() - c))
    return best


def _load() -> str:
    import os

    one, five, _ = os.getloadavg()
    return f"Load average at the start: {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores."


def image(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.exponential(1.0, shape).astype(np.float32)
    a[: shape[0] // 8, : shape[1] // 3] = np.nan  # outside the swath
    a[rng.random(shape) < 0.01] = np.nan
    return a


def run(quick: bool = False) -> str:
    load = _load()
    shape = (512, 512) if quick else (2048, 2048)
    repeat = 1 if quick else 3
    a = image(shape)
    mpx = a.size / 1e6
    z98 = speckle.z98_of(a)
    rows = []
    for name, (alt, how) in ALTERNATIVES.items():
        params = {"z98": z98} if name == "lee_sigma" else {}
        speckle.filter_array(a[:64, :64], name, 7, **params)  # compile / load the numba cache
        ours = speckle.filter_array(a, name, 7, **params)
        theirs = alt(a, 7, **params)
        both = np.isfinite(ours) & np.isfinite(theirs)
        agree = float(np.mean(np.isclose(ours[both], theirs[both], rtol=1e-4, atol=1e-7)))
        t_ours, c_ours = _best(lambda n=name, p=params: speckle.filter_array(a, n, 7, **p), repeat)
        t_alt, c_alt = _best(lambda f=alt, p=params: f(a, 7, **p), max(1, repeat - 1))
        rows.append(f"| {name} | {mpx / t_ours:.1f} | {mpx / t_alt:.1f} | x{t_alt / t_ours:.1f} | "
                    f"{mpx / c_ours:.1f} | {mpx / c_alt:.1f} | {how} | {100 * agree:.2f} % |")
    import numba

    head = (f"Whole-array `speckle.filter_array(a, name, 7)` on a {shape[0]} x {shape[1]} float32 "
            f"single-look image with nodata (1/24 of it outside the swath, 1 % NaN holes); best of "
            f"{repeat}. numba {numba.__version__} with {numba.get_num_threads()} threads "
            f"(layer {numba.threading_layer()}). The alternative is a vectorised numpy/scipy version of the "
            "same NaN-aware filter, in this file; 'agree' = share of pixels within 1e-4 of ours. "
            "Mpx/s is wall clock on the shared machine; Mpx per CPU-second (all threads together) is "
            "less sensitive to other people's load: on two free cores expect up to twice it for "
            f"palsar2. {load}\n\n"
            "| filter | palsar2 Mpx/s | numpy/scipy Mpx/s | ratio | palsar2 Mpx/CPU-s | numpy/scipy Mpx/CPU-s "
            "| alternative | agree |\n"
            "|---|---:|---:|---:|---:|---:|---|---:|\n")
    return head + "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(run(quick=True))
