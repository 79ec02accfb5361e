"""Point values, area statistics (mean in power, class areas) and thumbnails, checked on the COGs."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import rasterio
from PIL import Image
from pyproj import Transformer
from rasterio.features import geometry_mask
from shapely.geometry import box, mapping
from shapely.ops import transform as shp_transform

from tests.server.conftest import CENTRE, SCENES, decode_png

BEFORE, AFTER, LATER = (s[0] for s in SCENES)


def _dn_at(catalog, item_id, lon, lat):
    href = catalog.get(item_id).assets["HH"].href
    with rasterio.open(href) as ds:
        x, y = Transformer.from_crs("EPSG:4326", ds.crs, always_xy=True).transform(lon, lat)
        r, c = ds.index(x, y)
        return int(ds.read(1, window=((r, r + 1), (c, c + 1)))[0, 0])


def test_point_values_match_the_cogs(client, catalog):
    lon, lat = CENTRE
    j = client.get(f"/point?lon={lon}&lat={lat}").json()
    assert {im["item_id"] for im in j["images"]} == {BEFORE, AFTER, LATER}
    for im in j["images"]:
        dn = _dn_at(catalog, im["item_id"], lon, lat)
        assert im["dn"] == dn
        assert im["sigma0_db"] == pytest.approx(10 * math.log10(dn**2) - 83.0, abs=1e-3)
    (change,) = j["change"]
    assert change["result_id"] == "noto-0750" and change["before"] == BEFORE
    assert change["class_name"] in ("no_change", "landslide", "inundation")
    assert change["log_ratio_db"] in (-1.5, 2.0)
    one = client.get(f"/point?lon={lon}&lat={lat}&item_id={AFTER}").json()
    assert [im["item_id"] for im in one["images"]] == [AFTER]
    dated = client.get(f"/point?lon={lon}&lat={lat}&start=2024-01-01&end=2024-01-02").json()
    assert [im["item_id"] for im in dated["images"]] == [AFTER]
    far = client.get("/point?lon=10&lat=10").json()
    assert far["images"] == [] and far["change"] == []


@pytest.mark.parametrize("url, word", [
    ("/point?lon=200&lat=0", "lon"), ("/point?lon=0", "lat"), ("/point?lon=0&lat=0&item_id=a/b",
                                                                "item_id"),
    ("/point?lon=x&lat=0", "lon"),
])
def test_point_bad_parameters(client, url, word):
    r = client.get(url)
    assert r.status_code == 422 and word in r.json()["description"]


def _area_reference(catalog, item_id, geom_ll):
    href = catalog.get(item_id).assets["HH"].href
    with rasterio.open(href) as ds:
        tr = Transformer.from_crs("EPSG:4326", ds.crs, always_xy=True)
        g = shp_transform(lambda x, y, z=None: tr.transform(x, y), geom_ll)
        data = ds.read(1)
        inside = ~geometry_mask([g], out_shape=data.shape, transform=ds.transform)
    v = data[inside]
    v = v[v > 0].astype(np.float64)
    return v


def test_statistics_mean_in_power(client, catalog):
    geom = box(CENTRE[0] - 0.02, CENTRE[1] - 0.015, CENTRE[0] + 0.02, CENTRE[1] + 0.015)
    r = client.post(f"/statistics?item_id={BEFORE}&bins=10", json=mapping(geom))
    assert r.status_code == 200, r.text
    j = r.json()
    (im,) = j["images"]
    ref = _area_reference(catalog, BEFORE, geom)
    assert im["count"] == ref.size
    mean_power = float(np.mean(ref**2) * 10 ** (-8.3))
    assert im["mean_db"] == pytest.approx(10 * math.log10(mean_power), abs=1e-3)
    # the average of dB values is lower than dB of the average power (speckle): not what we report
    assert im["mean_db"] > float(np.mean(20 * np.log10(ref) - 83)) + 0.5
    assert sum(im["histogram"]["counts"]) == im["count"]
    assert len(im["histogram"]["bin_edges_db"]) == 11
    assert im["pixel_area_m2"] == pytest.approx(400.0)


def test_statistics_change_area_by_class(client, catalog):
    item = catalog.get(BEFORE)
    t = item.geobox.affine
    to_ll = Transformer.from_crs(item.geobox.crs.to_wkt(), "EPSG:4326", always_xy=True)
    # a polygon around the whole synthetic result (512 x 512 px of 40 m)
    corners = [to_ll.transform(t.c + c * 40, t.f - r * 40) for r, c in
               ((-5, -5), (-5, 520), (520, 520), (520, -5))]
    feature = {"type": "Feature", "properties": {},
               "geometry": {"type": "Polygon", "coordinates": [corners + [corners[0]]]}}
    j = client.post("/statistics?result_id=noto-0750&start=2024-01-01&end=2024-01-02",
                    json=feature).json()
    (ch,) = j["change"]
    assert ch["area_m2"]["landslide"] == pytest.approx(100 * 100 * 1600.0)  # 16 km^2
    assert ch["area_m2"]["inundation"] == pytest.approx(50 * 100 * 1600.0)
    assert ch["changed_area_m2"] == pytest.approx(24e6)
    assert [im["item_id"] for im in j["images"]] == [AFTER]


@pytest.mark.parametrize("body, query, status, word", [
    ({"type": "Point", "coordinates": [137.2, 37.1]}, "", 400, "geometry"),
    ({"type": "Polygon", "coordinates": "nope"}, "", 400, "geometry"),
    ({"type": "FeatureCollection", "features": []}, "", 400, "geometry"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1e6, 0], [1e6, 1e6], [0, 0]]]}, "", 400, "lon/lat"),
    (mapping(box(137, 37, 137.1, 37.1)), "?bins=0", 422, "bins"),
    (mapping(box(137, 37, 137.1, 37.1)), "?hist_min=5&hist_max=1", 400, "hist_max"),
    (mapping(box(137, 37, 137.1, 37.1)), "?result_id=nothere", 404, "nothere"),
    ("not json at all", "", 422, "body"),
])
def test_statistics_bad_input(client, body, query, status, word):
    if isinstance(body, str):
        r = client.post("/statistics" + query, content=body,
                        headers={"content-type": "application/json"})
    else:
        r = client.post("/statistics" + query, json=body)
    assert r.status_code == status, r.text
    assert word in r.json()["description"]


def test_thumbnail_like_get_thumb_url(client, catalog):
    region = f"{CENTRE[0] - 0.05},{CENTRE[1] - 0.04},{CENTRE[0] + 0.05},{CENTRE[1] + 0.04}"
    r = client.get(f"/thumbnail?item_id={BEFORE}&region={region}&dimensions=300x200&crs=EPSG:4326")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    img = decode_png(r.content)
    assert img.shape == (200, 300, 4)
    assert (img[..., 3] > 0).mean() > 0.9
    # the centre pixel is the DN there stretched 0..8000 (neighbour tolerance for speckle)
    dn = _dn_at(catalog, BEFORE, *CENTRE)
    assert abs(int(img[100, 150, 0]) - dn / 8000 * 255) < 60
    # longest side; aspect from the region in the target CRS; webp and jpg
    r = client.get(f"/thumbnail?region={region}&dimensions=256&format=webp&start=2024-01-01")
    assert r.headers["content-type"] == "image/webp"
    w, h = Image.open(io.BytesIO(r.content)).size
    assert max(w, h) == 256 and min(w, h) > 150
    r = client.get(f"/thumbnail?region={region}&dimensions=128&format=jpg&crs=EPSG:32653")
    assert Image.open(io.BytesIO(r.content)).format == "JPEG"
    # a GeoJSON region masks outside the polygon
    tri = {"type": "Polygon", "coordinates": [[[CENTRE[0] - 0.05, CENTRE[1] - 0.04],
                                               [CENTRE[0] + 0.05, CENTRE[1] - 0.04],
                                               [CENTRE[0], CENTRE[1] + 0.04],
                                               [CENTRE[0] - 0.05, CENTRE[1] - 0.04]]]}
    import json

    r = client.get("/thumbnail", params={"region": json.dumps(tri), "dimensions": "200x200",
                                         "item_id": BEFORE, "crs": "EPSG:4326"})
    img = decode_png(r.content)
    assert img[5, 5, 3] == 0 and img[190, 100, 3] > 0


@pytest.mark.parametrize("query, status, word", [
    ("region=1,2,3,4&dimensions=4096", 400, "dimensions"),
    ("region=1,2,3,4&dimensions=0", 400, "dimensions"),
    ("region=1,2,3,4&dimensions=axb", 400, "dimensions"),
    ("region=1,2,3", 400, "region"),
    ("region=1,2,1,4", 400, "region"),
    ("region={bad", 400, "region"),
    ("region=1,2,3,4&crs=+proj=longlat", 400, "crs"),
    ("region=1,2,3,4&crs=EPSG:999999", 400, "crs"),
    ("region=1,2,3,4&format=tiff", 422, "format"),
    ("dimensions=10", 422, "region"),
])
def test_thumbnail_limits(client, query, status, word):
    r = client.get("/thumbnail?" + query)
    assert r.status_code == status, r.text
    assert word in r.json()["description"]


def test_results_listing(client):
    j = client.get("/results").json()
    (r,) = j["results"]
    assert r["id"] == "noto-0750" and r["before"] == BEFORE and r["after"] == AFTER
    assert set(r["layers"]) == {"classes", "log_ratio", "rgb"}
    assert {c["name"] for c in j["legend"]} >= {"landslide", "inundation", "new_land"}
    one = client.get("/results/noto-0750").json()
    assert one["stats"]["method"] == "log_ratio"
    assert client.get("/results/nothere").status_code == 404
    assert client.get("/results/%2E%2E").status_code in (404, 422)


def test_basemap(client):
    coast = client.get("/basemap/coastline.geojson")
    assert coast.status_code == 200 and coast.headers["content-type"] == "application/geo+json"
    feats = coast.json()["features"]
    assert feats and feats[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    towns = client.get("/basemap/towns.geojson").json()["features"]
    names = {t["properties"]["name"] for t in towns}
    assert {"Wajima", "Nanao"} <= names
    assert client.get("/basemap/towns.geojson?min_population=1").status_code == 422


def test_statistics_far_away_and_polar_areas_are_empty_not_errors(client):
    for geom in (box(-10, 89.5, 10, 90), box(10, 10, 11, 11), box(-180, -90, 180, 90)):
        r = client.post(f"/statistics?item_id={BEFORE}", json=mapping(geom))
        assert r.status_code == 200, r.text
        (im,) = r.json()["images"]
        if geom.bounds[1] > 80 or geom.bounds[0] > 0:
            assert im["count"] == 0 and im["mean_db"] is None
