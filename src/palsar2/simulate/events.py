"""What the 2024-01-01 earthquake changed, and the false changes of the pre-event scenes.

Every event is a polygon in UTM 53N fixed by the seed, so every scene covering a place shows the
same event. Sizes follow the published figures of SCIENCE.md section 1:

- new land: the shoreline moves seaward by up to about 220 m (Kaiso, Minazuki Bay near Monzen),
  about 80 m near Wajima, 30-40 m along the north coast of Suzu (GSI, Fukushima et al.
  2024: up to ~200-250 m, about 85-90 km of coast, ~4.4 km2);
- landslides: hundreds, lognormal sizes with median 1,750 m2 and sigma 1.6 (largest near 0.5 km2
  among ~2,000: GSI's 2,345 polygons, median ~1,750 m2, largest ~0.53 km2), on slopes over 25 deg of
  the hills of Wajima, Suzu, Noto and Anamizu, elongated downslope;
- residual tsunami water: Suzu (~128 ha) and Noto town (~63 ha) lowlands within 500 m of the shore;
- the Wajima Asaichi fire: 49,000 m2 of the town around 37.392 N 136.902 E;
- collapsed blocks: city blocks of 60-160 m in Wajima, Suzu and Anamizu.

False change: paddies flooded in the 2023-06-06 (early summer) scenes, solar farms built after
2023-06-06 that appear in later scenes, and slides of the M6.5 Suzu earthquake of 2023-05-05 that
are in every scene after it (so the 2022-09-26 pairs show older change near Suzu).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from affine import Affine
from odc.geo.geobox import GeoBox
from shapely.geometry import Polygon

from palsar2.simulate.dem import gradient, render_dem
from palsar2.simulate.geography import PLACES, land_utm, snap_to_land, to_utm
from palsar2.simulate.radar import BURNT, COLLAPSED, FLOOD_WATER, LANDSLIDE, NEW_LAND, SOLAR

# palsar2.change.classes codes (kept literal so the simulator does not depend on change/).
TRUTH_CODES = {"new_land": 10, "landslide": 11, "inundation": 12, "burnt": 13, "collapsed": 14}
COVER_OF = {"new_land": NEW_LAND, "landslide": LANDSLIDE, "inundation": FLOOD_WATER,
            "burnt": BURNT, "collapsed": COLLAPSED}
FIRE_AREA_M2 = 49_000.0
INUNDATION_HA = {"Suzu": 128.0, "Noto town": 63.0}
SOLAR_BUILT = dt.date(2023, 9, 1)
FLOODED_PADDY_DATES = (dt.date(2023, 6, 6),)
# Uplift: seaward advance (m) at control longitudes along the north coast, Monzen -> Suzu.
UPLIFT_PROFILE = ((136.68, 40.0), (136.74, 120.0), (136.77, 220.0), (136.80, 130.0),
                  (136.85, 60.0), (136.90, 80.0), (137.00, 40.0), (137.15, 40.0), (137.30, 30.0),
                  (137.36, 20.0))
# The north coast: land north of this line (lon, lat) is where the uplift strip is drawn.
NORTH_COAST_LINE = ((136.66, 37.22), (136.76, 37.27), (136.90, 37.37), (137.10, 37.43),
                    (137.36, 37.49))
LANDSLIDE_BOX = (136.72, 37.20, 137.33, 37.52)
N_LANDSLIDES = 700


@dataclass(frozen=True)
class Event:
    """One changed area: truth class name, polygon (UTM 53N) and, for slides, nothing more."""

    cls: str
    geometry: Polygon

    @property
    def code(self) -> int:
        return TRUTH_CODES[self.cls]

    @property
    def cover(self) -> int:
        return COVER_OF[self.cls]

    @property
    def area_m2(self) -> float:
        return float(self.geometry.area)


def _north_zone() -> Polygon:
    line = [to_utm(lon, lat) for lon, lat in NORTH_COAST_LINE]
    top = [(line[-1][0] + 5000, line[-1][1] + 40000), (line[0][0] - 5000, line[0][1] + 40000)]
    return Polygon([(line[0][0] - 5000, line[0][1])] + line + [(line[-1][0] + 5000, line[-1][1])]
                   + top)


def new_land() -> list[Event]:
    """The uplift strip: sea within a (longitude-dependent) distance of the north coast."""
    land = land_utm()
    zone = _north_zone()
    lons = np.array([p[0] for p in UPLIFT_PROFILE])
    widths = np.array([p[1] for p in UPLIFT_PROFILE])
    pieces = []
    step = 0.01
    for lon in np.arange(lons[0], lons[-1], step):
        w = float(np.interp(lon + step / 2, lons, widths))
        x0, _ = to_utm(lon, 37.4)
        x1, _ = to_utm(lon + step, 37.4)
        strip = shapely.box(x0, 4_100_000, x1, 4_200_000).intersection(zone)
        coast = land.intersection(strip.buffer(w + 50))
        pieces.append(coast.buffer(w, quad_segs=4).difference(land).intersection(strip))
    band = shapely.unary_union(pieces).buffer(1).buffer(-1)
    # Drop specks (islets' rings, bits of harbours) and keep the strip itself.
    polys = [p for p in getattr(band, "geoms", [band]) if p.area > 2000]
    return [Event("new_land", p) for p in polys]


def _ellipse(x: float, y: float, area: float, elong: float, angle: float,
             rng: np.random.Generator, n: int = 16) -> Polygon:
    a = np.sqrt(area * elong / np.pi)
    b = a / elong
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 1.0 + 0.12 * rng.standard_normal(n)
    px, py = a * r * np.cos(t), b * r * np.sin(t)
    c, s = np.cos(angle), np.sin(angle)
    poly = Polygon(np.column_stack([x + c * px - s * py, y + s * px + c * py])).buffer(0)
    return shapely.affinity.scale(poly, *(np.sqrt(area / poly.area),) * 2) if poly.area > 0 else poly


def landslides(seed: int, box: tuple[float, float, float, float] = LANDSLIDE_BOX,
               n: int = N_LANDSLIDES, stream: int = 0x51DE) -> list[Event]:
    """Hundreds of slides on steep slopes of the northern hills, lognormal sizes."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, stream]))
    x0, y0 = to_utm(box[0], box[1])
    x1, y1 = to_utm(box[2], box[3])
    res = 40.0
    gb = GeoBox((int((y1 - y0) / res), int((x1 - x0) / res)), Affine(res, 0, x0, 0, -res, y1),
                "EPSG:32653")
    dem = render_dem(gb, seed)
    gx, gy = gradient(dem, res)
    slope = np.degrees(np.arctan(np.hypot(gx, gy)))
    cand = np.flatnonzero(slope.ravel() > 25.0)
    if len(cand) == 0:
        return []
    picks = rng.choice(cand, size=min(n, len(cand)), replace=False)
    areas = np.clip(np.exp(np.log(1750.0) + 1.6 * rng.standard_normal(len(picks))), 100.0, 5.3e5)
    events = []
    land = land_utm()
    for k, a in zip(picks, areas):
        r, c = divmod(int(k), gb.shape[1])
        x = x0 + (c + 0.5) * res + rng.uniform(-res / 2, res / 2)
        y = y1 - (r + 0.5) * res + rng.uniform(-res / 2, res / 2)
        downslope = np.arctan2(-gy[r, c], -gx[r, c])
        poly = _ellipse(x, y, float(a), rng.uniform(1.8, 3.5), downslope, rng)
        poly = poly.intersection(land)
        if poly.area > 50:
            events.append(Event("landslide", poly if isinstance(poly, Polygon) else
                                max(poly.geoms, key=lambda g: g.area)))
    return events


