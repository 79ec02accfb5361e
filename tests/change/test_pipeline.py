import datetime as dt
import json
import re
from dataclasses import dataclass, field

import numpy as np
import pytest

from palsar2.change import DetectOptions, detect, evaluate, find_pairs, write_report
from palsar2.change import classes as C
from palsar2.change.align import estimate_shift, shift_image
from palsar2.change.evaluate import evaluate_arrays
from palsar2.change.pairs import check_pair, pair_report
from palsar2.errors import PairError, ParameterError

from .conftest import make_scene


def scene():
    return make_scene((400, 400), 10.0, 7, sea_rows=80, new_land_rows=12,
                      patches=[(200, 240, 200, 260, -9, C.DECREASE), (300, 330, 60, 100, 9, C.INCREASE)],
                      urban=[(120, 170, 300, 360)], nan_border=5)


def run(s, **kw):
    o = DetectOptions(**{"filter": "boxcar", "size": 5, **kw})
    return detect((s.before, s.gbox, "before"), (s.after, s.gbox, "after"), options=o)


def test_detect_finds_patches_and_chunked_equals_whole():
    s = scene()
    whole = run(s, chunks=512)
    chunked = run(s, chunks=256, coarse_m=40.0)
    cw, cc = whole.classes.compute(), chunked.classes.compute()
    assert cw.shape == s.truth.shape
    np.testing.assert_array_equal(cw, cc)
    np.testing.assert_allclose(whole.log_ratio.compute(), chunked.log_ratio.compute(), equal_nan=True)
    res = evaluate_arrays(s.truth, cw, 100.0)["mmu"]["500"]
    assert res["new_land"]["f1"] > 0.85
    assert res["any_change"]["f1"] > 0.8
    assert (cw[210:230, 210:250] == C.DECREASE).mean() > 0.9
    assert (cw[:5] == C.NODATA).all()
    # the no-change area away from patches is clean
    assert (cw[340:395, 200:395] == C.NO_CHANGE).mean() > 0.99
    assert not whole.degenerate or all(t.fallback for t in whole.thresholds.values() if t.degenerate)


def test_no_change_pair_is_reported_not_all_change():
    s = make_scene((300, 300), 10.0, 8)
    r = run(s)
    cls = r.classes.compute()
    assert (cls > C.NO_CHANGE).mean() < 0.002
    assert all(t.degenerate and t.fallback for t in r.thresholds.values())


def test_write_outputs_report_and_evaluate(tmp_path):
    s = scene()
    r = run(s)
    out = r.write(tmp_path / "res")
    for f in ("log_ratio.tif", "classes.tif", "polygons.gpkg", "polygons.geojson", "stats.json", "report.html"):
        assert (out / f).exists(), f
    st = json.loads((out / "stats.json").read_text())
    assert st["areas_m2"]["new_land"] == pytest.approx(400 * 12 * 100 * 0.97, rel=0.1)
    assert st["new_land"]["shoreline"]["median_m"] == pytest.approx(120, abs=30)
    assert set(st["degenerate"]) == {"decrease", "increase"}
    assert "alignment" in st and "thresholds" in st and st["towns"]
    gj = json.loads((out / "polygons.geojson").read_text())
    props = gj["features"][0]["properties"]
    assert {"class", "code", "area_m2", "mean_change_db", "pair", "place"} <= set(props)
    total = sum(f["properties"]["area_m2"] for f in gj["features"] if f["properties"]["class"] == "new_land")
    assert total == pytest.approx(st["areas_m2"]["new_land"])
    # truth as a labels raster on the same grid
    import rasterio

    with rasterio.open(out / "classes.tif") as src:
        prof = src.profile
    prof.update(driver="GTiff")
    truth = tmp_path / "labels.tif"
    with rasterio.open(truth, "w", **prof) as dst:
        dst.write(s.truth, 1)
    ev = evaluate(truth, out)
    assert ev["mmu"]["500"]["new_land"]["f1"] > 0.85
    html = write_report(out, truth=truth).read_text()
    assert "Accuracy against truth" in html and "data:image/png;base64," in html
    assert not re.search(r"(src|href)\s*=\s*['\"]https?://", html)
    assert "http://" not in html and "https://" not in html


def test_evaluation_metrics_hand_made():
    t = np.full((10, 10), C.NO_CHANGE, np.uint8)
    p = t.copy()
    t[0:4, 0:4] = C.LANDSLIDE   # 16 px object
    p[0:4, 0:2] = C.LANDSLIDE   # 8 px hit
    p[8:10, 8:10] = C.LANDSLIDE  # 4 px false
    r = evaluate_arrays(t, p, 100.0, mmus=(100.0,))["mmu"]["100"]["landslide"]
    assert r["tp"] == 8 and r["fp"] == 4 and r["fn"] == 8
    assert r["precision"] == pytest.approx(8 / 12) and r["recall"] == pytest.approx(0.5)
    assert r["f1"] == pytest.approx(16 / 28) and r["iou"] == pytest.approx(8 / 20)
    assert r["objects"]["truth_objects"] == 1 and r["objects"]["detection_rate"] == 1.0
    assert r["objects"]["object_precision"] == 0.5
    r5 = evaluate_arrays(t, p, 100.0, mmus=(500.0,))["mmu"]["500"]["landslide"]
    assert r5["fp"] == 0  # the 400 m2 false object is under the MMU


