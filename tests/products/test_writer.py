"""write_product: JAXA's layout, read back with rasterio AND tifffile; streaming; atomicity."""

from __future__ import annotations

import os

import numpy as np
import pytest
import rasterio
import tifffile

from palsar2.errors import ParameterError
from palsar2.products import open_product
from palsar2.products.summary import read_summary
from palsar2.products.testing import sample_spec, swath_quad, swath_source, write_sample_product
from palsar2.products.writer import write_product


@pytest.fixture
def written(tmp_path):
    return write_sample_product(tmp_path / "out", shape=(120, 100), pixel_spacing=25.0)


def _img(path):
    return next(path.glob("IMG-*.tif"))


def test_layout(written):
    names = sorted(os.listdir(written.path))
    key = "ALOS2518890750-240101_UBSL2.1GUA"
    assert written.path.name == key
    assert names == sorted([f"{key}.kml", "summary.txt",
                            "IMG-HH-ALOS2518890750-240101-UBSL2.1GUA.tif",
                            "LUT-HH-ALOS2518890750-240101-UBSL2.1GUA.txt"])
    assert os.listdir(written.path.parent) == [key]  # no temp dir left


def test_tiff_as_format_md_says(written):
    with tifffile.TiffFile(_img(written.path)) as tf:
        assert tf.byteorder == "<" and not tf.is_bigtiff and len(tf.pages) == 1
        page = tf.pages[0]
        tags = {t.code: t.value for t in page.tags}
        assert page.dtype == np.uint16 and page.samplesperpixel == 1
        assert page.compression == 1 and not page.is_tiled and 278 in tags  # strips
        assert page.photometric == 1  # BlackIsZero
        assert tags[274] == 1  # orientation top-left
        assert tags[270] == "HH"  # ImageDescription: the polarisation
        assert 42113 not in tags  # no GDAL_NODATA tag
        a = written.spec.geobox.affine
        assert tuple(tags[33922]) == (0.5, 0.5, 0.0, a.c + 12.5, a.f - 12.5, 0.0)
        assert tuple(tags[33550]) == (25.0, 25.0, 0.0)
        keys = tf.geotiff_metadata
        assert keys["GTModelTypeGeoKey"] == 1 and keys["GTRasterTypeGeoKey"] == 1
        assert keys["ProjectedCSTypeGeoKey"] == 32767
        assert keys["ProjectionGeoKey"] == 16053
        assert keys["GeographicTypeGeoKey"] == 4338
        assert keys["GeogGeodeticDatumGeoKey"] == 6655 and keys["GeogEllipsoidGeoKey"] == 7019
        assert keys["GeogCitationGeoKey"] == "Datum=ITRF97 Ellipsoid=GRS80 Projection=UTM"
        assert keys["ProjFalseEastingGeoKey"] == 500000 and keys["ProjFalseNorthingGeoKey"] == 0
        assert keys["ProjScaleAtNatOriginGeoKey"] == 0.9996
        assert keys["ProjNatOriginLongGeoKey"] == 135.0
        data = page.asarray()
    expected = swath_source((120, 100), written.quad)(0, 120)
    np.testing.assert_array_equal(data, expected)


def test_rasterio_reads_same_grid_and_data(written):
    with rasterio.open(_img(written.path)) as src:
        assert src.nodata is None and src.dtypes == ("uint16",) and src.count == 1
        assert src.transform == written.spec.geobox.affine
        assert "ITRF97" in src.crs.to_wkt() and src.crs.to_epsg() is None
        assert src.tags()["AREA_OR_POINT"] == "Area"
        dn = src.read(1)
    assert (dn == 0).any() and (dn > 0).any()
    assert dn[0, 0] == 0 and dn[60, 50] > 0  # zeros around the swath


