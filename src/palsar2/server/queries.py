"""Point values, area statistics, thumbnails and the list of change results.

- ``GET /point``: DN and sigma0 (dB) of every image at a lon/lat, and each change result's
  log-ratio and class there.
- ``POST /statistics``: for a GeoJSON area, per image the mean sigma0 (averaged in linear power,
  then converted to dB), percentiles and a dB histogram; per change result the area of each class.
- ``GET /thumbnail``: one picture of an item or a date-range mosaic over a region (bbox or GeoJSON),
  at given dimensions and CRS, like Earth Engine's ``getThumbURL``.
"""

from __future__ import annotations

import json
import math
import os
from typing import Annotated, Any, Literal

import numpy as np
from affine import Affine
from fastapi import APIRouter, Body, Depends, Query, Request, Response
from rasterio.enums import Resampling
from rasterio.features import geometry_mask
from rasterio.windows import Window

from palsar2.errors import NotFoundError, ParameterError
from palsar2.server.deps import ID_PATTERN, ImageFilter, ResultId, VisParams
from palsar2.server.render import CLASS_NAMES, MEDIA_TYPES, colourise, dn_lut, encode
from palsar2.server.selection import (
    DEFAULT_COLLECTION,
    bbox_intersects,
    get_state,
    hh_href,
    select_items,
)
from palsar2.server.sources import Handle, apply_affine, read_tile, sample_point
from palsar2.server.state import ChangeResult, ServerState

router = APIRouter(tags=["queries"])

MAX_THUMB = 2048
MAX_STAT_PIXELS = 2048 * 2048  # larger areas are read from overviews (power-averaged)
MAX_IMAGES = 64

ItemIdQuery = Annotated[str | None, Query(pattern=ID_PATTERN, description="One item.")]
CollectionQuery = Annotated[str, Query(pattern=ID_PATTERN, description="Collection.")]


def _images(state: ServerState, item_id: str | None, collection: str, filt: ImageFilter,
            bbox: tuple[float, float, float, float] | None = None) -> list[Any]:
    if item_id is not None:
        return [state.item(item_id)]
    items = select_items(state, collection, filt)
    if bbox is not None:
        items = [i for i in items if bbox_intersects(i.bbox, bbox)]
    return items[-MAX_IMAGES:]


def _db(dn: float, calibration_db: float) -> float | None:
    return None if dn <= 0 else round(20.0 * math.log10(dn) + calibration_db, 3)


# ---- point -------------------------------------------------------------------------------


def point_values(state: ServerState, lon: float, lat: float, items: list[Any]) -> dict[str, Any]:
    """DN/dB of each image and the change values of each result at one lon/lat."""
    eps = 1e-9
    images = []
    for item in items:
        if not bbox_intersects(item.bbox, (lon - eps, lat - eps, lon + eps, lat + eps)):
            continue
        with state.pool.open(hh_href(item)) as handle:
            v = sample_point(handle, lon, lat)
        if v is None:
            continue
        images.append({
            "item_id": item.id, "datetime": item.datetime.isoformat().replace("+00:00", "Z"),
            "date": item.start_time.date().isoformat(), "frame": item.frame, "beam": item.beam,
            "pass": item.pass_direction, "dn": int(v), "sigma0_db": _db(v, item.calibration_db),
            "nodata": v == 0,
        })
    change = []
    for result in state.results().values():
        row: dict[str, Any] = {"result_id": result.id, "before": result.before_id,
                               "after": result.after_id}
        seen = False
        if result.log_ratio is not None:
            with state.pool.open(os.fspath(result.log_ratio)) as handle:
                v = sample_point(handle, lon, lat)
            if v is not None:
                seen = True
                row["log_ratio_db"] = None if not math.isfinite(v) else round(v, 3)
        if result.classes is not None:
            with state.pool.open(os.fspath(result.classes)) as handle:
                v = sample_point(handle, lon, lat)
            if v is not None:
                seen = True
                row["class"] = int(v)
                row["class_name"] = CLASS_NAMES.get(int(v), "unknown")
        if seen:
            change.append(row)
    return {"lon": lon, "lat": lat, "images": images, "change": change}


