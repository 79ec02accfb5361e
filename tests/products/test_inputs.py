"""Inputs: product directories, zips read in place, order folders, single files, bad input."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio

from palsar2.errors import GeoreferenceError, ProductError, SummaryError
from palsar2.products import find_products, open_product, product_sources
from palsar2.products.inputs import check_zip
from palsar2.products.testing import write_sample_product

ORDER = "0000022708_001001_ALOS2015976960-140909"


def _zip_dir(product: Path, dest: Path, *, arcroot: str | None = None,
             compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(dest, "w", compression) as z:
        for f in sorted(product.iterdir()):
            root = product.name if arcroot is None else arcroot
            arc = f"{root}/{f.name}" if root else f.name
            z.write(f, arc)
    return dest


def test_open_directory(tmp_path, make_product):
    d = make_product(tmp_path)
    p = open_product(d)
    assert p.id == "ALOS2518890750-240101_UBSL2.1GUA" and p.kind == "jaxa"
    assert p.source == str(d) and p.href == str(d / "IMG-HH-ALOS2518890750-240101-UBSL2.1GUA.tif")
    assert (p.orbit, p.frame, p.path) == (51889, 750, (14 * 51889 + 24) % 207)
    assert p.look_side == "L" and p.pass_direction == "ascending" and p.mode == "UBS"
    assert p.level == "2.1" and p.pixel_spacing == 25.0 and p.off_nadir_deg == 32.4
    assert p.geobox.crs.epsg == 32653 and p.crs_note and "EPSG:32653" in p.crs_note
    assert p.start_time.tzinfo is not None and p.start_time < p.center_time < p.end_time
    props = p.properties()
    for key in ("orbit", "frame", "path", "look_side", "pass_direction", "off_nadir_deg", "mode",
                "level", "pixel_spacing", "polarisations", "start_time", "end_time",
                "center_time", "calibration_db"):
        assert key in props
    assert props["polarisations"] == ["HH"] and props["calibration_db"] == -83.0


def test_open_summary_or_image_path(tmp_path, make_product):
    d = make_product(tmp_path)
    assert open_product(d / "summary.txt").id == open_product(d).id
    img = next(d.glob("IMG-*.tif"))
    p = open_product(img)
    assert p.kind == "jaxa" and p.source == str(img)


def test_zip_read_in_place(tmp_path, make_product):
    d = make_product(tmp_path / "src")
    z = _zip_dir(d, tmp_path / "product.zip")
    before = set(os.listdir(tmp_path))
    p = open_product(z)
    assert set(os.listdir(tmp_path)) == before  # nothing extracted
    assert p.href.startswith("/vsizip/") and p.bands[0].lut_href.startswith("/vsizip/")
    assert p.source == str(z) and p.id == open_product(d).id and p.calibration_db == -83.0
    assert p.geobox == open_product(d).geobox
    with rasterio.open(p.href) as src:
        np.testing.assert_array_equal(src.read(1), rasterio.open(open_product(d).href).read(1))


def test_zip_with_files_at_root_and_stored(tmp_path, make_product):
    d = make_product(tmp_path / "src")
    z = _zip_dir(d, tmp_path / "flat.zip", arcroot="", compression=zipfile.ZIP_STORED)
    with zipfile.ZipFile(z) as zz:
        assert all("/" not in n.lstrip("/") for n in zz.namelist())
    p = open_product(z)
    assert p.id == "ALOS2518890750-240101_UBSL2.1GUA"
    assert p.crs_note is not None  # geokeys read with tifffile through the stored member


@pytest.mark.parametrize("evil", ["../evil.txt", "a/../../evil.txt", "/etc/evil.txt",
                                  "C:/evil.txt", "a\\..\\..\\evil.txt"])
def test_zip_with_escaping_member_rejected(tmp_path, make_product, evil):
    d = make_product(tmp_path / "src")
    z = _zip_dir(d, tmp_path / "evil.zip")
    with zipfile.ZipFile(z, "a") as zz:
        zz.writestr(zipfile.ZipInfo(evil), b"pwned")
    with pytest.raises(ProductError) as e:
        open_product(z)
    assert str(z) in str(e.value) and "escape" in str(e.value)
    with pytest.raises(ProductError, match="escape"):
        find_products(tmp_path / "evil.zip")
    assert not (tmp_path / "evil.txt").exists()


def test_zip_bomb_sizes_rejected(tmp_path, monkeypatch):
    from palsar2.products import inputs

    z = tmp_path / "big.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zz:
        zz.writestr("x/IMG-HH.tif", b"\0" * 100_000)
    monkeypatch.setattr(inputs, "ZIP_MEMBER_LIMIT", 50_000)
    with pytest.raises(ProductError, match="limit"):
        check_zip(z)


def test_not_a_zip(tmp_path):
    z = tmp_path / "broken.zip"
    z.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ProductError, match="broken.zip"):
        open_product(z)


def test_order_folder_with_several_products_and_zips(tmp_path):
    order = tmp_path / ORDER
    a = write_sample_product(order, shape=(40, 40)).path
    b = write_sample_product(order, shape=(40, 40), scene_id="ALOS2520002830-240102",
                             product_id="UBSL2.1GUD").path
    c = write_sample_product(tmp_path / "tmp", shape=(40, 40), scene_id="ALOS2510000750-231206",
                             product_id="UBSR2.1GUA").path
    _zip_dir(c, order / f"{c.name}.zip")
    shutil.rmtree(tmp_path / "tmp")
    found = find_products(order)
    assert [p.id for p in found] == sorted([a.name, b.name, c.name])
    assert sum(p.href.startswith("/vsizip/") for p in found) == 1
    with pytest.raises(ProductError) as e:
        open_product(order)
    assert "3 products" in str(e.value) and ORDER in str(e.value)
    # a folder of order folders
    assert len(find_products(tmp_path)) == 3


def test_order_folder_with_one_product_opens(tmp_path):
    order = tmp_path / ORDER
    write_sample_product(order, shape=(40, 40))
    assert open_product(order).id == "ALOS2518890750-240101_UBSL2.1GUA"


def test_zip_holding_an_order_folder_with_two_products(tmp_path):
    order = tmp_path / ORDER
    write_sample_product(order, shape=(40, 40))
    write_sample_product(order, shape=(40, 40), scene_id="ALOS2520002830-240102",
                         product_id="UBSL2.1GUD")
    z = shutil.make_archive(str(tmp_path / "order"), "zip", tmp_path, ORDER)
    sources = product_sources(z)
    assert len(sources) == 2 and all(s.startswith("/vsizip/") for s in sources)
    assert [p.frame for p in find_products(z)] == [750, 2830]
    with pytest.raises(ProductError, match="2 products"):
        open_product(z)


def test_find_products_errors_policy(tmp_path):
    write_sample_product(tmp_path, shape=(40, 40))
    bad = write_sample_product(tmp_path, shape=(40, 40), scene_id="ALOS2520002830-240102",
                               product_id="UBSL2.1GUD").path
    (bad / "summary.txt").write_text("garbage\n")
    with pytest.raises(SummaryError, match="summary.txt"):
        find_products(tmp_path)
    with pytest.warns(UserWarning, match="garbage"):
        assert len(find_products(tmp_path, errors="warn")) == 1
    assert len(find_products(tmp_path, errors="skip")) == 1


def test_missing_path(tmp_path):
    with pytest.raises(ProductError, match="does not exist"):
        open_product(tmp_path / "nope")
    with pytest.raises(ProductError, match="does not exist"):
        find_products(tmp_path / "nope")


def test_not_a_product(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ProductError, match="not a PALSAR-2 product"):
        open_product(tmp_path / "notes.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProductError, match="no PALSAR-2 product"):
        open_product(tmp_path / "empty")


def test_missing_summary(tmp_path, make_product):
    d = make_product(tmp_path)
    (d / "summary.txt").unlink()
    with pytest.raises(SummaryError) as e:
        open_product(d)
    assert "missing summary.txt" in str(e.value) and str(d) in str(e.value)


def test_malformed_summary(tmp_path, make_product):
    d = make_product(tmp_path)
    (d / "summary.txt").write_text('Scs_SceneID="ALOS2518890750-240101"\nbroken line\n')
    with pytest.raises(SummaryError, match="line 2"):
        open_product(d)


def test_ids_disagree_with_file_names(tmp_path, make_product):
    d = make_product(tmp_path)
    s = (d / "summary.txt").read_text()
    s = s.replace('Scs_SceneID="ALOS2518890750-240101"', 'Scs_SceneID="ALOS2518890760-240101"')
    s = s.replace("ALOS2518890750-240101-UBSL2.1GUA", "ALOS2518890760-240101-UBSL2.1GUA")
    (d / "summary.txt").write_text(s)
    for f in d.glob("*-ALOS2518890750-*"):
        f.rename(d / f.name.replace("0750", "0760"))
    assert open_product(d).frame == 760  # consistent renaming is fine
    img = next(d.glob("IMG-*"))
    img.rename(d / img.name.replace("UBSL2.1GUA", "UBSR2.1GUA"))
    s = s.replace("IMG-HH-ALOS2518890760-240101-UBSL2.1GUA", "IMG-HH-ALOS2518890760-240101-UBSR2.1GUA")
    (d / "summary.txt").write_text(s)
    with pytest.raises(ProductError) as e:
        open_product(d)
    assert "disagree" in str(e.value) and "UBSR2.1GUA" in str(e.value)


def test_listed_image_missing(tmp_path, make_product):
    d = make_product(tmp_path)
    next(d.glob("IMG-*")).unlink()
    with pytest.raises(ProductError, match="listed in summary.txt but missing"):
        open_product(d)


def test_truncated_tiff(tmp_path, make_product):
    d = make_product(tmp_path)
    img = next(d.glob("IMG-*"))
    data = img.read_bytes()
    img.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProductError) as e:
        open_product(d)
    assert str(img) in str(e.value) and "truncated" in str(e.value)


def test_corrupt_tiff(tmp_path, make_product):
    d = make_product(tmp_path)
    img = next(d.glob("IMG-*"))
    img.write_bytes(b"II*\x00" + b"\xff" * 64)
    with pytest.raises(ProductError) as e:
        open_product(d)
    assert str(img) in str(e.value)


def test_wrong_data_type(tmp_path, make_product):
    d = make_product(tmp_path)
    img = next(d.glob("IMG-*"))
    with rasterio.open(img) as src:
        profile, data = src.profile, src.read(1)
    profile.update(dtype="float32")
    img.unlink()
    with rasterio.open(img, "w", **profile) as dst:
        dst.write(data.astype("float32"), 1)
    with pytest.raises(ProductError) as e:
        open_product(d)
    assert "float32" in str(e.value) and str(img) in str(e.value)


def test_image_without_georeferencing(tmp_path, make_product):
    import tifffile

    d = make_product(tmp_path)
    img = next(d.glob("IMG-*"))
    tifffile.imwrite(img, np.ones((240, 200), np.uint16), description="HH", metadata=None)
    with pytest.raises(GeoreferenceError) as e:
        open_product(d)
    assert str(img) in str(e.value)


def test_relative_path_gives_absolute_hrefs(tmp_path, make_product, monkeypatch):
    d = make_product(tmp_path)
    monkeypatch.chdir(d.parent)
    p = open_product(d.name)
    assert p.source == d.name and os.path.isabs(p.href) and os.path.isabs(p.bands[0].lut_href)


def test_other_gdal_paths(tmp_path):
    with pytest.raises(ProductError, match="only GeoTIFFs"):
        open_product("/vsicurl/https://example.invalid/product/")


@pytest.mark.parametrize("old,new,match", [
    ('Pdi_NoOfPixels_0="200"', 'Pdi_NoOfPixels_0="201"', "pixels but summary.txt says"),
    ('Pds_UTM_ZoneNo="53"', 'Pds_UTM_ZoneNo="54"', "UTM zone 54"),
])
def test_summary_grid_disagreements_warn(tmp_path, make_product, old, new, match):
    d = make_product(tmp_path)
    s = (d / "summary.txt").read_text()
    assert old in s
    (d / "summary.txt").write_text(s.replace(old, new))
    with pytest.warns(UserWarning, match=match) as rec:
        open_product(d)
    assert any(str(d) in str(w.message) for w in rec)


@pytest.mark.parametrize("name", ["PRODUCT.ZIP", "odd name (1).zip"])
def test_zip_names_gdal_can_read(tmp_path, make_product, name):
    d = make_product(tmp_path / "src")
    z = _zip_dir(d, tmp_path / name)
    p = open_product(z)
    with rasterio.open(p.href) as src:
        assert src.read(1).any()
    assert p.calibration_db == -83.0 and p.bands[0].lut_href.startswith("/vsizip/")
