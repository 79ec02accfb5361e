"""The Image / ImageCollection API: lazy, Earth-Engine-like, equal to the low-level functions."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
import rasterio
from rio_cogeo.cogeo import cog_validate
from shapely.geometry import box

from palsar2.errors import ParameterError, RasterError
from palsar2.raster import radiometry, speckle
from palsar2.raster.image import Image, ImageCollection, stack
from tests.raster.conftest import utm_geobox


def test_from_item_is_calibrated_power(make_item):
    item = make_item(calibration_db=-82.0)
    img = Image.from_item(item, chunks=40)
    with rasterio.open(item.assets["HH"].href) as src:
        dn = src.read(1)
    assert img.units == "power" and img.source_ids == (item.id,)
    np.testing.assert_array_equal(img.to_numpy(), radiometry.dn_to_power(dn, -82.0))
    np.testing.assert_array_equal(img.sigma0("db").to_numpy(), radiometry.power_to_db(radiometry.dn_to_power(dn, -82.0)))


def test_speckle_equals_filter_array_in_any_units(make_item):
    img = Image.from_item(make_item(), chunks=32)
    p = img.to_numpy()
    want = speckle.filter_array(p, "refined_lee")
    np.testing.assert_array_equal(img.speckle("refined_lee").to_numpy(), want)
    db = img.sigma0("db").speckle("lee", 5)
    assert db.units == "db"
    np.testing.assert_allclose(db.to_numpy(), radiometry.power_to_db(speckle.filter_array(p, "lee", 5)),
                               atol=1e-4)
    assert db.history[-1] == {"step": "speckle", "filter": "lee", "size": 5, "looks": 1.0}


def test_clip_crops_and_masks(make_item):
    item = make_item(shape=(90, 130))
    img = Image.from_item(item, chunks=32)
    g = item.geobox
    x0, y1 = g.affine.c, g.affine.f
    tri = {"type": "Polygon", "coordinates": [[(x0 + 100, y1 - 100), (x0 + 600, y1 - 100),
                                               (x0 + 100, y1 - 500), (x0 + 100, y1 - 100)]]}
    out = img.clip(tri, crs="EPSG:32653")
    assert tuple(out.geobox.shape) == (40, 50)
    a = out.to_numpy()
    full = img.to_numpy()[10:50, 10:60]
    assert np.isnan(a[-1, -1]) and np.isfinite(a).sum() < np.isfinite(full).sum()
    inside = np.isfinite(a)
    np.testing.assert_array_equal(a[inside], full[inside])
    with pytest.raises(RasterError, match="does not overlap"):
        img.clip(box(0, 0, 1, 1))


def test_reproject_and_to_xarray(make_item):
    img = Image.from_item(make_item(shape=(90, 130)), chunks=32).sigma0("db")
    ll = img.reproject("EPSG:4326", 0.0002)
    assert ll.geobox.crs.epsg == 4326 and ll.units == "db"
    x = ll.to_xarray()
    assert x.dims == ("latitude", "longitude") and x.odc.crs.epsg == 4326
    assert hasattr(x.data, "dask") and x.attrs["units"] == "dB"
    np.testing.assert_allclose(x.longitude.values, ll.geobox.coords["longitude"].values)
    utm = img.to_xarray()
    assert utm.dims == ("y", "x") and utm.odc.crs.epsg == 32653 and utm.odc.geobox == img.geobox
    vals = x.values[np.isfinite(x.values)]
    assert vals.size > 1000 and -60 < np.median(vals) < 0
    with pytest.raises(ParameterError, match="^resolution:"):
        img.reproject("EPSG:4326", -1)


def test_to_cog_tags_and_validity(make_item, tmp_path):
    img = Image.from_item(make_item(), chunks=32).speckle("boxcar", 3).sigma0("db")
    path = img.to_cog(tmp_path / "f.tif")
    assert cog_validate(str(path))[0]
    with rasterio.open(path) as src:
        tags = src.tags()
        assert tags["UNITS"] == "dB" and tags["METHOD"] == "sigma0 > boxcar > units"
        assert tags["SOURCE_ITEM_IDS"] == "ALOS2552020760-240101_UBSL2.1GUD"
        assert json.loads(tags["PARAMETERS"])[1] == {"step": "speckle", "filter": "boxcar", "size": 3}
        np.testing.assert_allclose(src.read(1), img.to_numpy(), atol=1e-6)


def test_mosaic_later_on_top(make_item):
    g1 = utm_geobox(40, 40)
    g2 = utm_geobox(40, 40, x0=600000.0 + 200, y0=4140000.0 - 100)  # 10 rows down, 20 cols right
    dn1 = np.full((40, 40), 100, np.uint16)
    dn2 = np.full((40, 40), 300, np.uint16)
    dn2[:, :5] = 0  # nodata strip shows the image below
    i1 = make_item("A", dn=dn1, geobox=g1, start_time=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    i2 = make_item("B", dn=dn2, geobox=g2, start_time=dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    m = ImageCollection.from_items([i1, i2]).mosaic()
    assert tuple(m.geobox.shape) == (50, 60) and m.source_ids == ("A", "B")
    a = m.to_numpy()
    p1, p2 = radiometry.dn_to_power(np.array([100, 300], np.uint16), -83.0)
    assert a[0, 0] == p1 and a[20, 30] == p2 and a[20, 22] == p1  # col 22 is in B's nodata strip
    assert np.isnan(a[0, 50]) and np.isnan(a[45, 5])
    rev = ImageCollection.from_items([i2, i1]).mosaic().to_numpy()
    assert rev[20, 30] == p1  # order decides
    assert ImageCollection.from_items([i2, i1]).sort().mosaic().to_numpy()[20, 30] == p2


def test_stack_and_multitemporal(make_item, rng):
    g = utm_geobox(30, 30)
    items = [make_item(f"D{k}", geobox=g, shape=(30, 30)) for k in range(3)]
    s = stack(ImageCollection.from_items(items).images)
    out = speckle.multitemporal(s, 5).compute()
    np.testing.assert_array_equal(out, speckle.multitemporal(s.compute(), 5))
    filtered = ImageCollection.from_items(items).sigma0("db").multitemporal(5)
    assert len(filtered) == 3 and filtered[1].units == "db" and filtered[1].history[-1]["dates"] == 3
    np.testing.assert_allclose(filtered[1].to_numpy(), radiometry.power_to_db(out[1]), atol=1e-4)


def test_empty_collection_and_bad_image():
    with pytest.raises(RasterError, match="empty"):
        ImageCollection(()).mosaic()
    with pytest.raises(RasterError, match="does not match its grid"):
        Image(np.zeros((3, 3), np.float32), utm_geobox(4, 4))
