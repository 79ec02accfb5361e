"""Terrain of the Noto peninsula: deterministic from a seed, evaluable on any grid.

Noto's relief (GSI 1:25,000 maps): hills of 200-570 m in Okunoto (Mt Takasu 567 m between Monzen
and Wajima, Mt Horyu about 470 m between Suzu and Noto town), the Hodatsu hills in the south (up to
about 560 m in this model), the Ochi rift lowland between Hakui and Nanao, steep dendritic valleys,
and small coastal plains at Wajima, Suzu, Noto town (Ukai/Ushitsu), Anamizu and Nanao.

The model: on a fixed 60 m grid over the region, isotropic spectral (FFT) noise, band-limited well
below that grid's Nyquist frequency, shapes smooth "massif" envelopes at those hills; height rises
from 0 at the real GSHHG shoreline with the distance inland and is lowered on the plains. Valleys are
the zero lines of a second noise field, folded with ``|n|`` on the output grid itself (so they stay
sharp at any spacing). Both fields are evaluated with cubic B-splines (separable on north-up UTM
grids), which leaves no lattice artifacts: the spectrum of the input has no energy near the 60 m
grid's frequencies.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import rasterio.features
import scipy.ndimage as ndi
import scipy.sparse as sp
import shapely
from affine import Affine
from odc.geo.geobox import GeoBox

from palsar2.simulate.geography import PLACES, UTM_CRS, land_utm, to_utm

GRID_RES = 60.0
GRID_BOUNDS = (600_000.0, 4_000_000.0, 762_000.0, 4_225_000.0)  # UTM 53N, covers REGION_LONLAT

# (name, lon, lat, amplitude m, radius m): Noto's hill masses, approximate.
MASSIFS = (
    ("Mt Takasu (Okunoto west)", 136.84, 37.33, 470.0, 9000.0),
    ("Mt Horyu (Okunoto east)", 137.13, 37.40, 360.0, 9000.0),
    ("Okunoto interior", 136.98, 37.33, 200.0, 16000.0),
    ("Hodatsu hills", 136.89, 36.88, 460.0, 8000.0),
    ("Nakanoto hills", 136.86, 36.98, 160.0, 12000.0),
    ("Sosogi coast", 137.02, 37.43, 160.0, 6000.0),
)
BACKGROUND_M = 90.0
# Low plains: (place, radius m). The Ochi rift is a line Hakui -> Nanao.
PLAINS = (("Wajima", 2200.0), ("Suzu", 2500.0), ("Noto town", 2500.0), ("Anamizu", 2200.0),
          ("Nanao", 3000.0), ("Monzen", 1500.0), ("Shika", 2000.0))
OCHI_RIFT = ((136.77, 36.89), (136.96, 37.04))
SHORE_RISE_M = 1200.0


def _spectral_noise(rng: np.random.Generator, shape: tuple[int, int], beta: float,
                    wl_min_m: float, wl_max_m: float) -> np.ndarray:
    """Isotropic Gaussian noise with power ~ k^-beta between two wavelengths (unit std)."""
    white = rng.standard_normal(shape).astype(np.float32)
    f = np.fft.rfft2(white)
    ky = np.fft.fftfreq(shape[0], d=GRID_RES)[:, None]
    kx = np.fft.rfftfreq(shape[1], d=GRID_RES)[None, :]
    k = np.hypot(kx, ky)
    k_lo, k_hi = 1.0 / wl_max_m, 1.0 / wl_min_m
    amp = np.where(k > 0, np.maximum(k, k_lo) ** (-beta / 2), 0.0)
    # Smooth roll-off above k_hi (no sharp ring in the spectrum, nothing near the grid frequency).
    amp *= np.exp(-((k / k_hi) ** 4))
    amp *= 1.0 - np.exp(-((k / k_lo) ** 2))
    out = np.fft.irfft2(f * amp, s=shape).astype(np.float32)
    out -= out.mean()
    out /= out.std() + 1e-12
    return out


def _grid_geobox() -> GeoBox:
    x0, y0, x1, y1 = GRID_BOUNDS
    shape = (round((y1 - y0) / GRID_RES), round((x1 - x0) / GRID_RES))
    return GeoBox(shape, Affine(GRID_RES, 0, x0, 0, -GRID_RES, y1), UTM_CRS)


def _bump(gx: np.ndarray, gy: np.ndarray, p: tuple[float, float], r: float) -> np.ndarray:
    return np.exp(-(((gx - p[0]) ** 2 + (gy - p[1]) ** 2) / r**2))


def _segment_distance(gx, gy, a, b):
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = np.clip(((gx - ax) * dx + (gy - ay) * dy) / (dx * dx + dy * dy), 0, 1)
    return np.hypot(gx - (ax + t * dx), gy - (ay + t * dy))


@lru_cache(maxsize=3)
def _patch_field(seed: int) -> np.ndarray:
    """Spline coefficients of a unit-std noise (wavelengths 300 m - 3 km) that patches land cover."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xC0E7]))
    n = _spectral_noise(rng, _grid_geobox().shape, beta=2.0, wl_min_m=300.0, wl_max_m=3_000.0)
    return ndi.spline_filter(n.astype(np.float64), order=3).astype(np.float32)


