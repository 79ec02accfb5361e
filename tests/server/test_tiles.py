"""Tiles: values against rio-tiler on the same COG, stretches, nodata, mosaic order, change, caching."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from rio_tiler.io import Reader

from palsar2.server.render import CLASS_COLOURS, DEFAULT_RANGE, Stretch, dn_lut
from palsar2.server.tiles import lonlat_bounds, mercator_bounds
from tests.server.conftest import CENTRE, SCENES, decode_png, tile_of

BEFORE, AFTER, LATER = (s[0] for s in SCENES)


def _href(catalog, item_id):
    return catalog.get(item_id).assets["HH"].href


def _reference_dn(href, z, x, y):
    with Reader(href, options={"nodata": 0}) as src:
        img = src.tile(x, y, z, resampling_method="nearest", reproject_method="nearest")
    return img.data[0], ~img.mask.astype(bool) if img.mask.dtype != bool else img.mask


def test_mercator_bounds_match_morecantile():
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    for z, x, y in ((0, 0, 0), (8, 225, 100), (14, 14437, 6370)):
        assert np.allclose(mercator_bounds(z, x, y), tuple(tms.xy_bounds(x, y, z)), atol=1e-6)
        assert np.allclose(lonlat_bounds(z, x, y), tuple(tms.bounds(x, y, z)), atol=1e-9)


@pytest.mark.parametrize("z", [10, 13, 15])
def test_item_tile_matches_rio_tiler(client, catalog, z):
    """Our fast path (grid-interpolated projection + gather) draws what rio-tiler's warp draws."""
    x, y = tile_of(*CENTRE, z)
    href = _href(catalog, BEFORE)
    r = client.get(f"/tiles/items/{BEFORE}/{z}/{x}/{y}.png?min=0&max=8000")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    ours = decode_png(r.content)
    with Reader(href) as src:
        ref = src.tile(x, y, z, resampling_method="nearest", reproject_method="nearest")
    ref_valid = ref.mask > 0
    ref_byte = dn_lut(Stretch(0, 8000), "dn", -83.0)[ref.data[0]]
    ours_valid = ours[..., 3] > 0
    both = ref_valid & ours_valid
    assert (ours_valid == ref_valid).mean() > 0.99  # footprint edges agree to a pixel
    assert both.sum() > 1000
    if z < 13:
        # below native resolution both read overviews, but pick different speckle samples
        assert abs(ours[..., 0][both].mean() - ref_byte[both].mean()) < 3
        return
    same = np.abs(ours[..., 0][both].astype(int) - ref_byte[both].astype(int)) <= 1
    # nearest neighbours may pick the adjacent source pixel where the two transforms round apart
    assert same.mean() > 0.97


def test_uint16_is_not_rescaled_and_nodata_is_transparent(client, catalog):
    z = 14
    w, s, _e, n = catalog.get(BEFORE).bbox
    x, y = tile_of(w + 0.01, (s + n) / 2, z)  # on the swath's edge: data and nodata
    ref, _ = _reference_dn(_href(catalog, BEFORE), z, x, y)
    grey = decode_png(client.get(f"/tiles/items/{BEFORE}/{z}/{x}/{y}.png").content)
    valid = grey[..., 3] == 255
    assert ((grey[..., 3] == 0) | valid).all()  # alpha is all or nothing
    assert (ref == 0).sum() > 1000 and (ref > 0).sum() > 1000
    assert (grey[..., 3][ref == 0] == 0).mean() > 0.99  # DN 0 -> transparent
    # min 0 max 8000 on DN: the grey level is DN / 8000 * 255, whatever the tile's own range
    expect = np.clip(np.round(ref / 8000 * 255), 0, 255)
    ok = valid & (ref > 0)
    assert np.abs(grey[..., 0][ok] - expect[ok]).mean() < 1.0
    narrow = decode_png(client.get(f"/tiles/items/{BEFORE}/{z}/{x}/{y}.png?min=2000&max=4000")
                        .content)
    expect2 = np.clip(np.round((ref.astype(float) - 2000) / 2000 * 255), 0, 255)
    assert np.abs(narrow[..., 0][ok] - expect2[ok]).mean() < 1.0


def test_db_units_and_gamma(client, catalog):
    z = 14
    x, y = tile_of(*CENTRE, z)
    ref, _ = _reference_dn(_href(catalog, BEFORE), z, x, y)
    img = decode_png(client.get(f"/tiles/items/{BEFORE}/{z}/{x}/{y}.png?units=db&min=-25&max=0")
                     .content)
    ok = (img[..., 3] == 255) & (ref > 0)
    db = 20 * np.log10(np.maximum(ref, 1)) - 83.0
    expect = np.clip(np.round((db + 25) / 25 * 255), 0, 255)
    assert np.abs(img[..., 0][ok] - expect[ok]).mean() < 1.0
    g = decode_png(client.get(f"/tiles/items/{BEFORE}/{z}/{x}/{y}.png?gamma=2").content)
    lin = decode_png(client.get(f"/tiles/items/{BEFORE}/{z}/{x}/{y}.png").content)
    assert g[..., 0][ok].mean() > lin[..., 0][ok].mean() + 10  # gamma > 1 brightens


