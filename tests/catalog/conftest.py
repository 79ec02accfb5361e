"""Catalog fixtures: items built directly (no files), and small real-format products on the fly."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from affine import Affine
from odc.geo.geobox import GeoBox
from shapely.geometry import Polygon

from palsar2.catalog import Asset, Item, open_catalog

_counter = itertools.count()


def build_item(*, lon: float = 137.0, lat: float = 37.0, size: float = 0.2,
               start: str | dt.datetime = "2024-01-01T03:00:00Z", frame: int = 750,
               orbit: int = 55000, beam: str | None = "U2-6L", pass_direction: str = "ascending",
               look_side: str = "L", collection: str = "StripMap_202401",
               polarisations: tuple[str, ...] = ("HH",), item_id: str | None = None,
               extra: dict[str, Any] | None = None) -> Item:
    """An item with a rotated-square footprint (like a swath inside its north-up grid)."""
    t0 = start if isinstance(start, dt.datetime) else dt.datetime.fromisoformat(
        start)
    h = size / 2
    geom = Polygon([(lon, lat - h), (lon + h, lat), (lon, lat + h), (lon - h, lat)])
    n = next(_counter)
    iid = item_id or f"ALOS2{orbit:05d}{frame:04d}-{t0:%y%m%d}_UBS{look_side}2.1GU{pass_direction[0].upper()}{n}"
    props = {
        "platform": "alos-2", "sar:polarizations": list(polarisations),
        "sar:observation_direction": {"L": "left", "R": "right"}[look_side],
        "palsar2:frame": frame, "palsar2:beam": beam, "palsar2:look_side": look_side,
        "sat:orbit_state": pass_direction, "sat:absolute_orbit": orbit,
        "sat:relative_orbit": (14 * orbit + 24) % 207, "palsar2:level": "2.1",
        "palsar2:mode": "UBS", "view:off_nadir": 30.0 + (n % 10), "proj:code": "EPSG:32653",
        "palsar2:checksum": f"sha256:{n:064x}", "palsar2:calibration_db": -83.0,
        "proj:shape": [400, 400], "proj:transform": [25.0, 0.0, 300000.0, 0.0, -25.0, 4100000.0],
        **(extra or {}),
    }
    props = {k: v for k, v in props.items() if v is not None}
    gbox = GeoBox((400, 400), Affine(25.0, 0, 300000.0, 0, -25.0, 4100000.0), "EPSG:32653")
    return Item(id=iid, collection=collection, start_time=t0,
                end_time=t0 + dt.timedelta(seconds=10), datetime=t0 + dt.timedelta(seconds=5),
                geometry=geom, bbox=geom.bounds, properties=props,
                assets={"HH": Asset(f"/vsis3/bucket/{iid}/HH.tif", "image/tiff", ("data",))},
                geobox=gbox)


@pytest.fixture
def item_factory():
    return build_item


@pytest.fixture
def catalog(tmp_path):
    cat = open_catalog(tmp_path / "home")
    yield cat
    cat.close()