def patch_noise(geobox: GeoBox, seed: int = 0) -> np.ndarray:
    """Smooth unit-std noise on any grid, for the patchwork of fields, paddies and town edges."""
    return _evaluate(_patch_field(int(seed)), geobox)


def _evaluate(coef: np.ndarray, geobox: GeoBox) -> np.ndarray:
    x0, _, _, y1 = GRID_BOUNDS
    xs, ys, separable = _grid_coords(geobox)
    # Outside the model grid the fields are held at their edge values (clamped coordinates).
    tx = np.clip((xs - x0) / GRID_RES - 0.5, 0, coef.shape[1] - 1)
    ty = np.clip((y1 - ys) / GRID_RES - 0.5, 0, coef.shape[0] - 1)
    if separable:
        return _eval_separable(coef, ty, tx)
    return ndi.map_coordinates(coef, [ty, tx], order=3, prefilter=False,
                               mode="nearest").astype(np.float32)


@lru_cache(maxsize=3)
def _coarse_fields(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Spline coefficients of the smooth height envelope and of the valley noise on the 40 m grid."""
    gb = _grid_geobox()
    ny, nx = gb.shape
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x70E0]))
    relief = _spectral_noise(rng, (ny, nx), beta=3.4, wl_min_m=360.0, wl_max_m=25_000.0)
    valleys = _spectral_noise(rng, (ny, nx), beta=3.0, wl_min_m=450.0, wl_max_m=5_000.0)
    x0, _, _, y1 = GRID_BOUNDS
    gx = (x0 + (np.arange(nx, dtype=np.float32) + 0.5) * GRID_RES)[None, :]
    gy = (y1 - (np.arange(ny, dtype=np.float32) + 0.5) * GRID_RES)[:, None]
    env = np.full((ny, nx), BACKGROUND_M, np.float32)
    for _, lon, lat, a, r in MASSIFS:
        env += a * _bump(gx, gy, to_utm(lon, lat), r)
    env = np.minimum(env, 600.0)
    plains = np.ones((ny, nx), np.float32)
    for name, r in PLAINS:
        plains *= 1.0 - 0.9 * _bump(gx, gy, PLACES[name].xy, r)
    d_rift = _segment_distance(gx, gy, to_utm(*OCHI_RIFT[0]), to_utm(*OCHI_RIFT[1]))
    plains *= 1.0 - 0.9 * np.exp(-((d_rift / 2500.0) ** 2))
    land = rasterio.features.rasterize([(land_utm(), 1)], out_shape=(ny, nx), transform=gb.affine,
                                       dtype="uint8").astype(bool)
    dist = ndi.distance_transform_edt(land).astype(np.float32) * GRID_RES
    shore = 1.0 - np.exp(-dist / SHORE_RISE_M)
    base = env * (0.5 + 0.5 * (0.5 + 0.5 * np.tanh(1.2 * relief))) * plains * shore
    # Smooth the kink of the distance field at the shore a little (band-limit the envelope too).
    base = ndi.gaussian_filter(base, 1.5)
    return (ndi.spline_filter(base.astype(np.float64), order=3).astype(np.float32),
            ndi.spline_filter(valleys.astype(np.float64), order=3).astype(np.float32))


def _bspline_weights(t: np.ndarray, n: int) -> sp.csr_matrix:
    """Sparse (len(t), n) matrix of cubic B-spline weights at coefficient coordinates t."""
    fl = np.floor(t)
    f = t - fl
    w = np.stack([(1 - f) ** 3 / 6, (3 * f**3 - 6 * f**2 + 4) / 6,
                  (-3 * f**3 + 3 * f**2 + 3 * f + 1) / 6, f**3 / 6], axis=1)
    idx = np.clip(fl[:, None].astype(np.int64) - 1 + np.arange(4)[None, :], 0, n - 1)
    rows = np.repeat(np.arange(len(t)), 4)
    return sp.csr_matrix((w.ravel(), (rows, idx.ravel())), shape=(len(t), n))


def _eval_separable(coef: np.ndarray, ty: np.ndarray, tx: np.ndarray) -> np.ndarray:
    """Cubic B-spline of coefficients at the outer product of row coords ty and column coords tx."""
    r0 = max(int(np.floor(ty.min())) - 2, 0)
    r1 = min(int(np.floor(ty.max())) + 3, coef.shape[0])
    c0 = max(int(np.floor(tx.min())) - 2, 0)
    c1 = min(int(np.floor(tx.max())) + 3, coef.shape[1])
    sub = coef[r0:r1, c0:c1].astype(np.float64)
    wy = _bspline_weights(ty - r0, r1 - r0)
    wx = _bspline_weights(tx - c0, c1 - c0)
    return np.asarray((wx @ (wy @ sub).T).T, dtype=np.float32)


def _grid_coords(geobox: GeoBox) -> tuple[np.ndarray, np.ndarray, bool]:
    """Pixel-centre x (cols) and y (rows) in UTM 53N; separable if the grid is north-up UTM 53N."""
    a = geobox.affine
    ny, nx = geobox.shape
    if geobox.crs is not None and geobox.crs.epsg == 32653 and a.b == 0 and a.d == 0:
        xs = a.c + (np.arange(nx) + 0.5) * a.a
        ys = a.f + (np.arange(ny) + 0.5) * a.e
        return xs, ys, True
    from pyproj import Transformer

    cols, rows = np.meshgrid(np.arange(nx) + 0.5, np.arange(ny) + 0.5)
    x, y = a * (cols, rows)
    tr = Transformer.from_crs(geobox.crs.to_wkt(), UTM_CRS, always_xy=True)
    ux, uy = tr.transform(x, y)
    return np.asarray(ux), np.asarray(uy), False


def land_mask(geobox: GeoBox, land=None) -> np.ndarray:
    """Boolean land mask of a north-up UTM 53N grid from the (pre-event) GSHHG shoreline."""
    land = land_utm() if land is None else land
    x0, y0, x1, y1 = geobox.boundingbox
    part = land.intersection(shapely.box(x0, y0, x1, y1).buffer(100))
    if part.is_empty:
        return np.zeros(geobox.shape, bool)
    return rasterio.features.rasterize([(part, 1)], out_shape=geobox.shape, transform=geobox.affine,
                                       dtype="uint8").astype(bool)


def render_dem(geobox: GeoBox, seed: int = 0, *, land: np.ndarray | None = None) -> np.ndarray:
    """Terrain height (float32 metres above sea level, 0 on the sea) on any grid, from the seed."""
    base_c, valley_c = _coarse_fields(int(seed))
    base = _evaluate(base_c, geobox)
    n2 = _evaluate(valley_c, geobox)
    # V-shaped valleys along the zero lines of n2, folded at the output resolution.
    valley = 0.3 + 0.7 * np.minimum(np.abs(n2) / 1.2, 1.0) ** 0.8
    h = base * valley
    if land is None:
        xs, ys, separable = _grid_coords(geobox)
        land = land_mask(geobox) if separable else _land_points(xs, ys)
    return np.where(land, np.maximum(h, 0.5), 0.0).astype(np.float32)


def _land_points(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return shapely.contains_xy(land_utm(), xs, ys)


def gradient(dem: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """dz/dx (east) and dz/dy (north) of a north-up DEM (rows run south)."""
    gr, gc = np.gradient(dem.astype(np.float32), spacing)
    return gc.astype(np.float32), (-gr).astype(np.float32)


def slope_deg(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Terrain slope in degrees from the gradient."""
    return np.degrees(np.arctan(np.hypot(gx, gy))).astype(np.float32)


__all__ = ["GRID_RES", "gradient", "land_mask", "patch_noise", "render_dem", "slope_deg"]
