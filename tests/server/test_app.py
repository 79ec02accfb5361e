"""The app edge: one error table, JSON errors for every 4xx, body limit, CORS, read-only, CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from palsar2 import errors as perr
from palsar2.server.app import ERROR_STATUS, status_for


def test_every_library_error_maps_to_its_http_status():
    classes = [c for c in vars(perr).values()
               if isinstance(c, type) and issubclass(c, perr.Palsar2Error)]
    assert len(classes) >= 10
    for cls in classes:
        assert ERROR_STATUS[cls] == cls.http_status
        assert status_for(cls("x")) == cls.http_status
    assert status_for(perr.NotFoundError("x")) == 404
    assert status_for(perr.ParameterError("x")) == 400
    assert status_for(RuntimeError("x")) == 500

    class Sub(perr.QueryError):
        pass

    assert status_for(Sub("x")) == 400  # nearest class in the MRO


def test_unknown_route_and_method_are_json(client):
    r = client.get("/nope")
    assert r.status_code == 404 and r.json()["code"] == "NotFound" and "/nope" in r.json()[
        "description"]
    r = client.delete("/search")
    assert r.status_code == 405 and r.json()["code"] == "MethodNotAllowed"
    r = client.put("/tiles/items/x/1/1/1.png")
    assert r.status_code == 405 and "description" in r.json()


def test_request_body_limit_is_413(client):
    big = b'{"type": "Polygon", "coordinates": [' + b" " * 1_100_000 + b"]}"
    r = client.post("/statistics", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "PayloadTooLarge" and "bytes" in r.json()["description"]
    r = client.post("/search", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_body_limit_without_content_length(app):
    """A chunked body (no Content-Length) is counted as it arrives."""
    import asyncio

    from palsar2.server.app import BodyLimit

    sent = []

    async def inner(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    chunks = [{"type": "http.request", "body": b"x" * 600, "more_body": True}] * 3

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "headers": [], "method": "POST", "path": "/statistics"}
    asyncio.run(BodyLimit(inner, max_bytes=1000)(scope, receive, send))
    assert sent[0]["status"] == 413


def test_cors_configurable(client, stand_in_catalog):
    from fastapi.testclient import TestClient

    from palsar2.server import create_app

    r = client.get("/conformance", headers={"Origin": "http://example.org"})
    assert r.headers["access-control-allow-origin"] == "http://example.org"
    r = client.get("/conformance", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    closed = TestClient(create_app(stand_in_catalog))
    r = closed.get("/conformance", headers={"Origin": "http://example.org"})
    assert "access-control-allow-origin" not in r.headers


def test_read_only(client):
    """No route writes: every route answers GET (or POST for searches and statistics only)."""
    spec = client.get("/api").json()
    for path, ops in spec["paths"].items():
        methods = set(ops) - {"parameters"}
        assert methods <= {"get", "post"}, path
        if "post" in methods:
            assert path in ("/search", "/statistics"), path


def test_no_parameter_is_a_path(client):
    """Nothing a client sends names a file: no path/href/file parameter anywhere in the API."""
    spec = client.get("/api").json()
    names = {p["name"].lower() for ops in spec["paths"].values() for op in ops.values()
             if isinstance(op, dict) for p in op.get("parameters", [])}
    assert not names & {"path", "href", "file", "filename", "url", "src", "dir"}


def test_stand_in_catalog_serves_too(stand_in_catalog):
    """The server needs only the catalog contract: the in-memory stand-in works as well."""
    from fastapi.testclient import TestClient

    from palsar2.server import create_app
    from tests.server.conftest import CENTRE, SCENES, decode_png, tile_of

    c = TestClient(create_app(stand_in_catalog))
    assert len(c.get("/search").json()["features"]) == 3
    x, y = tile_of(*CENTRE, 13)
    img = decode_png(c.get(f"/tiles/items/{SCENES[0][0]}/13/{x}/{y}.png").content)
    assert (img[..., 3] > 0).mean() > 0.5
    assert c.get("/collections/StripMap_202401").json()["palsar2:availability"]


def test_serve_command(monkeypatch, tmp_path):
    from palsar2.cli import cli

    runner = CliRunner()
    r = runner.invoke(cli, ["serve", "--help"])
    assert r.exit_code == 0 and "--port" in r.output and "--cors" in r.output
    calls = {}

    def fake_run(app, host, port, log_level):
        calls.update(app=app, host=host, port=port)

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    results = tmp_path / "results"
    results.mkdir()
    r = runner.invoke(cli, ["serve", "--home", str(tmp_path / "home"), "--port", "8123",
                            "--results", str(results), "--cors", "http://localhost:3000"])
    assert r.exit_code == 0, r.output
    assert calls["host"] == "127.0.0.1" and calls["port"] == 8123
    assert calls["app"].state.palsar2.results_dir == results
    r = runner.invoke(cli, ["serve", "--port", "70000"])
    assert r.exit_code != 0 and "port" in r.output.lower()


@pytest.mark.parametrize("path", ["/map/", "/map/dataset", "/docs", "/static/map.js",
                                  "/static/map.css", "/static/docs.js"])
def test_web_map_files_are_local(client, path):
    r = client.get(path)
    assert r.status_code == 200
    text = r.text
    assert "http://" not in text.replace("http://example.org", "") and "https://" not in text
    assert "cdn" not in text.lower()


def test_static_size_budget():
    from pathlib import Path

    static = Path(__file__).resolve().parents[2] / "src/palsar2/server/static"
    assert sum(p.stat().st_size for p in static.rglob("*") if p.is_file()) < 500_000


def test_map_config_presets(client):
    cfg = client.get("/map/config.json").json()
    assert cfg["view"] == {"lon": 137.2228, "lat": 37.1204, "zoom": 8}
    assert cfg["vis"] == {"min": 0, "max": 8000}
    names = [lay["name"] for lay in cfg["layers"]]
    assert names[0].startswith("Before-2022-09-26") and names[1].startswith("After-2024-01-01")
    assert "start=2024-01-01&end=2024-01-02" in cfg["layers"][1]["sources"][0]
    (pair,) = [p for p in cfg["pairs"] if "U2-6L" in p["name"]]
    assert pair["before"] == cfg["layers"][0]["id"] and pair["after"] == cfg["layers"][1]["id"]
    kinds = {c["kind"] for c in cfg["change_layers"]}
    assert kinds == {"rgb", "log_ratio", "classes"}


def test_serve_runs_uvicorn_on_loopback(tmp_path):
    """``palsar2 serve`` end to end: a real process answers the STAC API, then stops."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    from tests.server.conftest import free_port

    port = free_port()
    env = {**os.environ, "PALSAR2_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "palsar2", "serve", "--port", str(port),
                             "--log-level", "warning"], env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/conformance", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(proc.stderr.read().decode() if proc.poll() is not None
                                         else "no answer") from None
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["conformsTo"]
        assert httpx.get(f"http://127.0.0.1:{port}/map/", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
