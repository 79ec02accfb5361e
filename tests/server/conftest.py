"""Fixtures for the server: small COGs over Noto, a catalog over them, the app, a live server.

``stand_in_catalog`` is a tiny in-memory object with the catalog contract's shape (get, items,
collection -> filter_date / filter_bounds / filter / items), over synthetic uint16 COGs written on
the fly; it lets the server be tested on its own. The tests also run against the real catalog when
``palsar2.catalog`` and the products factory are available (``real_catalog``).
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Self

import numpy as np
import pytest
import rasterio
from affine import Affine
from odc.geo.geobox import GeoBox
from pyproj import Transformer
from shapely.geometry import Polygon, box, shape

from palsar2.errors import NotFoundError

CENTRE = (137.2228, 37.1204)
UTM = "EPSG:32653"
_to_utm = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
_to_ll = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)


def pattern_dn(rows: int, cols: int, seed: int, level: float = 3000.0) -> np.ndarray:
    """Speckled DN around ``level`` with a rotated swath of valid data and zeros around it."""
    rng = np.random.default_rng(seed)
    dn = (level * np.sqrt(rng.gamma(4.0, 0.25, size=(rows, cols)))).clip(1, 65535)
    r, c = np.mgrid[0:rows, 0:cols]
    # a tilted swath, like an orthorectified StripMap frame inside its north-up box
    inside = (c > 0.08 * cols + 0.1 * r) & (c < 0.92 * cols + 0.1 * r - 0.1 * rows)
    return np.where(inside, dn, 0).astype(np.uint16)


def write_cog(path: Path, data: np.ndarray, transform: Affine, crs: str = UTM,
              nodata: float | None = 0, resampling: str = "rms") -> Path:
    """Write a COG with internal overviews (power-preserving rms for amplitude)."""
    profile = {"driver": "COG", "dtype": data.dtype.name, "count": 1, "height": data.shape[0],
               "width": data.shape[1], "crs": crs, "transform": transform, "nodata": nodata,
               "compress": "deflate", "blocksize": 256, "overview_resampling": resampling}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


@dataclass(frozen=True)
class FakeAsset:
    href: str


@dataclass(frozen=True)
class FakeItem:
    """Just the attributes of catalog.Item the server reads."""

    id: str
    collection: str
    start_time: dt.datetime
    end_time: dt.datetime
    datetime: dt.datetime
    geometry: Polygon
    bbox: tuple[float, float, float, float]
    properties: dict[str, Any]
    assets: dict[str, FakeAsset]
    geobox: GeoBox
    calibration_db: float = -83.0

    frame = property(lambda self: self.properties.get("palsar2:frame"))
    beam = property(lambda self: self.properties.get("palsar2:beam"))
    pass_direction = property(lambda self: self.properties.get("sat:orbit_state"))
    look_side = property(lambda self: self.properties.get("palsar2:look_side"))
    checksum = property(lambda self: self.properties.get("palsar2:checksum"))

    def to_stac(self) -> Any:
        import pystac

        it = pystac.Item(id=self.id, geometry=self.geometry.__geo_interface__,
                         bbox=list(self.bbox), datetime=self.datetime,
                         properties={k: v for k, v in self.properties.items()},
                         start_datetime=self.start_time, end_datetime=self.end_time,
                         collection=self.collection)
        it.add_asset("HH", pystac.Asset(href=self.assets["HH"].href,
                                        media_type=pystac.MediaType.COG, roles=["data"]))
        return it


_ALIASES = {"frame": "palsar2:frame", "beam": "palsar2:beam", "pass_direction": "sat:orbit_state",
            "look_side": "palsar2:look_side"}


@dataclass(frozen=True)
class FakeCollection:
    catalog: FakeCatalog
    id: str
    preds: tuple[Any, ...] = ()

    def _with(self, pred: Any) -> FakeCollection:
        return replace(self, preds=(*self.preds, pred))

    def filter_date(self, start: Any, end: Any = None) -> FakeCollection:
        return self._with(lambda i: start <= i.start_time < end)

    def filter_bounds(self, geom: Any) -> FakeCollection:
        g = box(*geom) if isinstance(geom, tuple) and len(geom) == 4 else (
            shape(geom) if isinstance(geom, dict) else geom)
        return self._with(lambda i: i.geometry.intersects(g))

    def filter(self, **props: Any) -> FakeCollection:
        def pred(i: FakeItem) -> bool:
            for k, v in props.items():
                have = i.id if k == "id" else i.properties.get(_ALIASES.get(k, k))
                if isinstance(v, list):
                    if have not in v:
                        return False
                elif have != v:
                    return False
            return True
        return self._with(pred)

    def items(self) -> list[FakeItem]:
        out = [i for i in self.catalog._items.values() if i.collection == self.id]
        return sorted((i for i in out if all(p(i) for p in self.preds)),
                      key=lambda i: (i.start_time, i.id))

    def size(self) -> int:
        return len(self.items())


@dataclass
class FakeCatalog:
    _items: dict[str, FakeItem] = field(default_factory=dict)

    def get(self, item_id: str) -> FakeItem:
        try:
            return self._items[item_id]
        except KeyError:
            raise NotFoundError(f"item {item_id!r}: not found") from None

    def items(self) -> list[FakeItem]:
        return list(self._items.values())

    def collection(self, cid: str) -> FakeCollection:
        return FakeCollection(self, cid)

    def collection_ids(self) -> list[str]:
        return sorted({i.collection for i in self._items.values()})


# frame, date, beam, pass: a before/after pair of one geometry plus a later scene
SCENES = [
    ("ALOS2445010750-220926_UBSL2.1GUA", 750, "2022-09-26T14:10:00", "U2-6L", "ascending", 3000),
    ("ALOS2521600750-240101_UBSL2.1GUA", 750, "2024-01-01T14:10:00", "U2-6L", "ascending", 2500),
    ("ALOS2522350730-240103_UBSR2.1GUA", 730, "2024-01-03T14:20:00", "U2-9R", "ascending", 4000),
]


def make_item(root: Path, item_id: str, frame: int, when: str, beam: str, pdir: str,
              level: float, *, size: int = 1024, res: float = 20.0, offset_m: float = 0.0,
              seed: int = 0) -> FakeItem:
    """One synthetic item: a size x size uint16 COG at ``res`` m centred near the map centre."""
    cx, cy = _to_utm.transform(*CENTRE)
    x0, y0 = cx - size * res / 2 + offset_m, cy + size * res / 2 - offset_m
    transform = Affine(res, 0, x0, 0, -res, y0)
    data = pattern_dn(size, size, seed, level)
    href = write_cog(root / f"{item_id}.tif", data, transform)
    corners = [_to_ll.transform(x, y) for x, y in
               ((x0, y0), (x0 + size * res, y0), (x0 + size * res, y0 - size * res),
                (x0, y0 - size * res))]
    geom = Polygon(corners)
    t = dt.datetime.fromisoformat(when).replace(tzinfo=dt.UTC)
    props = {"palsar2:frame": frame, "palsar2:beam": beam, "sat:orbit_state": pdir,
             "palsar2:look_side": beam[-1], "platform": "alos-2", "sar:instrument_mode": "U",
             "sar:polarizations": ["HH"], "palsar2:checksum": f"sha256:{item_id}"}
    return FakeItem(id=item_id, collection="StripMap_202401", start_time=t,
                    end_time=t + dt.timedelta(seconds=8), datetime=t + dt.timedelta(seconds=4),
                    geometry=geom, bbox=tuple(geom.bounds), properties=props,
                    assets={"HH": FakeAsset(str(href))},
                    geobox=GeoBox((size, size), transform, UTM))


@pytest.fixture(scope="session")
def cog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-cogs")


@pytest.fixture(scope="session")
def stand_in_catalog(cog_dir: Path) -> FakeCatalog:
    cat = FakeCatalog()
    for k, (iid, frame, when, beam, pdir, level) in enumerate(SCENES):
        cat._items[iid] = make_item(cog_dir, iid, frame, when, beam, pdir, level, seed=k,
                                    offset_m=3000.0 * k)
    return cat


def real_catalog_available() -> bool:
    try:
        import palsar2.catalog
        import palsar2.products.testing  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session")
def real_catalog(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real catalog with the SCENES ingested (products written by the products factory)."""
    if not real_catalog_available():
        pytest.skip("palsar2.catalog / palsar2.products.testing not available")
    from palsar2.catalog import open_catalog
    from palsar2.products.testing import write_sample_product

    root = tmp_path_factory.mktemp("server-real")
    sources = []
    for k, (iid, _frame, when, _beam, _pdir, level) in enumerate(SCENES):
        scene_id, product_id = iid.split("_")
        t = dt.datetime.fromisoformat(when).replace(tzinfo=dt.UTC)
        sigma0 = 20 * np.log10(level) - 83.0
        sources.append(write_sample_product(
            root / "products", scene_id=scene_id, product_id=product_id, shape=(1000, 1000),
            pixel_spacing=20.0, centre=(CENTRE[0] + 0.03 * k, CENTRE[1] - 0.02 * k),
            start_time=t, seed=k, sigma0_db=float(sigma0), rotation_deg=-10.0, fill=0.9).path)
    cat = open_catalog(root / "home")
    report = cat.ingest(sources)
    assert not report.failed, report.failed
    return cat


