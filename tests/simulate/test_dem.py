import numpy as np
from affine import Affine
from odc.geo.geobox import GeoBox

from palsar2.simulate.dem import gradient, render_dem, slope_deg
from palsar2.simulate.geography import PLACES


def _gb(x0, y1, n, res):
    return GeoBox((n, n), Affine(res, 0, x0, 0, -res, y1), "EPSG:32653")


OKUNOTO = _gb(640_000, 4_150_000, 600, 50.0)  # 30 x 30 km over Wajima/Anamizu hills


def test_heights_slopes_and_sea():
    h = render_dem(OKUNOTO, 0)
    land = h > 0
    assert 0.3 < land.mean() < 0.95
    assert 300 < h.max() < 600
    s = slope_deg(*gradient(h, 50.0))[land]
    assert 2 < np.median(s) < 15 and np.percentile(s, 95) > 20
    x, y = PLACES["Wajima"].xy  # coastal plain: low
    r, c = int((4_150_000 - y) / 50), int((x - 640_000) / 50)
    assert h[r - 10:r + 10, c - 10:c + 10].max() < 80


def test_deterministic_and_grid_independent():
    a = render_dem(OKUNOTO, 1)
    assert np.array_equal(a, render_dem(OKUNOTO, 1))
    assert not np.array_equal(a, render_dem(OKUNOTO, 0))
    fine = render_dem(_gb(640_000, 4_150_000, 1200, 25.0), 1)
    # pixel centres of the 50 m grid fall between 25 m centres: compare with the 2x2 mean
    coarse_from_fine = fine.reshape(600, 2, 600, 2).mean(axis=(1, 3))
    both = (a > 5) & (coarse_from_fine > 5)
    assert np.median(np.abs(a - coarse_from_fine)[both]) < 3.0


def test_no_lattice_artifacts_in_spectrum():
    # 10 m grid over hills: the internal 60 m lattice would show as peaks at 1/60 m^-1 (k = 1/6 cyc/px)
    h = render_dem(_gb(660_000, 4_140_000, 1024, 10.0), 0).astype(np.float64)
    h -= h.mean()
    p = np.abs(np.fft.fft2(h * np.hanning(1024)[:, None] * np.hanning(1024)[None, :])) ** 2
    k = np.fft.fftfreq(1024)
    for kk in (1 / 6, 2 / 6):
        i = round(kk * 1024) % 1024
        peak_row = p[0, i - 2:i + 3].max()  # along x, at the lattice frequency
        around = np.median(p[0, i - 40:i + 40])
        assert peak_row < 20 * around
        peak_col = p[i - 2:i + 3, 0].max()
        assert peak_col < 20 * np.median(p[i - 40:i + 40, 0])
    del k
