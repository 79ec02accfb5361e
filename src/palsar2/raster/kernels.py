"""Numba speckle kernels on plain float32 2-D arrays, NaN = nodata (formulas: SCIENCE.md section 2).

Every kernel treats NaN and positions outside the array alike: they are simply not neighbours.
NaN pixels stay NaN, and window statistics use the valid neighbours that exist. Because of that a
chunk padded with a NaN halo gives bit-identical results to the whole array, which is what
``speckle.filter_dask`` relies on.

Window sums are *direct* separable sums in a fixed order (column sums of ``size`` rows, then a sum
of ``size`` column sums), not running sums: a running sum's rounding depends on where the run
started, i.e. on the chunking, and would break the chunked == whole guarantee. Direct sums cost
2*size adds per pixel per moment but vectorise well and are still several times faster than
scipy's uniform_filter-based NaN-aware versions (see docs/PERFORMANCE.md).

Rows are processed in parallel (``prange``); each row owns its scratch buffers. Kernels release
the GIL (``nogil``), so dask's threads run them side by side. Variances are population variances
(divide by the number of valid pixels) in float64. Inner loops run over the pixels of a row with
the window offset outside wherever possible, so they vectorise (a per-pixel window loop is a float
reduction the compiler may not reorder).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

# kinds of the moment filters (a pixel formula applied to the window's mean and variance)
BOXCAR, LEE, ENHANCED_LEE, GAMMA_MAP = 0, 1, 2, 3


@njit(cache=True, inline="always")
def _column_sums(a, i, h, cs1, cs2, cn):
    """Sums of valid values, squares and counts of rows i-h..i+h per column (fixed order)."""
    rows, cols = a.shape
    for r in range(i - h, i + h + 1):
        if r < 0 or r >= rows:
            continue
        for j in range(cols):
            v = np.float64(a[r, j])
            ok = not math.isnan(v)
            x = v if ok else 0.0
            cs1[j + h] += x
            cs2[j + h] += x * x
            cn[j + h] += 1.0 if ok else 0.0


@njit(cache=True, inline="always")
def _mmse(z, mean, var, cu2):
    """Lee's MMSE estimate given window mean/variance and the speckle's squared variation cu2."""
    var_x = (var - mean * mean * cu2) / (1.0 + cu2)
    if var_x <= 0.0 or var <= 0.0:
        return mean
    return mean + (var_x / var) * (z - mean)


@njit(cache=True, inline="always")
def _pixel(kind, z, mean, var, looks, damping):
    if kind == BOXCAR:
        return mean
    cu2 = 1.0 / looks
    if kind == LEE:
        return _mmse(z, mean, var, cu2)
    if mean <= 0.0:
        return mean
    ci = math.sqrt(var) / mean
    cu = math.sqrt(cu2)
    if kind == ENHANCED_LEE:
        cmax = math.sqrt(1.0 + 2.0 / looks)
        if ci <= cu:
            return mean
        if ci >= cmax:
            return z
        w = math.exp(-damping * (ci - cu) / (cmax - ci))
        return mean * w + z * (1.0 - w)
    # GAMMA_MAP
    if ci <= cu:
        return mean
    if ci >= math.sqrt(2.0) * cu:
        return z
    alpha = (1.0 + cu2) / (ci * ci - cu2)
    t = alpha - looks - 1.0
    return (t * mean + math.sqrt(mean * mean * t * t + 4.0 * alpha * looks * z * mean)) / (2.0 * alpha)


@njit(cache=True, inline="always")
def _row_sums(cs1, cs2, cn, size, s1, s2, n):
    """Window sums of one row from its column sums: offset outside, pixels inside (vectorises)."""
    cols = s1.size
    for j in range(cols):
        s1[j] = 0.0
        s2[j] = 0.0
        n[j] = 0.0
    for k in range(size):
        for j in range(cols):
            s1[j] += cs1[j + k]
            s2[j] += cs2[j + k]
            n[j] += cn[j + k]


@njit(cache=True, inline="always")
def _window_sums(a, i, h, size):
    """Sums of I, I^2 and the valid count over the size x size window of every pixel of row i."""
    cols = a.shape[1]
    cs1 = np.zeros(cols + 2 * h, np.float64)
    cs2 = np.zeros(cols + 2 * h, np.float64)
    cn = np.zeros(cols + 2 * h, np.float64)
    _column_sums(a, i, h, cs1, cs2, cn)
    s1 = np.empty(cols, np.float64)
    s2 = np.empty(cols, np.float64)
    n = np.empty(cols, np.float64)
    _row_sums(cs1, cs2, cn, size, s1, s2, n)
    return s1, s2, n


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def moment_filter(a, size, kind, looks, damping):
    """Filters that need only the window mean and variance: boxcar, Lee, enhanced Lee, Gamma-MAP."""
    rows, cols = a.shape
    h = size // 2
    out = np.empty((rows, cols), np.float32)
    for i in prange(rows):
        s1, s2, n = _window_sums(a, i, h, size)
        for j in range(cols):
            z = np.float64(a[i, j])
            if math.isnan(z):
                out[i, j] = np.nan
                continue
            mean = s1[j] / n[j]
            var = max(s2[j] / n[j] - mean * mean, 0.0)
            out[i, j] = _pixel(kind, z, mean, var, looks, damping)
    return out


@njit(cache=True, nogil=True)
def _pad_nan(a, h):
    rows, cols = a.shape
    p = np.full((rows + 2 * h, cols + 2 * h), np.nan, np.float32)
    p[h:h + rows, h:h + cols] = a
    return p


def frost_distances(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct centre distances of a size x size window, and each offset's index into them."""
    h = size // 2
    dy, dx = np.mgrid[-h:h + 1, -h:h + 1]
    d2 = (dy * dy + dx * dx).ravel()
    uniq, idx = np.unique(d2, return_inverse=True)
    return np.sqrt(uniq.astype(np.float64)), idx.astype(np.int64)


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def frost(a, size, damping, dist, idx):
    """Frost: weights exp(-K Ci^2 d) with d the Euclidean distance to the centre (K = damping).

    ``dist``/``idx`` from :func:`frost_distances`: one exp per distinct distance, not per pixel.
    """
    rows, cols = a.shape
    h = size // 2
    p = _pad_nan(a, h)
    nu = dist.size
    out = np.empty((rows, cols), np.float32)
    for i in prange(rows):
        s1, s2, n = _window_sums(a, i, h, size)
        w = np.empty((nu, cols), np.float64)  # weight of each distinct distance, per pixel
        for j in range(cols):
            mean = s1[j] / n[j]
            var = max(s2[j] / n[j] - mean * mean, 0.0)
            k2 = damping * var / (mean * mean) if mean > 0.0 else 0.0
            for u in range(nu):
                w[u, j] = math.exp(-k2 * dist[u])
        sw = np.zeros(cols, np.float64)
        swz = np.zeros(cols, np.float64)
        for dy in range(size):
            for dx in range(size):
                u = idx[dy * size + dx]
                for j in range(cols):
                    v = np.float64(p[i + dy, j + dx])
                    ok = not math.isnan(v)
                    wt = w[u, j] if ok else 0.0
                    sw[j] += wt
                    swz[j] += wt * (v if ok else 0.0)
        for j in range(cols):
            out[i, j] = np.nan if math.isnan(a[i, j]) else swz[j] / sw[j]
    return out


