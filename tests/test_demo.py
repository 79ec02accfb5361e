from click.testing import CliRunner

from palsar2.demo import run_demo


def test_run_demo_simulates_and_ingests(tmp_path):
    from palsar2.catalog import open_catalog

    home = tmp_path / "home"
    msgs: list[str] = []
    work = tmp_path / "work"
    res = run_demo(home, work=work, spacing=400.0, frames=[730], detect=False, echo=msgs.append)
    assert res.work == work and res.steps[:2] == ["simulate", "ingest"]
    ids = {i.id for i in open_catalog(home).items()}
    assert ids == {p.name for p in res.simulation.products} and len(ids) == 3
    again = run_demo(home, work=work, spacing=400.0, frames=[730], detect=False, echo=msgs.append)
    assert len(again.simulation.skipped) == 3           # reuses what exists


def test_demo_cli_no_serve(tmp_path, monkeypatch):
    from palsar2.cli import cli

    monkeypatch.setenv("PALSAR2_HOME", str(tmp_path / "home"))
    r = CliRunner().invoke(cli, ["demo", "--no-serve", "--no-progress", "--spacing", "500",
                                 "--work", str(tmp_path / "w")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "w" / "products").is_dir() and (tmp_path / "w" / "dem.tif").exists()


def test_run_demo_maps_scores_and_reports_each_pair(tmp_path):
    """The whole job on one ascending-left frame: one pair, a result, its evaluation and report."""
    import json

    home = tmp_path / "home"
    res = run_demo(home, work=tmp_path / "w", spacing=200.0, frames=[760], echo=lambda m: None)
    assert res.steps == ["simulate", "ingest", "change", "evaluate", "report"]
    assert len(res.pairs) == 1
    assert "0760-240101" in res.pairs[0]["after"] and "0760-220926" in res.pairs[0]["before"]
    out = tmp_path / "w" / "results" / res.pairs[0]["pair"]
    for name in ("log_ratio.tif", "classes.tif", "polygons.geojson", "stats.json", "evaluation.json",
                 "report.html"):
        assert (out / name).exists(), name
    html = (out / "report.html").read_text()
    assert "Accuracy against truth" in html
    summary = json.loads((tmp_path / "w" / "demo.json").read_text())
    assert summary["pairs"][0]["before"] == res.pairs[0]["before"]
    assert "f1_at_500m2" in summary["pairs"][0]