@pytest.fixture(scope="session")
def catalog(request: pytest.FixtureRequest) -> Any:
    """The real catalog when it is importable, else the stand-in: the server only needs the contract."""
    if real_catalog_available():
        return request.getfixturevalue("real_catalog")
    return request.getfixturevalue("stand_in_catalog")


@pytest.fixture(scope="session")
def results_dir(cog_dir: Path, catalog: Any) -> Path:
    """A change result for the 0750 pair: log_ratio.tif (float32, NaN nodata), classes.tif."""
    import json

    before, after = SCENES[0][0], SCENES[1][0]
    out = cog_dir / "results" / "noto-0750"
    out.mkdir(parents=True)
    item = catalog.get(before)
    size = 512
    t = item.geobox.affine * Affine.scale(2)  # 40 m grid over the same area
    lr = np.full((size, size), -1.5, dtype=np.float32)
    lr[:, : size // 2] = 2.0
    lr[:8, :] = np.nan
    write_cog(out / "log_ratio.tif", lr, t, nodata=float("nan"), resampling="average")
    cls = np.ones((size, size), dtype=np.uint8)
    cls[100:200, 100:200] = 11  # landslide block: 100 x 100 px of 40 m = 16 km^2
    cls[300:350, 300:400] = 12  # inundation: 50 x 100 px = 8 km^2
    cls[:8, :] = 0
    write_cog(out / "classes.tif", cls, t, nodata=0, resampling="nearest")
    (out / "stats.json").write_text(json.dumps({"before": before, "after": after,
                                                "method": "log_ratio"}))
    return out.parent


@pytest.fixture(scope="session")
def app(catalog: Any, results_dir: Path) -> Any:
    from palsar2.server import create_app

    return create_app(catalog, results_dir=results_dir, cors_origins=("http://example.org",))


@pytest.fixture(scope="session")
def client(app: Any) -> Any:
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving an app in a thread on a free loopback port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app: Any) -> Any:
    with LiveServer(app) as server:
        yield server


def decode_png(content: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(content)).convert("RGBA"))


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y

