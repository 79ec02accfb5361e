"""Factories for change tests: synthetic single-look pairs with known change patches."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from affine import Affine
from odc.geo.geobox import GeoBox

from palsar2.change import classes as C

# Noto-ish UTM 53N origin
X0, Y0 = 590_000.0, 4_140_000.0


@dataclass
class Scene:
    before: np.ndarray  # linear power, single-look speckle, NaN outside
    after: np.ndarray
    gbox: GeoBox
    truth: np.ndarray   # uint8 class codes
    mean_before: np.ndarray
    mean_after: np.ndarray
    dem: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def geobox(shape, spacing=10.0) -> GeoBox:
    return GeoBox(shape, Affine(spacing, 0, X0, 0, -spacing, Y0), "EPSG:32653")


def db(x):
    return 10 ** (np.asarray(x, np.float64) / 10)


def make_scene(shape=(300, 300), spacing=10.0, seed=0, *, sea_rows=0, patches=(), urban=(), looks=1,
               new_land_rows=0, nan_border=0) -> Scene:
    """Land at -8 dB (forest); optional sea (top rows, -25 dB) with new land (-10 dB after) at its edge;
    change patches (r0, r1, c0, c1, dB change, class code); urban blocks (r0, r1, c0, c1) at +2 dB."""
    rng = np.random.default_rng(seed)
    mb = np.full(shape, db(-8.0))
    truth = np.full(shape, C.NO_CHANGE, np.uint8)
    if sea_rows:
        mb[:sea_rows] = db(-25.0)
    for r0, r1, c0, c1 in urban:
        mb[r0:r1, c0:c1] = db(2.0)
    ma = mb.copy()
    if new_land_rows:
        ma[sea_rows - new_land_rows:sea_rows] = db(-10.0)
        truth[sea_rows - new_land_rows:sea_rows] = C.NEW_LAND
    for r0, r1, c0, c1, change, code in patches:
        ma[r0:r1, c0:c1] = mb[r0:r1, c0:c1] * db(change)
        truth[r0:r1, c0:c1] = code
    sb = rng.gamma(looks, 1 / looks, shape)
    sa = rng.gamma(looks, 1 / looks, shape)
    b, a = (mb * sb).astype(np.float32), (ma * sa).astype(np.float32)
    if nan_border:
        for x in (b, a):
            x[:nan_border] = np.nan
            x[:, :nan_border] = np.nan
        truth[:nan_border] = C.NODATA
        truth[:, :nan_border] = C.NODATA
    return Scene(b, a, geobox(shape, spacing), truth, mb.astype(np.float32), ma.astype(np.float32))


@pytest.fixture
def scene_factory():
    return make_scene
