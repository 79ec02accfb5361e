"""Cross-checks between a GeoTIFF grid and summary.txt corner coordinates (warnings, not errors).

summary.txt gives corners in degrees with 3 decimals, i.e. rounded by up to 0.0005 degrees
(56 m in latitude, less in longitude): a disagreement is only meaningful beyond that, so the
tolerance is ``max(2 pixels, rounding error)``.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
from odc.geo.geobox import GeoBox
from pyproj import Transformer

from palsar2.products.summary import Corners

__all__ = [
    "GridMismatchWarning",
    "corner_tolerance_m",
    "corners_outside_grid",
    "warn_corners_outside_grid",
]

_M_PER_DEG = 111_320.0
_ROUNDING_DEG = 0.0005


class GridMismatchWarning(UserWarning):
    """The GeoTIFF grid and summary.txt disagree by more than the summary's precision allows."""


def corner_tolerance_m(pixel_size_m: float) -> float:
    """Largest disagreement explained by the 3-decimal corners, or two pixels if larger."""
    rounding = _M_PER_DEG * _ROUNDING_DEG * math.sqrt(2.0)  # both coordinates rounded
    return max(2.0 * pixel_size_m, rounding)


@functools.lru_cache(maxsize=64)
def transformer(src: str, dst: str) -> Transformer:
    """A cached always-xy pyproj Transformer (creating one costs about a millisecond)."""
    return Transformer.from_crs(src, dst, always_xy=True)


def to_grid_xy(geobox: GeoBox, lonlat: np.ndarray) -> np.ndarray:
    """lon/lat points to the grid's CRS coordinates."""
    tr = transformer("EPSG:4326", geobox.crs.to_wkt())
    x, y = tr.transform(lonlat[:, 0], lonlat[:, 1])
    return np.c_[x, y]


def pixel_to_lonlat(geobox: GeoBox, xy: np.ndarray) -> np.ndarray:
    """Pixel-edge (col, row) coordinates of a grid to lon/lat, shape (N, 2)."""
    a = geobox.affine
    x = a.c + a.a * xy[:, 0] + a.b * xy[:, 1]
    y = a.f + a.d * xy[:, 0] + a.e * xy[:, 1]
    lon, lat = transformer(geobox.crs.to_wkt(), "EPSG:4326").transform(x, y)
    return np.c_[lon, lat]


def _metre_scale(geobox: GeoBox) -> float:
    """Metres per CRS unit (1 for projected grids, ~111 km for degrees)."""
    return 1.0 if not geobox.crs.geographic else _M_PER_DEG


def corners_outside_grid(geobox: GeoBox, corners: Corners) -> dict[str, float]:
    """Distance (metres) by which each summary image corner lies outside the grid (0 inside)."""
    names = Corners._fields
    pts = to_grid_xy(geobox, np.array([[p.lon, p.lat] for p in corners], dtype=float))
    x0, y0, x1, y1 = geobox.extent.boundingbox
    dx = np.maximum.reduce([x0 - pts[:, 0], pts[:, 0] - x1, np.zeros(len(pts))])
    dy = np.maximum.reduce([y0 - pts[:, 1], pts[:, 1] - y1, np.zeros(len(pts))])
    d = np.hypot(dx, dy) * _metre_scale(geobox)
    return {n: float(v) for n, v in zip(names, d)}


def warn_corners_outside_grid(geobox: GeoBox, corners: Corners, pixel_size_m: float,
                              where: str) -> None:
    """Warn when a summary corner lies outside the GeoTIFF grid by more than the tolerance."""
    tol = corner_tolerance_m(pixel_size_m)
    bad = {k: v for k, v in corners_outside_grid(geobox, corners).items() if v > tol}
    if bad:
        worst = max(bad, key=bad.__getitem__)
        warnings.warn(
            f"{where}: GeoTIFF grid and summary.txt disagree: image corner {worst} lies "
            f"{bad[worst]:.0f} m ({bad[worst] / pixel_size_m:.1f} px) outside the grid "
            f"(tolerance {tol:.0f} m = max(2 px, 3-decimal rounding))",
            GridMismatchWarning, stacklevel=3)
