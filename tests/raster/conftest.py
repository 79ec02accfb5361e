"""Fixtures for the raster tests: a stand-in for catalog Items and a factory of small DN COGs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from odc.geo.geobox import GeoBox


@dataclass(frozen=True)
class FakeAsset:
    href: str


@dataclass(frozen=True)
class FakeItem:
    """The part of ``palsar2.catalog.Item`` the raster package relies on."""

    id: str
    assets: dict[str, FakeAsset]
    calibration_db: float
    geobox: Any
    start_time: dt.datetime = field(default_factory=lambda: dt.datetime(2024, 1, 1, 14, tzinfo=dt.UTC))


def utm_geobox(rows: int, cols: int, x0: float = 600000.0, y0: float = 4140000.0, res: float = 10.0) -> GeoBox:
    """A north-up UTM 53N grid (Noto) with its top-left corner at (x0, y0)."""
    return GeoBox.from_bbox((x0, y0 - rows * res, x0 + cols * res, y0), "EPSG:32653", resolution=res)


def write_dn(path: Path, dn: np.ndarray, geobox: GeoBox) -> Path:
    """A tiled uint16 GeoTIFF with nodata 0, like the catalog's COG copies."""
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", width=dn.shape[1], height=dn.shape[0], count=1,
                       dtype="uint16", crs="EPSG:32653", transform=geobox.affine, nodata=0, tiled=True,
                       blockxsize=64, blockysize=64, compress="deflate") as dst:
        dst.write(dn.astype(np.uint16), 1)
    return path


def speckled_dn(rng: np.random.Generator, shape: tuple[int, int], mean_power: float = 1e-2,
                calibration_db: float = -83.0, swath: bool = True) -> np.ndarray:
    """Single-look DN (exponential intensity) with zeros outside a rotated-swath-like wedge."""
    power = rng.exponential(mean_power, shape)
    dn = np.clip(np.rint(np.sqrt(power / 10 ** (calibration_db / 10))), 1, 65535).astype(np.uint16)
    if swath:
        r, c = np.mgrid[: shape[0], : shape[1]]
        dn[(c < 0.3 * r) | (c > shape[1] - 0.2 * (shape[0] - r))] = 0
    return dn


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def make_item(tmp_path: Path, rng: np.random.Generator) -> Callable[..., FakeItem]:
    """make_item(id, dn=None, geobox=None, shape=(90, 130), calibration_db=-83.0, start_time=None)."""

    def make(item_id: str = "ALOS2552020760-240101_UBSL2.1GUD", dn: np.ndarray | None = None,
             geobox: GeoBox | None = None, shape: tuple[int, int] = (90, 130),
             calibration_db: float = -83.0, start_time: dt.datetime | None = None) -> FakeItem:
        if dn is None:
            dn = speckled_dn(rng, shape, calibration_db=calibration_db)
        gbox = geobox or utm_geobox(*dn.shape)
        href = write_dn(tmp_path / f"{item_id}.tif", dn, gbox)
        kw = {} if start_time is None else {"start_time": start_time}
        return FakeItem(item_id, {"HH": FakeAsset(str(href))}, calibration_db, gbox, **kw)

    return make
