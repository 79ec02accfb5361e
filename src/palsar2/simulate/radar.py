"""L-band HH radar physics of the simulator: sigma0 per cover class, terrain geometry, speckle, DN.

sigma0 table (L-band HH, dB, at 35 deg local incidence, and its slope in dB per degree). Sources and
reasoning:

- calm sea -27 dB, -0.5 dB/deg: L-band HH sea clutter at 30-40 deg and low wind is -25..-35 dB
  (Ulaby, Moore and Fung vol. III; ALOS/PALSAR ocean studies; Isoguchi & Shimada 2009); in a -24 dB
  NESZ product the sea shows at about the noise floor, as real ultra-fine scenes do.
- forest -8 dB, -0.05 dB/deg: volume scattering, gamma0 nearly constant; PALSAR HH of closed
  Japanese forest is -7..-9 dB (Shimada et al. 2014 global mosaic, JAXA FNF thresholds).
- paddy in winter (drained stubble) -15 dB, dry fields -13 dB, -0.25 dB/deg: rough bare/stubble soil
  -12..-18 dB at L-band HH (Rosenqvist 1999; Oh et al. 1992 surface model behaviour).
- flooded paddy (early summer, transplanting) -21 dB, -0.6 dB/deg: specular water with sparse young
  rice; darker than dry soil by 5-8 dB (Rosenqvist 1999 JERS-1; PALSAR paddy mapping).
- towns +1 dB with gamma texture (order 2): double bounce of walls and ground, 0..+3 dB and very
  heterogeneous (PALSAR urban studies; ALOS-2 building damage papers).
- new land (uplifted wave-cut bench, wet rock and boulders) -11 dB: rough rock surfaces; GSI's
  ALOS-2 intensity images show the uplifted bench as a bright band against the dark sea.
- landslide scar / debris -10 dB, -0.4 dB/deg: bare surface scattering that depends strongly on the
  local incidence, so a slide on a slope facing the radar gets brighter than the forest it replaced
  and one facing away darker (Yamashita et al.; ALOS-2 landslide papers).
- residual tsunami water -22 dB, -0.6 dB/deg (specular); burnt district (ash, rubble, no standing
  walls) -14 dB; collapsed blocks -6 dB (double bounce lost: 5-8 dB decrease, Watanabe et al. 2016
  ALOS-2 Kumamoto); solar farm -19 dB (panels reflect away at L-band); beach/bare -16 dB.

Geometry: L2.1 is orthorectified but not terrain-flattened, so the sigma0 a pixel shows is the local
sigma0 (at the local incidence angle, from the DEM normal and the line of sight) times the area
factor ``sin(theta) / sin(theta - alpha_r)`` (alpha_r the terrain slope toward the radar in the range
plane): foreshortened slopes are bright, layover (theta - alpha_r <= 0) is capped bright, and
shadow holds only noise: per pixel where the local incidence reaches 90 deg, and terrain-cast where
nearer terrain blocks the line of sight (:func:`cast_shadow`, a ray march along range).

Speckle: complex circular Gaussian from a counter-based hash of (seed, scene, row, column), so any
block of any scene is reproducible on its own; correlated with a 3x3 kernel in the complex domain
(the system impulse response) and then lightly in intensity (the orthorectification resampling):
single-look intensity statistics with ENL ~1.14 on raw pixels (theory below, tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

NOISE_FLOOR_DB = -24.0
CALIBRATION_DB = -83.0
REF_INCIDENCE_DEG = 35.0
LAYOVER_GAIN_MAX = 10.0   # cap of the foreshortening area factor (10 dB)

# Simulator cover classes (internal; truth uses palsar2.change.classes codes).
SEA, FOREST, PADDY, FIELD, URBAN, BARE = 0, 1, 2, 3, 4, 5
NEW_LAND, LANDSLIDE, FLOOD_WATER, BURNT, COLLAPSED, FLOODED_PADDY, SOLAR = 6, 7, 8, 9, 10, 11, 12
COVER_NAMES = {SEA: "sea", FOREST: "forest", PADDY: "paddy", FIELD: "field", URBAN: "urban",
               BARE: "bare", NEW_LAND: "new_land", LANDSLIDE: "landslide",
               FLOOD_WATER: "flood_water", BURNT: "burnt", COLLAPSED: "collapsed",
               FLOODED_PADDY: "flooded_paddy", SOLAR: "solar_farm"}


@dataclass(frozen=True)
class Backscatter:
    """sigma0 of a cover class at the reference incidence, its incidence slope and texture."""

    db_at_35: float
    db_per_deg: float
    texture_order: float = 0.0  # gamma texture order (0: homogeneous)


SIGMA0: dict[int, Backscatter] = {
    SEA: Backscatter(-27.0, -0.5),
    FOREST: Backscatter(-8.0, -0.05),
    PADDY: Backscatter(-15.0, -0.25),
    FIELD: Backscatter(-13.0, -0.25),
    URBAN: Backscatter(1.0, -0.15, 2.0),
    BARE: Backscatter(-16.0, -0.3),
    NEW_LAND: Backscatter(-11.0, -0.3),
    LANDSLIDE: Backscatter(-10.0, -0.4),
    FLOOD_WATER: Backscatter(-22.0, -0.6),
    BURNT: Backscatter(-14.0, -0.2),
    COLLAPSED: Backscatter(-6.0, -0.2, 2.0),
    FLOODED_PADDY: Backscatter(-21.0, -0.6),
    SOLAR: Backscatter(-19.0, -0.3),
}
N_CLASSES = max(SIGMA0) + 1
_REF = np.array([SIGMA0[c].db_at_35 for c in range(N_CLASSES)], np.float32)
_SLOPE = np.array([SIGMA0[c].db_per_deg for c in range(N_CLASSES)], np.float32)
TEXTURE_ORDER = np.array([SIGMA0[c].texture_order for c in range(N_CLASSES)], np.float32)

# Speckle correlation kernels (separable): complex [1/4, 1/2, 1/4], intensity [a, 1-2a, a].
COMPLEX_KERNEL = np.array([0.25, 0.5, 0.25])
INTENSITY_A = 0.03


def theoretical_enl() -> float:
    """ENL of raw pixels implied by the two kernels: 1 / sum_ij w_i w_j |rho_ij|^2 (2-D)."""
    c = COMPLEX_KERNEL
    rho = np.correlate(c, c, "full") / np.sum(c * c)  # lags -2..2
    w = np.array([INTENSITY_A, 1 - 2 * INTENSITY_A, INTENSITY_A])
    s = sum(w[i] * w[j] * rho[i - j + 2] ** 2 for i in range(3) for j in range(3))
    return float(1.0 / s**2)


def sigma0_db(cover: np.ndarray, local_incidence_deg: np.ndarray) -> np.ndarray:
    """Local sigma0 (dB) of each pixel's class at its local incidence angle."""
    th = np.clip(local_incidence_deg, 0.0, 89.0)
    return _REF[cover] + _SLOPE[cover] * (th - REF_INCIDENCE_DEG)