@router.get("/point", name="point")
def point(lon: Annotated[float, Query(ge=-180, le=180)], lat: Annotated[float, Query(ge=-90, le=90)],
          filt: Annotated[ImageFilter, Depends()],
          state: Annotated[ServerState, Depends(get_state)],
          item_id: ItemIdQuery = None,
          collection: CollectionQuery = DEFAULT_COLLECTION) -> dict[str, Any]:
    """DN and sigma0 of every image at a point (or of one item), plus change values."""
    items = _images(state, item_id, collection, filt, (lon, lat, lon, lat))
    return point_values(state, lon, lat, items)


# ---- statistics --------------------------------------------------------------------------


def parse_geojson(value: Any, name: str = "geometry") -> Any:
    """A shapely geometry (lon/lat) from a GeoJSON geometry, Feature or FeatureCollection."""
    from shapely.geometry import shape
    from shapely.ops import unary_union

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ParameterError(f"{name}: not valid JSON") from None
    if not isinstance(value, dict):
        raise ParameterError(f"{name}: expected a GeoJSON object")
    try:
        kind = value.get("type")
        if kind == "FeatureCollection":
            feats = value.get("features")
            if not isinstance(feats, list) or not feats:
                raise ParameterError(f"{name}: the FeatureCollection has no features")
            geom = unary_union([shape(f["geometry"]) for f in feats])
        elif kind == "Feature":
            geom = shape(value["geometry"])
        else:
            geom = shape(value)
    except ParameterError:
        raise
    except Exception:  # noqa: BLE001 - shapely, KeyError, TypeError... on malformed input
        raise ParameterError(f"{name}: not a valid GeoJSON geometry") from None
    if geom.is_empty or geom.area <= 0:
        raise ParameterError(f"{name}: must be a polygon with a non-zero area")
    w, s, e, n = geom.bounds
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise ParameterError(f"{name}: coordinates must be lon/lat degrees (EPSG:4326)")
    return geom