def test_summary_and_kml(written):
    s = read_summary(written.path / "summary.txt")
    s.validate()
    assert (s.n_lines, s.n_pixels) == (120, 100)
    assert s.start_time == written.spec.start_time
    # image corners are the corners of the valid data (the rotated swath), to the 3 decimals
    quad = written.quad_lonlat
    c = s.image_corners
    got = np.array([c.left_top, c.right_top, c.right_bottom, c.left_bottom])
    assert np.abs(got - quad).max() < 0.0008
    f = s.frame_corners
    assert f.left_top.lat > c.left_top.lat and f.left_top.lon < c.left_bottom.lon + 1e-3
    kml = (written.path / f"{written.path.name}.kml").read_text()
    assert f"{c.left_top.lon:.3f},{c.left_top.lat:.3f},0.0" in kml


def test_array_and_callable_give_identical_bytes(tmp_path):
    spec = sample_spec(shape=(90, 70))
    src = swath_source(spec.geobox.shape, swath_quad(spec.geobox.shape))
    a = write_product(tmp_path / "a", spec, src(0, 90))
    b = write_product(tmp_path / "b", spec, src, block_rows=7)
    for name in os.listdir(a):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_multi_polarisation(tmp_path):
    s = write_sample_product(tmp_path, shape=(60, 50), polarisations=("HH", "HV"),
                             product_id="UBDR2.1GUD", scene_id="ALOS2520002830-240102")
    p = open_product(s.path)
    assert p.polarisations == ("HH", "HV") and p.look_side == "R"
    assert p.pass_direction == "descending"
    with rasterio.open(p.band("HV").href) as src:
        assert src.tags()["TIFFTAG_IMAGEDESCRIPTION"] == "HV"


def test_level_15(tmp_path):
    s = write_sample_product(tmp_path, shape=(60, 50), product_id="UBSL1.5GUA")
    summary = read_summary(s.path / "summary.txt")
    assert "Pdi_L15ProductFileName01" in summary and summary.dem is None
    assert open_product(s.path).level == "1.5"


def test_extra_records(tmp_path):
    s = write_sample_product(tmp_path, shape=(40, 40),
                             extra={"Pds_ResamplingMethod": "BL", "Zzz_Custom": "x"})
    summary = read_summary(s.path / "summary.txt")
    assert summary["Pds_ResamplingMethod"] == "BL" and list(summary.records)[-1] == "Zzz_Custom"


def test_atomic_when_data_raises_midway(tmp_path):
    spec = sample_spec(shape=(100, 50))
    calls = []

    def failing(r0, r1):
        calls.append(r0)
        if r0 >= 40:
            raise RuntimeError("disk on fire")
        return np.ones((r1 - r0, 50), np.uint16)

    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_product(out, spec, failing, block_rows=20)
    assert calls == [0, 20, 40]
    assert os.listdir(out) == []


@pytest.mark.parametrize("bad,reason", [
    (lambda r0, r1: np.ones((r1 - r0, 50), np.float32), "dtype float32"),
    (lambda r0, r1: np.ones((r1 - r0, 49), np.uint16), "shape"),
])
def test_bad_blocks_named_and_nothing_left(tmp_path, bad, reason):
    with pytest.raises(ParameterError, match=reason) as e:
        write_product(tmp_path, sample_spec(shape=(30, 50)), bad)
    assert "data[HH]" in str(e.value)
    assert os.listdir(tmp_path) == []


def test_bad_inputs(tmp_path):
    spec = sample_spec(shape=(30, 50))
    with pytest.raises(ParameterError, match="shape"):
        write_product(tmp_path, spec, np.zeros((31, 50), np.uint16))
    with pytest.raises(ParameterError, match="UTM"):
        write_product(tmp_path, sample_spec(shape=(30, 50), epsg=3857), np.zeros((30, 50), np.uint16))
    with pytest.raises(ParameterError, match="mapping"):
        write_product(tmp_path, sample_spec(shape=(30, 50), polarisations=("HH", "HV")),
                      np.zeros((30, 50), np.uint16))
    write_product(tmp_path, spec, np.zeros((30, 50), np.uint16))
    with pytest.raises(ParameterError, match="already exists"):
        write_product(tmp_path, spec, np.zeros((30, 50), np.uint16))
    p = write_product(tmp_path, spec, np.ones((30, 50), np.uint16), overwrite=True)
    assert sorted(os.listdir(tmp_path)) == [p.name]


