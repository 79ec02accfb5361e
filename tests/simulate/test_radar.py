import numpy as np
import pytest

from palsar2.simulate import radar


def test_sigma0_table_values():
    t = radar.SIGMA0
    assert -30 <= t[radar.SEA].db_at_35 <= -25
    assert -9 <= t[radar.FOREST].db_at_35 <= -7
    assert -18 <= t[radar.PADDY].db_at_35 <= -12 and t[radar.FLOODED_PADDY].db_at_35 <= -20
    assert 0 <= t[radar.URBAN].db_at_35 <= 3
    th = np.array([30.0, 35.0, 40.0])
    sea = radar.sigma0_db(np.full(3, radar.SEA, np.uint8), th)
    assert sea[1] == pytest.approx(-27.0) and sea[0] > sea[1] > sea[2]


def test_speckle_single_look_statistics():
    s = radar.speckle(1234, 0, 600, 600).astype(np.float64)
    enl = s.mean() ** 2 / s.var()
    assert abs(s.mean() - 1) < 0.02
    assert 1.0 <= enl <= 1.3 and enl == pytest.approx(radar.theoretical_enl(), abs=0.08)
    # neighbours are correlated (resampling), pixels 3 apart nearly not
    c1 = np.corrcoef(s[:, :-1].ravel(), s[:, 1:].ravel())[0, 1]
    c3 = np.corrcoef(s[:, :-3].ravel(), s[:, 3:].ravel())[0, 1]
    assert c1 > 0.3 and abs(c3) < 0.05
    amp = np.sqrt(s)
    assert amp.mean() ** 2 / amp.var() > 3  # the ENL-on-amplitude mistake gives ~3.7


def test_speckle_blocks_are_reproducible_alone():
    whole = radar.speckle(7, 100, 300, 200)
    part = radar.speckle(7, 250, 50, 200)
    assert np.array_equal(whole[150:200], part)


@pytest.mark.parametrize("cls", [radar.SEA, radar.FOREST, radar.FIELD])
def test_class_means_within_half_db(cls):
    cover = np.full((500, 500), cls, np.uint8)
    th = np.full(cover.shape, 35.0, np.float32)
    sigma = 10 ** (radar.sigma0_db(cover, th) / 10)
    power = (sigma + radar.noise_power()) * radar.speckle(99, 0, 500, 500)
    dn = radar.power_to_dn(power, np.ones(cover.shape, bool))
    measured = 10 * np.log10(np.mean(dn.astype(np.float64) ** 2)) - 83.0
    expected = 10 * np.log10(10 ** (radar.SIGMA0[cls].db_at_35 / 10) + radar.noise_power())
    assert measured == pytest.approx(expected, abs=0.5)


def test_noise_floor_in_shadow():
    power = (0.0 + radar.noise_power()) * radar.speckle(5, 0, 400, 400)
    dn = radar.power_to_dn(power, np.ones((400, 400), bool)).astype(np.float64)
    assert 10 * np.log10(np.mean(dn**2)) - 83 == pytest.approx(-24.0, abs=0.2)


def test_slopes_facing_the_radar_are_brighter():
    far = (1.0, 0.0)  # looking east: the radar is to the west
    inc = np.full(3, 35.0, np.float32)
    gx = np.array([0.3, 0.0, -0.3], np.float32)  # facing west (radar), flat, facing east (away)
    gy = np.zeros(3, np.float32)
    local, gain = radar.terrain_geometry(gx, gy, inc, far)
    assert local[0] < local[1] < local[2]
    assert gain[0] > gain[1] > gain[2] and abs(gain[1] - 1.0) < 1e-5
    cover = np.full(3, radar.FOREST, np.uint8)
    s = 10 ** (radar.sigma0_db(cover, local) / 10) * gain
    assert s[0] > s[1] > s[2]
    # layover (steeper than incidence toward the radar) capped bright, shadow holds nothing
    _, g_lay = radar.terrain_geometry(np.array([2.0], np.float32), np.zeros(1, np.float32),
                                        inc[:1], far)
    assert g_lay[0] == radar.LAYOVER_GAIN_MAX
    sh, g_sh = radar.terrain_geometry(np.array([-3.0], np.float32), np.zeros(1, np.float32),
                                      inc[:1], far)
    assert sh[0] >= 90 and g_sh[0] == 0


def test_dn_zero_outside_and_at_least_one_inside():
    p = np.array([[0.0, 1e-12, 1.0]])
    dn = radar.power_to_dn(p, np.array([[True, True, False]]))
    assert dn.tolist() == [[1, 1, 0]]
    assert radar.power_to_dn(np.array([[10 ** (-8.3) * 100.0**2]]), np.array([[True]]))[0, 0] == 100


def test_terrain_cast_shadow_behind_a_ridge():
    dem = np.zeros((20, 200))
    dem[:, 50] = 100.0                      # a 100 m wall, 10 m pixels, radar to the west
    inc = np.full(dem.shape, 45.0)          # shadow length = 100 m * tan(45) = 100 m = 10 px
    sh = radar.cast_shadow(dem, 10.0, (-1.0, 0.0), inc)
    assert sh[10, 51:60].all() and not sh[10, 61:].any() and not sh[10, :50].any()
    sh_r = radar.cast_shadow(dem, 10.0, (1.0, 0.0), inc)  # radar to the east: shadow on the west
    assert sh_r[10, 41:50].all() and not sh_r[10, 51:].any()