def test_evaluate_errors(tmp_path):
    with pytest.raises(ParameterError, match="--result"):
        evaluate(tmp_path / "nope.tif", tmp_path)
    (tmp_path / "classes.tif").write_bytes(b"x")
    with pytest.raises(ParameterError, match="--truth"):
        evaluate(tmp_path / "missing.geojson", tmp_path)
    with pytest.raises(ParameterError, match="RESULT_DIR"):
        write_report(tmp_path / "empty")


def test_shift_estimate_and_correction():
    rng = np.random.default_rng(3)
    from scipy import ndimage as ndi

    g = ndi.gaussian_filter(rng.standard_normal((600, 600)), 3)
    base = np.exp(3 * g / g.std())  # textured scene (fields, towns, valleys)
    a = (base * rng.gamma(4, 1 / 4, base.shape)).astype(np.float32)
    moved = ndi.shift(base, (1.5, -0.75), order=1, mode="nearest")  # before content displaced
    b = (moved * rng.gamma(4, 1 / 4, base.shape)).astype(np.float32)
    al = estimate_shift(b, a, window=256)
    assert al.dy == pytest.approx(1.5, abs=0.25) and al.dx == pytest.approx(-0.75, abs=0.25)
    fixed = np.asarray(shift_image(b, al.dy, al.dx))
    al2 = estimate_shift(fixed, a, window=256)
    assert al2.magnitude < 0.3


# -------------------------------------------------------------------------------------- pairs
@dataclass(frozen=True)
class FakeItem:
    id: str
    datetime: dt.datetime
    frame: int
    path: int
    look_side: str
    pass_direction: str
    beam: str | None = None
    properties: dict = field(default_factory=dict)


def it(i, day, frame=750, path=121, side="L", pd="ascending", beam="U2-6L"):
    return FakeItem(i, dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC), frame, path, side, pd, beam)


def test_pairs_rules():
    items = [it("pre1", "2022-09-26T14:00"), it("pre0", "2021-09-26T14:00"), it("post", "2024-01-01T14:10"),
             it("post_desc", "2024-01-02T03:00", frame=2820, path=26, pd="descending", beam="U2-8L"),
             it("pre_desc", "2023-06-06T03:00", frame=2820, path=26, pd="descending", beam="U2-8L"),
             it("post_right", "2024-01-03T14:00", frame=720, path=127, side="R", beam="U2-9R")]
    pairs, unpaired = pair_report(items, "2024-01-01")
    assert {(p.before.id, p.after.id) for p in pairs} == {("pre1", "post"), ("pre_desc", "post_desc")}
    assert [u.after.id for u in unpaired] == ["post_right"] and "no pre-event item" in unpaired[0].reason
    assert "latest pre-event" in pairs[0].reason
    chosen = find_pairs(items, "2024-01-01", before="2021-09-26")
    assert [(p.before.id, p.after.id) for p in chosen] == [("pre0", "post")]
    with pytest.raises(ParameterError, match="--event"):
        find_pairs(items, "yesterday")
    with pytest.raises(ParameterError, match="--before"):
        find_pairs(items, "2024-01-01", before="2024-02-01")


def test_mixed_geometry_is_an_error():
    with pytest.raises(PairError, match="different geometries"):
        check_pair(it("a", "2022-09-26"), it("b", "2024-01-02", pd="descending"))
    with pytest.raises(PairError, match="look_side"):
        check_pair(it("a", "2022-09-26"), it("b", "2024-01-02", side="R"))
    with pytest.raises(PairError, match="not earlier"):
        check_pair(it("a", "2024-01-02"), it("b", "2022-09-26"))


def test_options_errors():
    with pytest.raises(ParameterError, match="--method"):
        DetectOptions(method="x").validate()
    with pytest.raises(ParameterError, match="--mmu"):
        DetectOptions(mmu_m2=-5).validate()
    with pytest.raises(ParameterError, match="--threshold"):
        DetectOptions(threshold="1,2").validate()


def test_before_on_another_grid_is_reprojected_onto_the_after_grid():
    from affine import Affine
    from odc.geo.geobox import GeoBox

    s = scene()
    g = s.gbox
    # the before image on a grid 3 pixels further east/south, and 10 px bigger
    a = g.affine
    gb = GeoBox((410, 410), Affine(a.a, 0, a.c - 30.0, 0, a.e, a.f + 30.0), g.crs)
    big = np.full((410, 410), np.nan, np.float32)
    big[3:403, 3:403] = s.before
    r = detect((big, gb, "before"), (s.after, g, "after"), options=DetectOptions(filter="boxcar", size=5))
    assert r.alignment.reprojected
    cls = r.classes.compute()
    assert cls.shape == s.truth.shape
    assert evaluate_arrays(s.truth, cls, 100.0)["mmu"]["500"]["new_land"]["f1"] > 0.85


def test_season_notes_name_the_pitfalls_of_the_pair_dates():
    from palsar2.change.detect import season_notes

    june = dt.datetime(2023, 6, 6, 3, 37, tzinfo=dt.UTC)
    jan = dt.datetime(2024, 1, 2, 3, 37, tzinfo=dt.UTC)
    (note,) = season_notes(june, jan)
    assert "paddy-flooding season" in note and "2023-06-06" in note
    notes = season_notes(dt.datetime(2022, 9, 26, 14, 10), jan)  # naive and aware mixed
    assert len(notes) == 1 and "462 days" in notes[0]
    assert season_notes(dt.datetime(2023, 12, 6, tzinfo=dt.UTC), jan) == []
    assert season_notes(None, jan) == []