def terrain_geometry(gx: np.ndarray, gy: np.ndarray, incidence_deg: np.ndarray,
                     far_unit: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Local incidence (deg) and the foreshortening area factor from the DEM gradient.

    ``gx, gy``: dz/dx (east) and dz/dy (north); ``far_unit``: horizontal unit vector toward far range
    (away from the satellite). Area factor: inf-capped in layover, 0 in shadow.
    """
    th = np.radians(incidence_deg)
    fx, fy = far_unit
    # Line of sight ground -> radar: horizontal part points to near range (toward the satellite).
    lx, ly, lz = -fx * np.sin(th), -fy * np.sin(th), np.cos(th)
    norm = np.sqrt(gx * gx + gy * gy + 1.0)
    cos_loc = (-gx * lx - gy * ly + lz) / norm
    local = np.degrees(np.arccos(np.clip(cos_loc, -1.0, 1.0)))
    # Slope facing the radar in the range plane (positive: terrain rises toward far range).
    alpha = np.arctan(gx * fx + gy * fy)
    d = th - alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(d > 0, np.sin(th) / np.sin(d), LAYOVER_GAIN_MAX)
    gain = np.minimum(gain, LAYOVER_GAIN_MAX)
    gain = np.where(local >= 90.0, 0.0, gain)  # shadow: nothing comes back
    return local.astype(np.float32), gain.astype(np.float32)


@numba.njit(cache=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:
    # splitmix64 finaliser
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def _gauss_pair(key: np.uint64, row: np.int64, col: np.int64) -> tuple[float, float]:
    idx = (np.uint64(row) << np.uint64(24)) ^ np.uint64(col)
    h1 = _mix(key ^ (idx * np.uint64(0x9E3779B97F4A7C15)))
    h2 = _mix(h1 + np.uint64(0x632BE59BD9B4E019))
    u1 = ((h1 >> np.uint64(11)) + np.uint64(1)) * (1.0 / 9007199254740993.0)
    u2 = (h2 >> np.uint64(11)) * (1.0 / 9007199254740992.0)
    r = np.sqrt(-2.0 * np.log(u1))
    return r * np.cos(2.0 * np.pi * u2), r * np.sin(2.0 * np.pi * u2)


@numba.njit(cache=True)
def _speckle(key: np.uint64, row0: np.int64, nrows: np.int64, ncols: np.int64,
             kc: np.ndarray, a: float) -> np.ndarray:
    h = 2  # halo: 1 for the complex kernel + 1 for the intensity kernel
    R, C = nrows + 2 * h, ncols + 2 * h
    re = np.empty((R, C), np.float32)
    im = np.empty((R, C), np.float32)
    for i in range(R):
        for j in range(C):
            x, y = _gauss_pair(key, row0 - h + i, j - h)
            re[i, j] = x
            im[i, j] = y
    # complex correlation (separable), then intensity
    norm = 0.0
    for i in range(3):
        for j in range(3):
            norm += (kc[i] * kc[j]) ** 2
    scale = 1.0 / (2.0 * norm)  # E|z|^2 = 1 after the kernel (re, im each of variance 1)
    tr = np.zeros((R, C), np.float32)
    ti = np.zeros((R, C), np.float32)
    for i in range(R):
        for j in range(1, C - 1):
            tr[i, j] = kc[0] * re[i, j - 1] + kc[1] * re[i, j] + kc[2] * re[i, j + 1]
            ti[i, j] = kc[0] * im[i, j - 1] + kc[1] * im[i, j] + kc[2] * im[i, j + 1]
    inten = np.zeros((R, C), np.float32)
    for i in range(1, R - 1):
        for j in range(1, C - 1):
            zr = kc[0] * tr[i - 1, j] + kc[1] * tr[i, j] + kc[2] * tr[i + 1, j]
            zi = kc[0] * ti[i - 1, j] + kc[1] * ti[i, j] + kc[2] * ti[i + 1, j]
            inten[i, j] = (zr * zr + zi * zi) * scale
    w0, w1 = a, 1.0 - 2.0 * a
    t2 = np.zeros((R, C), np.float32)
    for i in range(1, R - 1):
        for j in range(h, C - h):
            t2[i, j] = w0 * inten[i, j - 1] + w1 * inten[i, j] + w0 * inten[i, j + 1]
    out = np.empty((nrows, ncols), np.float32)
    for i in range(nrows):
        for j in range(ncols):
            ii, jj = i + h, j + h
            out[i, j] = w0 * t2[ii - 1, jj] + w1 * t2[ii, jj] + w0 * t2[ii + 1, jj]
    return out


def speckle(key: int, row0: int, nrows: int, ncols: int) -> np.ndarray:
    """Unit-mean single-look speckle intensity for rows [row0, row0+nrows) of a scene (by key)."""
    return _speckle(np.uint64(key & 0xFFFFFFFFFFFFFFFF), np.int64(row0), np.int64(nrows),
                    np.int64(ncols), COMPLEX_KERNEL.astype(np.float64), float(INTENSITY_A))


@numba.njit(cache=True)
def _gamma_texture(key: np.uint64, row0: np.int64, nrows: np.int64, ncols: np.int64,
                   order: np.ndarray, cover: np.ndarray) -> np.ndarray:
    # Gamma(order=2) texture as the mean of 2 unit exponentials (product of hashed uniforms).
    out = np.ones((nrows, ncols), np.float32)
    for i in range(nrows):
        for j in range(ncols):
            k = order[cover[i, j]]
            if k > 0:
                x, y = _gauss_pair(key ^ np.uint64(0xA5A5A5A5), row0 + i, j)
                z, w = _gauss_pair(key ^ np.uint64(0x5A5A5A5A), row0 + i, j)
                out[i, j] = (x * x + y * y + z * z + w * w) / 4.0  # chi2(4)/4: gamma order 2
    return out


def texture(key: int, row0: int, cover: np.ndarray) -> np.ndarray:
    """Unit-mean gamma texture for heterogeneous classes (towns), 1 elsewhere."""
    return _gamma_texture(np.uint64(key & 0xFFFFFFFFFFFFFFFF), np.int64(row0),
                          np.int64(cover.shape[0]), np.int64(cover.shape[1]), TEXTURE_ORDER,
                          cover.astype(np.int64))


def power_to_dn(power: np.ndarray, inside: np.ndarray,
                calibration_db: float = CALIBRATION_DB) -> np.ndarray:
    """DN = round(sqrt(power / 10^(cal/10))), >= 1 inside the swath, 0 outside."""
    dn = np.rint(np.sqrt(np.maximum(power, 0.0) / 10.0 ** (calibration_db / 10.0)))
    dn = np.clip(dn, 1, 65535).astype(np.uint16)
    dn[~inside] = 0
    return dn


def noise_power() -> float:
    """Noise-equivalent sigma0 in linear power."""
    return 10.0 ** (NOISE_FLOOR_DB / 10.0)


@numba.njit(cache=True)
def _cast_shadow(dem: np.ndarray, spacing: float, drow: float, dcol: float,
                 cot_inc: np.ndarray) -> np.ndarray:
    ny, nx = dem.shape
    hmax = dem.max()
    out = np.zeros((ny, nx), np.bool_)
    for i in range(ny):
        for j in range(nx):
            h0 = dem[i, j]
            t = cot_inc[i, j] * spacing
            k = 1
            while True:
                rise = h0 + k * t
                if rise > hmax:
                    break
                r = int(np.floor(i + k * drow + 0.5))
                c = int(np.floor(j + k * dcol + 0.5))
                if r < 0 or r >= ny or c < 0 or c >= nx:
                    break
                if dem[r, c] > rise:
                    out[i, j] = True
                    break
                k += 1
    return out


def cast_shadow(dem: np.ndarray, spacing: float, toward_radar: tuple[float, float],
                incidence_deg: np.ndarray) -> np.ndarray:
    """Pixels whose line of sight to the radar is blocked by terrain nearer in range.

    ``toward_radar``: horizontal unit vector (east, north) from the ground toward the satellite.
    The ray rises at the elevation angle 90 - incidence; it is marched one pixel at a time on the
    DEM's grid (rows run south) until it clears the highest point of the DEM.
    """
    ex, ny_ = toward_radar
    cot = (1.0 / np.tan(np.radians(np.asarray(incidence_deg, np.float64)))).astype(np.float64)
    cot = np.broadcast_to(cot, dem.shape).copy()
    return _cast_shadow(dem.astype(np.float64), float(spacing), float(-ny_), float(ex), cot)
