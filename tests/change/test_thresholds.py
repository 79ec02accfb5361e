import numpy as np
import pytest

from palsar2.change import thresholds as T
from palsar2.errors import ParameterError

E = T.edges_for(-30, 30, 0.05)


def bimodal(seed=1, frac=0.2, n=100_000):
    rng = np.random.default_rng(seed)
    k = int(n * frac)
    return np.concatenate([rng.normal(0, 1.5, n - k), rng.normal(-8, 1.5, k)])


def brute(h: T.Histogram, crit):
    best, bt = None, None
    c = h.centres
    for k in range(1, len(c)):
        n1, n2 = h.counts[:k], h.counts[k:]
        if n1.sum() == 0 or n2.sum() == 0:
            continue
        p1, p2 = n1.sum() / h.total, n2.sum() / h.total
        m1, m2 = (c[:k] * n1).sum() / n1.sum(), (c[k:] * n2).sum() / n2.sum()
        v1 = ((c[:k] - m1) ** 2 * n1).sum() / n1.sum() + h.width**2 / 12
        v2 = ((c[k:] - m2) ** 2 * n2).sum() / n2.sum() + h.width**2 / 12
        s = p1 * p2 * (m1 - m2) ** 2 if crit == "otsu" else -(1 + p1 * np.log(v1) + p2 * np.log(v2)
                                                              - 2 * (p1 * np.log(p1) + p2 * np.log(p2)))
        if best is None or s > best:
            best, bt = s, h.edges[k]
    return bt


def test_otsu_and_ki_match_brute_force_on_bimodal():
    h = T.Histogram.of(bimodal(), E)
    o, k = T.otsu(h), T.kittler_illingworth(h)
    assert o.value == pytest.approx(brute(h, "otsu"))
    assert k.value == pytest.approx(brute(h, "ki"))
    assert not o.degenerate and not k.degenerate
    assert -6 < o.value < -2 and -6 < k.value < -2
    assert k.details["change_fraction"] == pytest.approx(0.2, abs=0.01)


def test_unimodal_is_flagged_degenerate():
    rng = np.random.default_rng(2)
    h = T.Histogram.of(rng.normal(0, 1.5, 100_000), E)
    assert T.otsu(h).degenerate
    ki = T.kittler_illingworth(h)
    assert ki.degenerate and ki.reason
    r = T.choose(h, None, None, "ki")
    for side in ("decrease", "increase"):
        assert r[side].degenerate and r[side].fallback and "CFAR" in r[side].fallback
        # the fallback is a real threshold in the tail, not an all/no change map
        assert 0 < r[side].details["change_fraction"] < 0.01


def test_split_based_finds_small_change_where_global_otsu_fails():
    rng = np.random.default_rng(3)
    te = T.edges_for(-30, 30, 0.25)
    tiles = []
    for i in range(100):
        v = rng.normal(0, 1.5, 4000)
        if i < 3:
            v[:1200] = rng.normal(-8, 1.5, 1200)
        tiles.append(T.bin_counts(v, te))
    tc = np.array(tiles)
    glob = T.Histogram(tc.sum(0), te)
    assert T.otsu(glob, hi=-1.5, side="decrease").degenerate
    s = T.split_based(tc, te, "decrease", mode=0.0, sigma=1.5)
    assert not s.degenerate and s.details["tiles_kept"] == 3
    assert -6 < s.value < -2.5
    r = T.choose(glob, tc, te, "split")
    assert r["decrease"].method == "split" and not r["decrease"].degenerate
    assert r["increase"].degenerate  # no increase at all: fallback, said so
    assert r["increase"].fallback


def test_fixed_and_parse():
    assert T.parse_threshold("-3,3") == ("fixed", (-3.0, 3.0))
    assert T.parse_threshold("AUTO") == ("auto", None)
    with pytest.raises(ParameterError, match="--threshold"):
        T.parse_threshold("foo")
    with pytest.raises(ParameterError, match="--threshold"):
        T.parse_threshold("3,-3")
    h = T.Histogram.of(bimodal(), E)
    r = T.choose(h, None, None, "fixed", (-3.0, 3.0))
    assert r["decrease"].value == -3.0 and r["increase"].value == 3.0


def test_histogram_chunked_equals_whole():
    x = bimodal(4)
    whole = T.bin_counts(x, E)
    parts = sum(T.bin_counts(c, E) for c in np.array_split(x, 7))
    np.testing.assert_array_equal(whole, parts)
    assert T.bin_counts(np.array([np.nan, 0.0]), E).sum() == 1


def test_no_change_mode_sigma():
    rng = np.random.default_rng(5)
    h = T.Histogram.of(np.concatenate([rng.normal(0.5, 2.0, 90_000), rng.normal(-10, 1, 10_000)]), E)
    m, s = T.no_change_mode(h)
    assert m == pytest.approx(0.5, abs=0.2) and s == pytest.approx(2.0, rel=0.1)
