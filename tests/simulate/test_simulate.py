import json
import math

import numpy as np
import pytest
import rasterio
import shapely
from click.testing import CliRunner

from palsar2.errors import ParameterError
from palsar2.products import open_product
from palsar2.simulate import simulate
from palsar2.simulate.dem import land_mask
from palsar2.simulate.engine import scene_geobox, swath_polygon
from palsar2.simulate.radar import SEA, SIGMA0, noise_power
from palsar2.simulate.scenes import collection_scenes, ground_range_to_angles


def _img(prod):
    return rasterio.open(prod.bands[0].href).read(1)


def test_products_read_back_with_their_metadata(small_sim):
    assert len(small_sim.products) == 4 and len(small_sim.truth) == 2
    seen = set()
    for path in small_sim.products:
        p = open_product(path)
        seen.add((p.frame, p.path, p.pass_direction, p.look_side, p.center_time.date().isoformat()))
        assert p.calibration_db if hasattr(p, "calibration_db") else p.bands[0].calibration_db == -83.0
        assert p.geobox.crs.epsg in (32653, None) or "UTM" in p.geobox.crs.to_wkt()
        assert p.pixel_spacing == 200.0 and p.level == "2.1" and p.mode == "UBS"
    assert seen == {(760, 121, "ascending", "L", "2022-09-26"), (760, 121, "ascending", "L", "2024-01-01"),
                    (2830, 26, "descending", "L", "2023-06-06"), (2830, 26, "descending", "L", "2024-01-02")}
    assert (small_sim.out / "dem.tif").exists()
    with rasterio.open(small_sim.out / "dem.tif") as d:
        assert d.dtypes[0] == "float32" and d.crs.to_epsg() == 32653 and 300 < d.read(1).max() < 600


