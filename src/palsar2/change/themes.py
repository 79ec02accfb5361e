"""Thematic layers: terrain masks from a DEM and the look geometry, sea and lowland masks, shoreline advance.

Everything here runs on small coarse grids (tens of metres) or on plain arrays; the detector
computes these masks once per frame and resamples them to the image grid block by block (an
earlier attempt that measured distance to the sea with a 1 km halo on every block was 10x slower).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import ndimage as ndi

EARTH_RADIUS_M = 6_371_000.0
ALOS2_ALTITUDE_M = 628_000.0
# Ground-track heading at Noto's latitude (sun-synchronous, inclination 97.9 deg).
HEADING_DEG = {"ascending": 348.0, "descending": 192.0}


@dataclass(frozen=True)
class LookGeometry:
    """Where the radar looks from: heading, look side and off-nadir angle (incidence derived)."""

    pass_direction: str
    look_side: str  # "L" | "R"
    off_nadir_deg: float

    @property
    def heading_deg(self) -> float:
        return HEADING_DEG.get(self.pass_direction, 0.0)

    @property
    def look_azimuth_deg(self) -> float:
        """Azimuth (from north, clockwise) of the line of sight from the sensor to the ground."""
        return (self.heading_deg + (90.0 if self.look_side == "R" else -90.0)) % 360.0

    @property
    def incidence_deg(self) -> float:
        """Ellipsoid incidence angle from the off-nadir angle (spherical Earth)."""
        s = (EARTH_RADIUS_M + ALOS2_ALTITUDE_M) / EARTH_RADIUS_M * math.sin(math.radians(self.off_nadir_deg))
        return math.degrees(math.asin(min(s, 1.0)))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(look_azimuth_deg=self.look_azimuth_deg, incidence_deg=round(self.incidence_deg, 3))
        return d


def slope_aspect(dem: np.ndarray, spacing_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Slope (deg) and aspect (deg from north, clockwise, the downslope direction) of a north-up DEM."""
    z = np.where(np.isfinite(dem), dem, np.nanmean(dem) if np.isfinite(dem).any() else 0.0)
    dzdy, dzdx = np.gradient(z.astype(np.float64), spacing_m)  # rows go south: dz/dnorth = -dzdy
    dz_east, dz_north = dzdx, -dzdy
    slope = np.degrees(np.arctan(np.hypot(dz_east, dz_north)))
    aspect = (np.degrees(np.arctan2(-dz_east, -dz_north)) + 360.0) % 360.0
    slope[~np.isfinite(dem)] = np.nan
    return slope.astype(np.float32), aspect.astype(np.float32)


def range_slope(slope_deg: np.ndarray, aspect_deg: np.ndarray, look: LookGeometry) -> np.ndarray:
    """Terrain slope in the range plane (deg): positive when the facet tilts towards the sensor."""
    to_sensor = math.radians((look.look_azimuth_deg + 180.0) % 360.0)
    return np.degrees(np.arctan(np.tan(np.radians(slope_deg)) * np.cos(np.radians(aspect_deg) - to_sensor))
                      ).astype(np.float32)


def local_incidence(slope_deg: np.ndarray, aspect_deg: np.ndarray, look: LookGeometry) -> np.ndarray:
    """Local incidence angle (deg) between the facet normal and the line of sight."""
    th = math.radians(look.incidence_deg)
    s = np.radians(slope_deg)
    to_sensor = math.radians((look.look_azimuth_deg + 180.0) % 360.0)
    cos_li = np.cos(s) * math.cos(th) + np.sin(s) * math.sin(th) * np.cos(np.radians(aspect_deg) - to_sensor)
    return np.degrees(np.arccos(np.clip(cos_li, -1, 1))).astype(np.float32)


def terrain_masks(dem: np.ndarray, spacing_m: float, look: LookGeometry | None, *,
                  min_slope_deg: float = 10.0, foreshortening_margin_deg: float = 5.0) -> dict[str, np.ndarray]:
    """Slope, aspect, local incidence and the landslide-candidate mask (steep, no layover/shadow).

    Layover/shadow are local (facet) tests on the range-plane slope alpha_r: layover (and strong
    foreshortening) when alpha_r > incidence - ``foreshortening_margin_deg``, shadow when the facet
    tilts away by more than 90 deg - incidence.
    """
    slope, aspect = slope_aspect(dem, spacing_m)
    out = {"slope": slope, "aspect": aspect}
    steep = slope >= min_slope_deg
    if look is not None:
        li = local_incidence(slope, aspect, look)
        ar = range_slope(slope, aspect, look)
        th = look.incidence_deg
        layover = ar > th - foreshortening_margin_deg
        shadow = -ar > 90.0 - th
        out.update(local_incidence=li, range_slope=ar, layover=layover, shadow=shadow)
        steep &= ~layover & ~shadow
    out["landslide_ok"] = steep & np.isfinite(slope)
    return out


