"""Each speckle kernel equals the slow reference written from the formulas, NaN holes included."""

from __future__ import annotations

import numpy as np
import pytest

from palsar2.raster import speckle
from tests.raster import reference


def image_with_holes(rng: np.random.Generator, shape=(19, 23)) -> np.ndarray:
    """Single-look speckle over a two-level scene with an edge, NaN holes and a NaN border strip."""
    mean = np.where(np.arange(shape[1])[None, :] < shape[1] // 2, 1.0, 8.0) * np.ones(shape)
    a = (rng.exponential(1.0, shape) * mean).astype(np.float32)
    a[rng.random(shape) < 0.08] = np.nan
    a[:2, :5] = np.nan
    a[-4:, -3:] = np.nan
    a[7, 4] = 200.0  # a point target
    a[7, 5] = a[8, 4] = a[8, 5] = a[6, 4] = 150.0
    return a


CASES = [
    ("boxcar", 7, {}), ("boxcar", 3, {}), ("median", 5, {}), ("median", 7, {}), ("median", 19, {}), ("lee", 7, {}),
    ("lee", 5, {"looks": 2.0}), ("enhanced_lee", 7, {}), ("enhanced_lee", 5, {"looks": 3.0, "damping": 2.0}),
    ("frost", 5, {}), ("frost", 7, {"damping": 1.0}), ("gamma_map", 7, {}), ("gamma_map", 5, {"looks": 4.0}),
    ("refined_lee", 7, {}), ("refined_lee", 7, {"looks": 2.0}), ("lee_sigma", 7, {}),
    ("lee_sigma", 9, {"sigma": 0.5}), ("lee_sigma", 5, {"sigma": 0.7}),
]


@pytest.mark.parametrize("name,size,params", CASES, ids=[f"{c[0]}-{c[1]}-{len(c[2])}" for c in CASES])
def test_filter_matches_reference(rng, name, size, params):
    a = image_with_holes(rng)
    if name == "lee_sigma":
        params = {**params, "z98": speckle.z98_of(a)}
    got = speckle.filter_array(a, name, size, **params)
    want = getattr(reference, name)(a.astype(np.float64), size, **params)
    assert got.dtype == np.float32 and got.shape == a.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(a))
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-9, equal_nan=True)


def test_lee_sigma_keeps_point_target(rng):
    a = image_with_holes(rng)
    z98 = speckle.z98_of(a)
    out = speckle.filter_array(a, "lee_sigma", 7, z98=z98)
    assert out[7, 4] == a[7, 4]


def test_z98_is_the_98th_percentile(rng):
    a = rng.exponential(1.0, (200, 200)).astype(np.float32)
    a[:20] = np.nan
    want = np.nanpercentile(a, 98)
    assert abs(10 * np.log10(speckle.z98_of(a) / want)) <= 0.011


def test_multitemporal_matches_reference(rng):
    s = rng.exponential(1.0, (4, 13, 17)).astype(np.float32)
    s[rng.random(s.shape) < 0.1] = np.nan
    got = speckle.multitemporal(s, 5)
    want = reference.multitemporal(s.astype(np.float64), 5)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(s))
    np.testing.assert_allclose(got, want, rtol=2e-6, equal_nan=True)


@pytest.mark.parametrize("name", list(speckle.FILTERS))
def test_nodata_never_leaks(name):
    """A constant area next to NaN (outside the swath) filters to the same constant everywhere."""
    a = np.full((30, 30), 5.0, np.float32)
    r, c = np.mgrid[:30, :30]
    a[c > r + 3] = np.nan  # a diagonal swath edge
    out = speckle.filter_array(a, name, 7)
    assert np.isnan(out[c > r + 3]).all()
    np.testing.assert_allclose(out[c <= r + 3], 5.0, rtol=1e-6)


def test_batcher_network_sorts():
    from palsar2.raster.kernels import batcher_pairs

    x = np.random.default_rng(3).random((200, 49))
    for i, j in batcher_pairs(49):
        x[:, i], x[:, j] = np.minimum(x[:, i], x[:, j]), np.maximum(x[:, i], x[:, j])
    assert (np.diff(x, axis=1) >= 0).all()


@pytest.mark.parametrize("name", list(speckle.FILTERS))
def test_all_nan_and_tiny_inputs(name):
    assert np.isnan(speckle.filter_array(np.full((5, 4), np.nan, np.float32), name)).all()
    one = speckle.filter_array(np.array([[2.0]], np.float32), name)
    np.testing.assert_allclose(one, [[2.0]])
