"""DN <-> power <-> dB / amplitude (FORMAT.md 5): values, nodata, round trips, laziness."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from palsar2.errors import ParameterError
from palsar2.raster import radiometry as rad


def test_dn_to_power_uses_the_calibration_factor():
    dn = np.array([[0, 1, 100, 65535]], np.uint16)
    p = rad.dn_to_power(dn, -83.0)
    assert p.dtype == np.float32
    assert np.isnan(p[0, 0])
    np.testing.assert_allclose(p[0, 1:], np.array([1, 100, 65535], float) ** 2 * 10 ** -8.3, rtol=1e-6)
    np.testing.assert_allclose(rad.power_to_db(p)[0, 1:], 20 * np.log10([1, 100, 65535]) - 83.0, atol=1e-4)


def test_other_factor_scales_power():
    dn = np.array([[10, 20]], np.uint16)
    ratio = rad.dn_to_power(dn, -79.0) / rad.dn_to_power(dn, -83.0)
    np.testing.assert_allclose(ratio, 10 ** 0.4, rtol=1e-6)


def test_invalid_dn_become_nan_never_inf():
    dn = np.array([0.0, -3.0, np.nan, np.inf, 5.0])
    p = rad.dn_to_power(dn, -83.0)
    assert np.isnan(p[:4]).all() and np.isfinite(p[4])
    db = rad.power_to_db(np.array([0.0, -1.0, np.nan, np.inf, 1.0], np.float32))
    assert not np.isinf(db).any()
    assert np.isnan(db[:4]).all() and db[4] == 0.0


def test_power_to_dn_round_trips_every_dn():
    dn = np.arange(0, 65536, dtype=np.uint16)
    back = rad.power_to_dn(rad.dn_to_power(dn, -83.0), -83.0)
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, dn)


def test_power_to_dn_clips_and_reserves_zero():
    p = np.array([np.nan, 0.0, -1.0, 1e-30, 1e9], np.float32)
    np.testing.assert_array_equal(rad.power_to_dn(p, -83.0), [0, 0, 0, 1, 65535])


def test_db_and_amplitude_round_trip():
    p = np.array([1e-4, 0.01, 1.0, np.nan], np.float32)
    np.testing.assert_allclose(rad.db_to_power(rad.power_to_db(p)), p, rtol=1e-5)
    np.testing.assert_allclose(rad.power_to_amplitude(p) ** 2, p, rtol=1e-6)
    for u in ("power", "db", "amplitude"):
        np.testing.assert_allclose(rad.to_power(rad.from_power(p, u), u), p, rtol=1e-5)


def test_dask_input_stays_lazy_and_equal():
    dn = np.random.default_rng(0).integers(0, 5000, (40, 50)).astype(np.uint16)
    lazy = rad.dn_to_power(da.from_array(dn, chunks=16), -83.0)
    assert isinstance(lazy, da.Array) and lazy.dtype == np.float32
    np.testing.assert_array_equal(lazy.compute(), rad.dn_to_power(dn, -83.0))
    np.testing.assert_array_equal(rad.power_to_db(lazy).compute(), rad.power_to_db(rad.dn_to_power(dn, -83.0)))


@pytest.mark.parametrize("cf", [float("nan"), "abc", None, float("inf")])
def test_bad_calibration_names_it(cf):
    with pytest.raises(ParameterError, match="^calibration_db:"):
        rad.dn_to_power(np.ones((2, 2), np.uint16), cf)


def test_bad_units_names_them():
    with pytest.raises(ParameterError, match="^units: unknown 'decibel'"):
        rad.from_power(np.ones(2, np.float32), "decibel")
