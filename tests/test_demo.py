from click.testing import CliRunner

from palsar2.simulate.demo import run_demo


def test_run_demo_simulates_and_ingests(tmp_path):
    from palsar2.catalog import open_catalog

    home = tmp_path / "home"
    msgs: list[str] = []
    work = tmp_path / "work"
    res = run_demo(home, work=work, spacing=400.0, frames=[730], echo=msgs.append)
    assert res.work == work and res.steps[:2] == ["simulate", "ingest"]
    ids = {i.id for i in open_catalog(home).items()}
    assert ids == {p.name for p in res.simulation.products} and len(ids) == 3
    again = run_demo(home, work=work, spacing=400.0, frames=[730], echo=msgs.append)
    assert len(again.simulation.skipped) == 3           # reuses what exists


def test_demo_cli_no_serve(tmp_path, monkeypatch):
    from palsar2.cli import cli

    monkeypatch.setenv("PALSAR2_HOME", str(tmp_path / "home"))
    r = CliRunner().invoke(cli, ["demo", "--no-serve", "--no-progress", "--spacing", "500",
                                 "--work", str(tmp_path / "w")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "w" / "products").is_dir() and (tmp_path / "w" / "dem.tif").exists()
