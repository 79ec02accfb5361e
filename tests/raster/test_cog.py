"""COG writing: valid layout (rio-cogeo), CRS, nodata, overviews, tags, atomicity."""

from __future__ import annotations

import math

import dask.array as da
import numpy as np
import pytest
import rasterio
from rio_cogeo.cogeo import cog_validate

from palsar2.errors import ParameterError, RasterError
from palsar2.raster.cog import overview_factors, write_cog
from tests.raster.conftest import utm_geobox


def test_float_cog_is_valid_and_complete(tmp_path, rng):
    gbox = utm_geobox(1100, 1300)
    a = rng.exponential(1.0, tuple(gbox.shape)).astype(np.float32)
    a[:100, :200] = np.nan
    path = write_cog(da.from_array(a, chunks=(300, 1300)), gbox, tmp_path / "out.tif",
                     tags={"units": "linear power", "method": "refined_lee", "parameters": {"size": 7},
                           "source_item_ids": ["A", "B"]}, units="linear power")
    valid, errors, _ = cog_validate(str(path))
    assert valid and not errors, errors
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 32653
        assert src.transform == gbox.affine
        assert math.isnan(src.nodata) and src.dtypes[0] == "float32"
        assert src.block_shapes[0] == (512, 512)
        assert src.overviews(1) == [2, 4]
        assert src.compression.name.lower() == "zstd" and src.tags(ns="IMAGE_STRUCTURE")["PREDICTOR"] == "3"
        tags = src.tags()
        assert tags["UNITS"] == "linear power" and tags["METHOD"] == "refined_lee"
        assert tags["SOURCE_ITEM_IDS"] == "A,B" and tags["PARAMETERS"] == '{"size": 7}'
        assert src.units == ("linear power",)
        np.testing.assert_array_equal(src.read(1), a)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tif"]  # no temp files left


def test_numpy_input_and_deflate(tmp_path, rng):
    gbox = utm_geobox(300, 200)
    a = rng.random(tuple(gbox.shape)).astype(np.float32)
    path = write_cog(a, gbox, tmp_path / "z.tif", compress="deflate")
    assert cog_validate(str(path))[0]
    with rasterio.open(path) as src:
        assert src.compression.name.lower() == "deflate"
        np.testing.assert_array_equal(src.read(1), a)


def test_rgb_uint8_bands_first(tmp_path, rng):
    gbox = utm_geobox(600, 700)
    rgb = rng.integers(0, 255, (3, *gbox.shape), dtype=np.uint8)
    path = write_cog(da.from_array(rgb, chunks=(3, 256, 256)), gbox, tmp_path / "rgb.tif", nodata=0)
    assert cog_validate(str(path))[0]
    with rasterio.open(path) as src:
        assert src.count == 3 and src.nodata == 0 and src.overviews(1) == [2]
        np.testing.assert_array_equal(src.read(), rgb)


def test_failure_leaves_nothing(tmp_path):
    gbox = utm_geobox(200, 200)

    def boom(block):
        raise RuntimeError("simulated failure")

    bad = da.zeros(tuple(gbox.shape), chunks=50, dtype=np.float32).map_blocks(boom, dtype=np.float32)
    with pytest.raises(RuntimeError, match="simulated failure"):
        write_cog(bad, gbox, tmp_path / "bad.tif")
    assert list(tmp_path.iterdir()) == []


def test_shape_mismatch_names_path(tmp_path):
    with pytest.raises(RasterError, match="x.tif: data shape"):
        write_cog(np.zeros((10, 10), np.float32), utm_geobox(11, 10), tmp_path / "x.tif")


def test_bad_options_name_them(tmp_path):
    g = utm_geobox(10, 10)
    with pytest.raises(ParameterError, match="^overview_resampling:"):
        write_cog(np.zeros((10, 10), np.float32), g, tmp_path / "x.tif", overview_resampling="fancy")
    with pytest.raises(ParameterError, match="^compress:"):
        write_cog(np.zeros((10, 10), np.float32), g, tmp_path / "x.tif", compress="jpeg2000")
    with pytest.raises(ParameterError, match="^path: directory"):
        write_cog(np.zeros((10, 10), np.float32), g, tmp_path / "missing" / "x.tif")


def test_overview_factors():
    assert overview_factors((28000, 31000)) == [2, 4, 8, 16, 32, 64]
    assert overview_factors((512, 400)) == []


def test_wrong_dimensions_name_data(tmp_path):
    with pytest.raises(ParameterError, match="^data: expected 2-D or 3-D"):
        write_cog(np.zeros((1, 2, 10, 10), np.float32), utm_geobox(10, 10), tmp_path / "x.tif")


def test_progress_bar_on_stderr(tmp_path, capsys):
    gbox = utm_geobox(300, 200)
    write_cog(da.ones(tuple(gbox.shape), chunks=100, dtype=np.float32), gbox, tmp_path / "p.tif", progress=True)
    err = capsys.readouterr().err
    assert "p.tif" in err and "60.0k" in err.replace(" ", "")
