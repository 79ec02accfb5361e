import numpy as np
import pytest
import shapely
from affine import Affine

from palsar2.change import classes as C
from palsar2.change import indices as I
from palsar2.change.cleanup import (
    clean_classes,
    clean_classes_dask,
    hysteresis,
    mmu_pixels,
    remove_small,
)
from palsar2.change.vectors import polygonize, polygonize_blocks
from palsar2.errors import ParameterError


def test_index_values():
    i1 = np.array([1.0, 1.0, 2.0, np.nan, 0.0], np.float32)
    i2 = np.array([1.0, 10.0, 1.0, 1.0, 1.0], np.float32)
    np.testing.assert_allclose(I.log_ratio(i1, i2)[:3], [0.0, 10.0, -3.0103], atol=1e-4)
    np.testing.assert_allclose(I.normalized_difference(i1, i2)[:3], [0.0, 9 / 11, -1 / 3], atol=1e-6)
    np.testing.assert_allclose(I.mean_ratio(i1, i2)[:3], [0.0, 0.9, 0.5], atol=1e-6)
    for f in (I.log_ratio, I.normalized_difference, I.mean_ratio):
        assert np.isnan(f(i1, i2)[3:]).all()
    assert I.to_log_ratio_equivalent("normalized_difference", 9 / 11) == pytest.approx(10.0)
    with pytest.raises(ParameterError, match="--method"):
        I.index("bogus", i1, i2)


def test_rgb_composite_convention():
    b = np.array([[0.0, -25.0, np.nan]])
    a = np.array([[-25.0, 0.0, 0.0]])
    rgb = I.rgb_composite(b, a)
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 3, 4)
    assert tuple(rgb[0, 0, :3]) == (255, 0, 0)     # decrease -> red
    assert tuple(rgb[0, 1, :3]) == (0, 255, 255)   # increase -> cyan
    assert rgb[0, 2, 3] == 0                       # nodata transparent
    assert "red" in I.RGB_LEGEND and "before" in I.RGB_LEGEND["red"]


def test_mmu_and_hysteresis():
    m = np.zeros((40, 40), bool)
    m[2:4, 2:4] = True       # 4 px
    m[10:20, 10:20] = True   # 100 px
    assert mmu_pixels(500, 100) == 5 and mmu_pixels(0, 100) == 1
    with pytest.raises(ParameterError, match="--mmu"):
        mmu_pixels(-1, 100)
    r = remove_small(m, 5)
    assert r.sum() == 100
    seeds = np.zeros_like(m)
    seeds[15, 15] = True
    assert hysteresis(seeds, m).sum() == 100


def test_clean_classes_chunked_equals_whole():
    import dask.array as da

    rng = np.random.default_rng(0)
    cls = np.full((300, 300), C.NO_CHANGE, np.uint8)
    cls[rng.random(cls.shape) < 0.03] = C.DECREASE     # noise specks
    cls[100:130, 40:80] = C.LANDSLIDE
    cls[200:203, 200:205] = C.INCREASE                 # 15 px: under MMU 20
    whole = clean_classes(cls, 20, 3)
    chunked = clean_classes_dask(da.from_array(cls, chunks=70), 20, 3).compute()
    np.testing.assert_array_equal(whole, chunked)
    assert (whole == C.LANDSLIDE).sum() == 1200
    assert (whole == C.INCREASE).sum() == 0
    assert (whole == C.DECREASE).sum() == 0


def test_polygon_areas_match_pixel_counts_and_seams_merge():
    cls = np.full((100, 120), C.NO_CHANGE, np.uint8)
    cls[10:60, 10:70] = C.LANDSLIDE       # crosses window seams at 32/64
    cls[70:75, 80:83] = C.BURNT
    lr = np.full(cls.shape, -5.0, np.float32)
    t = Affine(10, 0, 500000, 0, -10, 4100000)
    recs = polygonize(cls, t, lr)
    assert sorted(r["area_m2"] for r in recs) == [1500.0, 300000.0]
    blk = polygonize_blocks(lambda r0, r1, c0, c1: (cls[r0:r1, c0:c1], lr[r0:r1, c0:c1]), cls.shape, t, block=32)
    assert sorted(r["area_m2"] for r in blk) == [1500.0, 300000.0]
    big = max(blk, key=lambda r: r["area_m2"])
    assert big["geometry"].area == pytest.approx(300000.0)
    assert big["sum_db"] / big["n_db"] == pytest.approx(-5.0)
    assert shapely.is_valid(big["geometry"])


def test_class_table():
    assert C.by_name("landslide").code == 11 and C.by_code(14).name == "collapsed"
    assert [c.code for c in C.CLASSES] == [0, 1, 2, 3, 10, 11, 12, 13, 14]
    with pytest.raises(ParameterError, match="class code"):
        C.by_code(99)
    assert C.colormap()[0][3] == 0