def test_palette_webp_and_default_ranges(client):
    z = 13
    x, y = tile_of(*CENTRE, z)
    r = client.get(f"/tiles/items/{BEFORE}/{z}/{x}/{y}.png?palette=viridis")
    img = decode_png(r.content)
    ok = img[..., 3] > 0
    assert (img[..., 0][ok] != img[..., 2][ok]).mean() > 0.9  # coloured, not grey
    w = client.get(f"/tiles/items/{BEFORE}/{z}/{x}/{y}.webp")
    assert w.status_code == 200 and w.headers["content-type"] == "image/webp"
    assert w.content[:4] == b"RIFF" and w.content[8:12] == b"WEBP"
    assert DEFAULT_RANGE["dn"] == (0.0, 8000.0)


def test_tile_outside_footprint_is_transparent(client):
    r = client.get(f"/tiles/items/{BEFORE}/10/0/0.png")
    assert r.status_code == 200
    assert decode_png(r.content)[..., 3].max() == 0


def test_overviews_used_at_low_zoom(client, catalog):
    """At zoom 8 a tile covers the whole small scene; the read comes from an overview."""
    z = 9
    x, y = tile_of(*CENTRE, z)
    href = _href(catalog, BEFORE)
    with rasterio.open(href) as ds:
        assert ds.overviews(1), "catalog COGs carry internal overviews"
    img = decode_png(client.get(f"/tiles/items/{BEFORE}/{z}/{x}/{y}.png").content)
    assert 100 < (img[..., 3] > 0).sum() < 256 * 256


