"""End to end on the simulator (coarse spacing) and the CLI commands, with their errors."""

import json

import pytest

from palsar2.cli import main

SPACING = 100.0
SEED = 11  # benchmarks use 202 and 303


@pytest.fixture(scope="module")
def sim_catalog(tmp_path_factory):
    from palsar2.catalog import open_catalog
    from palsar2.simulate import simulate

    root = tmp_path_factory.mktemp("sim")
    sim = simulate(root / "sim", spacing=SPACING, seed=SEED, frames=[760])
    home = root / "home"
    cat = open_catalog(home)
    rep = cat.ingest([root / "sim" / "products"])
    assert not rep.failed
    return root, home, sim


def run_cli(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_pairs_cli(sim_catalog, capsys):
    root, home, _ = sim_catalog
    code, out, err = run_cli(["pairs", "--home", str(home), "--event", "2024-01-01", "--format", "json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert len(d["pairs"]) == 1 and "frame 760" in d["pairs"][0]["reason"]
    code, out, err = run_cli(["pairs", "--home", str(home), "--event", "not-a-date"], capsys)
    assert code == 2 and "--event" in err


def test_change_cli_end_to_end_and_evaluate(sim_catalog, capsys):
    root, home, sim = sim_catalog
    out_dir = root / "out"
    code, out, err = run_cli(["change", "--home", str(home), "--event", "2024-01-01", "--out", str(out_dir),
                              "--dem", str(sim.dem), "--no-progress"], capsys)
    assert code == 0, err
    (pair_dir,) = [p for p in out_dir.iterdir() if p.is_dir()]
    truth = root / "sim" / "truth" / pair_dir.name.split("__")[0]
    code, out, err = run_cli(["evaluate", "--truth", str(truth), "--result", str(pair_dir), "--json"], capsys)
    assert code == 0, err
    ev = json.loads(out)["mmu"]["500"]
    # at 100 m pixels only the large effects are resolvable: the uplifted coast and the flooded lowland
    assert ev["new_land"]["f1"] > 0.3 and ev["new_land"]["precision"] > 0.5, ev["new_land"]
    assert ev["inundation"]["recall"] > 0.4, ev["inundation"]
    st = json.loads((pair_dir / "stats.json").read_text())
    assert st["new_land"]["shoreline"]["advancing"] > 0
    assert "Wajima" in st["towns"] or "Suzu" in st["towns"]
    # frame 760 pairs 2022-09-26 with 2024-01-01: older change (the 2023 Suzu quake) is included
    assert any("days between the images" in n for n in st["notes"]), st["notes"]
    assert st["not_mapped"]["landslide"].startswith("100 m pixels")
    code, out, err = run_cli(["report", str(pair_dir), "--truth", str(truth)], capsys)
    assert code == 0, err
    html = (pair_dir / "report.html").read_text()
    assert "Accuracy against truth" in html and "https://" not in html
    assert "Caveat: " in html and "Not mapped: landslide" in html


def test_change_cli_errors(sim_catalog, tmp_path, capsys):
    _, home, _ = sim_catalog
    code, out, err = run_cli(["change", "--home", str(home), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "--before" in err
    code, out, err = run_cli(["change", "--home", str(home), "--before", "nope", "--after", "nada",
                              "--out", str(tmp_path / "o")], capsys)
    assert code != 0 and "nope" in err
    code, out, err = run_cli(["change", "--home", str(home), "--event", "2024-01-01", "--out", str(tmp_path / "o"),
                              "--threshold", "banana"], capsys)
    assert code == 2 and "--threshold" in err
    code, out, err = run_cli(["change", "--home", str(home), "--event", "2024-01-01", "--out", str(tmp_path / "o"),
                              "--dem", str(tmp_path / "missing.tif")], capsys)
    assert code == 2 and "--dem" in err
    code, out, err = run_cli(["evaluate", "--truth", str(tmp_path / "t.geojson"), "--result", str(tmp_path)], capsys)
    assert code == 2 and "--result" in err
    code, out, err = run_cli(["report", str(tmp_path / "none")], capsys)
    assert code == 2 and "RESULT_DIR" in err


def test_mixed_geometry_items_from_catalog(sim_catalog):
    from palsar2.catalog import open_catalog
    from palsar2.change.pairs import check_pair
    from palsar2.errors import PairError

    _, home, _ = sim_catalog
    items = open_catalog(home).collection("StripMap_202401").items()
    post = [i for i in items if i.datetime.year == 2024][0]
    pre = [i for i in items if i.datetime.year < 2024][0]
    check_pair(pre, post)
    with pytest.raises(PairError, match="not earlier"):
        check_pair(post, pre)
