"""The calibrate / filter / enl commands on a product ingested into a real catalog."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rio_cogeo.cogeo import cog_validate

from palsar2.cli import cli


@pytest.fixture
def ingested(make_product, _isolated_home):
    """(home, item) of one small product ingested into the test's catalog home."""
    catalog = pytest.importorskip("palsar2.catalog")
    product = make_product(shape=(160, 140))
    cat = catalog.open_catalog(_isolated_home)
    cat.ingest([product])
    (item,) = cat.items()
    return _isolated_home, item


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_calibrate_writes_db_cog(ingested, tmp_path):
    home, item = ingested
    out = tmp_path / "s0.tif"
    res = run("calibrate", item.id, "--out", out, "--home", home, "--no-progress")
    assert res.exit_code == 0, res.output
    assert cog_validate(str(out))[0]
    with rasterio.open(item.assets["HH"].href) as src:
        dn = src.read(1).astype(np.float64)
    with rasterio.open(out) as dst:
        db = dst.read(1)
        assert dst.tags()["UNITS"] == "dB" and dst.tags()["SOURCE_ITEM_IDS"] == item.id
    ok = dn > 0
    np.testing.assert_allclose(db[ok], 20 * np.log10(dn[ok]) + item.calibration_db, atol=1e-4)
    assert np.isnan(db[~ok]).all()


def test_filter_same_on_any_scheduler(ingested, tmp_path):
    """--scheduler reaches the library (the real LocalCluster is exercised in test_scheduler)."""
    home, item = ingested
    a, b = tmp_path / "a.tif", tmp_path / "b.tif"
    res = run("filter", item.id, "--filter", "refined_lee", "--out", a, "--units", "power", "--home", home,
              "--no-progress")
    assert res.exit_code == 0, res.output
    res = run("filter", item.id, "--filter", "refined_lee", "--out", b, "--units", "power", "--home", home,
              "--scheduler", "sync", "--no-progress")
    assert res.exit_code == 0, res.output
    with rasterio.open(a) as x, rasterio.open(b) as y:
        np.testing.assert_array_equal(x.read(1), y.read(1))
        assert x.tags()["METHOD"] == "sigma0 > refined_lee"


def test_enl_prints_both_estimators(ingested):
    home, item = ingested
    res = run("enl", item.id, "--window", 16, "--count", 4, "--json", "--home", home, "--no-progress")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["item"] == item.id and len(d["windows"]) == 4
    assert 0.3 < d["enl_moments"] < 5 and 0.3 < d["enl_log"] < 5


def test_unknown_item_is_one_line(ingested, tmp_path, capsys):
    from palsar2.cli import main

    home, _ = ingested
    with pytest.raises(SystemExit) as exc:
        main(["calibrate", "NOPE", "--out", str(tmp_path / "x.tif"), "--home", str(home)])
    assert exc.value.code != 0
    err = capsys.readouterr().err
    assert "NOPE" in err and err.count("\n") == 1


def test_bad_param_names_it(ingested, tmp_path, capsys):
    from palsar2.cli import main

    home, item = ingested
    with pytest.raises(SystemExit) as exc:
        main(["filter", item.id, "--filter", "lee", "--param", "looks=abc", "--out", str(tmp_path / "x.tif"),
              "--home", str(home)])
    assert exc.value.code == 2
    assert "looks: not a number" in capsys.readouterr().err


def test_image_collection_from_a_real_catalog_query(ingested):
    from palsar2.catalog import open_catalog
    from palsar2.raster.image import Image, ImageCollection

    home, item = ingested
    coll = open_catalog(home).collection(item.collection)
    images = ImageCollection.from_collection(coll)
    assert images.source_ids == (item.id,)
    np.testing.assert_array_equal(images.mosaic().to_numpy(), Image.from_item(item).to_numpy())
