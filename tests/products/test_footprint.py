"""Footprints: the rotated swath, not the bounding box; grid/summary cross-check warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Polygon

from palsar2.errors import ProductError
from palsar2.products import footprint, open_product
from palsar2.products.checks import GridMismatchWarning, corner_tolerance_m
from palsar2.products.footprint import footprint_native
from palsar2.products.testing import write_sample_product

GEOD = Geod(ellps="WGS84")


def _area_m2(poly: Polygon) -> float:
    return abs(GEOD.geometry_area_perimeter(poly)[0])


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return write_sample_product(tmp_path_factory.mktemp("fp"), shape=(300, 260),
                                pixel_spacing=20.0, rotation_deg=-14.0, fill=0.8)


def test_footprint_is_the_rotated_quadrilateral(sample):
    p = open_product(sample.path)
    fp = footprint(p)
    assert fp.is_valid and fp.exterior.is_ccw
    truth = Polygon(sample.quad_lonlat)
    true_area = _area_m2(truth)
    assert abs(_area_m2(fp) - true_area) / true_area < 0.02
    assert fp.symmetric_difference(truth).area / truth.area < 0.03
    bbox = Polygon.from_bounds(*fp.bounds)
    assert _area_m2(fp) < 0.75 * _area_m2(bbox)
    # lon/lat over Noto
    lon, lat = fp.centroid.x, fp.centroid.y
    assert 137.1 < lon < 137.35 and 37.0 < lat < 37.25
    simplified, outline, step = footprint_native(p)
    assert step == 1 and len(simplified.exterior.coords) < 20 < len(outline.exterior.coords)


def test_decimated_read_matches_full_read(sample):
    p = open_product(sample.path)
    full = footprint(p, max_size=4096)
    coarse = footprint(p, max_size=64)
    assert full.symmetric_difference(coarse).area / full.area < 0.06


def test_native_crs(sample):
    p = open_product(sample.path)
    fp = footprint(p, crs="EPSG:32653")
    true_area = Polygon(sample.quad * 20.0).area
    assert abs(fp.area - true_area) / true_area < 0.02


def test_empty_product_has_no_footprint(tmp_path):
    s = write_sample_product(tmp_path, shape=(40, 40), fill=0.0001)
    with pytest.raises(ProductError, match="no valid"):
        footprint(open_product(s.path))


def _shift_summary(path, dlat: float) -> None:
    s = (path / "summary.txt").read_text().splitlines()
    out = []
    for line in s:
        key, value = line.split("=", 1)
        if key.startswith("Img_ImageScene") and key.endswith("Latitude"):
            value = f'"{float(value.strip(chr(34))) + dlat:.3f}"'
        out.append(f"{key}={value}")
    (path / "summary.txt").write_text("\n".join(out) + "\n")


def test_corner_tolerance_allows_rounding():
    assert corner_tolerance_m(2.5) > 56  # 0.0005 deg of latitude is ~56 m
    assert corner_tolerance_m(100.0) == 200.0


def test_summary_within_rounding_does_not_warn(tmp_path):
    s = write_sample_product(tmp_path, shape=(200, 180), pixel_spacing=10.0)
    _shift_summary(s.path, 0.0004)  # ~44 m: inside what 3 decimals can express
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        footprint(open_product(s.path))


def test_grid_disagreeing_with_summary_warns(tmp_path):
    s = write_sample_product(tmp_path, shape=(200, 180), pixel_spacing=10.0)
    _shift_summary(s.path, 0.003)  # ~330 m = 33 px: the two cannot both be right
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = open_product(s.path)
    with pytest.warns(GridMismatchWarning, match="disagree") as rec:
        footprint(p)
    assert str(p.href) in str(rec[0].message)


def test_corner_outside_grid_warns_on_open(tmp_path):
    s = write_sample_product(tmp_path, shape=(100, 90), pixel_spacing=10.0)
    _shift_summary(s.path, 0.02)  # 2.2 km north: outside the 1 km grid
    with pytest.warns(GridMismatchWarning, match="outside the grid"):
        open_product(s.path)


def test_footprint_through_zip(tmp_path, sample):
    import shutil

    z = shutil.make_archive(str(tmp_path / "prod"), "zip", sample.path.parent, sample.path.name)
    p = open_product(z)
    assert p.href.startswith("/vsizip/")
    a, b = footprint(p), footprint(open_product(sample.path))
    assert np.allclose(a.bounds, b.bounds)


def test_corner_footprint_is_metadata_only_and_close(sample, make_ee_export):
    from palsar2.products import corner_footprint

    p = open_product(sample.path)
    quick = corner_footprint(p)
    truth = Polygon(sample.quad_lonlat)
    assert quick.exterior.is_ccw and quick.symmetric_difference(truth).area / truth.area < 0.05
    ee = open_product(make_ee_export("ALOS2518890750-240101.tif"))
    box = corner_footprint(ee)
    assert box.area > footprint(ee).area  # the grid's extent, not the data


def test_renamed_summary_is_found(tmp_path):
    s = write_sample_product(tmp_path, shape=(40, 40))
    (s.path / "summary.txt").rename(s.path / f"{s.path.name}_summary.txt")
    p = open_product(s.path)
    assert p.summary is not None and p.summary.source.endswith("_summary.txt")
