"""ENL estimators and the homogeneous-area finder."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from palsar2.errors import ParameterError, RasterError
from palsar2.raster import enl


@pytest.mark.parametrize("looks", [1, 4, 16])
def test_both_estimators_recover_gamma_looks(rng, looks):
    i = rng.gamma(looks, 1.0 / looks, 200_000)
    assert abs(enl.enl_moments(i) / looks - 1) < 0.05
    assert abs(enl.enl_log(i) / looks - 1) < 0.05


def test_amplitude_gives_the_classic_mistake(rng):
    """On amplitude of single-look data the moment estimator gives about 3.66 (SCIENCE.md 2)."""
    i = rng.exponential(1.0, 400_000)
    assert abs(enl.enl_moments(np.sqrt(i)) - 3.66) < 0.08


def test_nan_ignored(rng):
    i = rng.exponential(1.0, 100_000)
    i[::3] = np.nan
    assert abs(enl.enl_moments(i) - 1) < 0.05


def test_too_few_pixels():
    with pytest.raises(RasterError, match="at least 2"):
        enl.enl_moments(np.array([np.nan, 1.0]))


def scene(rng):
    """Left: flat single-look field; right: strongly textured (K-distributed) clutter."""
    a = rng.exponential(1.0, (256, 256))
    a[:, 128:] *= rng.gamma(0.5, 2.0, (256, 128))
    a[:40, :40] = np.nan
    return a.astype(np.float32)


def test_find_homogeneous_picks_the_flat_field(rng):
    a = scene(rng)
    wins = enl.find_homogeneous(a, size=32, count=6)
    assert len(wins) == 6
    assert all(w.col + w.size <= 128 for w in wins)
    assert all(np.isfinite(a[w.slices]).all() for w in wins)
    assert [w.cv for w in wins] == sorted(w.cv for w in wins)


def test_find_homogeneous_dask_equals_numpy(rng):
    a = scene(rng)
    w1 = enl.find_homogeneous(a, size=16, count=5)
    w2 = enl.find_homogeneous(da.from_array(a, chunks=50), size=16, count=5)
    assert [(w.row, w.col) for w in w1] == [(w.row, w.col) for w in w2]
    np.testing.assert_allclose([w.cv for w in w1], [w.cv for w in w2], rtol=1e-9)


def test_estimate_enl_on_single_look(rng):
    est = enl.estimate_enl(scene(rng), size=32, count=5)
    assert 0.8 < est.moments < 1.25 and 0.8 < est.log < 1.25
    assert est.as_dict()["window_size"] == 32


def test_bad_window_parameters():
    with pytest.raises(ParameterError, match="^size:"):
        enl.find_homogeneous(np.ones((10, 10)), size=64)
    with pytest.raises(ParameterError, match="^count:"):
        enl.find_homogeneous(np.ones((10, 10)), size=2, count=0)
    with pytest.raises(RasterError, match="no homogeneous window"):
        enl.find_homogeneous(np.full((10, 10), np.nan), size=5)
