"""Small, realistic products for tests and benchmarks (the simulator makes the physical ones).

A sample product is a UTM 53N grid over the Noto Peninsula holding a rotated swath quadrilateral of
speckled DN with zeros around it, written with :func:`~palsar2.products.writer.write_product`.
``tests/conftest.py`` wraps these as the ``make_product`` and ``make_ee_export`` fixtures.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from odc.geo.geobox import GeoBox
from pyproj import Transformer

from palsar2.products.checks import pixel_to_lonlat
from palsar2.products.ids import ProductId, SceneId
from palsar2.products.writer import ProductSpec, write_product

__all__ = [
    "NOTO_CENTRE",
    "SampleProduct",
    "inside_quad",
    "quad_lonlat",
    "sample_spec",
    "swath_quad",
    "swath_source",
    "write_ee_export",
    "write_sample_product",
]

#: Map centre of Earth Engine's sample script (lon, lat): Wajima, Noto Peninsula.
NOTO_CENTRE = (137.2228, 37.1204)
DEFAULT_SCENE = "ALOS2518890750-240101"
DEFAULT_PRODUCT = "UBSL2.1GUA"


@dataclass(frozen=True)
class SampleProduct:
    path: Path
    spec: ProductSpec
    #: swath corners LT, RT, RB, LB in pixel-edge (col, row) coordinates
    quad: np.ndarray

    @property
    def quad_lonlat(self) -> np.ndarray:
        return quad_lonlat(self.spec.geobox, self.quad)


def sample_geobox(shape: tuple[int, int], pixel_spacing: float,
                  centre: tuple[float, float] = NOTO_CENTRE, epsg: int = 32653) -> GeoBox:
    """North-up UTM grid of ``shape`` (rows, cols) centred on ``centre`` (lon, lat)."""
    tr = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    cx, cy = tr.transform(*centre)
    h, w = shape
    x0 = math.floor((cx - w * pixel_spacing / 2) / pixel_spacing) * pixel_spacing
    y0 = math.ceil((cy + h * pixel_spacing / 2) / pixel_spacing) * pixel_spacing
    return GeoBox(shape, Affine(pixel_spacing, 0, x0, 0, -pixel_spacing, y0), f"EPSG:{epsg}")


def swath_quad(shape: tuple[int, int], rotation_deg: float = -12.0, fill: float = 0.86) -> np.ndarray:
    """Corners LT, RT, RB, LB (col, row) of a rectangle rotated by ``rotation_deg`` whose bounding
    box covers ``fill`` of the grid: an imaged swath inside its north-up frame."""
    h, w = shape
    t = math.radians(abs(rotation_deg))
    c, s = math.cos(t), math.sin(t)
    # half sizes (a across, b along) whose rotated bounding box is fill * (w, h)
    m = np.array([[c, s], [s, c]])
    a, b = np.linalg.solve(m, [fill * w / 2, fill * h / 2])
    if a <= 0 or b <= 0:
        raise ValueError(f"rotation {rotation_deg} too large for a {w} x {h} grid")
    r = math.radians(rotation_deg)
    rot = np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
    local = np.array([[-a, -b], [a, -b], [a, b], [-a, b]])
    return local @ rot.T + np.array([w / 2, h / 2])


def inside_quad(quad: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points inside a convex quadrilateral given clockwise on screen (y down)."""
    ok = np.ones(np.broadcast(x, y).shape, dtype=bool)
    for i in range(4):
        (x0, y0), (x1, y1) = quad[i], quad[(i + 1) % 4]
        ok &= (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) >= 0
    return ok


def swath_source(shape: tuple[int, int], quad: np.ndarray, *, seed: int = 0,
                 sigma0_db: float = -8.0, calibration_db: float = -83.0,
                 looks: float = 4.0) -> Callable[[int, int], np.ndarray]:
    """``(row0, row1) -> uint16 DN`` of speckled backscatter inside ``quad``, 0 outside.

    Deterministic per row (independent of how rows are blocked); a west-east gradient of 6 dB
    gives the image some structure.
    """
    w = shape[1]
    cols = np.arange(w) + 0.5
    gradient_db = sigma0_db + 6.0 * (cols / w - 0.5)
    power = 10.0 ** ((gradient_db - calibration_db) / 10.0)

    def rows(r0: int, r1: int) -> np.ndarray:
        out = np.zeros((r1 - r0, w), dtype=np.uint16)
        for i, r in enumerate(range(r0, r1)):
            inside = inside_quad(quad, cols, np.full(w, r + 0.5))
            if not inside.any():
                continue
            rng = np.random.default_rng([seed, r])
            intensity = power * rng.gamma(looks, 1.0 / looks, size=w)
            dn = np.clip(np.rint(np.sqrt(intensity)), 1, 65535).astype(np.uint16)
            out[i] = np.where(inside, dn, 0)
        return out

    return rows


