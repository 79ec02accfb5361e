"""XYZ tiles (WebMercatorQuad) and TileJSON: per item, per date-range mosaic, per change pair.

Each route is a thin wrapper over a named rendering function (``render_item_tile``,
``render_mosaic_tile``, ``render_change_tile``) that takes the server state, the image(s), the tile
index and the visualisation and returns encoded bytes. Tiles outside every footprint are valid,
fully transparent images (a map asks for them all the time; an error would be noise).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response

from palsar2.errors import NotFoundError, ParameterError
from palsar2.server.deps import (
    MAX_ZOOM,
    ChangeVisParams,
    CollectionId,
    ImageFilter,
    ItemId,
    ResultId,
    TileCol,
    TileFormat,
    TileRow,
    VisParams,
    Zoom,
    check_tile,
)
from palsar2.server.render import (
    DEFAULT_LOG_RATIO_PALETTE,
    MEDIA_TYPES,
    classes_rgba,
    colourise,
    composite_rgba,
    dn_lut,
    empty_tile,
    encode,
)
from palsar2.server.selection import (
    bbox_intersects,
    get_state,
    hh_href,
    item_version,
    select_items,
)
from palsar2.server.sources import read_tile
from palsar2.server.state import ChangeResult, ServerState

TILE_SIZE = 256
ORIGIN = 20037508.342789244  # half the WebMercator world width, metres
CACHE_CONTROL = "public, max-age=3600"
ATTRIBUTION = "ALOS-2 PALSAR-2 (c) JAXA, free for non-commercial use"

router = APIRouter(tags=["tiles"])


# ---- tile geometry -------------------------------------------------------------------------


def mercator_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """EPSG:3857 bounds of a WebMercatorQuad tile."""
    size = 2 * ORIGIN / (1 << z)
    xmin = -ORIGIN + x * size
    ymax = ORIGIN - y * size
    return xmin, ymax - size, xmin + size, ymax


def lonlat_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) degrees of a tile."""
    n = 1 << z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def native_zoom(item: Any) -> int:
    """The zoom at which a tile pixel is about one image pixel."""
    try:
        res = abs(float(item.geobox.resolution.x))
    except (AttributeError, TypeError, ValueError):
        return 16
    lat = (item.bbox[1] + item.bbox[3]) / 2
    ground = 2 * ORIGIN * math.cos(math.radians(lat)) / TILE_SIZE
    return int(min(MAX_ZOOM, max(0, math.ceil(math.log2(ground / max(res, 1e-3))))))


# ---- rendering (named functions, reusable outside the routes) -----------------------------


def read_item_dn(state: ServerState, item: Any, z: int, x: int, y: int) -> np.ndarray | None:
    """The item's DN on a tile grid (0 = nodata), or None when the tile misses its footprint."""
    if not bbox_intersects(item.bbox, lonlat_bounds(z, x, y)):
        return None
    with state.pool.open(hh_href(item)) as handle:
        return read_tile(handle, mercator_bounds(z, x, y), TILE_SIZE)


def render_item_tile(state: ServerState, item: Any, z: int, x: int, y: int, vis: VisParams,
                     fmt: str) -> bytes:
    """One item's tile, stretched in DN or dB, with the palette; nodata transparent."""
    dn = read_item_dn(state, item, z, x, y)
    if dn is None:
        return empty_tile(fmt)
    valid = dn != 0
    if not valid.any():
        return empty_tile(fmt)
    byte = dn_lut(vis.stretch, vis.units, float(item.calibration_db))[dn]
    return encode(colourise(byte, valid, vis.palette), fmt)


def render_mosaic_tile(state: ServerState, items: Sequence[Any], z: int, x: int, y: int,
                       vis: VisParams, fmt: str) -> bytes:
    """Earth Engine's ``mosaic()``: later images on top; each stretched with its own calibration."""
    byte = np.zeros((TILE_SIZE, TILE_SIZE), dtype=np.uint8)
    filled = np.zeros((TILE_SIZE, TILE_SIZE), dtype=bool)
    tile_box = lonlat_bounds(z, x, y)
    for item in reversed(items):  # latest first; earlier images only fill what is still empty
        if not bbox_intersects(item.bbox, tile_box):
            continue
        with state.pool.open(hh_href(item)) as handle:
            dn = read_tile(handle, mercator_bounds(z, x, y), TILE_SIZE)
        if dn is None:
            continue
        take = dn != 0
        take &= ~filled
        if not take.any():
            continue
        lut = dn_lut(vis.stretch, vis.units, float(item.calibration_db))
        byte[take] = lut[dn[take]]
        filled |= take
        if filled.all():
            break
    if not filled.any():
        return empty_tile(fmt)
    return encode(colourise(byte, filled, vis.palette), fmt)


