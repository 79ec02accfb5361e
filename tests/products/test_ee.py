"""Earth Engine exports: metadata from the file name, a JSON sidecar, or options."""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime

import pytest

from palsar2.errors import ParameterError, ProductError
from palsar2.products import find_products, footprint, open_product
from palsar2.products.ee import parse_ee_name


def test_name_with_scene_id_epsg4326(make_ee_export):
    path = make_ee_export("ALOS2518890750-240101.tif", epsg=4326)
    p = open_product(path)
    assert p.kind == "ee_export" and p.summary is None
    assert (p.orbit, p.frame, p.path) == (51889, 750, (14 * 51889 + 24) % 207)
    assert p.pass_direction == "ascending"  # frame 0750: northbound half of the orbit
    assert p.center_time == datetime(2024, 1, 1, tzinfo=UTC) and p.time_precision == "day"
    assert p.look_side is None and p.product_id is None
    assert p.id == "ALOS2518890750-240101"  # the file stem: no product ID known
    assert p.geobox.crs.epsg == 4326 and p.pixel_spacing is None
    assert p.bands[0].polarisation == "HH" and p.calibration_db == -83.0
    assert p.extra["metadata_origin"]["scene_id"] == "file name"
    assert p.extra["metadata_origin"]["pass_direction"].startswith("frame number")


def test_name_with_system_index_and_product_id_utm(make_ee_export):
    path = make_ee_export("export_ALOS2520002830-240102_UBSL2.1GUD_b1.tif", epsg=32653)
    p = open_product(path)
    assert p.id == "ALOS2520002830-240102_UBSL2.1GUD"
    assert p.pass_direction == "descending" and p.look_side == "L" and p.level == "2.1"
    assert p.geobox.crs.epsg == 32653 and p.pixel_spacing == 30.0 and p.crs_note is None


def test_sidecar(make_ee_export):
    t_ms = int(datetime(2024, 1, 8, 2, 58, 31, tzinfo=UTC).timestamp() * 1000)
    sidecar = {"system:time_start": t_ms, "system:time_end": t_ms + 10_000, "frame": 730,
               "pass": "ASCENDING", "look side": "right", "orbit": 52005, "beam": "U3-13",
               "Img_OffNadirAngle": 36.1, "note": "exported by me"}
    path = make_ee_export("noto_after.tif", sidecar=sidecar)
    p = open_product(path)
    assert p.start_time == datetime(2024, 1, 8, 2, 58, 31, tzinfo=UTC)
    assert (p.end_time - p.start_time).total_seconds() == 10 and p.time_precision == "exact"
    assert (p.frame, p.orbit, p.look_side, p.pass_direction) == (730, 52005, "R", "ascending")
    assert str(p.scene_id) == "ALOS2520050730-240108" and p.off_nadir_deg == 36.1
    assert p.id == "noto_after" and p.properties()["beam"] == "U3-13"
    assert p.extra["note"] == "exported by me"


def test_sidecar_as_ee_image_description(make_ee_export):
    doc = {"type": "Image", "id": "JAXA/ALOS/PALSAR-2/Level2_1/StripMap_202401/ALOS2518890750-240101",
           "properties": {"system:time_start": 1704078000000}}
    p = open_product(make_ee_export("b1.tif", sidecar=doc))
    assert p.frame == 750 and p.start_time == datetime(2024, 1, 1, 3, 0, tzinfo=UTC)


def test_options_complete_and_override(make_ee_export):
    path = make_ee_export("my_export.tif", sidecar={"frame": 2830})
    p = open_product(path, date="2023-06-06", pass_direction="descending", look_side="L",
                     frame=2840, orbit=48000)
    assert p.frame == 2840 and p.center_time.date() == date(2023, 6, 6)
    assert p.extra["metadata_origin"]["frame"] == "options"


def test_missing_metadata_names_file_and_what(make_ee_export):
    path = make_ee_export("mystery.tif")
    with pytest.raises(ProductError) as e:
        open_product(path)
    msg = str(e.value)
    assert str(path) in msg and "date" in msg and "frame" in msg and "pass direction" in msg
    with pytest.raises(ProductError) as e:
        open_product(path, date="2024-01-01")
    assert "frame" in str(e.value) and "date" not in str(e.value).split("without")[1].split(":")[0]


def test_unknown_option(make_ee_export):
    with pytest.raises(ParameterError, match="colour"):
        open_product(make_ee_export("ALOS2518890750-240101.tif"), colour="red")


@pytest.mark.parametrize("kw,reason", [({"date": "yesterday"}, "not a date"),
                                        ({"look_side": "up"}, "look side"),
                                        ({"pass_direction": "sideways"}, "pass direction"),
                                        ({"frame": "x"}, "frame")])
def test_bad_option_values(make_ee_export, kw, reason):
    path = make_ee_export("ALOS2518890750-240101.tif")
    with pytest.raises(ProductError, match=reason):
        open_product(path, **kw)


def test_bad_sidecar(make_ee_export):
    path = make_ee_export("ALOS2518890750-240101.tif")
    (path.parent / (path.name + ".json")).write_text("{not json")
    with pytest.raises(ProductError, match="sidecar"):
        open_product(path)


def test_wrong_dtype(make_ee_export):
    path = make_ee_export("ALOS2518890750-240101.tif", dtype="float32")
    with pytest.raises(ProductError, match="float32"):
        open_product(path)


def test_footprint_of_export_in_4326(make_ee_export):
    p = open_product(make_ee_export("ALOS2518890750-240101.tif", epsg=4326))
    fp = footprint(p)
    assert fp.is_valid and 137.1 < fp.centroid.x < 137.4
    assert fp.area < 0.8 * (fp.bounds[2] - fp.bounds[0]) * (fp.bounds[3] - fp.bounds[1])


def test_export_in_zip_and_folder(tmp_path, make_ee_export):
    a = make_ee_export("ALOS2518890750-240101.tif")
    make_ee_export("ALOS2520002830-240102.tif", epsg=32653)
    z = tmp_path / "exports.zip"
    with zipfile.ZipFile(z, "w") as zz:
        zz.write(a, "ee/ALOS2518890750-240101.tif")
    p = open_product(z)
    assert p.kind == "ee_export" and p.href.startswith("/vsizip/") and p.frame == 750
    assert sorted(p.frame for p in find_products(a.parent)) == [750, 2830]


@pytest.mark.parametrize("name,expected", [
    ("ALOS2552020760-240812", {"scene_id": "ALOS2552020760-240812"}),
    ("noto_2024-01-01_frame0750_asc", {"time_start": date(2024, 1, 1), "frame": 750,
                                       "pass_direction": "ascending"}),
    ("S1_20240102_F2830_desc", {"time_start": date(2024, 1, 2), "frame": 2830,
                                "pass_direction": "descending"}),
    ("plain", {}),
])
def test_parse_ee_name(name, expected):
    got = {k: (str(v) if k == "scene_id" else v) for k, v in parse_ee_name(name).items()}
    assert got == expected


def test_not_a_tiff_reported_before_missing_metadata(tmp_path):
    bad = tmp_path / "mystery.tif"
    bad.write_bytes(b"definitely not a TIFF")
    with pytest.raises(ProductError) as e:
        open_product(bad)
    assert str(bad) in str(e.value) and "without" not in str(e.value)