def quad_lonlat(geobox: GeoBox, quad: np.ndarray) -> np.ndarray:
    """Pixel-edge (col, row) points to lon/lat."""
    return pixel_to_lonlat(geobox, quad)


def sample_spec(*, scene_id: str | SceneId = DEFAULT_SCENE, product_id: str | ProductId = DEFAULT_PRODUCT,
                shape: tuple[int, int] = (240, 200), pixel_spacing: float = 25.0,
                centre: tuple[float, float] = NOTO_CENTRE, epsg: int = 32653,
                start_time: datetime | None = None, duration_s: float = 10.0,
                off_nadir_deg: float = 32.4, polarisations: tuple[str, ...] = ("HH",),
                calibration_db: float = -83.0, dem: str = "GISMAP_Terrain",
                extra: dict[str, str] | None = None) -> ProductSpec:
    """A ProductSpec over Noto; the start time defaults to 03:00 UTC of the scene ID's date."""
    sid = SceneId.parse(scene_id) if isinstance(scene_id, str) else scene_id
    if start_time is None:
        start_time = datetime(sid.date.year, sid.date.month, sid.date.day, 3, 0, 0, tzinfo=UTC)
    return ProductSpec(
        scene_id=sid, product_id=product_id, geobox=sample_geobox(shape, pixel_spacing, centre, epsg),
        start_time=start_time, end_time=start_time + timedelta(seconds=duration_s),
        off_nadir_deg=off_nadir_deg, polarisations=tuple(polarisations),
        calibration_db=calibration_db, dem=dem, extra=dict(extra or {}))


def write_sample_product(out_root: str | os.PathLike, *, rotation_deg: float = -12.0,
                         fill: float = 0.86, seed: int = 0, sigma0_db: float = -8.0,
                         streamed: bool = True, block_rows: int = 64, **spec_kw: Any) -> SampleProduct:
    """Write a sample product under ``out_root`` (see :func:`sample_spec` for ``spec_kw``)."""
    spec = sample_spec(**spec_kw)
    shape = spec.geobox.shape
    quad = swath_quad(shape, rotation_deg, fill)
    data: dict[str, Any] = {}
    for i, pol in enumerate(spec.polarisations):
        src = swath_source(shape, quad, seed=seed + i, sigma0_db=sigma0_db - 7.0 * (pol != "HH"),
                           calibration_db=spec.calibration_db)
        data[pol] = src if streamed else src(0, shape[0])
    path = write_product(out_root, spec, data, block_rows=block_rows)
    return SampleProduct(path, spec, quad)


def write_ee_export(path: str | os.PathLike, *, shape: tuple[int, int] = (200, 220),
                    epsg: int = 4326, centre: tuple[float, float] = NOTO_CENTRE,
                    pixel_size: float | None = None, seed: int = 0, rotation_deg: float = -12.0,
                    sidecar: dict[str, Any] | None = None, dtype: str = "uint16") -> Path:
    """A GeoTIFF as Earth Engine exports band b1 (tiled, deflate, any CRS, no summary.txt).

    ``sidecar`` writes ``<path>.json`` beside it.
    """
    import rasterio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if pixel_size is None:
        pixel_size = 0.0003 if epsg == 4326 else 30.0
    if epsg == 4326:
        h, w = shape
        x0 = centre[0] - w * pixel_size / 2
        y0 = centre[1] + h * pixel_size / 2
        transform = Affine(pixel_size, 0, x0, 0, -pixel_size, y0)
    else:
        transform = sample_geobox(shape, pixel_size, centre, epsg).affine
    quad = swath_quad(shape, rotation_deg)
    dn = swath_source(shape, quad, seed=seed)(0, shape[0]).astype(dtype)
    profile = {"driver": "GTiff", "width": shape[1], "height": shape[0], "count": 1,
               "dtype": dtype, "crs": f"EPSG:{epsg}", "transform": transform, "tiled": True,
               "blockxsize": 256, "blockysize": 256, "compress": "deflate"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(dn, 1)
        dst.set_band_description(1, "b1")
    if sidecar is not None:
        Path(str(path) + ".json").write_text(json.dumps(sidecar), encoding="utf-8")
    return path