def test_swath_zeros_and_orientation(small_sim):
    for path in small_sim.products:
        p = open_product(path)
        dn = _img(p)
        scene = next(s for s in collection_scenes() if s.key == p.id)
        gb = scene_geobox(scene, 200.0)
        assert gb.shape == dn.shape
        valid = dn > 0
        assert 0.6 < valid.mean() < 0.9          # rotated swath inside the north-up box
        assert dn[0, 0] == 0 and dn[-1, -1] == 0 or dn[0, -1] == 0
        # orientation: the valid area's top edge runs at the heading's angle (~-10 / 190 deg)
        rows = np.argmax(valid, axis=0)
        cols = np.nonzero(valid.any(axis=0))[0]
        top = rows[cols]
        mid = cols[len(cols) // 4: 3 * len(cols) // 4]
        slope = np.polyfit(mid, rows[mid], 1)[0]  # rows per column along the top edge
        heading = scene.geometry.heading_deg
        # the top edge is across track: going east it climbs (ascending, -10) or drops (190)
        assert slope == pytest.approx(math.tan(math.radians(heading)), abs=0.06)
        del top


def test_raw_sea_statistics(small_sim):
    p = open_product(small_sim.products[0])
    scene = next(s for s in collection_scenes() if s.key == p.id)
    dn = _img(p).astype(np.float64)
    gb = scene_geobox(scene, 200.0)
    import scipy.ndimage as ndi

    sea = ~ndi.binary_dilation(land_mask(gb), iterations=5) & (dn > 0)
    sea &= ndi.binary_erosion(dn > 0, iterations=5)
    i = dn[sea] ** 2 * 10 ** (-8.3)
    assert sea.sum() > 5000
    assert i.mean() ** 2 / i.var() == pytest.approx(1.14, abs=0.2)
    # mean sea power within 0.5 dB of the table plus the noise floor at the scene's incidences
    _, inc = ground_range_to_angles(np.linspace(380e3, 460e3, 5))
    lo = 10 * np.log10(10 ** ((SIGMA0[SEA].db_at_35 - 0.5 * (inc.max() - 35)) / 10) + noise_power())
    hi = 10 * np.log10(10 ** ((SIGMA0[SEA].db_at_35 - 0.5 * (inc.min() - 35)) / 10) + noise_power())
    assert lo - 0.5 < 10 * np.log10(i.mean()) < hi + 0.5


def test_truth_matches_labels_and_changed_pixels(small_sim):
    for tdir in small_sim.truth:
        doc = json.loads((tdir / "truth.geojson").read_text())
        classes = {f["properties"]["class"] for f in doc["features"]}
        assert {"landslide", "burnt", "new_land", "collapsed"} <= classes or "landslide" in classes
        for f in doc["features"]:
            assert f["properties"]["code"] in (10, 11, 12, 13, 14) and f["properties"]["area_m2"] > 0
        with rasterio.open(tdir / "labels.tif") as src:
            lab = src.read(1)
            assert src.dtypes[0] == "uint8" and src.crs.to_epsg() == 32653
            tr = src.transform
        key = tdir.name
        prod = open_product(small_sim.out / "products" / key)
        dn = _img(prod)
        assert lab.shape == dn.shape and tuple(tr)[:6] == tuple(prod.geobox.affine)[:6]
        assert np.array_equal(lab == 0, dn == 0)
        # label areas agree with the polygons' areas by class (within rasterisation error at 200 m)
        for cls, code in (("new_land", 10), ("inundation", 12)):
            poly_area = sum(f["properties"]["area_m2"] for f in doc["features"]
                            if f["properties"]["class"] == cls)
            if poly_area > 5e5:
                assert (lab == code).sum() * 200.0**2 == pytest.approx(poly_area, rel=0.5)
        # new land pixels got brighter than the pre-event sea in the same frame
        pre = next(p for p in small_sim.products if p.name[10:14] == key[10:14] and p.name != key)
        dn_pre = _img(open_product(pre)).astype(np.float64)
        nl = (lab == 10) & (dn_pre > 0)
        if nl.sum() > 20:
            gain = 10 * np.log10(np.mean(dn.astype(np.float64)[nl] ** 2) / np.mean(dn_pre[nl] ** 2))
            assert gain > 5


def test_reuse_and_determinism(small_sim, tmp_path):
    again = simulate(small_sim.out, spacing=200.0, seed=0, frames=[760, 2830])
    assert len(again.skipped) == 4
    other = simulate(tmp_path / "b", spacing=200.0, seed=0, frames=[760])
    a = _img(open_product(small_sim.out / "products" / other.products[1].name))
    b = _img(open_product(other.products[1]))
    assert np.array_equal(a, b)
    c = simulate(tmp_path / "c", spacing=200.0, seed=1, frames=[760])
    assert not np.array_equal(b, _img(open_product(c.products[1])))


def test_bad_parameters(tmp_path):
    with pytest.raises(ParameterError, match="spacing"):
        simulate(tmp_path, spacing=0.1)
    with pytest.raises(ParameterError, match="frames"):
        simulate(tmp_path, frames=[1234])


def test_cli(tmp_path):
    from palsar2.cli import cli

    r = CliRunner().invoke(cli, ["simulate", "--out", str(tmp_path), "--spacing", "400",
                                 "--frames", "0730"])
    assert r.exit_code == 0, r.output
    assert "5 products" not in r.output and (tmp_path / "products").is_dir()
    names = sorted(p.name for p in (tmp_path / "products").iterdir() if not p.name.startswith("."))
    assert names == ["ALOS2515060730-231206_UBSR2.1GUA", "ALOS2519200730-240103_UBSR2.1GUA",
                     "ALOS2519940730-240108_UBSR2.1GUA"]
    r = CliRunner().invoke(cli, ["simulate", "--out", str(tmp_path), "--frames", "x"])
    assert isinstance(r.exception, ParameterError) and "--frames" in str(r.exception)
    r = CliRunner().invoke(cli, ["simulate", "--out", str(tmp_path), "--spacing", "-5"])
    assert isinstance(r.exception, ParameterError) and "spacing" in str(r.exception)


def test_events_in_swath_are_the_same_in_every_scene(small_sim):
    docs = [json.loads((t / "truth.geojson").read_text()) for t in small_sim.truth]
    burnt = [shapely.geometry.shape(f["geometry"]) for d in docs for f in d["features"]
             if f["properties"]["class"] == "burnt"]
    assert len(burnt) == 2 and burnt[0].equals_exact(burnt[1], 1e-9)
    from palsar2.simulate.geography import geom_to_lonlat

    for t in small_sim.truth:
        scene = next(s for s in collection_scenes() if s.key == t.name)
        assert geom_to_lonlat(swath_polygon(scene)).contains(burnt[0])


def test_fire_darkens_the_town(small_sim):
    """The Asaichi district is town (bright) before and burnt (darker) after."""
    from palsar2.simulate.engine import SceneRenderer

    scenes = [s for s in collection_scenes([770])]
    x, y = __import__("palsar2.simulate.geography", fromlist=["PLACES"]).PLACES["Wajima Asaichi"].xy
    out = []
    for s in scenes:
        r = SceneRenderer(s, 40.0, 0)
        a = r.geobox.affine
        row, col = int((a.f - y) / 40), int((x - a.c) / 40)
        dn, lab = r.block(row - 20, row + 20)
        out.append((dn[:, col - 20:col + 20].astype(np.float64), lab[:, col - 20:col + 20]))
    burnt = out[1][1] == 13
    assert burnt.sum() * 1600 == pytest.approx(49_000, rel=0.25)
    before = 10 * np.log10(np.mean(out[0][0][burnt] ** 2))
    after = 10 * np.log10(np.mean(out[1][0][burnt] ** 2))
    assert before - after > 8   # double bounce (+1 dB) -> ash and rubble (-14 dB)


def test_slopes_facing_the_radar_are_brighter_in_a_scene():
    """In a real scene block, brightness rises with the terrain slope facing the radar."""
    from palsar2.simulate.dem import gradient, render_dem
    from palsar2.simulate.engine import SceneRenderer, _rows_geobox
    from palsar2.simulate.geography import PLACES

    for scene in (collection_scenes([730])[0], collection_scenes([2830])[0]):
        r = SceneRenderer(scene, 40.0, 0)
        a = r.geobox.affine
        row = int((a.f - PLACES["Anamizu"].xy[1]) / 40) - 150
        dn, _ = r.block(row, row + 120)
        dem = render_dem(_rows_geobox(r.geobox, row, row + 120), 0)
        gx, gy = gradient(dem, 40.0)
        facing = gx * r.far[0] + gy * r.far[1]     # > 0: rises toward far range, faces the radar
        hills = (dem > 50) & (dn > 0)
        db = 20 * np.log10(np.maximum(dn, 1).astype(np.float64))
        toward = db[hills & (facing > 0.2)].mean()
        away = db[hills & (facing < -0.2)].mean()
        assert toward - away > 2.0, scene.key


def test_town_texture_is_stable_between_dates():
    """Bright town scatterers stay where they are between passes of one geometry; speckle does not."""
    from palsar2.simulate import radar
    from palsar2.simulate.engine import SceneRenderer

    pre, post = collection_scenes([760])
    a, b = SceneRenderer(pre, 40.0, 0), SceneRenderer(post, 40.0, 0)
    assert a.texture_key == b.texture_key and a.key != b.key
    cover = np.full((50, 50), radar.URBAN, np.uint8)
    assert np.array_equal(radar.texture(a.texture_key, 0, cover), radar.texture(b.texture_key, 0, cover))