@njit(cache=True, inline="always")
def _insertion_sort(buf, n):
    for k in range(1, n):
        v = buf[k]
        m = k - 1
        while m >= 0 and buf[m] > v:
            buf[m + 1] = buf[m]
            m -= 1
        buf[m + 1] = v


@njit(cache=True, nogil=True, parallel=True)
def median(a, size):
    """Median of the valid values in the window (mean of the two middle ones for an even count);
    the large-window path (``median_network`` is faster up to about 17x17).

    Per row, each column's ``size`` values are sorted once; the sorted window then slides along the
    row by one merge pass (drop the leaving sorted column, insert the entering one), O(size^2) per
    pixel without a full sort.
    """
    rows, cols = a.shape
    h = size // 2
    out = np.empty((rows, cols), np.float32)
    nmax = size * size
    for i in prange(rows):
        colv = np.empty((cols, size), np.float32)
        coln = np.zeros(cols, np.int64)
        for j in range(cols):
            n = 0
            for r in range(i - h, i + h + 1):
                if 0 <= r < rows:
                    v = a[r, j]
                    if not math.isnan(v):
                        colv[j, n] = v
                        n += 1
            _insertion_sort(colv[j], n)
            coln[j] = n
        win = np.empty(nmax, np.float32)
        tmp = np.empty(nmax, np.float32)
        nw = 0
        for c in range(min(h + 1, cols)):
            for k in range(coln[c]):
                win[nw] = colv[c, k]
                nw += 1
        _insertion_sort(win, nw)
        for j in range(cols):
            if j > 0:
                # leave column j-h-1, enter column j+h: one merge pass into tmp
                lc = j - h - 1
                ec = j + h
                nl = coln[lc] if lc >= 0 else 0
                ne = coln[ec] if ec < cols else 0
                if nl > 0 or ne > 0:
                    p = 0
                    q = 0
                    t = 0
                    for m in range(nw):
                        v = win[m]
                        if p < nl and v == colv[lc, p]:
                            p += 1
                            continue
                        while q < ne and colv[ec, q] < v:
                            tmp[t] = colv[ec, q]
                            t += 1
                            q += 1
                        tmp[t] = v
                        t += 1
                    while q < ne:
                        tmp[t] = colv[ec, q]
                        t += 1
                        q += 1
                    nw = t
                    win, tmp = tmp, win
            z = a[i, j]
            if math.isnan(z):
                out[i, j] = np.nan
            elif nw % 2 == 1:
                out[i, j] = win[nw // 2]
            else:
                out[i, j] = (np.float64(win[nw // 2 - 1]) + np.float64(win[nw // 2])) * 0.5
    return out


def _refined_lee_masks() -> np.ndarray:
    """Offsets (dy, dx) of the eight edge-aligned 28-pixel half-windows of a 7x7 window."""
    tests = [
        lambda r, c: c <= 3,  # 0 left
        lambda r, c: c >= 3,  # 1 right
        lambda r, c: c >= r,  # 2 upper-right triangle
        lambda r, c: r >= c,  # 3 lower-left triangle
        lambda r, c: r <= 3,  # 4 top
        lambda r, c: r >= 3,  # 5 bottom
        lambda r, c: r + c <= 6,  # 6 upper-left triangle
        lambda r, c: r + c >= 6,  # 7 lower-right triangle
    ]
    masks = np.empty((8, 28, 2), np.int64)
    for m, test in enumerate(tests):
        offs = [(r, c) for r in range(7) for c in range(7) if test(r, c)]
        assert len(offs) == 28
        masks[m] = offs
    return masks


REFINED_LEE_MASKS = _refined_lee_masks()


@njit(cache=True, nogil=True, parallel=True)
def _mean3(p):
    """3x3 means of the valid pixels of a NaN-padded array (NaN where none; outer ring unused)."""
    rows, cols = p.shape
    out = np.full((rows, cols), np.nan, np.float64)
    for i in prange(1, rows - 1):
        for j in range(1, cols - 1):
            acc = 0.0
            cnt = 0.0
            for dy in range(-1, 2):
                for dx in range(-1, 2):
                    v = np.float64(p[i + dy, j + dx])
                    ok = not math.isnan(v)
                    acc += v if ok else 0.0
                    cnt += 1.0 if ok else 0.0
            if cnt > 0.0:
                out[i, j] = acc / cnt
    return out


@njit(cache=True, nogil=True, parallel=True)
def refined_lee(a, looks, masks):
    """Refined Lee (Lee, Grunes, De Grandi 1999) on intensity with a 7x7 window.

    Nine 3x3 sub-window means (stride 2) feed four gradients; the strongest picks the edge
    orientation and the side whose adjacent sub-mean is closer to the centre one picks one of
    eight 28-pixel half-windows, inside which Lee's MMSE is applied. An empty sub-window (outside
    the swath) takes the centre sub-mean, so it adds no gradient.
    """
    rows, cols = a.shape
    h = 3
    p = _pad_nan(a, h)
    m3 = _mean3(p)
    pw = cols + 2 * h
    flat = p.ravel()
    # the half-windows as offsets into the flattened padded array (one load per pixel)
    offs = np.empty((8, 28), np.int64)
    for k in range(8):
        for q in range(28):
            offs[k, q] = masks[k, q, 0] * pw + masks[k, q, 1]
    cu2 = 1.0 / looks
    out = np.empty((rows, cols), np.float32)
    for i in prange(rows):
        m = np.empty((3, 3), np.float64)
        for j in range(cols):
            z = np.float64(a[i, j])
            if math.isnan(z):
                out[i, j] = np.nan
                continue
            ci = i + h
            cj = j + h
            centre = m3[ci, cj]
            for u in range(3):
                for v in range(3):
                    mv = m3[ci + 2 * (u - 1), cj + 2 * (v - 1)]
                    m[u, v] = mv if not math.isnan(mv) else centre
            g0 = m[0, 2] + m[1, 2] + m[2, 2] - m[0, 0] - m[1, 0] - m[2, 0]
            g1 = m[0, 1] + m[0, 2] + m[1, 2] - m[1, 0] - m[2, 0] - m[2, 1]
            g2 = m[0, 0] + m[0, 1] + m[0, 2] - m[2, 0] - m[2, 1] - m[2, 2]
            g3 = m[0, 0] + m[0, 1] + m[1, 0] - m[1, 2] - m[2, 1] - m[2, 2]
            # strongest gradient (first on ties) and the side closer to the centre, branch-free:
            # on speckle these choices are random and mispredicted branches cost more than selects
            a0, a1, a2, a3 = abs(g0), abs(g1), abs(g2), abs(g3)
            d = 0
            gmax = a0
            d = 1 if a1 > gmax else d
            gmax = max(a1, gmax)
            d = 2 if a2 > gmax else d
            gmax = max(a2, gmax)
            d = 3 if a3 > gmax else d
            mc = m[1, 1]
            fa = m[1, 0] if d == 0 else (m[0, 2] if d == 1 else (m[0, 1] if d == 2 else m[0, 0]))
            fb = m[1, 2] if d == 0 else (m[2, 0] if d == 1 else (m[2, 1] if d == 2 else m[2, 2]))
            sel = 2 * d + (0 if abs(fa - mc) <= abs(fb - mc) else 1)
            # two independent partial sums (even/odd offsets): one chain of 28 dependent adds
            # would be latency-bound
            base = i * pw + j
            sa = 0.0
            sb = 0.0
            qa = 0.0
            qb = 0.0
            na = 0.0
            nb = 0.0
            for k in range(0, 28, 2):
                va = np.float64(flat[base + offs[sel, k]])
                vb = np.float64(flat[base + offs[sel, k + 1]])
                oka = not math.isnan(va)
                okb = not math.isnan(vb)
                xa = va if oka else 0.0
                xb = vb if okb else 0.0
                sa += xa
                sb += xb
                qa += xa * xa
                qb += xb * xb
                na += 1.0 if oka else 0.0
                nb += 1.0 if okb else 0.0
            s1 = sa + sb
            s2 = qa + qb
            n = na + nb
            mean = s1 / n
            var = max(s2 / n - mean * mean, 0.0)
            out[i, j] = _mmse(z, mean, var, cu2)
    return out


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def lee_sigma(a, size, looks, i1, i2, sigma_v, z98, target, k_points):
    """Improved Lee sigma filter (Lee et al. 2009) on intensity.

    A pixel above z98 with at least ``k_points`` pixels above z98 in its ``target`` window is a
    point target and kept. Otherwise the a-priori mean is the MMSE of the 3x3 window; pixels of the
    ``size`` window inside [i1 x, i2 x] are selected and the MMSE with the reduced speckle
    ``sigma_v`` is applied with their mean and variance.

    Loops run window offset outside, pixels of the row inside: the inner loops are independent
    per pixel, so they vectorise (a per-pixel window loop is a float reduction that cannot).
    """
    rows, cols = a.shape
    h = size // 2
    ht = target // 2
    hp = max(h, ht, 1)
    p = _pad_nan(a, hp)
    cu2 = 1.0 / looks
    sv2 = sigma_v * sigma_v
    out = np.empty((rows, cols), np.float32)
    for i in prange(rows):
        ci = i + hp
        s1 = np.zeros(cols, np.float64)
        s2 = np.zeros(cols, np.float64)
        n = np.zeros(cols, np.float64)
        big = np.zeros(cols, np.float64)
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                for j in range(cols):
                    v = np.float64(p[ci + dy, j + hp + dx])
                    ok = not math.isnan(v)
                    x = v if ok else 0.0
                    s1[j] += x
                    s2[j] += x * x
                    n[j] += 1.0 if ok else 0.0
        for dy in range(-ht, ht + 1):
            for dx in range(-ht, ht + 1):
                for j in range(cols):
                    big[j] += 1.0 if p[ci + dy, j + hp + dx] > z98 else 0.0
        prior = np.empty(cols, np.float64)
        lo = np.empty(cols, np.float64)
        hi = np.empty(cols, np.float64)
        for j in range(cols):
            z = np.float64(a[i, j])
            m3 = s1[j] / n[j]
            pr = _mmse(z, m3, max(s2[j] / n[j] - m3 * m3, 0.0), cu2)
            prior[j] = pr
            lo[j] = i1 * pr
            hi[j] = i2 * pr
            s1[j] = 0.0
            s2[j] = 0.0
            n[j] = 0.0
        for dy in range(-h, h + 1):
            for dx in range(-h, h + 1):
                for j in range(cols):
                    v = np.float64(p[ci + dy, j + hp + dx])
                    ok = (v >= lo[j]) & (v <= hi[j])  # NaN is never in range
                    x = v if ok else 0.0
                    s1[j] += x
                    s2[j] += x * x
                    n[j] += 1.0 if ok else 0.0
        for j in range(cols):
            z = np.float64(a[i, j])
            if math.isnan(z):
                out[i, j] = np.nan
            elif z > z98 and big[j] >= k_points:
                out[i, j] = z
            elif n[j] == 0.0:
                out[i, j] = prior[j]
            else:
                mean = s1[j] / n[j]
                var = max(s2[j] / n[j] - mean * mean, 0.0)
                out[i, j] = _mmse(z, mean, var, sv2)
    return out


@njit(cache=True, nogil=True, parallel=True)
def multitemporal(stack, size):
    """Quegan-Yu multi-temporal filter: J_k = <I_k>/N * sum_i I_i/<I_i> over the valid dates i."""
    dates, rows, cols = stack.shape
    means = np.empty((dates, rows, cols), np.float32)
    for k in range(dates):
        means[k] = moment_filter(stack[k], size, BOXCAR, 1.0, 0.0)
    out = np.empty((dates, rows, cols), np.float32)
    for i in prange(rows):
        for j in range(cols):
            acc = 0.0
            n = 0.0
            for k in range(dates):
                v = np.float64(stack[k, i, j])
                mk = np.float64(means[k, i, j])
                if not math.isnan(v) and mk > 0.0:
                    acc += v / mk
                    n += 1.0
            for k in range(dates):
                v = stack[k, i, j]
                if math.isnan(v):
                    out[k, i, j] = np.nan
                elif n == 0.0:
                    out[k, i, j] = means[k, i, j]
                else:
                    out[k, i, j] = np.float64(means[k, i, j]) * acc / n
    return out


def batcher_pairs(n: int) -> np.ndarray:
    """Comparators (i, j), i < j, of Batcher's odd-even merge sort for n values (padded to a power
    of two with +inf; comparators touching the padding are dropped, they never swap)."""
    size = 1
    while size < n:
        size *= 2
    pairs = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    a, b = i + j, i + j + k
                    if a // (2 * p) == b // (2 * p) and b < n:
                        pairs.append((a, b))
            k //= 2
        p *= 2
    return np.array(pairs, np.int64).reshape(-1, 2)


@njit(cache=True, nogil=True, parallel=True)
def median_network(a, size, pairs):
    """Median by a sorting network run across the pixels of a row (vectorises: min/max only).

    Each window offset is one row of a (size^2, cols) work array; nodata enters as +inf, so after
    sorting the valid values of each pixel come first and its median is picked by its own count.
    """
    rows, cols = a.shape
    h = size // 2
    nv = size * size
    p = _pad_nan(a, h)
    inf = np.float32(np.inf)
    out = np.empty((rows, cols), np.float32)
    for i in prange(rows):
        w = np.empty((nv, cols), np.float32)
        cnt = np.zeros(cols, np.int64)
        for dy in range(size):
            for dx in range(size):
                k = dy * size + dx
                for j in range(cols):
                    v = p[i + dy, j + dx]
                    ok = not math.isnan(v)
                    w[k, j] = v if ok else inf
                    cnt[j] += 1 if ok else 0
        for q in range(pairs.shape[0]):
            r0 = pairs[q, 0]
            r1 = pairs[q, 1]
            for j in range(cols):
                x = w[r0, j]
                y = w[r1, j]
                w[r0, j] = min(y, x)
                w[r1, j] = max(x, y)
        for j in range(cols):
            n = cnt[j]
            z = a[i, j]
            if math.isnan(z) or n == 0:
                out[i, j] = np.nan
            elif n % 2 == 1:
                out[i, j] = w[n // 2, j]
            else:
                out[i, j] = (np.float64(w[n // 2 - 1, j]) + np.float64(w[n // 2, j])) * 0.5
    return out