def read_area(handle: Handle, geom_lonlat: Any) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Pixels of band 1 inside a lon/lat polygon: (values, inside mask, pixel area m^2)."""
    from shapely.ops import transform as shp_transform

    geom = shp_transform(lambda x, y, z=None: handle.from_lonlat.transform(x, y), geom_lonlat)
    ds = handle.dataset
    inv = handle.inverse
    w, s, e, n = geom.bounds
    if not all(map(math.isfinite, (w, s, e, n))):
        return None  # the polygon does not project into this raster's CRS (e.g. near a pole)
    corners = [apply_affine(inv, x, y) for x in (w, e) for y in (s, n)]
    cols, rows = [c for c, _ in corners], [r for _, r in corners]
    c0, c1 = max(math.floor(min(cols)), 0), min(math.ceil(max(cols)), ds.width)
    r0, r1 = max(math.floor(min(rows)), 0), min(math.ceil(max(rows)), ds.height)
    if c1 <= c0 or r1 <= r0:
        return None
    win = Window(c0, r0, c1 - c0, r1 - r0)
    t0 = ds.transform
    origin = (t0.c + t0.a * c0 + t0.b * r0, t0.f + t0.d * c0 + t0.e * r0)
    factor = max(1.0, math.sqrt(win.width * win.height / MAX_STAT_PIXELS))
    out_h, out_w = max(1, int(win.height / factor)), max(1, int(win.width / factor))
    data = ds.read(1, window=win, out_shape=(out_h, out_w), resampling=Resampling.nearest)
    sx, sy = win.width / out_w, win.height / out_h
    transform = Affine(t0.a * sx, t0.b * sy, origin[0], t0.d * sx, t0.e * sy, origin[1])
    inside = ~geometry_mask([geom], out_shape=(out_h, out_w), transform=transform,
                            all_touched=False)
    area = abs(transform.a * transform.e - transform.b * transform.d)
    return data, inside, area


def image_statistics(handle: Handle, item: Any, geom: Any, bins: int,
                     db_range: tuple[float, float]) -> dict[str, Any]:
    """Mean sigma0 of an area averaged in power, percentiles and a histogram in dB."""
    got = read_area(handle, geom)
    base = {"item_id": item.id, "date": item.start_time.date().isoformat(),
            "frame": item.frame, "beam": item.beam, "pass": item.pass_direction}
    if got is None:
        return {**base, "count": 0, "valid_fraction": 0.0, "mean_db": None}
    data, inside, area = got
    vals = data[inside]
    valid = vals[vals > 0].astype(np.float64)
    n_in = int(inside.sum())
    out: dict[str, Any] = {**base, "count": int(valid.size),
                           "valid_fraction": round(valid.size / n_in, 4) if n_in else 0.0,
                           "pixel_area_m2": round(area, 3), "area_m2": round(valid.size * area, 1)}
    if valid.size == 0:
        return {**out, "mean_db": None}
    cal = float(item.calibration_db)
    power = valid**2 * 10.0 ** (cal / 10.0)  # linear sigma0
    db = 10.0 * np.log10(power)
    hist, edges = np.histogram(np.clip(db, *db_range), bins=bins, range=db_range)
    out.update({
        "mean_power": float(power.mean()),
        "mean_db": round(10.0 * math.log10(power.mean()), 3),
        "std_db": round(float(db.std()), 3),
        "min_db": round(float(db.min()), 3), "max_db": round(float(db.max()), 3),
        "percentiles_db": {str(p): round(float(v), 3)
                           for p, v in zip((2, 25, 50, 75, 98),
                                           np.percentile(db, (2, 25, 50, 75, 98)), strict=True)},
        "mean_dn": round(float(valid.mean()), 2),
        "histogram": {"bin_edges_db": [round(float(e), 3) for e in edges],
                      "counts": [int(c) for c in hist]},
    })
    return out


def change_statistics(handle: Handle, result: ChangeResult, geom: Any) -> dict[str, Any]:
    """Area of each change class inside a polygon, from a result's classes.tif."""
    got = read_area(handle, geom)
    row: dict[str, Any] = {"result_id": result.id, "before": result.before_id,
                           "after": result.after_id, "area_m2": {}, "pixels": {}}
    if got is None:
        return row
    data, inside, area = got
    codes, counts = np.unique(data[inside].astype(np.int64), return_counts=True)
    for code, count in zip(codes, counts, strict=True):
        name = CLASS_NAMES.get(int(code), f"class_{int(code)}")
        row["pixels"][name] = int(count)
        row["area_m2"][name] = round(float(count) * area, 1)
    row["pixel_area_m2"] = round(area, 3)
    changed = sum(v for k, v in row["area_m2"].items() if k not in ("nodata", "no_change"))
    row["changed_area_m2"] = round(changed, 1)
    return row


@router.post("/statistics", name="statistics")
def statistics(geometry: Annotated[dict[str, Any], Body(
                   description="GeoJSON geometry, Feature or FeatureCollection (lon/lat).")],
               filt: Annotated[ImageFilter, Depends()],
               state: Annotated[ServerState, Depends(get_state)],
               item_id: ItemIdQuery = None,
               collection: CollectionQuery = DEFAULT_COLLECTION,
               result_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
               bins: Annotated[int, Query(ge=1, le=512)] = 50,
               hist_min: Annotated[float, Query(ge=-100, le=100)] = -30.0,
               hist_max: Annotated[float, Query(ge=-100, le=100)] = 10.0) -> dict[str, Any]:
    """Per image: mean sigma0 (in power), spread, histogram; per change result: area by class."""
    if hist_max <= hist_min:
        raise ParameterError(f"hist_max: must be greater than hist_min ({hist_min})")
    geom = parse_geojson(geometry)
    images = []
    for item in _images(state, item_id, collection, filt, geom.bounds):
        with state.pool.open(hh_href(item)) as handle:
            images.append(image_statistics(handle, item, geom, bins, (hist_min, hist_max)))
    results = [state.result(result_id)] if result_id else list(state.results().values())
    change = []
    for r in results:
        if r.classes is None:
            continue
        with state.pool.open(os.fspath(r.classes)) as handle:
            change.append(change_statistics(handle, r, geom))
    return {"bounds": list(geom.bounds), "images": images, "change": change}