def _coastal_lowland(place: str, hectares: float) -> Polygon:
    """Land within 500 m of the shore around a place, radius chosen to match the area."""
    land = land_utm()
    x, y = snap_to_land(*PLACES[place].xy)
    shore = land.boundary.buffer(500).intersection(land)
    lo, hi = 100.0, 6000.0
    for _ in range(40):
        r = 0.5 * (lo + hi)
        a = shore.intersection(shapely.Point(x, y).buffer(r)).area / 1e4
        lo, hi = (r, hi) if a < hectares else (lo, r)
    g = shore.intersection(shapely.Point(x, y).buffer(0.5 * (lo + hi)))
    return g


def inundation() -> list[Event]:
    """Residual tsunami water on the Suzu and Noto town lowlands."""
    out = []
    for place, ha in INUNDATION_HA.items():
        g = _coastal_lowland(place, ha)
        for p in getattr(g, "geoms", [g]):
            if p.area > 500:
                out.append(Event("inundation", p))
    return out


def fire(seed: int) -> Event:
    """The Wajima Asaichi fire: an irregular 49,000 m2 district on land around the market."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xF12E]))
    x, y = snap_to_land(*PLACES["Wajima Asaichi"].xy, inland_m=150.0)
    poly = _ellipse(x, y, FIRE_AREA_M2, 1.4, rng.uniform(0, np.pi), rng, n=24)
    poly = poly.intersection(land_utm())
    # Re-scale to the burnt area after clipping to land (a few iterations converge).
    for _ in range(5):
        f = np.sqrt(FIRE_AREA_M2 / poly.area)
        poly = shapely.affinity.scale(poly, f, f, origin=(x, y)).intersection(land_utm())
    if not isinstance(poly, Polygon):
        poly = max(poly.geoms, key=lambda g: g.area)
    return Event("burnt", poly)


def collapsed(seed: int, avoid: Polygon) -> list[Event]:
    """Collapsed city blocks in Wajima, Suzu and Anamizu (outside the burnt district)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xC011]))
    land = land_utm().buffer(-30)
    out = []
    for place, n in (("Wajima", 10), ("Suzu", 8), ("Anamizu", 6)):
        cx, cy = snap_to_land(*PLACES[place].xy, inland_m=400.0)
        tries = 0
        while sum(1 for e in out if e.cls == place) < n and tries < 200:
            tries += 1
            x, y = cx + rng.uniform(-700, 700), cy + rng.uniform(-700, 700)
            w, h = rng.uniform(60, 160), rng.uniform(60, 160)
            b = shapely.affinity.rotate(shapely.box(x - w / 2, y - h / 2, x + w / 2, y + h / 2),
                                        rng.uniform(0, 90))
            if land.contains(b) and not b.intersects(avoid.buffer(30)) and \
                    not any(b.intersects(e.geometry) for e in out):
                out.append(Event(place, b))
    return [Event("collapsed", e.geometry) for e in out]


