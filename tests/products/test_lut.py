"""LUT files (FORMAT.md section 5) and how products use them."""

from __future__ import annotations

import warnings

import pytest

from palsar2.errors import ProductError
from palsar2.products import open_product
from palsar2.products.lut import format_lut, parse_lut, read_lut

REAL_A = "1.995262314968883E+08"


def test_real_factor_is_minus_83_db():
    lut = parse_lut(f"0.000000000000000E+00\n{REAL_A}\n{REAL_A}\n{REAL_A}\n")
    assert lut.offset == 0.0 and len(lut.factors) == 3 and lut.is_uniform
    assert lut.calibration_db == -83.0


def test_other_factor():
    lut = parse_lut("0\n1.0E+08\n")
    assert lut.calibration_db == -80.0


def test_format_lut_round_trip():
    text = format_lut(-83.0, 5)
    assert text.splitlines()[1] == REAL_A
    lut = parse_lut(text)
    assert len(lut.factors) == 5 and lut.calibration_db == -83.0


def test_uneven_factors_warn_and_use_median():
    with pytest.warns(UserWarning, match="median"):
        lut = parse_lut("0\n1e8\n1e8\n2e8\n")
    assert lut.calibration_db == -80.0


@pytest.mark.parametrize("text,reason", [
    ("", "offset B"), ("0\n", "offset B"), ("zero\n1e8\n", "line 1"), ("0\n1e8\nabc\n", "line 3"),
    ("0\n-1e8\n", "positive"), ("0\nnan\n", "positive"),
])
def test_bad_luts(text, reason):
    with pytest.raises(ProductError) as e:
        parse_lut(text, source="/p/LUT-HH.txt")
    assert "/p/LUT-HH.txt" in str(e.value) and reason in str(e.value)


def test_read_lut_missing_file(tmp_path):
    with pytest.raises(ProductError, match="LUT-HH"):
        read_lut(str(tmp_path / "LUT-HH.txt"))


def test_product_takes_factor_from_its_lut(tmp_path, make_product):
    p = open_product(make_product(tmp_path, calibration_db=-79.0))
    assert p.bands[0].calibration_db == -79.0 and p.bands[0].lut_href.endswith(".txt")


def test_lut_listed_but_missing_warns_and_uses_default(tmp_path, make_product):
    d = make_product(tmp_path, calibration_db=-79.0)
    next(d.glob("LUT-*.txt")).unlink()
    with pytest.warns(UserWarning, match="listed in summary.txt but missing"):
        p = open_product(d)
    assert p.bands[0].calibration_db == -83.0 and p.bands[0].lut_href is None


def test_no_lut_at_all_is_silent_default(tmp_path, make_product):
    d = make_product(tmp_path, calibration_db=-79.0)
    next(d.glob("LUT-*.txt")).unlink()
    s = (d / "summary.txt").read_text()
    lines = [ln for ln in s.splitlines() if "LUT-" not in ln]
    lines = [ln.replace('ProductFileName="2"', 'ProductFileName="1"') for ln in lines]
    (d / "summary.txt").write_text("\n".join(lines) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = open_product(d)
    assert p.bands[0].calibration_db == -83.0
