"""Lazy reading of catalog COGs, reprojection onto a target GeoBox, and Earth-Engine-style mosaics.

Reading is picklable: each dask task opens the COG by its path (or GDAL URL) and reads one window,
so graphs run unchanged on dask worker processes. Reprojection works per output chunk: the source
window that chunk needs (odc-geo's ``compute_reproject_roi``) is sliced lazily and warped with
``rasterio.warp.reproject``; pixel-aligned grids with the same CRS and resolution skip resampling
and are just sliced and padded.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from palsar2.errors import ParameterError, RasterError

RESAMPLINGS = ("nearest", "bilinear", "cubic", "average", "rms", "mode", "max", "min", "med")


class COGWindowReader:
    """Picklable array-like over one band of a raster file: ``[rows, cols]`` reads that window."""

    def __init__(self, href: str, shape: tuple[int, int], dtype: Any = np.uint16, band: int = 1):
        self.href = str(href)
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)
        self.ndim = 2
        self.band = band

    def __getitem__(self, key: tuple[slice, slice]) -> np.ndarray:
        import rasterio
        from rasterio.windows import Window

        rs, cs = key
        r0, r1, _ = rs.indices(self.shape[0])
        c0, c1, _ = cs.indices(self.shape[1])
        if r1 <= r0 or c1 <= c0:
            return np.zeros((max(r1 - r0, 0), max(c1 - c0, 0)), self.dtype)
        try:
            with rasterio.open(self.href) as src:
                return src.read(self.band, window=Window(c0, r0, c1 - c0, r1 - r0)).astype(self.dtype,
                                                                                         copy=False)
        except rasterio.errors.RasterioError as exc:
            raise RasterError(f"{self.href}: cannot read window rows {r0}:{r1} cols {c0}:{c1}: {exc}") \
                from exc


def item_href(item: Any, band: str = "HH") -> str:
    """The raster location of an item's band asset, or a RasterError naming item and band."""
    assets = getattr(item, "assets", None) or {}
    if band not in assets:
        raise RasterError(f"item {getattr(item, 'id', item)!r} has no {band!r} asset "
                          f"(assets: {', '.join(assets) or 'none'})")
    return str(assets[band].href)


def read_item(item: Any, geobox: Any = None, chunks: int | tuple[int, int] = 2048,
              band: str = "HH") -> Any:
    """Lazy dask array of an item's DN (uint16, 0 = nodata), optionally resampled onto ``geobox``."""
    import dask.array as da

    href = item_href(item, band)
    src_gbox = item.geobox
    reader = COGWindowReader(href, tuple(src_gbox.shape), np.uint16)
    dn = da.from_array(reader, chunks=chunks, lock=False, asarray=True, fancy=False,
                       meta=np.empty((0, 0), np.uint16), name=f"read-{item.id}-{band}-{_token(href)}")
    if geobox is None or geobox == src_gbox:
        return dn
    return reproject(dn, src_gbox, geobox, resampling="nearest", nodata=0, chunks=chunks)


def _token(href: str) -> str:
    import os

    from dask.base import tokenize

    try:
        st = os.stat(href)
        return tokenize(href, st.st_mtime_ns, st.st_size)
    except OSError:
        return tokenize(href)


def _nodata_fill(dtype: Any, nodata: float | None) -> Any:
    if nodata is None:
        return 0
    if isinstance(nodata, float) and math.isnan(nodata) and np.dtype(dtype).kind in "iub":
        raise ParameterError(f"nodata: NaN is not possible for {np.dtype(dtype)} data")
    return nodata


def _warp_block(src: np.ndarray, src_gbox: Any, dst_gbox: Any, resampling: str, nodata: Any) -> np.ndarray:
    from rasterio.enums import Resampling
    from rasterio.warp import reproject as rio_reproject

    out = np.full(tuple(dst_gbox.shape), nodata, dtype=src.dtype)
    if src.size == 0:
        return out
    rio_reproject(source=np.ascontiguousarray(src), destination=out, src_transform=src_gbox.affine,
                  src_crs=src_gbox.crs.to_wkt(), dst_transform=dst_gbox.affine,
                  dst_crs=dst_gbox.crs.to_wkt(), resampling=Resampling[resampling],
                  src_nodata=nodata, dst_nodata=nodata, num_threads=1)
    return out


def _aligned_offset(src_gbox: Any, dst_gbox: Any) -> tuple[int, int] | None:
    """(row, col) of dst's origin in src pixels when both grids share CRS, resolution and phase."""
    if src_gbox.crs != dst_gbox.crs:
        return None
    a, b = src_gbox.affine, dst_gbox.affine
    if not (math.isclose(a.a, b.a) and math.isclose(a.e, b.e) and a.b == b.b == 0 and a.d == b.d == 0):
        return None
    col = (b.c - a.c) / a.a
    row = (b.f - a.f) / a.e
    if abs(col - round(col)) > 1e-6 or abs(row - round(row)) > 1e-6:
        return None
    return round(row), round(col)


