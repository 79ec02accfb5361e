"""The 18 scenes of StripMap_202401: orbits, times, frames and imaging geometry.

Orbit arithmetic (ALOS-2: sun-synchronous, 14-day repeat, 207 orbits a cycle, i.e. 14 11/14
revolutions a day, period 97.39 min; inclination 97.92 deg, altitude 628 km). The anchor is JAXA's
own example scene ``ALOS2552020760-240812`` (orbit 55202, frame 0760, path 121 by
``(14*orbit + 24) % 207``): 2024-08-12 is 16 cycles after 2024-01-01, so the 2024-01-01 ascending
pass over Noto on path 121 is orbit 55202 - 16*207 = 51890. Every other orbit number follows from
elapsed time: orbit n crosses the ascending node (51890 + k) at 2024-01-01 14:00 UTC + k periods;
frame f is reached ``f/7200`` of a period after the node (frame 0760 at 23:10 JST, the pass the
SCIENCE.md fire note names). That gives, with no tuning: path 26 (descending) 8 orbits later on
2024-01-02, path 127 30 orbits later on 2024-01-03, path 128 104 orbits later on 2024-01-08, and a
whole number of 207-orbit cycles back to 2022-09-26, 2023-06-06 and 2023-12-06. A circular-orbit
ground-track model (:func:`subsatellite`) then puts path 121 and path 26 east/west of Noto on the
left-looking side and paths 127/128 west of it on the right-looking side.

2024-01-08: JAXA lists this pass as U3-13 right-looking. No orbit of the 14-day repeat can be on path
127 five days after 2024-01-03 (paths repeat only every 14 days), so the simulator puts it on path
128 with beam U3-13R (a larger off-nadir angle, from a track 1.74 deg further west). Its two scenes
therefore have no pre-event twin of the same geometry: change detection must not pair them with the
path-127 scenes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from palsar2.simulate.geography import to_lonlat, to_utm

EARTH_RADIUS_M = 6_371_000.0
ALTITUDE_M = 628_000.0
INCLINATION_DEG = 97.92
ORBITS_PER_CYCLE = 207
CYCLE_DAYS = 14
PERIOD_S = CYCLE_DAYS * 86400.0 / ORBITS_PER_CYCLE
ANCHOR_ORBIT = 51890
ANCHOR_NODE_TIME = dt.datetime(2024, 1, 1, 14, 0, 0, tzinfo=dt.UTC)
ANCHOR_NODE_LON = 150.40  # deg E: puts the path-121 track about 410 km east of Noto
FRAMES_PER_ORBIT = 7200
FRAME_STEP_M = 5560.0     # along-track distance of one frame number: 0.05 deg of orbit, 5.56 km
EVENT_DATE = dt.date(2024, 1, 1)
SWATH_WIDTH_M = 56_000.0   # image width across track (ultra-fine ~ 50-58 km)
SCENE_LENGTH_M = 70_000.0  # image length along track


def path_of(orbit: int) -> int:
    """JAXA path (track) number of an absolute orbit, ``(14*orbit + 24) % 207``."""
    return (14 * orbit + 24) % ORBITS_PER_CYCLE


def frame_time(orbit: int, frame: int) -> dt.datetime:
    """UTC time at which an orbit reaches a frame number (scene centre)."""
    s = (orbit - ANCHOR_ORBIT) * PERIOD_S + frame / FRAMES_PER_ORBIT * PERIOD_S
    return ANCHOR_NODE_TIME + dt.timedelta(seconds=s)


def orbit_for(date: dt.date, path: int, frame: int) -> int:
    """The absolute orbit on a path that reaches ``frame`` on ``date`` (SimulationError if none)."""
    from palsar2.errors import SimulationError

    noon = dt.datetime.combine(date, dt.time(12), tzinfo=dt.UTC)
    k0 = int((noon - ANCHOR_NODE_TIME).total_seconds() // PERIOD_S) + ANCHOR_ORBIT
    for n in range(k0 - 20, k0 + 21):
        if path_of(n) == path and frame_time(n, frame).date() == date:
            return n
    raise SimulationError(f"no orbit on path {path} reaches frame {frame:04d} on {date} "
                          f"(14-day repeat: paths come back every {CYCLE_DAYS} days)")


def subsatellite(orbit: int, frame: int) -> tuple[float, float]:
    """Sub-satellite lon/lat at a frame of an orbit (circular sun-synchronous orbit model)."""
    inc = math.radians(INCLINATION_DEG)
    u = math.radians(frame / FRAMES_PER_ORBIT * 360.0)
    node_lon = ANCHOR_NODE_LON - (orbit - ANCHOR_ORBIT) * 360.0 * CYCLE_DAYS / ORBITS_PER_CYCLE
    lat = math.degrees(math.asin(math.sin(inc) * math.sin(u)))
    lon = node_lon + math.degrees(math.atan2(math.cos(inc) * math.sin(u), math.cos(u)))
    lon -= 360.0 / 86400.0 * (frame / FRAMES_PER_ORBIT * PERIOD_S)  # Earth turns under the orbit
    return (lon + 180.0) % 360.0 - 180.0, lat


def ground_range_to_angles(ground_range_m: np.ndarray | float) -> tuple:
    """Off-nadir and incidence angles (degrees) at a ground range from nadir, spherical Earth."""
    g = np.asarray(ground_range_m, dtype=np.float64)
    gamma = g / EARTH_RADIUS_M
    r = EARTH_RADIUS_M
    beta = np.arctan2(r * np.sin(gamma), r + ALTITUDE_M - r * np.cos(gamma))
    return np.degrees(beta), np.degrees(beta + gamma)


def off_nadir_to_ground_range(off_nadir_deg: float) -> float:
    """Ground range (m) from nadir at which the beam centre of an off-nadir angle lands."""
    lo, hi = 0.0, 1_500_000.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if ground_range_to_angles(mid)[0] < off_nadir_deg:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def haversine_m(lon1, lat1, lon2, lat2) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Geometry:
    """One imaging geometry of the collection (a path with its beam, look side and pass)."""

    path: int
    beam: str              # e.g. "U2-6L"
    look_side: str         # "L" | "R"
    pass_direction: str    # "ascending" | "descending"
    off_nadir_deg: float   # beam centre, as in summary.txt Img_OffNadirAngle
    ref_frame: int
    ref_center_lonlat: tuple[float, float]  # scene centre of ref_frame: where JAXA's frame lies

    @property
    def heading_deg(self) -> float:
        """Satellite heading (grid azimuth) over Noto: about -10 ascending, 190 descending."""
        return -9.9 if self.pass_direction == "ascending" else 189.9

    @property
    def look_azimuth_deg(self) -> float:
        """Azimuth of the line of sight, satellite to ground (heading -/+ 90 deg)."""
        return self.heading_deg + (90.0 if self.look_side == "R" else -90.0)

    def center_xy(self, frame: int) -> tuple[float, float]:
        """Scene centre (UTM 53N) of a frame: the reference centre moved along the track."""
        x, y = to_utm(*self.ref_center_lonlat)
        h = math.radians(self.heading_deg)
        s = (frame - self.ref_frame) * FRAME_STEP_M
        return float(x + s * math.sin(h)), float(y + s * math.cos(h))


# Scene centres chosen so that the frames cover the peninsula as JAXA's do (ascending frames
# 0750-0770 and descending 2820-2840 in three 70 km steps over the whole peninsula, 0720/0730 over
# its northern two thirds). Off-nadir angles are those of the track model (:func:`subsatellite`) at
# the reference frame: ground ranges of about 415, 422, 495 and 645 km from the tracks of paths 121,
# 26, 127 and 128 (spherical Earth, 628 km altitude).
GEOMETRIES: dict[str, Geometry] = {
    "U2-6L": Geometry(121, "U2-6L", "L", "ascending", 32.9, 760, (137.03, 37.12)),
    "U2-8L": Geometry(26, "U2-8L", "L", "descending", 33.3, 2830, (136.98, 37.22)),
    "U2-9R": Geometry(127, "U2-9R", "R", "ascending", 37.4, 725, (137.02, 37.22)),
    "U3-13R": Geometry(128, "U3-13R", "R", "ascending", 44.3, 725, (137.02, 37.22)),
}


@dataclass(frozen=True)
class SceneDef:
    """One scene to simulate."""

    date: dt.date
    frame: int
    geometry: Geometry
    orbit: int

    @property
    def post_event(self) -> bool:
        return self.date >= EVENT_DATE

    @property
    def scene_id(self) -> str:
        return f"ALOS2{self.orbit:05d}{self.frame:04d}-{self.date:%y%m%d}"

    @property
    def product_id(self) -> str:
        return f"UBS{self.geometry.look_side}2.1GU{self.geometry.pass_direction[0].upper()}"

    @property
    def key(self) -> str:
        """``<SceneID>_<ProductID>``, the product's directory name."""
        return f"{self.scene_id}_{self.product_id}"

    @property
    def center_time(self) -> dt.datetime:
        return frame_time(self.orbit, self.frame)

    @property
    def center_xy(self) -> tuple[float, float]:
        return self.geometry.center_xy(self.frame)

    @property
    def center_lonlat(self) -> tuple[float, float]:
        lon, lat = to_lonlat(*self.center_xy)
        return float(lon), float(lat)

    @property
    def path(self) -> int:
        return path_of(self.orbit)


TABLE: tuple[tuple[str, tuple[int, ...], tuple[str, ...]], ...] = (
    ("U2-6L", (750, 760, 770), ("2022-09-26", "2024-01-01")),
    ("U2-8L", (2820, 2830, 2840), ("2023-06-06", "2024-01-02")),
    ("U2-9R", (720, 730), ("2023-12-06", "2024-01-03")),
    ("U3-13R", (720, 730), ("2024-01-08",)),
)


def collection_scenes(frames: tuple[int, ...] | list[int] | None = None) -> list[SceneDef]:
    """The scenes of the collection's table (optionally only some frame numbers)."""
    out = []
    for beam, frs, dates in TABLE:
        g = GEOMETRIES[beam]
        for d in dates:
            day = dt.date.fromisoformat(d)
            for f in frs:
                if frames is not None and f not in frames:
                    continue
                out.append(SceneDef(day, f, g, orbit_for(day, g.path, f)))
    return out
