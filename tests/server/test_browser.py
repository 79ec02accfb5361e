"""The web map in Debian's chromium (Playwright): loads, draws tiles, swipes, inspects, no errors.

Screenshots go to test-artifacts/ (gitignored). Without chromium these tests skip locally and fail
in CI (CI=true), where the Makefile's ``browser`` target installs it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import in_ci
from tests.server.conftest import CENTRE

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if in_ci():
            pytest.fail("chromium is not installed (make browser installs Debian's chromium)")
        pytest.skip("chromium not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci():
            pytest.fail("playwright is not installed")
        pytest.skip("playwright not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    # Offline: any request that leaves our server is an error.
    pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url)
             else (errors.append("external request " + route.request.url), route.abort()))
    pg.errors = errors
    yield pg
    ctx.close()


def _wait_painted(page, layer_id: str, minimum: int = 100_000) -> int:
    page.wait_for_function(
        "([id, n]) => { const l = window.palsar2map.layer(id); return l && l.paintedPixels() > n; }",
        arg=[layer_id, minimum], timeout=30000)
    return page.evaluate("id => window.palsar2map.layer(id).paintedPixels()", layer_id)


def test_map_loads_draws_swipes_and_inspects(page, live_server):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-ready='1']", timeout=30000)
    view = page.evaluate("window.palsar2map.center()")
    assert view["zoom"] == 8
    assert abs(view["lon"] - 137.2228) < 1e-3 and abs(view["lat"] - 37.1204) < 1e-3
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "map-initial.png"))
    cfg = page.evaluate("window.palsar2map.config")
    assert cfg["dates"] == ["2022-09-26", "2024-01-01", "2024-01-03"]
    pair = cfg["pairs"][0]
    # zoom in to where the small synthetic scenes cover the screen, then both layers paint tiles
    page.evaluate(f"window.palsar2map.setView({CENTRE[0]}, {CENTRE[1]}, 12)")
    before_px = _wait_painted(page, pair["before"])
    after_px = _wait_painted(page, pair["after"])
    assert before_px > 100_000 and after_px > 100_000
    page.wait_for_function("window.palsar2map.idle()", timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "map-layers.png"))

    # swipe: on, then drag the bar; the right layer's clip follows the bar
    page.check("#swipe-on")
    bar = page.locator("#swipe-bar")
    bar.wait_for(state="visible")
    box = bar.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] - 300, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    x = page.evaluate("window.palsar2map.swipe.x")
    assert x < 0.4
    clip = page.evaluate(
        "id => window.palsar2map.layer(id).canvas.style.clipPath", pair["after"])
    assert clip.startswith(("inset(0px 0px 0px", "inset(0 0 0"))
    new_box = bar.bounding_box()
    assert new_box["x"] < box["x"] - 200
    page.screenshot(path=str(ARTIFACTS / "map-swipe.png"))

    # inspector: click the map centre, DN and dB of each image appear
    mbox = page.locator("#map").bounding_box()
    page.mouse.click(mbox["x"] + mbox["width"] * 0.7, mbox["y"] + mbox["height"] / 2)
    page.wait_for_selector("#inspector[data-ready='1']", timeout=20000)
    text = page.inner_text("#inspector")
    assert "dB" in text and "2024-01-01" in text
    dbs = page.locator("#inspector td.db").all_inner_texts()
    assert dbs and all(t.endswith("dB") or t == "nodata" for t in dbs)
    assert any(-40 < float(t.split()[0]) < 5 for t in dbs if t != "nodata")
    assert "noto-0750" in text  # change values of the result at that point

    # time slider: moving it shows that date's layer only
    page.evaluate("""() => { const s = document.getElementById('time-slider');
                            s.value = 2; s.dispatchEvent(new Event('input')); }""")
    page.uncheck("#swipe-on")
    later = next(lay["id"] for lay in cfg["layers"] if lay["date"] == "2024-01-03")
    _wait_painted(page, later)
    assert page.evaluate("id => window.palsar2map.layer(id).visible", pair["before"]) is False
    page.screenshot(path=str(ARTIFACTS / "map-time.png"))

    # rectangle statistics
    page.click("#draw-rect")
    page.mouse.move(mbox["x"] + 400, mbox["y"] + 300)
    page.mouse.down()
    page.mouse.move(mbox["x"] + 600, mbox["y"] + 450, steps=4)
    page.mouse.up()
    page.wait_for_selector("#stats[data-ready='1']", timeout=20000)
    means = page.locator("#stats td.mean-db").all_inner_texts()
    assert means and all(-40 < float(m) < 5 for m in means)
    page.screenshot(path=str(ARTIFACTS / "map-stats.png"))
    assert page.errors == []


def test_add_date_range_layer(page, live_server):
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-ready='1']", timeout=30000)
    page.evaluate(f"window.palsar2map.setView({CENTRE[0]}, {CENTRE[1]}, 12)")
    page.fill("#range-start", "2024-01-01")
    page.fill("#range-end", "2024-01-09")
    page.click("#add-range button")
    assert _wait_painted(page, "range-2024-01-01-2024-01-09") > 100_000
    assert page.errors == []


def test_visualisation_in_db_with_a_palette(page, live_server):
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-ready='1']", timeout=30000)
    cfg = page.evaluate("window.palsar2map.config")
    layer = cfg["pairs"][0]["after"]
    page.evaluate(f"window.palsar2map.setView({CENTRE[0]}, {CENTRE[1]}, 12)")
    _wait_painted(page, layer)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.select_option("#vis-units", "db")
    page.select_option("#vis-palette", "viridis")
    page.click("#vis button")
    colourful = """id => { const c = window.palsar2map.layer(id).canvas;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] && d[i] !== d[i + 2]) n++; return n; }"""
    page.wait_for_function(f"id => ({colourful})(id) > 50000", arg=layer, timeout=30000)
    assert any("units=db" in u and "palette=viridis" in u and "min=-25" in u for u in requests)
    assert page.errors == []


def test_change_layer_and_legend(page, live_server):
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-ready='1']", timeout=30000)
    page.evaluate(f"window.palsar2map.setView({CENTRE[0]}, {CENTRE[1]}, 11)")
    row = page.locator("#change-layers li[data-layer='result-noto-0750-classes'] input[type=checkbox]")
    row.check()
    _wait_painted(page, "result-noto-0750-classes", 1000)
    assert "landslide" in page.inner_text("#legend")
    page.screenshot(path=str(ARTIFACTS / "map-change.png"))
    assert page.errors == []


def test_dataset_page(page, live_server):
    page.goto(f"{live_server.url}/map/dataset")
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    rows = page.locator("#availability tbody tr").all_inner_texts()
    assert len(rows) == 3 and "2024-01-01" in rows[1] and "0750" in rows[1]
    assert "EORC" in page.inner_text("#citation")
    assert "non-commercial" in page.inner_text("#terms")
    assert "b1" in page.inner_text("#bands")
    page.screenshot(path=str(ARTIFACTS / "dataset.png"), full_page=True)
    assert page.errors == []


def test_api_docs_page_offline(page, live_server):
    page.goto(f"{live_server.url}/docs")
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    text = page.inner_text("#ops")
    assert "/tiles/items/{item_id}/{z}/{x}/{y}.{fmt}" in text and "palette" in text
    assert page.errors == []
