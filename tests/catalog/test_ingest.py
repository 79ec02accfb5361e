"""Ingest: COG copies, idempotence, conflicts, in-place (zips), bad products, EE exports."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio

from palsar2.catalog import open_catalog
from palsar2.errors import ConflictError, NotFoundError

from .helpers import assert_consistent


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _img(product_dir: Path) -> Path:
    return next(product_dir.glob("IMG-HH-*.tif"))


def test_cog_copy_layout_values_and_rms_overviews(tmp_path, make_product):
    prod = make_product(shape=(1200, 1100), pixel_spacing=10.0)
    before = {p.name: (_sha(p), p.stat().st_mtime_ns) for p in prod.iterdir()}
    cat = open_catalog(tmp_path / "home")
    report = cat.ingest(prod)
    assert report.ok and len(report.ingested) == 1
    item = cat.get(report.ingested[0])
    href = item.assets["HH"].href
    assert Path(href).parent == tmp_path / "home" / "items" / item.id
    with rasterio.open(href) as cog, rasterio.open(_img(prod)) as src:
        assert cog.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert cog.profile["blockxsize"] == cog.profile["blockysize"] == 512
        assert cog.compression.name.lower() in ("zstd", "deflate")
        assert cog.tags(ns="IMAGE_STRUCTURE").get("PREDICTOR") == "2"
        assert cog.dtypes[0] == "uint16" and cog.nodata == 0
        assert cog.overviews(1)[0] == 2
        assert cog.crs.to_epsg() == 32653
        assert tuple(cog.transform)[:6] == tuple(item.geobox.affine)[:6]
        full = cog.read(1)
        np.testing.assert_array_equal(full, src.read(1))
        ov = cog.read(1, out_shape=(600, 550))  # the 2x overview
    # RMS resampling: each overview pixel is the root mean square of its 2x2 block (power mean)
    blocks = full[:1200, :1100].astype(np.float64).reshape(600, 2, 550, 2)
    valid = (blocks > 0).all(axis=(1, 3))
    rms = np.sqrt((blocks ** 2).mean(axis=(1, 3)))
    assert valid.sum() > 100_000
    np.testing.assert_allclose(ov[valid], rms[valid], atol=1.0)
    assert np.abs(ov[valid] - blocks.mean(axis=(1, 3))[valid]).mean() > 1.0  # not plain mean
    assert {p.name: (_sha(p), p.stat().st_mtime_ns) for p in prod.iterdir()} == before
    assert item.assets["lut"].href.endswith("lut.txt")
    assert Path(item.assets["summary"].href).read_bytes() == (prod / "summary.txt").read_bytes()
    assert item.geobox == cat.get(item.id).geobox
    assert_consistent(tmp_path / "home")


def test_same_product_twice_is_one_item_even_from_a_zip(tmp_path, make_product):
    prod = make_product()
    zpath = tmp_path / "p.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in prod.iterdir():
            z.write(f, f"{prod.name}/{f.name}")
    cat = open_catalog(tmp_path / "home")
    assert len(cat.ingest(prod).ingested) == 1
    again = cat.ingest([prod, zpath])
    assert again.ok and not again.ingested and len(again.skipped) == 2
    assert len(cat) == 1


def test_same_id_other_bytes_conflicts_unless_replace(tmp_path, make_product):
    a = make_product(out_root=tmp_path / "a", seed=1)
    b = make_product(out_root=tmp_path / "b", seed=2)
    cat = open_catalog(tmp_path / "home")
    first = cat.ingest(a)
    item = cat.get(first.ingested[0])
    report = cat.ingest(b)
    assert not report.ok
    (_source, reason), = report.failed
    assert item.id in reason and "replace" in reason
    assert isinstance(report.errors[0], ConflictError)
    assert cat.get(item.id).checksum == item.checksum
    replaced = cat.ingest(b, replace=True)
    assert replaced.replaced == [item.id]
    new = cat.get(item.id)
    assert new.checksum != item.checksum
    with rasterio.open(new.assets["HH"].href) as cog, rasterio.open(_img(b)) as src:
        np.testing.assert_array_equal(cog.read(1), src.read(1))
    assert_consistent(tmp_path / "home")


def test_in_place_zip_registers_gdal_paths_without_copying(tmp_path, make_product):
    prod = make_product()
    zpath = tmp_path / "order.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in prod.iterdir():
            z.write(f, f"{prod.name}/{f.name}")
    cat = open_catalog(tmp_path / "home")
    report = cat.ingest(zpath, in_place=True)
    assert report.ok, report.failed
    item = cat.get(report.ingested[0])
    assert item.assets["HH"].href.startswith("/vsizip/")
    assert item.assets["lut"].href.startswith("/vsizip/")
    assert item.properties["palsar2:in_place"] is True
    with rasterio.open(item.assets["HH"].href) as ds:
        assert ds.read(1).max() > 0
    assert not (tmp_path / "home" / "items" / item.id).exists()
    cat.delete(item.id)
    assert zpath.exists() and len(cat) == 0


def test_a_bad_product_is_reported_and_the_rest_go_in(tmp_path, make_product):
    root = tmp_path / "order"
    good = make_product(out_root=root, scene_id="ALOS2518890750-240101")
    bad = make_product(out_root=root, scene_id="ALOS2518890760-240101", seed=5)
    img = _img(bad)
    img.write_bytes(img.read_bytes()[:300])  # truncated TIFF
    missing = tmp_path / "nothing-here"
    cat = open_catalog(tmp_path / "home")
    report = cat.ingest([root, missing])
    assert report.ingested == [good.name]
    failed = dict(report.failed)
    assert len(failed) == 2
    assert any(bad.name in s or bad.name in r for s, r in report.failed)
    assert "nothing-here" in failed[str(missing)]
    assert_consistent(tmp_path / "home")


def test_earth_engine_export_with_options(tmp_path, make_ee_export):
    path = make_ee_export(name="my_export.tif")
    cat = open_catalog(tmp_path / "home")
    report = cat.ingest(path, date="2024-01-01", frame=750, pass_direction="ascending",
                        look_side="L", orbit=51889)
    assert report.ok, report.failed
    item = cat.get(report.ingested[0])
    assert item.frame == 750 and item.pass_direction == "ascending"
    assert item.date.isoformat() == "2024-01-01"
    assert item.beam == "U2-6L" and item.collection == "StripMap_202401"
    assert item.properties["palsar2:kind"] == "ee_export"
    with rasterio.open(item.assets["HH"].href) as cog:
        assert cog.nodata == 0 and cog.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"


def test_beam_from_the_table_with_the_products_look_side_and_note(tmp_path, make_product):
    cat = open_catalog(tmp_path / "home")
    p1 = make_product(scene_id="ALOS2400000720-240108", product_id="UBSR2.1GUA")
    p2 = make_product(scene_id="ALOS2518890750-240101", product_id="UBSL2.1GUA")
    p3 = make_product(scene_id="ALOS2518890750-240515", product_id="UBSL2.1GUA")
    assert cat.ingest([p1, p2, p3]).ok
    i1, i2, i3 = (cat.get(p.name) for p in (p1, p2, p3))
    assert i1.beam == "U2-9R" and "U3-13" in i1.properties["palsar2:beam_note"]
    assert "published table" in i1.properties["palsar2:beam_source"]
    assert i2.beam == "U2-6L" and "palsar2:beam_note" not in i2.properties
    assert i3.beam is None and i3.collection == "PALSAR2"
    assert cat.collection("StripMap_202401").size() == 2


def test_delete_removes_row_and_folder(tmp_path, make_product):
    cat = open_catalog(tmp_path / "home")
    item_id = cat.ingest(make_product()).ingested[0]
    cat.delete(item_id)
    assert item_id not in cat and not (tmp_path / "home" / "items" / item_id).exists()
    with pytest.raises(NotFoundError, match=item_id):
        cat.delete(item_id)
    with pytest.raises(NotFoundError, match="no such item"):
        cat.get(item_id)


def test_home_copies_are_not_ingested_again(tmp_path, make_product):
    home = tmp_path / "home"
    make_product(out_root=tmp_path / "p")
    cat = open_catalog(home)
    assert len(cat.ingest(tmp_path / "p").ingested) == 1
    shutil.copytree(tmp_path / "p", tmp_path / "q")
    report = cat.ingest(tmp_path)  # the parent folder also holds the home
    assert report.ok and not report.ingested and len(cat) == 1


def test_large_batch_goes_through_worker_processes(tmp_path, make_product):
    root = tmp_path / "order"
    prods = [make_product(out_root=root, scene_id=f"ALOS2{51000 + i:05d}0750-240101", seed=i,
                          shape=(64, 60)) for i in range(16)]
    bad = _img(prods[3])
    bad.write_bytes(b"II*\x00garbage")
    cat = open_catalog(tmp_path / "home")
    report = cat.ingest(root, workers=2)
    assert len(report.ingested) == 15 and len(report.failed) == 1
    assert prods[3].name in report.failed[0][0]
    again = cat.ingest(root, in_place=True, workers=2)
    assert len(again.skipped) == 15
    items = assert_consistent(tmp_path / "home")
    assert sorted(i.id for i in items) == sorted(p.name for p in prods if p != prods[3])


def test_in_place_replace_of_a_copied_item_removes_its_folder(tmp_path, make_product):
    prod = make_product()
    home = tmp_path / "home"
    cat = open_catalog(home)
    item_id = cat.ingest(prod).ingested[0]
    assert (home / "items" / item_id / "HH.tif").is_file()
    report = cat.ingest(prod, in_place=True, replace=True)
    assert report.replaced == [item_id]
    assert cat.get(item_id).assets["HH"].href == str(_img(prod))
    assert_consistent(home)
    assert not (home / "items" / item_id).exists()


def test_metadata_only_footprint_from_summary_corners(tmp_path, make_product):
    prod = make_product()
    a = open_catalog(tmp_path / "a")
    b = open_catalog(tmp_path / "b")
    ia = a.get(a.ingest(prod, in_place=True).ingested[0])
    ib = b.get(b.ingest(prod, in_place=True, footprint="summary").ingested[0])
    assert ia.properties["palsar2:footprint_source"] == "valid data"
    assert ib.properties["palsar2:footprint_source"] == "summary.txt image corners"
    # the corners are given to 3 decimals: the two outlines agree to about 1e-3 degrees
    assert ia.geometry.symmetric_difference(ib.geometry).area < 0.05 * ia.geometry.area
    assert ia.geometry.hausdorff_distance(ib.geometry) < 2e-3