def test_bigtiff_threshold(monkeypatch, tmp_path):
    import palsar2.products.writer as w

    monkeypatch.setattr(w, "_BIGTIFF_LIMIT", 1000)
    s = write_sample_product(tmp_path, shape=(40, 40))
    with tifffile.TiffFile(_img(s.path)) as tf:
        assert tf.is_bigtiff
    assert open_product(s.path).geobox.shape == (40, 40)


def test_streaming_keeps_memory_bounded(tmp_path):
    import tracemalloc

    spec = sample_spec(shape=(3000, 2500), pixel_spacing=2.5)  # 15 MB image
    row = np.arange(2500, dtype=np.uint16) % 3000 + 1

    def rows(r0, r1):
        return np.broadcast_to(row, (r1 - r0, 2500)).copy()

    tracemalloc.start()
    write_product(tmp_path, spec, rows, block_rows=100)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5 * 2**20  # a few blocks, never the 15 MB image


@pytest.mark.parametrize("kw,param", [
    ({"polarisations": ("HX",)}, "polarisations"),
    ({"polarisations": ("HH", "HH")}, "polarisations"),
    ({"start_time": __import__("datetime").datetime(2024, 1, 1, 3)}, "start_time"),
    ({"duration_s": -5.0}, "end_time"),
    ({"calibration_db": float("nan")}, "calibration_db"),
])
def test_bad_spec_names_parameter(kw, param):
    with pytest.raises(ParameterError, match=param):
        sample_spec(**kw)


def test_bad_ids_in_spec():
    from palsar2.errors import IdentifierError

    with pytest.raises(IdentifierError, match="ALOS2-x"):
        sample_spec(scene_id="ALOS2-x")


def test_last_true_matches_reference():
    from palsar2.products.writer import _last_true

    rng = np.random.default_rng(3)
    valid = rng.random((50, 3000)) < 0.001
    valid[7] = False
    valid[8, -1] = True
    has = valid.any(axis=1)
    ref = np.where(has, valid.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1), -1)
    np.testing.assert_array_equal(_last_true(valid, has, chunk=256), ref)


def test_explicit_corners_and_times(tmp_path):
    import dataclasses
    from datetime import UTC, datetime

    from palsar2.products.summary import Corners, LonLat

    spec = sample_spec(shape=(40, 40))
    corners = Corners(LonLat(137.2, 37.1), LonLat(137.1, 37.2), LonLat(137.3, 37.2),
                      LonLat(137.1, 37.0), LonLat(137.3, 37.0))
    spec = dataclasses.replace(spec, corners=corners,
                               center_time=datetime(2024, 1, 1, 3, 0, 7, 250000, tzinfo=UTC),
                               processing_time=datetime(2024, 1, 2, 11, 22, 33, tzinfo=UTC))
    p = write_product(tmp_path, spec, np.ones((40, 40), np.uint16))
    s = read_summary(p / "summary.txt")
    assert s.image_corners == corners
    assert s["Img_SceneCenterDateTime"] == "20240101 03:00:07.250"
    assert s["Odi_SiteDateTime"] == "PROCESS:JAPAN-JAXA-ALOS2-EICS  20240102 112233"


@pytest.mark.parametrize("centre,epsg,product_id", [
    ((57.691, -20.573), 32740, "UBSL1.5GUD"),   # the real sample's scene, southern hemisphere
    ((-70.6, -33.4), 32719, "FBDR2.1GUA"),      # western and southern
    ((137.2228, 37.1204), 32653, "HBSR2.1GUD"),
])
def test_round_trip_other_zones_without_warnings(tmp_path, centre, epsg, product_id):
    import warnings

    from palsar2.products import footprint

    s = write_sample_product(tmp_path, shape=(80, 70), pixel_spacing=30.0, centre=centre,
                             epsg=epsg, product_id=product_id,
                             polarisations=("HH", "HV") if product_id[2] == "D" else ("HH",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = open_product(s.path)
        fp = footprint(p)
    assert p.geobox.crs.epsg == epsg and p.geobox == s.spec.geobox
    assert p.summary.utm_epsg == epsg
    assert abs(fp.centroid.x - centre[0]) < 0.01 and abs(fp.centroid.y - centre[1]) < 0.01
