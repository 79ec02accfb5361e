"""A real change result (palsar2.change.detect -> write) served: tiles, point values, class areas."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from pyproj import Transformer

from tests.server.conftest import SCENES, decode_png, tile_of

BEFORE, AFTER = SCENES[0][0], SCENES[1][0]


@pytest.fixture(scope="module")
def detected(catalog, tmp_path_factory):
    change = pytest.importorskip("palsar2.change")
    if not hasattr(catalog, "ingest"):
        pytest.skip("needs the real catalog")
    root = tmp_path_factory.mktemp("detected")
    result = change.detect(catalog.get(BEFORE), catalog.get(AFTER))
    result.write(root / "real-0750", report=False)
    return root


@pytest.fixture(scope="module")
def real_client(catalog, detected):
    from fastapi.testclient import TestClient

    from palsar2.server import create_app

    with TestClient(create_app(catalog, results_dir=detected)) as c:
        yield c


def test_detected_result_is_listed_and_drawn(real_client, detected):
    (r,) = real_client.get("/results").json()["results"]
    assert r["id"] == "real-0750" and r["before"] == BEFORE and r["after"] == AFTER
    with rasterio.open(detected / "real-0750" / "classes.tif") as ds:
        to_ll = Transformer.from_crs(ds.crs, "EPSG:4326", always_xy=True)
        lon, lat = to_ll.transform(*ds.xy(ds.height // 2, ds.width // 2))
        codes = ds.read(1)
        area = abs(ds.transform.a * ds.transform.e)
    z = 12
    x, y = tile_of(lon, lat, z)
    lr = decode_png(real_client.get(f"/tiles/results/real-0750/{z}/{x}/{y}.png?layer=log_ratio")
                    .content)
    assert (lr[..., 3] > 0).sum() > 1000
    # the pair route finds the computed result for its log-ratio
    pair = real_client.get(f"/tiles/pairs/{BEFORE}/{AFTER}/{z}/{x}/{y}.png?layer=log_ratio")
    assert np.array_equal(decode_png(pair.content), lr)
    assert real_client.get(f"/tiles/results/real-0750/{z}/{x}/{y}.png?layer=classes"
                           ).status_code == 200
    j = real_client.get(f"/point?lon={lon}&lat={lat}").json()
    (ch,) = j["change"]
    assert ch["result_id"] == "real-0750" and "class_name" in ch and "log_ratio_db" in ch
    # class areas over a polygon around the whole result equal the pixel counts of classes.tif
    with rasterio.open(detected / "real-0750" / "classes.tif") as ds:
        w, s, e, n = rasterio.warp.transform_bounds(ds.crs, "EPSG:4326", *ds.bounds)
    poly = {"type": "Polygon", "coordinates": [[[w - 0.01, s - 0.01], [e + 0.01, s - 0.01],
                                                [e + 0.01, n + 0.01], [w - 0.01, n + 0.01],
                                                [w - 0.01, s - 0.01]]]}
    st = real_client.post("/statistics?result_id=real-0750&item_id=" + AFTER, json=poly).json()
    (areas,) = st["change"]
    from palsar2.change.classes import BY_CODE

    for code in np.unique(codes[codes > 0]):
        assert areas["pixels"][BY_CODE[int(code)].name] == int((codes == code).sum())
    assert sum(v for k, v in areas["pixels"].items() if k != "nodata") == int((codes > 0).sum())
    assert areas["pixel_area_m2"] == pytest.approx(area)
