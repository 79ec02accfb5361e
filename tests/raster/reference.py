"""Plain, slow reference implementations of the speckle filters, written from SCIENCE.md's formulas.

Pure Python loops over small images; NaN and out-of-array pixels are not neighbours. Used only to
check the numba kernels.
"""

from __future__ import annotations

import math

import numpy as np


def window(a, i, j, h):
    """Valid (dy, dx, value) of the (2h+1)^2 window around (i, j)."""
    rows, cols = a.shape
    out = []
    for dy in range(-h, h + 1):
        for dx in range(-h, h + 1):
            r, c = i + dy, j + dx
            if 0 <= r < rows and 0 <= c < cols and not math.isnan(a[r, c]):
                out.append((dy, dx, float(a[r, c])))
    return out


def stats(values):
    v = np.array(values, dtype=np.float64)
    mean = v.mean()
    return mean, max((v * v).mean() - mean * mean, 0.0)


def mmse(z, mean, var, cu2):
    var_x = (var - mean * mean * cu2) / (1 + cu2)
    if var_x <= 0 or var <= 0:
        return mean
    return mean + var_x / var * (z - mean)


def apply(a, size, pixel):
    out = np.full(a.shape, np.nan)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if not math.isnan(a[i, j]):
                out[i, j] = pixel(float(a[i, j]), window(a, i, j, size // 2), i, j)
    return out


def boxcar(a, size):
    return apply(a, size, lambda z, w, i, j: stats([v for _, _, v in w])[0])


def median(a, size):
    return apply(a, size, lambda z, w, i, j: float(np.median([v for _, _, v in w])))


def lee(a, size, looks=1.0):
    return apply(a, size, lambda z, w, i, j: mmse(z, *stats([v for _, _, v in w]), 1 / looks))


def enhanced_lee(a, size, looks=1.0, damping=1.0):
    cu, cmax = math.sqrt(1 / looks), math.sqrt(1 + 2 / looks)

    def px(z, w, i, j):
        mean, var = stats([v for _, _, v in w])
        if mean <= 0:
            return mean
        ci = math.sqrt(var) / mean
        if ci <= cu:
            return mean
        if ci >= cmax:
            return z
        wt = math.exp(-damping * (ci - cu) / (cmax - ci))
        return mean * wt + z * (1 - wt)

    return apply(a, size, px)


def gamma_map(a, size, looks=1.0):
    cu2 = 1 / looks
    cu = math.sqrt(cu2)

    def px(z, w, i, j):
        mean, var = stats([v for _, _, v in w])
        if mean <= 0:
            return mean
        ci = math.sqrt(var) / mean
        if ci <= cu:
            return mean
        if ci >= math.sqrt(2) * cu:
            return z
        alpha = (1 + cu2) / (ci * ci - cu2)
        t = alpha - looks - 1
        return (t * mean + math.sqrt(mean * mean * t * t + 4 * alpha * looks * z * mean)) / (2 * alpha)

    return apply(a, size, px)


def frost(a, size, damping=2.0):
    def px(z, w, i, j):
        mean, var = stats([v for _, _, v in w])
        k = damping * var / mean**2 if mean > 0 else 0.0
        wts = [math.exp(-k * math.hypot(dy, dx)) for dy, dx, _ in w]
        return sum(wt * v for wt, (_, _, v) in zip(wts, w)) / sum(wts)

    return apply(a, size, px)


HALF_WINDOWS = [
    lambda r, c: c <= 3, lambda r, c: c >= 3,            # left, right
    lambda r, c: c >= r, lambda r, c: r >= c,            # upper-right, lower-left
    lambda r, c: r <= 3, lambda r, c: r >= 3,            # top, bottom
    lambda r, c: r + c <= 6, lambda r, c: r + c >= 6,    # upper-left, lower-right
]


def refined_lee(a, size=7, looks=1.0):
    def px(z, w, i, j):
        vals = {(dy + 3, dx + 3): v for dy, dx, v in w}

        def sub_mean(u, v):
            s = [vals[(r, c)] for r in range(2 * u, 2 * u + 3) for c in range(2 * v, 2 * v + 3) if (r, c) in vals]
            return sum(s) / len(s) if s else None

        # nine 3x3 sub-windows with stride 2 cover the 7x7 (rows/cols 0-2, 2-4, 4-6)
        m = [[sub_mean(u, v) for v in range(3)] for u in range(3)]
        centre = m[1][1]
        m = [[centre if x is None else x for x in row] for row in m]
        g = [m[0][2] + m[1][2] + m[2][2] - m[0][0] - m[1][0] - m[2][0],
             m[0][1] + m[0][2] + m[1][2] - m[1][0] - m[2][0] - m[2][1],
             m[0][0] + m[0][1] + m[0][2] - m[2][0] - m[2][1] - m[2][2],
             m[0][0] + m[0][1] + m[1][0] - m[1][2] - m[2][1] - m[2][2]]
        d = max(range(4), key=lambda k: (abs(g[k]), -k))
        mc = m[1][1]
        pairs = {0: ((1, 0), (1, 2)), 1: ((0, 2), (2, 0)), 2: ((0, 1), (2, 1)), 3: ((0, 0), (2, 2))}
        (ua, va), (ub, vb) = pairs[d]
        sel = 2 * d if abs(m[ua][va] - mc) <= abs(m[ub][vb] - mc) else 2 * d + 1
        chosen = [v for (r, c), v in vals.items() if HALF_WINDOWS[sel](r, c)]
        return mmse(z, *stats(chosen), 1 / looks)

    return apply(a, 7, px)


def lee_sigma(a, size=7, sigma=0.9, looks=1.0, target_size=3, z98=None):
    table = {0.5: (0.436, 1.920, 0.4057), 0.7: (0.254, 2.582, 0.5911), 0.9: (0.084, 3.941, 0.8191)}
    i1, i2, sv = table[sigma]
    k_points = 5 if target_size == 3 else 13

    def px(z, w, i, j):
        ht = target_size // 2
        if z > z98:
            n = sum(1 for dy, dx, v in w if abs(dy) <= ht and abs(dx) <= ht and v > z98)
            if n >= k_points:
                return z
        prior = mmse(z, *stats([v for dy, dx, v in w if abs(dy) <= 1 and abs(dx) <= 1]), 1 / looks)
        sel = [v for _, _, v in w if i1 * prior <= v <= i2 * prior]
        if not sel:
            return prior
        return mmse(z, *stats(sel), sv * sv)

    return apply(a, size, px)


def multitemporal(stack, size=7):
    means = np.stack([boxcar(s, size) for s in stack])
    out = np.full(stack.shape, np.nan)
    for i in range(stack.shape[1]):
        for j in range(stack.shape[2]):
            terms = [stack[k, i, j] / means[k, i, j] for k in range(len(stack))
                     if not math.isnan(stack[k, i, j]) and means[k, i, j] > 0]
            for k in range(len(stack)):
                if not math.isnan(stack[k, i, j]):
                    out[k, i, j] = means[k, i, j] * sum(terms) / len(terms) if terms else means[k, i, j]
    return out
