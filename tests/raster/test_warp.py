"""Lazy reading, reprojection and Earth-Engine mosaics."""

from __future__ import annotations

import pickle

import dask.array as da
import numpy as np
import pytest
import rasterio
from odc.geo.geobox import GeoBox

from palsar2.errors import ParameterError, RasterError
from palsar2.raster import warp
from tests.raster.conftest import utm_geobox


def test_read_item_equals_file_and_is_picklable(make_item):
    item = make_item(shape=(90, 130))
    dn = warp.read_item(item, chunks=32)
    assert dn.dtype == np.uint16 and dn.chunksize == (32, 32)
    with rasterio.open(item.assets["HH"].href) as src:
        np.testing.assert_array_equal(dn.compute(), src.read(1))
    graph_back = pickle.loads(pickle.dumps(dn))
    np.testing.assert_array_equal(graph_back.compute(scheduler="sync"), dn.compute())


def test_missing_band_names_item(make_item):
    item = make_item()
    with pytest.raises(RasterError, match="no 'HV' asset"):
        warp.read_item(item, band="HV")


def test_aligned_reproject_is_an_exact_shift(rng):
    src = utm_geobox(40, 50)
    a = rng.random((40, 50)).astype(np.float32)
    dst = utm_geobox(30, 60, x0=600000.0 + 10 * 10, y0=4140000.0 - 5 * 10)  # 5 rows down, 10 cols right
    out = warp.reproject(da.from_array(a, chunks=16), src, dst).compute()
    np.testing.assert_array_equal(out[:30, :40], a[5:35, 10:50])
    assert np.isnan(out[:, 40:]).all()


def test_reproject_to_geographic_keeps_values(rng):
    src = utm_geobox(120, 150)
    a = np.full((120, 150), 0.25, np.float32)
    a[:, :20] = np.nan
    dst = GeoBox.from_bbox(src.extent.to_crs("EPSG:4326").boundingbox, "EPSG:4326", resolution=0.0002)
    out = warp.reproject(da.from_array(a, chunks=50), src, dst, resampling="nearest", chunks=40).compute()
    vals = out[np.isfinite(out)]
    assert vals.size > 0.5 * out.size * 0.7
    np.testing.assert_allclose(vals, 0.25)


def test_reproject_checks_inputs(rng):
    g = utm_geobox(10, 10)
    with pytest.raises(ParameterError, match="^resampling:"):
        warp.reproject(np.zeros((10, 10), np.float32), g, g, resampling="magic")
    with pytest.raises(RasterError, match="does not match its grid"):
        warp.reproject(np.zeros((9, 10), np.float32), g, g)


def test_mosaic_later_on_top_nan_shows_below():
    a = np.array([[1.0, 1.0, np.nan]], np.float32)
    b = np.array([[2.0, np.nan, np.nan]], np.float32)
    np.testing.assert_array_equal(warp.mosaic([a, b]).compute(), [[2.0, 1.0, np.nan]])
    np.testing.assert_array_equal(warp.mosaic([b, a]).compute(), [[1.0, 1.0, np.nan]])
    dn = warp.mosaic([np.array([[5, 5]], np.uint16), np.array([[0, 7]], np.uint16)], nodata=0)
    np.testing.assert_array_equal(dn.compute(), [[5, 7]])
    with pytest.raises(RasterError, match="image 1 has shape"):
        warp.mosaic([a, np.zeros((2, 2), np.float32)])


def test_union_geobox_of_aligned_grids():
    g1 = utm_geobox(10, 10)
    g2 = utm_geobox(10, 10, x0=600000.0 + 50, y0=4140000.0 - 30)
    u = warp.union_geobox([g1, g2])
    assert tuple(u.shape) == (13, 15) and u.affine.c == 600000.0 and u.affine.f == 4140000.0


def test_unreadable_cog_names_the_file(tmp_path):
    reader = warp.COGWindowReader(str(tmp_path / "gone.tif"), (10, 10))
    with pytest.raises(RasterError, match="gone.tif: cannot read window"):
        reader[0:5, 0:5]