def reproject(data: Any, src_gbox: Any, dst_gbox: Any, *, resampling: str = "bilinear",
              nodata: float | None = math.nan, chunks: int | tuple[int, int] | None = None) -> Any:
    """Lazy dask array of ``data`` (on ``src_gbox``) on ``dst_gbox``; outside the source is nodata."""
    import dask
    import dask.array as da
    from odc.geo.overlap import compute_reproject_roi

    if resampling not in RESAMPLINGS:
        raise ParameterError(f"resampling: unknown {resampling!r} (use one of {', '.join(RESAMPLINGS)})")
    if tuple(data.shape) != tuple(src_gbox.shape):
        raise RasterError(f"data shape {tuple(data.shape)} does not match its grid {tuple(src_gbox.shape)}")
    x = da.asarray(data)
    fill = _nodata_fill(x.dtype, nodata)
    if chunks is None:
        chunks = tuple(max(c) for c in x.chunks)
    off = _aligned_offset(src_gbox, dst_gbox)
    if off is not None:
        return _shift(x, off, tuple(dst_gbox.shape), fill).rechunk(chunks)
    out_chunks = da.core.normalize_chunks(chunks, tuple(dst_gbox.shape))
    blocks = []
    r0 = 0
    for rh in out_chunks[0]:
        row = []
        c0 = 0
        for cw in out_chunks[1]:
            sub = dst_gbox[r0:r0 + rh, c0:c0 + cw]
            shape = (rh, cw)
            try:
                info = compute_reproject_roi(src_gbox, sub, padding=2)
                rs, cs = info.roi_src
                empty = rs.stop <= rs.start or cs.stop <= cs.start
            except (ValueError, ArithmeticError):  # dst chunk far outside the source's CRS domain
                empty = True
            if empty:
                row.append(da.full(shape, fill, dtype=x.dtype))
            else:
                part = x[rs, cs]
                task = dask.delayed(_warp_block)(part, src_gbox[rs, cs], sub, resampling, fill)
                row.append(da.from_delayed(task, shape=shape, dtype=x.dtype))
            c0 += cw
        blocks.append(row)
        r0 += rh
    return da.block(blocks)


def _shift(x: Any, off: tuple[int, int], shape: tuple[int, int], fill: Any) -> Any:
    """Slice/pad a same-grid array to a window whose origin is ``off`` pixels into it."""
    import dask.array as da

    (r, c), (nr, nc) = off, shape
    rows, cols = x.shape
    r0, r1 = max(r, 0), min(r + nr, rows)
    c0, c1 = max(c, 0), min(c + nc, cols)
    if r1 <= r0 or c1 <= c0:
        return da.full(shape, fill, dtype=x.dtype, chunks=x.chunksize)
    core = x[r0:r1, c0:c1]
    pad = ((r0 - r, r + nr - r1), (c0 - c, c + nc - c1))
    if any(p for pp in pad for p in pp):
        core = da.pad(core, pad, mode="constant", constant_values=fill)
    return core


def union_geobox(geoboxes: Sequence[Any]) -> Any:
    """The grid covering all ``geoboxes``: their union when they share CRS, resolution and phase,
    else the union of their footprints on the first one's CRS and resolution."""
    from odc.geo.geobox import GeoBox, geobox_union_conservative

    if not geoboxes:
        raise ParameterError("geoboxes: need at least one grid")
    first = geoboxes[0]
    if all(_aligned_offset(first, g) is not None for g in geoboxes):
        return geobox_union_conservative(list(geoboxes))
    bboxes = [g.extent.to_crs(first.crs).boundingbox for g in geoboxes]
    bbox = (min(b.left for b in bboxes), min(b.bottom for b in bboxes), max(b.right for b in bboxes),
            max(b.top for b in bboxes))
    return GeoBox.from_bbox(bbox, first.crs, resolution=first.resolution)


def mosaic(arrays: Sequence[Any], nodata: float | None = math.nan) -> Any:
    """Earth Engine's mosaic of same-grid arrays: later arrays on top, their nodata shows those below."""
    import dask.array as da

    if not arrays:
        raise ParameterError("arrays: need at least one image to mosaic")
    xs = [da.asarray(a) for a in arrays]
    shape = xs[0].shape
    for k, a in enumerate(xs):
        if a.shape != shape:
            raise RasterError(f"mosaic: image {k} has shape {a.shape}, expected {shape} (align first)")
    if nodata is not None and isinstance(nodata, float) and math.isnan(nodata):
        return functools.reduce(lambda below, top: da.where(da.isnan(top), below, top), xs)
    return functools.reduce(lambda below, top: da.where(top == nodata, below, top), xs)