def test_etag_and_cache_control(client):
    url = f"/tiles/items/{BEFORE}/12/{tile_of(*CENTRE, 12)[0]}/{tile_of(*CENTRE, 12)[1]}.png"
    r = client.get(url)
    etag = r.headers["etag"]
    assert "max-age" in r.headers["cache-control"]
    r2 = client.get(url, headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    r3 = client.get(url + "?max=5000")
    assert r3.headers["etag"] != etag


def test_mosaic_later_images_on_top(client, catalog):
    """filterDate(start, end) + mosaic: where scenes overlap, the latest one is drawn."""
    z = 13
    x, y = tile_of(CENTRE[0] + 0.03, CENTRE[1] - 0.02, z)
    url = f"/tiles/mosaic/StripMap_202401/{z}/{x}/{y}.png?start=2022-09-26&end=2024-01-04"
    mosaic = decode_png(client.get(url).content)
    later = decode_png(client.get(f"/tiles/items/{LATER}/{z}/{x}/{y}.png").content)
    before = decode_png(client.get(f"/tiles/items/{BEFORE}/{z}/{x}/{y}.png").content)
    top = later[..., 3] > 0
    assert top.sum() > 1000
    assert (mosaic[..., 0][top] == later[..., 0][top]).mean() > 0.999
    # elsewhere the earlier images fill in
    fill = (~top) & (before[..., 3] > 0)
    if fill.any():
        assert (mosaic[..., 3][fill] > 0).all()
    # end is exclusive: a range ending on 2024-01-03 leaves that scene out
    excl = decode_png(client.get(
        f"/tiles/mosaic/StripMap_202401/{z}/{x}/{y}.png?start=2024-01-01&end=2024-01-03").content)
    assert not np.array_equal(excl, mosaic)
    # property filters: frame 730 alone is the later scene
    only = decode_png(client.get(
        f"/tiles/mosaic/StripMap_202401/{z}/{x}/{y}.png?frame=730&start=2022-01-01").content)
    assert np.array_equal(only[..., 3] > 0, top)


def test_mosaic_empty_range_is_transparent(client):
    z = 12
    x, y = tile_of(*CENTRE, z)
    r = client.get(f"/tiles/mosaic/StripMap_202401/{z}/{x}/{y}.png?start=2020-01-01&end=2020-02-01")
    assert r.status_code == 200 and decode_png(r.content)[..., 3].max() == 0


def test_pair_rgb_and_log_ratio(client, catalog):
    z = 14
    x, y = tile_of(*CENTRE, z)
    rgb = decode_png(client.get(f"/tiles/pairs/{BEFORE}/{AFTER}/{z}/{x}/{y}.png?layer=rgb").content)
    b = decode_png(client.get(f"/tiles/items/{BEFORE}/{z}/{x}/{y}.png").content)
    a = decode_png(client.get(f"/tiles/items/{AFTER}/{z}/{x}/{y}.png").content)
    ok = rgb[..., 3] > 0
    assert ok.sum() > 1000
    assert np.array_equal(rgb[..., 0][ok], b[..., 0][ok])  # before in red
    assert np.array_equal(rgb[..., 1][ok], a[..., 0][ok])  # after in green and blue
    assert np.array_equal(rgb[..., 2][ok], a[..., 0][ok])
    # a pair with a computed result: the log-ratio comes from the result's log_ratio.tif
    lr = decode_png(client.get(f"/tiles/pairs/{BEFORE}/{AFTER}/{z}/{x}/{y}.png?layer=log_ratio")
                    .content)
    assert (lr[..., 3] > 0).sum() > 1000
    # a pair without a result: computed from the two images, 20*log10(A/B)
    comp = decode_png(client.get(
        f"/tiles/pairs/{BEFORE}/{LATER}/{z}/{x}/{y}.png?layer=log_ratio&palette=gray&min=-6&max=6")
        .content)
    ref_b, _ = _reference_dn(_href(catalog, BEFORE), z, x, y)
    ref_l, _ = _reference_dn(_href(catalog, LATER), z, x, y)
    ok = (comp[..., 3] > 0) & (ref_b > 0) & (ref_l > 0)
    expect = np.clip(np.round((20 * np.log10(ref_l[ok] / ref_b[ok]) + 6) / 12 * 255), 0, 255)
    assert ok.sum() > 1000 and np.abs(comp[..., 0][ok] - expect).mean() < 2.0
    r = client.get(f"/tiles/pairs/{BEFORE}/{LATER}/{z}/{x}/{y}.png?layer=classes")
    assert r.status_code == 404 and "classes" in r.json()["description"]


def test_result_tiles_classes_and_log_ratio(client, catalog, results_dir):
    z = 12
    item = catalog.get(BEFORE)
    # the landslide block of the synthetic result: rows/cols 100..200 on a 40 m grid
    t = item.geobox.affine
    from pyproj import Transformer

    to_ll = Transformer.from_crs(item.geobox.crs.to_wkt(), "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(t.c + 150 * 40, t.f - 150 * 40)
    x, y = tile_of(lon, lat, z)
    img = decode_png(client.get(f"/tiles/results/noto-0750/{z}/{x}/{y}.png?layer=classes").content)
    colour = np.array(CLASS_COLOURS[11][:3])
    landslide = (img[..., :3] == colour).all(axis=-1) & (img[..., 3] > 0)
    assert landslide.sum() > 100
    lr = decode_png(client.get(f"/tiles/results/noto-0750/{z}/{x}/{y}.png?layer=log_ratio").content)
    assert (lr[..., 3] > 0).sum() > 1000
    tj = client.get("/tiles/results/noto-0750/tilejson.json?layer=classes").json()
    assert "layer=classes" in tj["tiles"][0] and tj["bounds"][0] < lon < tj["bounds"][2]


def test_tilejson(client, catalog):
    tj = client.get(f"/tiles/items/{BEFORE}/tilejson.json?max=6000&palette=magma").json()
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"][0].endswith(f"/tiles/items/{BEFORE}/{{z}}/{{x}}/{{y}}.png?max=6000&palette=magma")
    w, s, e, n = tj["bounds"]
    assert w < CENTRE[0] < e and s < CENTRE[1] < n
    # 20 m pixels: about zoom 13 at 37 N
    assert tj["maxzoom"] == math.ceil(math.log2(40075016.7 * math.cos(math.radians((s + n) / 2))
                                                / 256 / 20))
    mj = client.get("/tiles/mosaic/StripMap_202401/tilejson.json?start=2024-01-01&end=2024-01-02"
                    "&format=webp").json()
    assert "/tiles/mosaic/StripMap_202401/{z}/{x}/{y}.webp?start=2024-01-01&end=2024-01-02" in \
        mj["tiles"][0]
    pj = client.get(f"/tiles/pairs/{BEFORE}/{AFTER}/tilejson.json?layer=log_ratio").json()
    assert "layer=log_ratio" in pj["tiles"][0]


@pytest.mark.parametrize("url, status, word", [
    (f"/tiles/items/{BEFORE}/21/0/0.png", 422, "z"),
    (f"/tiles/items/{BEFORE}/3/8/0.png", 400, "x/y"),
    (f"/tiles/items/{BEFORE}/3/0/0.gif", 422, "fmt"),
    (f"/tiles/items/{BEFORE}/3/0/0.png?palette=notacolormap", 400, "palette"),
    (f"/tiles/items/{BEFORE}/3/0/0.png?min=10&max=5", 400, "max"),
    (f"/tiles/items/{BEFORE}/3/0/0.png?gamma=0", 422, "gamma"),
    (f"/tiles/items/{BEFORE}/3/0/0.png?units=kelvin", 422, "units"),
    ("/tiles/items/NOPE_NOPE/3/0/0.png", 404, "NOPE_NOPE"),
    ("/tiles/items/..%2F..%2Fetc%2Fpasswd/3/0/0.png", 404, ""),
    ("/tiles/mosaic/StripMap_202401/3/0/0.png?start=yesterday", 400, "start"),
    ("/tiles/mosaic/StripMap_202401/3/0/0.png?start=2024-01-02&end=2024-01-01", 400, "end"),
    ("/tiles/mosaic/StripMap_202401/3/0/0.png?pass=sideways", 422, "pass"),
    ("/tiles/mosaic/NoSuchCollection/3/0/0.png", 404, "NoSuchCollection"),
    ("/tiles/results/nothere/3/0/0.png", 404, "nothere"),
])
def test_bad_tile_parameters_are_clear_4xx(client, url, status, word):
    r = client.get(url)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"code", "description"}
    assert word in body["description"]