# ---- thumbnail ---------------------------------------------------------------------------


def parse_dimensions(value: str) -> tuple[int | None, int | None]:
    """``512`` (longest side) or ``WIDTHxHEIGHT``, each 1..2048."""
    text = value.strip().lower()
    try:
        if "x" in text:
            w, h = (int(v) for v in text.split("x", 1))
            dims: tuple[int | None, int | None] = (w, h)
        else:
            dims = (int(text), None)
    except ValueError:
        raise ParameterError(f"dimensions: {value!r} is not N or WIDTHxHEIGHT") from None
    if any(d is not None and not (1 <= d <= MAX_THUMB) for d in dims):
        raise ParameterError(f"dimensions: each side must be within 1..{MAX_THUMB}, got {value!r}")
    return dims


def parse_crs(value: str) -> Any:
    """An EPSG code such as ``EPSG:4326`` (only codes: no free-form WKT from clients)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    text = value.strip().upper()
    if not text.startswith("EPSG:") or not text[5:].isdigit() or len(text) > 11:
        raise ParameterError(f"crs: {value!r} is not an EPSG code like EPSG:3857")
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        raise ParameterError(f"crs: {value!r} is not a known EPSG code") from None
    if crs.is_geographic is False and crs.is_projected is False:
        raise ParameterError(f"crs: {value!r} is neither geographic nor projected")
    return crs


def thumbnail_image(state: ServerState, items: list[Any], region: Any, crs: Any,
                    dims: tuple[int | None, int | None], vis: VisParams) -> np.ndarray:
    """RGBA picture of the mosaic of ``items`` (later on top) over a lon/lat region in ``crs``."""
    from pyproj import Transformer
    from rasterio.transform import from_bounds
    from shapely.ops import transform as shp_transform

    to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    try:
        geom = shp_transform(lambda x, y, z=None: to_crs.transform(x, y), region)
        xmin, ymin, xmax, ymax = geom.bounds
    except Exception:  # noqa: BLE001 - pyproj/shapely raise several types for odd regions
        raise ParameterError("region: cannot be projected to the requested crs") from None
    if not all(map(math.isfinite, (xmin, ymin, xmax, ymax))) or xmax <= xmin or ymax <= ymin:
        raise ParameterError("region: has no extent in the requested crs")
    w, h = dims
    if h is None:
        aspect = (xmax - xmin) / (ymax - ymin)
        w0 = w or 512
        w, h = (w0, max(1, round(w0 / aspect))) if aspect >= 1 else (max(1, round(w0 * aspect)), w0)
    assert w is not None and h is not None
    byte = np.zeros((h, w), dtype=np.uint8)
    filled = np.zeros((h, w), dtype=bool)
    for item in reversed(items):  # later images on top, as mosaic()
        if not bbox_intersects(item.bbox, region.bounds):
            continue
        with state.pool.open(hh_href(item)) as handle:
            tr = Transformer.from_crs(crs, handle.dataset.crs, always_xy=True)
            dn = read_tile(handle, (xmin, ymin, xmax, ymax), w, tr, height=h)
        if dn is None:
            continue
        take = (dn != 0) & ~filled
        byte[take] = dn_lut(vis.stretch, vis.units, float(item.calibration_db))[dn[take]]
        filled |= take
    from shapely.geometry import box

    if not region.equals(box(*region.bounds)):  # mask outside a polygon region, not a bbox
        inside = ~geometry_mask([geom], out_shape=(h, w),
                                transform=from_bounds(xmin, ymin, xmax, ymax, w, h))
        filled &= inside
    return colourise(byte, filled, vis.palette)


def parse_region(value: str) -> Any:
    """``west,south,east,north`` or a GeoJSON geometry/Feature, as a lon/lat shapely geometry."""
    from shapely.geometry import box

    text = value.strip()
    if text.startswith("{"):
        return parse_geojson(text, "region")
    from palsar2.server.stac_api import parse_bbox

    w, s, e, n = parse_bbox(text, "region")
    if e <= w or n <= s:
        raise ParameterError("region: must have a non-zero width and height")
    return box(w, s, e, n)


@router.get("/thumbnail", name="thumbnail", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def thumbnail(request: Request,
              region: Annotated[str, Query(max_length=100000, description=(
                  "west,south,east,north in degrees, or a GeoJSON geometry/Feature."))],
              vis: Annotated[VisParams, Depends()], filt: Annotated[ImageFilter, Depends()],
              state: Annotated[ServerState, Depends(get_state)],
              item_id: ItemIdQuery = None,
              collection: CollectionQuery = DEFAULT_COLLECTION,
              dimensions: Annotated[str, Query(max_length=20, description=(
                  "Longest side, or WIDTHxHEIGHT (each <= 2048)."))] = "512",
              crs: Annotated[str, Query(max_length=20, description="EPSG code.")] = "EPSG:3857",
              format: Annotated[Literal["png", "webp", "jpg"], Query()] = "png") -> Response:
    """A picture of an item or date-range mosaic over a region, like ``getThumbURL``."""
    geom = parse_region(region)
    dims = parse_dimensions(dimensions)
    target = parse_crs(crs)
    items = _images(state, item_id, collection, filt, geom.bounds)
    rgba = thumbnail_image(state, items, geom, target, dims, vis)
    return Response(encode(rgba, format), media_type=MEDIA_TYPES[format],
                    headers={"Cache-Control": "public, max-age=600"})


# ---- change results ----------------------------------------------------------------------


def result_summary(result: ChangeResult, request: Request) -> dict[str, Any]:
    """What the web map needs to know about one result."""
    base = str(request.base_url).rstrip("/")
    layers = [name for name, p in (("classes", result.classes), ("log_ratio", result.log_ratio))
              if p is not None]
    if result.before_id and result.after_id:
        layers.append("rgb")
    return {"id": result.id, "before": result.before_id, "after": result.after_id,
            "layers": layers,
            "tiles": f"{base}/tiles/results/{result.id}/{{z}}/{{x}}/{{y}}.png",
            "tilejson": f"{base}/tiles/results/{result.id}/tilejson.json"}


@router.get("/results", name="results")
def results(request: Request, state: Annotated[ServerState, Depends(get_state)]
            ) -> dict[str, Any]:
    """Change results in the results directory, and the class legend."""
    from palsar2.server.render import CLASS_COLOURS

    legend = [{"code": c, "name": CLASS_NAMES[c], "rgba": list(CLASS_COLOURS[c])}
              for c in sorted(CLASS_NAMES) if c > 1]
    return {"results": [result_summary(r, request) for r in state.results().values()],
            "legend": legend}


@router.get("/results/{result_id}", name="result")
def result(request: Request, result_id: ResultId,
           state: Annotated[ServerState, Depends(get_state)]) -> dict[str, Any]:
    """One result: its stats.json and layers."""
    r = state.result(result_id)
    if not r.path.exists():
        raise NotFoundError(f"result {result_id!r}: its directory is gone")
    return {**result_summary(r, request), "stats": r.stats}