def sea_mask(water: np.ndarray, valid: np.ndarray, min_area_px: int) -> np.ndarray:
    """Sea: water components of at least ``min_area_px`` pixels, or touching the swath edge."""
    lab, n = ndi.label(water & valid)
    if n == 0:
        return np.zeros_like(water)
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    edge = ndi.binary_dilation(~valid) & valid
    touches = np.zeros(n + 1, bool)
    touches[np.unique(lab[edge & (lab > 0)])] = True
    keep = (sizes >= min_area_px) | (touches & (sizes >= max(4, min_area_px // 10)))
    keep[0] = False
    return keep[lab]


def distance_to(mask: np.ndarray, spacing_m: float) -> np.ndarray:
    """Distance (m) from each pixel to the nearest pixel of ``mask`` (inf when there is none)."""
    if not mask.any():
        return np.full(mask.shape, np.inf, np.float32)
    return (ndi.distance_transform_edt(~mask) * spacing_m).astype(np.float32)


def shoreline_advance(land_before: np.ndarray, new_land: np.ndarray, spacing_m: float, *,
                      step_m: float = 100.0, max_m: float = 1000.0) -> dict[str, Any]:
    """Seaward advance of the coast along shore-normal transects through the new land.

    Transects start every ``step_m`` along the pre-event shoreline (land pixels next to non-land),
    point seaward (down the gradient of the distance to land), and measure the run of new-land
    pixels crossed.
    """
    if not new_land.any() or not land_before.any():
        return {"transects": 0, "advancing": 0, "mean_m": 0.0, "median_m": 0.0, "max_m": 0.0,
                "coast_length_advancing_m": 0.0}
    dist_land = ndi.distance_transform_edt(~land_before)
    gy, gx = np.gradient(dist_land)
    shore = land_before & ndi.binary_dilation(~land_before, structure=np.ones((3, 3), bool))
    near_new = ndi.binary_dilation(new_land, iterations=2) & shore
    rr, cc = np.nonzero(near_new)
    if rr.size == 0:
        return {"transects": 0, "advancing": 0, "mean_m": 0.0, "median_m": 0.0, "max_m": 0.0,
                "coast_length_advancing_m": 0.0}
    # thin the shoreline points to one per step along the coast (greedy on a coarse lattice)
    cell = max(1, int(round(step_m / spacing_m)))
    key = (rr // cell) * (10**7) + (cc // cell)
    _, first = np.unique(key, return_index=True)
    rr, cc = rr[first], cc[first]
    adv = []
    n_steps = int(max_m / spacing_m)
    h, w = new_land.shape
    for r, c in zip(rr, cc, strict=True):
        # seaward direction: average gradient of distance-to-land in the 5x5 neighbourhood outside
        r0, r1, c0, c1 = max(r - 2, 0), min(r + 3, h), max(c - 2, 0), min(c + 3, w)
        dy, dx = float(gy[r0:r1, c0:c1].mean()), float(gx[r0:r1, c0:c1].mean())
        norm = math.hypot(dy, dx)
        if norm == 0:
            continue
        dy, dx = dy / norm, dx / norm
        run = 0
        started = False
        for k in range(1, n_steps):
            y, x = int(round(r + k * dy)), int(round(c + k * dx))
            if not (0 <= y < h and 0 <= x < w):
                break
            if new_land[y, x]:
                started = True
                run = k
            elif started or k > 3:
                break
        adv.append(run * spacing_m)
    a = np.array(adv) if adv else np.zeros(0)
    pos = a[a > 0]
    return {"transects": int(a.size), "advancing": int(pos.size),
            "mean_m": round(float(pos.mean()), 1) if pos.size else 0.0,
            "median_m": round(float(np.median(pos)), 1) if pos.size else 0.0,
            "p90_m": round(float(np.percentile(pos, 90)), 1) if pos.size else 0.0,
            "max_m": round(float(pos.max()), 1) if pos.size else 0.0,
            "coast_length_advancing_m": round(float(pos.size * cell * spacing_m), 1)}
