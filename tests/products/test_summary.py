"""summary.txt: parse, keep, round-trip byte-for-byte, typed view, bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from palsar2.errors import SummaryError
from palsar2.products.summary import Summary, format_utc, parse_utc, read_summary

SAMPLE = Path(__file__).parent.parent / "data" / "jaxa-samples" / "ALOS2337294000-200821_UBSL1.5GUD_summary.txt"


@pytest.fixture
def sample() -> Summary:
    return read_summary(SAMPLE)


def test_real_sample_round_trips_byte_for_byte(sample):
    assert sample.to_bytes() == SAMPLE.read_bytes()
    assert Summary.parse(sample.format()).format() == sample.format()


def test_real_sample_keeps_every_record_in_order(sample):
    lines = SAMPLE.read_text().splitlines()
    assert list(sample.records) == [ln.split("=", 1)[0] for ln in lines]
    assert len(sample.records) == 59
    # Lbi_Sensor holds a URL in this copy: kept as it is, and nothing depends on it
    assert sample["Lbi_Sensor"].startswith("https://")


def test_real_sample_typed_view(sample):
    assert str(sample.scene_id) == "ALOS2337294000-200821"
    assert str(sample.product_id) == "UBSL1.5GUD"
    assert sample.level == "1.5"
    assert sample.look_side == "L" and sample.pass_direction == "descending"
    assert sample.center_time == datetime(2020, 8, 21, 8, 10, 56, 491000, tzinfo=UTC)
    assert sample.start_time == datetime(2020, 8, 21, 8, 10, 51, 491000, tzinfo=UTC)
    assert sample.end_time == datetime(2020, 8, 21, 8, 11, 1, 491000, tzinfo=UTC)
    assert sample.start_time.tzinfo is UTC
    assert sample.observation_date == date(2020, 8, 21)
    c = sample.image_corners
    assert (c.center.lat, c.center.lon) == (-20.573, 57.691)
    assert (c.left_top.lat, c.left_top.lon) == (-20.217, 57.477)
    assert (c.right_bottom.lat, c.right_bottom.lon) == (-20.926, 57.890)
    assert sample.frame_corners.right_top.lon == 58.016
    assert sample.pixel_spacing == 2.5
    assert sample.utm_zone == 40 and sample.utm_south and sample.utm_epsg == 32740
    assert sample.off_nadir_deg == 28.8
    assert sample.dem is None and sample.geoid is None  # L1.5: no DEM keys
    assert sample.resampling == "CC" and sample.map_direction == "MapNorth"
    assert sample.product_files == ["IMG-HH-ALOS2337294000-200821-UBSL1.5GUD.tif",
                                    "LUT-HH-ALOS2337294000-200821-UBSL1.5GUD.txt"]
    assert sample.image_files == sample.product_files[:1]
    assert sample.lut_files == sample.product_files[1:]
    assert (sample.n_lines, sample.n_pixels) == (31459, 27964)
    assert sample.bit_pixel == 16 and sample.product_format == "GeoTIFF"
    assert sample.scene_shift == 0 and sample.processing_facility == "EICS"
    sample.validate()


def test_unknown_keys_kept_and_formatted():
    text = 'Scs_SceneID="ALOS2552020760-240812"\nXyz_NewKey2030="a b=c"\nQuote="say "hi""\n'
    s = Summary.parse(text)
    assert s["Xyz_NewKey2030"] == "a b=c" and s["Quote"] == 'say "hi"'
    assert s.format() == text


@pytest.mark.parametrize("text", [
    'A="1"\r\nB="2"\r\n',          # CRLF
    'A="1"\nB="2"',                # no final newline
    'A="1"\nB="2"\n\n',            # trailing blank line
    '\ufeffA="1"\n',               # byte-order mark
    'A=""\n',                      # empty value
])
def test_round_trip_variants(text):
    assert Summary.parse(text).format() == text


def test_latin1_bytes_round_trip(tmp_path):
    raw = 'A="caf\xe9"\n'.encode("latin-1")
    p = tmp_path / "summary.txt"
    p.write_bytes(raw)
    assert read_summary(p).to_bytes() == raw


def test_edit_then_format():
    s = Summary.parse('A="1"\nB="2"\n')
    s.records["A"] = "3"
    s.records["C"] = "4"
    assert s.format() == 'A="3"\nB="2"\nC="4"\n'


@pytest.mark.parametrize("text,reason", [
    ("", "empty"),
    ('A="1"\nthis is not a record\n', "line 2"),
    ('A=1\n', "line 1"),
    ('A="1"\nA="2"\n', "twice"),
    ('A = "1"\n', "line 1"),
    ('A="1"\n\nB="2"\n', "line 2"),
])
def test_bad_summaries(text, reason):
    with pytest.raises(SummaryError) as e:
        Summary.parse(text, source="/x/summary.txt")
    assert "/x/summary.txt" in str(e.value) and reason in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(SummaryError, match="nope"):
        read_summary(tmp_path / "nope" / "summary.txt")


def _with(sample: Summary, **changes) -> Summary:
    s = Summary.parse(sample.format(), source="S")
    for k, v in changes.items():
        if v is None:
            del s.records[k]
        else:
            s.records[k] = v
    return s


@pytest.mark.parametrize("key,value,prop,reason", [
    ("Img_SceneStartDateTime", "2020-08-21 08:10:51", "start_time", "Img_SceneStartDateTime"),
    ("Img_SceneStartDateTime", "20200821 25:10:51.000", "start_time", "hour"),
    ("Img_SceneStartDateTime", None, "start_time", "missing Img_SceneStartDateTime"),
    ("Img_ImageSceneLeftTopLatitude", "north", "image_corners", "not a number"),
    ("Img_ImageSceneLeftTopLatitude", "95.0", "image_corners", "latitude"),
    ("Pds_UTM_ZoneNo", "61", "utm_zone", "1..60"),
    ("Pds_PixelSpacing", "", "pixel_spacing", "missing"),
    ("Scs_SceneID", "ALOS2-bad", "scene_id", "Scs_SceneID"),
    ("Pds_ProductID", "UBSL9.9GUD", "product_id", "Pds_ProductID"),
    ("Pdi_CntOfL15ProductFileName", "3", "product_files", "3"),
    ("Img_OffNadirAngle", "abc", "off_nadir_deg", "Img_OffNadirAngle"),
])
def test_bad_typed_values_name_key_and_file(sample, key, value, prop, reason):
    s = _with(sample, **{key: value})
    with pytest.raises(SummaryError) as e:
        getattr(s, prop)
    assert "S" in str(e.value) and reason in str(e.value)
    with pytest.raises(SummaryError):
        s.validate()


def test_leap_second():
    t = parse_utc("20161231 23:59:60.250")
    assert t == datetime(2017, 1, 1, 0, 0, 0, 250000, tzinfo=UTC)
    assert parse_utc("20161231 23:59:59.750") < t
    with pytest.raises(ValueError, match="leap"):
        parse_utc("20161231 12:00:60.000")


def test_time_formats():
    assert parse_utc("20240101 07:10:00") == datetime(2024, 1, 1, 7, 10, tzinfo=UTC)
    assert format_utc(datetime(2024, 1, 1, 7, 10, 0, 123456, tzinfo=UTC)) == "20240101 07:10:00.123"


def test_l21_keys(tmp_path, make_product):
    s = read_summary(make_product(tmp_path) / "summary.txt")
    assert s.dem == "GISMAP_Terrain" and s.geoid == "GSIGEO2000"
    assert s.product_files[0].startswith("IMG-HH-") and "Pdi_CntOfL21ProductFileName" in s
    assert s.level == "2.1" and s.utm_epsg == 32653


from hypothesis import given
from hypothesis import strategies as st

_keys = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,30}", fullmatch=True)
_values = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\r\n\x85\u2028\u2029"),
                  max_size=40)


@given(st.dictionaries(_keys, _values, min_size=1, max_size=20), st.sampled_from(["\n", "\r\n"]))
def test_any_records_round_trip(records, newline):
    text = newline.join(f'{k}="{v}"' for k, v in records.items()) + newline
    s = Summary.parse(text)
    assert s.records == records and s.format() == text