@dataclass(frozen=True)
class FalseChange:
    """A change that is not the earthquake's: cover class, polygon, first date it exists."""

    cover: int
    geometry: Polygon
    since: dt.date


def solar_farms(seed: int) -> list[FalseChange]:
    """A few solar farms (3-15 ha) on gentle land, built after the 2023-06-06 scene."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5014]))
    sites = ((136.80, 37.10), (136.93, 37.27), (137.10, 37.36), (136.86, 36.98), (137.20, 37.42))
    out = []
    land = land_utm().buffer(-200)
    for lon, lat in sites:
        x, y = snap_to_land(*to_utm(lon, lat), inland_m=400.0)
        a = rng.uniform(3e4, 1.5e5)
        w = np.sqrt(a * rng.uniform(1.2, 2.5))
        b = shapely.affinity.rotate(shapely.box(x - w / 2, y - a / w / 2, x + w / 2, y + a / w / 2),
                                    rng.uniform(-20, 20)).intersection(land)
        if b.area > 1e4:
            out.append(FalseChange(SOLAR, b if isinstance(b, Polygon) else
                                   max(b.geoms, key=lambda g: g.area), SOLAR_BUILT))
    return out


@lru_cache(maxsize=2)
def earthquake_events(seed: int) -> tuple[Event, ...]:
    """All earthquake changes, in drawing order (later ones win where they overlap)."""
    burnt = fire(seed)
    events = [*new_land(), *landslides(seed), *inundation(), *collapsed(seed, burnt.geometry), burnt]
    return tuple(events)


SUZU_2023 = dt.date(2023, 5, 5)
SUZU_2023_BOX = (137.12, 37.40, 137.33, 37.53)


@lru_cache(maxsize=2)
def suzu_2023_slides(seed: int) -> tuple[FalseChange, ...]:
    """Slides of the M6.5 Suzu earthquake of 2023-05-05: already there in every scene after it."""
    return tuple(FalseChange(LANDSLIDE, e.geometry, SUZU_2023)
                 for e in landslides(seed, SUZU_2023_BOX, 60, 0x2023))


def false_changes(seed: int, date: dt.date) -> list[FalseChange]:
    """The non-2024 changes present on a date: solar farms built by then, the 2023 Suzu slides.

    The 2022-09-26 scenes predate both, so their pairs show some "change" that is older.
    """
    return [f for f in (*solar_farms(seed), *suzu_2023_slides(seed)) if date >= f.since]


def paddies_flooded(date: dt.date) -> bool:
    """Whether paddies are flooded (transplanting season) on an acquisition date."""
    return date in FLOODED_PADDY_DATES or (dt.date(date.year, 5, 1) <= date <= dt.date(date.year, 7, 31))
