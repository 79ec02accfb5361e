"""Scene ID, product ID and file-name grammar (FORMAT.md section 2)."""

from __future__ import annotations

from datetime import date

import pytest

from palsar2.errors import IdentifierError, ProductError
from palsar2.products.ids import (
    LEVELS,
    MODES,
    ProductFileName,
    ProductId,
    SceneId,
    pass_from_frame,
    product_key,
)


def test_scene_id_example():
    s = SceneId.parse("ALOS2552020760-240812")
    assert (s.orbit, s.frame, s.date) == (55202, 760, date(2024, 8, 12))
    assert str(s) == "ALOS2552020760-240812"
    assert s.path == (14 * 55202 + 24) % 207


def test_scene_id_of_real_sample_has_kml_path():
    s = SceneId.parse("ALOS2337294000-200821")
    assert (s.orbit, s.frame, s.date) == (33729, 4000, date(2020, 8, 21))
    assert s.path == 63  # the sample KML says "Path No 63"
    assert s.frame_pass_direction == "descending"


@pytest.mark.parametrize("text", ["ALOS2000010000-000101", "ALOS2999997190-991231"])
def test_scene_id_round_trip_extremes(text):
    assert str(SceneId.parse(text)) == text


@pytest.mark.parametrize("bad", [
    "", "ALOS255202076-240812", "ALOS25520207600-240812", "ALOS1552020760-240812",
    "alos2552020760-240812", "ALOS2552020760_240812", "ALOS2552020760-241312",
    "ALOS2552020760-240230", "ALOS2552027200-240812", " ALOS2552020760-240812",
    "ALOS2552020760-240812 ", "ALOS2 55202 0760-240812",
])
def test_scene_id_malformed(bad):
    with pytest.raises(IdentifierError) as e:
        SceneId.parse(bad)
    assert repr(bad) in str(e.value) or "frame" in str(e.value)


def test_scene_id_not_string():
    with pytest.raises(IdentifierError):
        SceneId.parse(123)  # type: ignore[arg-type]


def test_identifier_error_is_product_error_and_value_error():
    with pytest.raises(ProductError):
        SceneId.parse("x")
    with pytest.raises(ValueError):
        ProductId.parse("x")


def test_product_id_example():
    p = ProductId.parse("UBSL2.1GUA")
    assert p == ProductId("UBS", "L", "2.1", "G", "U", "A")
    assert p.pass_direction == "ascending" and p.look_direction == "left"
    assert p.n_polarisations == 1 and p.is_geocoded and p.projection_name == "UTM"
    assert str(p) == "UBSL2.1GUA"


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("side", ["L", "R"])
@pytest.mark.parametrize("direction", ["A", "D"])
def test_product_id_every_mode_side_direction(mode, side, direction):
    text = f"{mode}{side}2.1GU{direction}"
    p = ProductId.parse(text)
    assert (p.mode, p.look_side, p.orbit_direction) == (mode, side, direction)
    assert str(p) == text
    assert p.pass_direction == {"A": "ascending", "D": "descending"}[direction]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("option", ["G", "R"])
@pytest.mark.parametrize("projection", ["U", "P", "M", "L"])
def test_product_id_levels_options_projections(level, option, projection):
    if level in ("1.0", "1.1"):
        text = f"FBDR{level}__D"
        assert str(ProductId.parse(text)) == text
        with pytest.raises(IdentifierError):
            ProductId.parse(f"FBDR{level}{option}{projection}D")
    else:
        text = f"HBQR{level}{option}{projection}D"
        assert str(ProductId.parse(text)) == text
        with pytest.raises(IdentifierError):
            ProductId.parse(f"HBQR{level}__D")


def test_product_id_polarisation_count():
    assert ProductId.parse("FBDR1.1__A").n_polarisations == 2
    assert ProductId.parse("HBQR1.1__A").n_polarisations == 4
    assert ProductId.parse("WBDR1.5RUD").is_scansar


@pytest.mark.parametrize("bad,part", [
    ("XYZL2.1GUA", "mode"), ("UBSX2.1GUA", "look side"), ("UBSL2.2GUA", "level"),
    ("UBSL2.1XUA", "processing option"), ("UBSL2.1GXA", "map projection"),
    ("UBSL2.1GUX", "orbit direction"), ("UBSL2.1GU", "10 characters"), ("UBSL2.1GUAA", "10"),
    ("ubsl2.1gua", "10 characters"), ("UBSL21.GUA", "10 characters"),
])
def test_product_id_malformed_names_part(bad, part):
    with pytest.raises(IdentifierError) as e:
        ProductId.parse(bad)
    assert bad in str(e.value) and part in str(e.value)


def test_file_names():
    f = ProductFileName.parse("IMG-HH-ALOS2337294000-200821-UBSL1.5GUD.tif")
    assert (f.kind, f.polarisation, str(f.scene_id), str(f.product_id)) == (
        "IMG", "HH", "ALOS2337294000-200821", "UBSL1.5GUD")
    assert str(f) == "IMG-HH-ALOS2337294000-200821-UBSL1.5GUD.tif"
    lut = ProductFileName.build("LUT", "HV", f.scene_id, f.product_id)
    assert lut == "LUT-HV-ALOS2337294000-200821-UBSL1.5GUD.txt"
    assert product_key(f.scene_id, f.product_id) == "ALOS2337294000-200821_UBSL1.5GUD"


@pytest.mark.parametrize("bad", ["IMG-XX-ALOS2337294000-200821-UBSL1.5GUD.tif",
                                 "IMG-HH-ALOS2337294000-200821-UBSL1.5GUD.png",
                                 "IMG-HH-ALOS2337294000-200821-UBSL1.9GUD.tif", "summary.txt"])
def test_file_names_malformed(bad):
    with pytest.raises(IdentifierError):
        ProductFileName.parse(bad)


@pytest.mark.parametrize("frame,direction", [(0, "ascending"), (750, "ascending"),
                                             (1799, "ascending"), (1800, "descending"),
                                             (2830, "descending"), (5399, "descending"),
                                             (5400, "ascending"), (7190, "ascending")])
def test_pass_from_frame(frame, direction):
    assert pass_from_frame(frame) == direction


def test_pass_from_frame_out_of_range():
    with pytest.raises(IdentifierError, match="7200"):
        pass_from_frame(7200)


from hypothesis import given
from hypothesis import strategies as st


@given(st.integers(0, 99999), st.integers(0, 7199), st.dates(date(2000, 1, 1), date(2099, 12, 31)))
def test_scene_id_property_round_trip(orbit, frame, d):
    s = SceneId(orbit, frame, d)
    assert SceneId.parse(str(s)) == s and len(str(s)) == 21
