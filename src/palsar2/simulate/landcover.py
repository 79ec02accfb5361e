"""Land cover of the simulated Noto: sea, forest on slopes, paddies and fields on plains, towns.

Rules (Noto's land use: about 70 % forest, paddies on valley floors and coastal plains, dry fields
and grass on gentle slopes, compact towns on the coastal plains): towns within a radius that grows
with the GeoNames population around each real town position, on flat low ground; paddies on flat
ground (< 3 deg) below 80 m; fields on gentle slopes (< 10 deg) below 250 m; forest elsewhere. A
smooth noise field makes the patchwork irregular instead of contour-bound.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from odc.geo.geobox import GeoBox

from palsar2.simulate.dem import patch_noise
from palsar2.simulate.geography import noto_towns
from palsar2.simulate.radar import FIELD, FOREST, PADDY, SEA, URBAN


@lru_cache(maxsize=1)
def town_discs() -> tuple[tuple[float, float, float], ...]:
    """(x, y, radius m) of each town drawn: radius 250 m * sqrt(population / 1000), 300-1,800 m."""
    out = []
    for t in noto_towns():
        r = float(np.clip(250.0 * np.sqrt(max(t.population, 1000) / 1000.0), 300.0, 1800.0))
        out.append((*t.xy, r))
    return tuple(out)


def town_mask(geobox: GeoBox, noise: np.ndarray) -> np.ndarray:
    """Pixels within a town's (noisy-edged) disc."""
    a = geobox.affine
    ny, nx = geobox.shape
    xs = a.c + (np.arange(nx) + 0.5) * a.a
    ys = a.f + (np.arange(ny) + 0.5) * a.e
    out = np.zeros((ny, nx), bool)
    for x, y, r in town_discs():
        cols = np.nonzero(np.abs(xs - x) < 1.4 * r)[0]
        rows = np.nonzero(np.abs(ys - y) < 1.4 * r)[0]
        if len(cols) == 0 or len(rows) == 0:
            continue
        sl = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        d = np.hypot(xs[sl[1]][None, :] - x, ys[sl[0]][:, None] - y)
        out[sl] |= d < r * (1.0 + 0.3 * noise[sl])
    return out


def classify(geobox: GeoBox, dem: np.ndarray, slope: np.ndarray, land: np.ndarray,
             seed: int = 0) -> np.ndarray:
    """Cover class per pixel (radar.SEA, FOREST, PADDY, FIELD, URBAN) on the grid."""
    noise = patch_noise(geobox, seed)
    cover = np.full(geobox.shape, FOREST, np.uint8)
    field = (slope < 6.0 + 3.0 * noise) & (dem < 150.0)
    cover[field] = FIELD
    paddy = (slope < 3.0 + 1.5 * noise) & (dem < 80.0) & (noise > -0.8)
    cover[paddy] = PADDY
    town = town_mask(geobox, noise) & (dem < 60.0) & (slope < 12.0)
    cover[town] = URBAN
    cover[~land] = SEA
    return cover
