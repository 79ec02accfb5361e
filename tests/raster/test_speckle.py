"""Speckle filters as a whole: chunked == whole, looks gained, edges kept, parameters checked."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palsar2.errors import ParameterError
from palsar2.raster import speckle
from palsar2.raster.enl import enl_moments

FILTER_SIZES = [(name, size) for name in speckle.FILTERS for size in ((7,) if name == "refined_lee" else (3, 7))]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_chunked_equals_whole(data):
    name, size = data.draw(st.sampled_from(FILTER_SIZES), label="filter")
    rows = data.draw(st.integers(4, 48), label="rows")
    cols = data.draw(st.integers(4, 48), label="cols")
    crow = data.draw(st.integers(1, rows), label="chunk rows")
    ccol = data.draw(st.integers(1, cols), label="chunk cols")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    holes = data.draw(st.sampled_from([0.0, 0.1, 0.5]), label="nan fraction")
    rng = np.random.default_rng(seed)
    a = rng.exponential(1.0, (rows, cols)).astype(np.float32)
    a[rng.random(a.shape) < holes] = np.nan
    whole = speckle.filter_array(a, name, size)
    chunked = speckle.filter_dask(da.from_array(a, chunks=(crow, ccol)), name, size).compute()
    np.testing.assert_array_equal(chunked, whole)  # bit-identical, NaN where NaN


def test_filter_dask_is_lazy_and_keeps_chunks(rng):
    a = da.from_array(rng.exponential(1.0, (64, 80)).astype(np.float32), chunks=(32, 40))
    out = speckle.filter_dask(a, "lee", 7)
    assert out.chunks == a.chunks and out.dtype == np.float32


def test_multitemporal_chunked_equals_whole(rng):
    s = rng.exponential(1.0, (3, 40, 37)).astype(np.float32)
    s[rng.random(s.shape) < 0.1] = np.nan
    whole = speckle.multitemporal(s, 7)
    chunked = speckle.multitemporal(da.from_array(s, chunks=(1, 11, 9)), 7).compute()
    np.testing.assert_array_equal(chunked, whole)


def test_multitemporal_gains_looks_and_keeps_means(rng):
    """N independent single-look dates: each filtered date is smoother but keeps its own level."""
    levels = np.array([1.0, 2.0, 0.5, 4.0, 1.0, 1.0])[:, None, None]
    s = (rng.exponential(1.0, (6, 120, 120)) * levels).astype(np.float32)
    out = speckle.multitemporal(s, 7)
    for k in range(6):
        assert enl_moments(out[k, 10:-10, 10:-10]) > 4.0
        assert abs(np.nanmean(out[k]) / levels[k, 0, 0] - 1) < 0.05


def homogeneous(rng, shape=(256, 256)):
    return rng.exponential(1.0, shape).astype(np.float32)  # single look: ENL = 1


def test_single_look_input_has_enl_one(rng):
    assert abs(enl_moments(homogeneous(rng)) - 1.0) < 0.05


def test_boxcar_7x7_reaches_30_looks(rng):
    out = speckle.filter_array(homogeneous(rng), "boxcar", 7)
    assert enl_moments(out[3:-3, 3:-3]) >= 30


def test_refined_lee_reaches_15_looks(rng):
    out = speckle.filter_array(homogeneous(rng), "refined_lee", 7)
    assert enl_moments(out[3:-3, 3:-3]) >= 15


@pytest.mark.parametrize("name,min_enl", [("lee", 8), ("enhanced_lee", 8), ("gamma_map", 8), ("frost", 3),
                                          ("median", 8), ("lee_sigma", 5)])
def test_other_filters_gain_looks(rng, name, min_enl):
    out = speckle.filter_array(homogeneous(rng), name, 7)
    assert enl_moments(out[3:-3, 3:-3]) >= min_enl


def edge_profile(out: np.ndarray) -> np.ndarray:
    return np.nanmean(out[8:-8], axis=0)


def step_edge(rng, shape=(400, 64), contrast=10.0):
    """A vertical step edge between intensity 1 (left) and ``contrast`` (right) at column 32."""
    mean = np.where(np.arange(shape[1]) < shape[1] // 2, 1.0, contrast)[None, :]
    return (rng.exponential(1.0, shape) * mean).astype(np.float32)


def edge_width(profile: np.ndarray, lo: float, hi: float) -> int:
    """Columns whose mean lies between 10 % and 90 % of the step (in dB, which is symmetric)."""
    db = 10 * np.log10(profile)
    a, b = 10 * np.log10(lo), 10 * np.log10(hi)
    return int(((db > a + 0.1 * (b - a)) & (db < a + 0.9 * (b - a))).sum())


def test_refined_lee_keeps_a_step_edge_sharp(rng):
    a = step_edge(rng)
    prof_rl = edge_profile(speckle.filter_array(a, "refined_lee", 7))
    prof_box = edge_profile(speckle.filter_array(a, "boxcar", 7))
    width_rl, width_box = edge_width(prof_rl, 1.0, 10.0), edge_width(prof_box, 1.0, 10.0)
    assert width_box >= 5           # the boxcar smears the step over its window
    assert width_rl <= 2            # refined Lee keeps it within two columns
    # contrast kept: the columns right next to the edge stay near their own side's level
    assert prof_rl[31] < 2.0 and prof_rl[32] > 7.0
    assert prof_box[31] > 4.0 and prof_box[32] < 7.0  # while the boxcar blends them
    assert 9.0 < np.mean(prof_rl[40:56]) / np.mean(prof_rl[8:24]) < 11.0


def test_unknown_filter_names_it():
    with pytest.raises(ParameterError, match="filter: unknown speckle filter 'lee_typo'"):
        speckle.filter_array(np.ones((5, 5), np.float32), "lee_typo")


@pytest.mark.parametrize("size", [4, 1, 33, 7.5, "7", True])
def test_bad_size_names_it(size):
    with pytest.raises(ParameterError, match="^size:"):
        speckle.filter_array(np.ones((5, 5), np.float32), "lee", size)


def test_refined_lee_is_7x7_only():
    with pytest.raises(ParameterError, match="size: refined_lee supports"):
        speckle.filter_dask(np.ones((9, 9), np.float32), "refined_lee", 5)


@pytest.mark.parametrize("params,word", [({"looks": 0}, "looks"), ({"damp": 1}, "damp"),
                                         ({"damping": -1}, "damping")])
def test_bad_parameters_name_them(params, word):
    with pytest.raises(ParameterError, match=f"^{word}:"):
        speckle.filter_array(np.ones((5, 5), np.float32), "enhanced_lee", 7, **params)


def test_lee_sigma_parameters_checked():
    a = np.ones((9, 9), np.float32)
    with pytest.raises(ParameterError, match="^sigma:"):
        speckle.filter_array(a, "lee_sigma", 7, sigma=0.8)
    with pytest.raises(ParameterError, match="^looks:"):
        speckle.filter_array(a, "lee_sigma", 7, looks=2)


def test_not_2d_is_rejected():
    with pytest.raises(ParameterError, match="^a: expected a 2-D"):
        speckle.filter_array(np.ones((2, 5, 5), np.float32), "lee")


def test_every_filter_has_its_halo():
    assert {n: s.halo(7) for n, s in speckle.FILTERS.items()} == {
        "boxcar": 3, "median": 3, "lee": 3, "enhanced_lee": 3, "frost": 3, "gamma_map": 3,
        "refined_lee": 3, "lee_sigma": 3}


def test_multitemporal_bad_inputs_name_them():
    with pytest.raises(ParameterError, match="^size:"):
        speckle.multitemporal(np.ones((2, 5, 5), np.float32), 4)
    with pytest.raises(ParameterError, match="^stack:"):
        speckle.multitemporal(np.ones((5, 5), np.float32), 3)
