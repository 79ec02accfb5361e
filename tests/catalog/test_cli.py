"""The catalog's commands: ingest, search, collection, stac, info (exit codes and messages)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from palsar2.cli import main


@pytest.fixture
def run(capsys):
    def _run(*argv: str) -> tuple[int, str, str]:
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err
    return _run


@pytest.fixture
def home(tmp_path, run, make_product):
    h = tmp_path / "home"
    make_product(out_root=tmp_path / "order", scene_id="ALOS2518890750-240101")
    make_product(out_root=tmp_path / "order", scene_id="ALOS2519300720-240108",
                 product_id="UBSR2.1GUA", seed=4)
    code, out, err = run("ingest", "--home", h, "--no-progress", tmp_path / "order")
    assert code == 0, err
    assert out.count("ingested ALOS2") == 2
    return h


def _error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("palsar2: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_ingest_missing_path_and_not_a_product(tmp_path, run, home):
    code, _, err = run("ingest", "--home", home, "--no-progress", tmp_path / "nope")
    assert code != 0 and "nope: no such file" in _error_line(err)
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    code, _out, err = run("ingest", "--home", home, "--no-progress", junk)
    assert code != 0 and "junk.txt" in _error_line(err)


def test_ingest_conflicting_id(tmp_path, run, home, make_product):
    make_product(out_root=tmp_path / "other", scene_id="ALOS2518890750-240101", seed=9)
    code, out, err = run("ingest", "--home", home, "--no-progress", tmp_path / "other")
    line = _error_line(err)
    assert code == 4 and "ALOS2518890750-240101_UBSL2.1GUA" in line and "--replace" in line
    code, out, err = run("ingest", "--home", home, "--no-progress", "--replace",
                         tmp_path / "other")
    assert code == 0 and "replaced ALOS2518890750-240101_UBSL2.1GUA" in out


def test_ingest_shows_a_progress_bar_and_summary(tmp_path, run, make_product):
    make_product(out_root=tmp_path / "p")
    code, _out, err = run("ingest", "--home", tmp_path / "h", tmp_path / "p")
    assert code == 0 and "ingest" in err and "100%" in err and "ingested 1, skipped 0" in err


def test_search_formats_and_filters(run, home):
    code, out, _err = run("search", "--home", home, "--format", "ids")
    assert code == 0 and out.split() == ["ALOS2518890750-240101_UBSL2.1GUA",
                                         "ALOS2519300720-240108_UBSR2.1GUA"]
    code, out, _ = run("search", "--home", home, "--start", "2024-01-01", "--end", "2024-01-08",
                       "--format", "ids")
    assert out.split() == ["ALOS2518890750-240101_UBSL2.1GUA"]  # --end is exclusive
    code, out, _ = run("search", "--home", home, "--look-side", "R", "--beam", "U2-9R",
                       "--bbox", "136.5,36.5,138,38", "--format", "json")
    (doc,) = json.loads(out)
    assert doc["properties"]["palsar2:beam"] == "U2-9R"
    code, out, _ = run("search", "--home", home, "--collection", "StripMap_202401", "--pass",
                       "ascending", "--frame", "750")
    assert "U2-6L" in out and "1 item" in out
    code, out, _ = run("search", "--home", home, "--format", "stac", "--limit", "1")
    fc = json.loads(out)
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 1


@pytest.mark.parametrize("args,needle", [
    (("--start", "2024-02-30"), "--start"), (("--end", "soon"), "--end"),
    (("--bbox", "1,2,3"), "--bbox"), (("--bbox", "10,0,5,1"), "--bbox"),
    (("--pass", "sideways"), "--pass: pass_direction"), (("--collection", "Nope"), "Nope"),
])
def test_search_bad_input_is_one_line_and_non_zero(run, home, args, needle):
    code, _out, err = run("search", "--home", home, *args)
    assert code != 0 and needle in _error_line(err)


def test_collection_page_and_list(run, home):
    code, out, _ = run("collection", "--home", home, "StripMap_202401")
    assert code == 0
    assert "sigma-nought" in out and "CC-BY-NC-SA-4.0" in out and "EORC" in out
    assert "min 0, max 8000" in out and "U3-13" in out
    assert "2024-01-08  0720" in out and "2024-01-01  0750" in out
    code, out, _ = run("collection", "--home", home)
    assert "StripMap_202401" in out and "2 items" in out
    code, out, err = run("collection", "--home", home, "Nope")
    assert code == 4 and "Nope" in _error_line(err)


def test_info_item_product_and_unknown(tmp_path, run, home):
    code, out, _ = run("info", "--home", home, "ALOS2518890750-240101_UBSL2.1GUA")
    assert code == 0 and json.loads(out)["kind"] == "item"
    prod = tmp_path / "order" / "ALOS2518890750-240101_UBSL2.1GUA"
    code, out, _ = run("info", "--home", home, prod)
    assert code == 0 and json.loads(out)["frame"] == 750
    code, out, err = run("info", "--home", home, "ALOS2000000000-000000_NOPE")
    assert code == 4 and "ALOS2000000000-000000_NOPE" in _error_line(err)


def test_stac_export_and_import(tmp_path, run, home):
    code, out, _ = run("stac", "export", "--home", home, tmp_path / "stac")
    assert code == 0 and (tmp_path / "stac" / "catalog.json").exists()
    code, out, _ = run("stac", "import", "--home", tmp_path / "h2", tmp_path / "stac")
    assert code == 0 and "ingested 2" in out
    code, out, err = run("stac", "import", "--home", tmp_path / "h2", tmp_path / "missing")
    assert code == 4 and "missing" in _error_line(err)


def test_console_script_exit_code(tmp_path):
    exe = Path(sys.executable).parent / "palsar2"
    proc = subprocess.run([str(exe), "search", "--home", str(tmp_path), "--start", "bad"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("palsar2: error: --start")


def test_ingest_earth_engine_export_with_options(tmp_path, run, make_ee_export):
    path = make_ee_export(name="noto_export.tif")
    code, out, err = run("ingest", "--home", tmp_path / "h", "--no-progress", "--date",
                         "2024-01-02", "--frame", "2830", "--pass", "descending", "--look-side",
                         "L", path)
    assert code == 0, err
    code, out, _ = run("search", "--home", tmp_path / "h", "--beam", "U2-8L", "--format", "json")
    (doc,) = json.loads(out)
    assert doc["properties"]["palsar2:frame"] == 2830
    assert doc["properties"]["sat:orbit_state"] == "descending"
    assert doc["start_time"].startswith("2024-01-02")


def _truncated(p: Path) -> Path:
    img = next(p.glob("IMG-*.tif"))
    img.write_bytes(img.read_bytes()[:200])
    return p


def _bad_summary(p: Path) -> Path:
    (p / "summary.txt").write_text('Odi_SceneId="ALOS2518890750-240101\nthis is not a record\n')
    return p


def _escaping_zip(p: Path) -> Path:
    import zipfile

    z = p.parent / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in p.iterdir():
            zf.write(f, f"../{p.name}/{f.name}")
    return z


@pytest.mark.parametrize("spoil,needle", [
    (_truncated, "IMG-HH-"), (_bad_summary, "summary.txt"), (_escaping_zip, "evil.zip"),
])
def test_bad_products_one_line_each_and_the_catalog_stays_consistent(tmp_path, run,
                                                                     make_product, spoil,
                                                                     needle):
    from .helpers import assert_consistent

    target = spoil(make_product(out_root=tmp_path / "in"))
    home = tmp_path / "h"
    code, _out, err = run("ingest", "--home", home, "--no-progress", target)
    assert code != 0
    assert needle in _error_line(err)
    assert assert_consistent(home) == []


def test_wrong_data_type_export(tmp_path, run, make_ee_export):
    path = make_ee_export(name="ALOS2518890750-240101.tif", dtype="float32")
    code, _out, err = run("ingest", "--home", tmp_path / "h", "--no-progress", "--frame", "750",
                         "--pass", "ascending", path)
    assert code != 0 and "ALOS2518890750-240101.tif" in _error_line(err)