def _read_result(state: ServerState, path: Any, z: int, x: int, y: int) -> np.ndarray | None:
    with state.pool.open(os.fspath(path)) as handle:
        return read_tile(handle, mercator_bounds(z, x, y), TILE_SIZE)


def log_ratio_tile(state: ServerState, before: Any, after: Any, result: ChangeResult | None,
                   z: int, x: int, y: int) -> np.ndarray | None:
    """10*log10(after/before) in dB on a tile grid (NaN = nodata): the result's, else computed."""
    if result is not None and result.log_ratio is not None:
        data = _read_result(state, result.log_ratio, z, x, y)
        return None if data is None else data.astype(np.float32, copy=False)
    if before is None or after is None:
        return None
    dn_b = read_item_dn(state, before, z, x, y)
    dn_a = read_item_dn(state, after, z, x, y)
    if dn_b is None or dn_a is None:
        return None
    valid = (dn_b != 0) & (dn_a != 0)
    out = np.full(dn_b.shape, np.nan, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        # power ratio: DN is amplitude, so 10*log10(A^2/B^2) = 20*log10(A/B), plus the CF difference
        out[valid] = (20.0 * np.log10(dn_a[valid].astype(np.float32) / dn_b[valid])
                      + (float(after.calibration_db) - float(before.calibration_db)))
    return out


def render_change_tile(state: ServerState, before: Any, after: Any, result: ChangeResult | None,
                       z: int, x: int, y: int, vis: ChangeVisParams, fmt: str) -> bytes:
    """A change pair's tile: rgb composite, log-ratio with a palette, or the result's classes."""
    if vis.layer == "classes":
        if result is None or result.classes is None:
            raise NotFoundError("layer=classes: no change result with classes.tif for this pair")
        codes = _read_result(state, result.classes, z, x, y)
        if codes is None:
            return empty_tile(fmt)
        rgba = classes_rgba(codes.astype(np.uint8, copy=False))
        return encode(rgba, fmt) if rgba[..., 3].any() else empty_tile(fmt)
    if vis.layer == "log_ratio":
        lr = log_ratio_tile(state, before, after, result, z, x, y)
        if lr is None:
            return empty_tile(fmt)
        valid = np.isfinite(lr)
        if not valid.any():
            return empty_tile(fmt)
        byte = vis.stretch.to_byte(lr)
        return encode(colourise(byte, valid, vis.palette or DEFAULT_LOG_RATIO_PALETTE), fmt)
    if before is None or after is None:
        raise NotFoundError("layer=rgb: the result does not name its before and after items")
    dn_b = read_item_dn(state, before, z, x, y)
    dn_a = read_item_dn(state, after, z, x, y)
    if dn_b is None or dn_a is None:
        return empty_tile(fmt)
    valid = (dn_b != 0) & (dn_a != 0)
    if not valid.any():
        return empty_tile(fmt)
    red = dn_lut(vis.stretch, vis.units, float(before.calibration_db))[dn_b]
    green_blue = dn_lut(vis.stretch, vis.units, float(after.calibration_db))[dn_a]
    return encode(composite_rgba(red, green_blue, valid), fmt)


# ---- HTTP helpers ------------------------------------------------------------------------


def etag_for(request: Request, *versions: str) -> str:
    """A strong ETag from the URL and the versions of what is drawn."""
    h = hashlib.blake2b(digest_size=16)
    h.update(request.url.path.encode())
    h.update(b"?")
    h.update("&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items())).encode())
    for v in versions:
        h.update(b"|" + v.encode())
    return f'"{h.hexdigest()}"'


def image_response(request: Request, etag: str, render: Any, fmt: str) -> Response:
    """304 when the client has this tile, else the rendered bytes with cache headers."""
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    inm = request.headers.get("if-none-match")
    if inm and etag in [t.strip() for t in inm.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(render(), media_type=MEDIA_TYPES[fmt], headers=headers)


def _file_version(path: Any) -> str:
    if path is None:
        return "-"
    st = os.stat(path)
    return f"{path}:{st.st_mtime_ns}:{st.st_size}"


def tilejson(request: Request, route: str, params: dict[str, str], bounds: Sequence[float],
             minzoom: int, maxzoom: int, name: str, fmt: str) -> dict[str, Any]:
    """TileJSON 3.0 for one of our tile routes, carrying the request's query parameters."""
    url = str(request.url_for(route, z="{z}", x="{x}", y="{y}", fmt=fmt, **params))
    url = url.replace("%7B", "{").replace("%7D", "}")
    query = "&".join(f"{k}={v}" for k, v in request.query_params.multi_items() if k != "format")
    if query:
        url += "?" + query
    w, s, e, n = (float(v) for v in bounds)
    return {
        "tilejson": "3.0.0", "name": name, "scheme": "xyz", "tiles": [url],
        "minzoom": minzoom, "maxzoom": maxzoom, "bounds": [w, s, e, n],
        "center": [(w + e) / 2, (s + n) / 2, max(minzoom, min(maxzoom, 10))],
        "attribution": ATTRIBUTION,
    }


TileJsonFormat = Annotated[Literal["png", "webp"], Query(alias="format",
                                                         description="Tile image format.")]

# ---- routes: items -----------------------------------------------------------------------


@router.get("/tiles/items/{item_id}/{z}/{x}/{y}.{fmt}", name="item_tile",
            response_class=Response, responses={200: {"content": {"image/png": {}}}})
def item_tile(request: Request, item_id: ItemId, z: Zoom, x: TileCol, y: TileRow,
              fmt: TileFormat, vis: Annotated[VisParams, Depends()],
              state: Annotated[ServerState, Depends(get_state)]) -> Response:
    """A tile of one item (DN or dB stretch, gamma, palette; nodata transparent)."""
    check_tile(z, x, y)
    item = state.item(item_id)
    return image_response(request, etag_for(request, item_version(item)),
                          lambda: render_item_tile(state, item, z, x, y, vis, fmt), fmt)


@router.get("/tiles/items/{item_id}/tilejson.json", name="item_tilejson")
def item_tilejson(request: Request, item_id: ItemId, vis: Annotated[VisParams, Depends()],
                  state: Annotated[ServerState, Depends(get_state)],
                  fmt: TileJsonFormat = "png") -> dict[str, Any]:
    """TileJSON of one item's tiles."""
    item = state.item(item_id)
    return tilejson(request, "item_tile", {"item_id": item_id}, item.bbox, 0, native_zoom(item),
                    item_id, fmt)


# ---- routes: date-range mosaic ------------------------------------------------------------


@router.get("/tiles/mosaic/{collection_id}/{z}/{x}/{y}.{fmt}", name="mosaic_tile",
            response_class=Response, responses={200: {"content": {"image/png": {}}}})
def mosaic_tile(request: Request, collection_id: CollectionId, z: Zoom, x: TileCol, y: TileRow,
                fmt: TileFormat, vis: Annotated[VisParams, Depends()],
                filt: Annotated[ImageFilter, Depends()],
                state: Annotated[ServerState, Depends(get_state)]) -> Response:
    """``filterDate(start, end).mosaic()``: later images on top."""
    check_tile(z, x, y)
    items = select_items(state, collection_id, filt)
    etag = etag_for(request, *(item_version(i) for i in items))
    return image_response(request, etag,
                          lambda: render_mosaic_tile(state, items, z, x, y, vis, fmt), fmt)


@router.get("/tiles/mosaic/{collection_id}/tilejson.json", name="mosaic_tilejson")
def mosaic_tilejson(request: Request, collection_id: CollectionId,
                    vis: Annotated[VisParams, Depends()], filt: Annotated[ImageFilter, Depends()],
                    state: Annotated[ServerState, Depends(get_state)],
                    fmt: TileJsonFormat = "png") -> dict[str, Any]:
    """TileJSON of a date-range mosaic."""
    items = select_items(state, collection_id, filt)
    if items:
        bounds = [min(i.bbox[0] for i in items), min(i.bbox[1] for i in items),
                  max(i.bbox[2] for i in items), max(i.bbox[3] for i in items)]
        maxzoom = max(native_zoom(i) for i in items)
    else:
        bounds, maxzoom = [-180.0, -85.0511, 180.0, 85.0511], 16
    name = f"{collection_id} {filt.start or '..'}/{filt.end or '..'}"
    return tilejson(request, "mosaic_tile", {"collection_id": collection_id}, bounds, 0, maxzoom,
                    name, fmt)


# ---- routes: change pairs and results ----------------------------------------------------


def _change_etag(request: Request, before: Any, after: Any, result: ChangeResult | None) -> str:
    versions = [item_version(i) for i in (before, after) if i is not None]
    if result is not None:
        versions += [_file_version(result.log_ratio), _file_version(result.classes)]
    return etag_for(request, *versions)


@router.get("/tiles/pairs/{before_id}/{after_id}/{z}/{x}/{y}.{fmt}", name="pair_tile",
            response_class=Response, responses={200: {"content": {"image/png": {}}}})
def pair_tile(request: Request, before_id: ItemId, after_id: ItemId, z: Zoom, x: TileCol,
              y: TileRow, fmt: TileFormat, vis: Annotated[ChangeVisParams, Depends()],
              state: Annotated[ServerState, Depends(get_state)]) -> Response:
    """A before/after pair: rgb composite, log-ratio (the result's if computed) or classes."""
    check_tile(z, x, y)
    before, after = state.item(before_id), state.item(after_id)
    result = state.result_for_pair(before_id, after_id)
    return image_response(
        request, _change_etag(request, before, after, result),
        lambda: render_change_tile(state, before, after, result, z, x, y, vis, fmt), fmt)


@router.get("/tiles/pairs/{before_id}/{after_id}/tilejson.json", name="pair_tilejson")
def pair_tilejson(request: Request, before_id: ItemId, after_id: ItemId,
                  vis: Annotated[ChangeVisParams, Depends()],
                  state: Annotated[ServerState, Depends(get_state)],
                  fmt: TileJsonFormat = "png") -> dict[str, Any]:
    """TileJSON of a change pair's tiles."""
    before, after = state.item(before_id), state.item(after_id)
    b = [max(before.bbox[0], after.bbox[0]), max(before.bbox[1], after.bbox[1]),
         min(before.bbox[2], after.bbox[2]), min(before.bbox[3], after.bbox[3])]
    if b[0] >= b[2] or b[1] >= b[3]:
        raise ParameterError(f"before_id/after_id: {before_id} and {after_id} do not overlap")
    return tilejson(request, "pair_tile", {"before_id": before_id, "after_id": after_id}, b, 0,
                    min(native_zoom(before), native_zoom(after)), f"{before_id} -> {after_id}", fmt)


def _result_items(state: ServerState, result: ChangeResult) -> tuple[Any, Any]:
    def get(item_id: str | None) -> Any:
        if item_id is None:
            return None
        try:
            return state.item(item_id)
        except (NotFoundError, ValueError):
            return None

    return get(result.before_id), get(result.after_id)


@router.get("/tiles/results/{result_id}/{z}/{x}/{y}.{fmt}", name="result_tile",
            response_class=Response, responses={200: {"content": {"image/png": {}}}})
def result_tile(request: Request, result_id: ResultId, z: Zoom, x: TileCol, y: TileRow,
                fmt: TileFormat, vis: Annotated[ChangeVisParams, Depends()],
                state: Annotated[ServerState, Depends(get_state)]) -> Response:
    """A change result's tile: classes, log-ratio or the rgb composite of its pair."""
    check_tile(z, x, y)
    result = state.result(result_id)
    before, after = _result_items(state, result)
    return image_response(
        request, _change_etag(request, before, after, result),
        lambda: render_change_tile(state, before, after, result, z, x, y, vis, fmt), fmt)


@router.get("/tiles/results/{result_id}/tilejson.json", name="result_tilejson")
def result_tilejson(request: Request, result_id: ResultId,
                    vis: Annotated[ChangeVisParams, Depends()],
                    state: Annotated[ServerState, Depends(get_state)],
                    fmt: TileJsonFormat = "png") -> dict[str, Any]:
    """TileJSON of a change result's tiles."""
    result = state.result(result_id)
    path = result.classes or result.log_ratio
    if path is None:
        raise NotFoundError(f"result {result_id!r}: has neither classes.tif nor log_ratio.tif")
    from rasterio.warp import transform_bounds

    with state.pool.open(os.fspath(path)) as handle:
        bounds = transform_bounds(handle.dataset.crs, "EPSG:4326", *handle.dataset.bounds)
        res = abs(handle.dataset.transform.a)
    lat = (bounds[1] + bounds[3]) / 2
    ground = 2 * ORIGIN * math.cos(math.radians(lat)) / TILE_SIZE
    maxzoom = int(min(MAX_ZOOM, max(0, math.ceil(math.log2(ground / max(res, 1e-3))))))
    return tilejson(request, "result_tile", {"result_id": result_id}, bounds, 0, maxzoom,
                    result_id, fmt)
