"""Open rasters the server may read, kept open, and the fast tile read.

Only catalog assets and files inside the configured results directory ever reach :class:`DatasetPool`;
no request carries a path. A GDAL dataset handle must not be used by two threads at once, so the
pool lends each handle to one request at a time and keeps idle handles for reuse (opening a COG
costs more than rendering a tile from it).

:func:`read_tile` is the fast path: it maps the 256 x 256 output pixel centres of a WebMercator tile
to source pixels through a coarse grid of exact projections (17 x 17 points, bilinear in between,
well under a tenth of a pixel of error at tile scale, like GDAL's approximate transformer), reads
the covering window once at about the output resolution (GDAL picks the COG overview), and gathers
nearest neighbours with numpy. No WarpedVRT is built per tile.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.windows import Window

from palsar2.errors import NotFoundError, RasterError

GRID_POINTS = 17  # knots per axis of the projection grid


@dataclass
class Handle:
    """One open dataset plus its own transformers (pyproj objects are not shared across threads)."""

    href: str
    dataset: rasterio.io.DatasetReader
    from_mercator: Transformer
    from_lonlat: Transformer
    inverse: Affine
    fill: float

    @property
    def width(self) -> int:
        return self.dataset.width

    @property
    def height(self) -> int:
        return self.dataset.height


def _open_handle(href: str) -> Handle:
    try:
        ds = rasterio.open(href)
    except rasterio.errors.RasterioIOError as exc:
        raise NotFoundError(f"{href}: cannot be opened ({exc})") from None
    if ds.crs is None:
        ds.close()
        raise RasterError(f"{href}: has no CRS")
    fill = float("nan") if np.dtype(ds.dtypes[0]).kind == "f" else float(ds.nodata or 0)
    return Handle(
        href=href,
        dataset=ds,
        from_mercator=Transformer.from_crs("EPSG:3857", ds.crs, always_xy=True),
        from_lonlat=Transformer.from_crs("EPSG:4326", ds.crs, always_xy=True),
        inverse=~ds.transform,
        fill=fill,
    )


class DatasetPool:
    """Idle open datasets by href, lent to one thread at a time, least recently used closed first."""

    def __init__(self, max_idle: int = 128) -> None:
        self._idle: OrderedDict[str, list[Handle]] = OrderedDict()
        self._count = 0
        self._max_idle = max_idle
        self._lock = threading.Lock()

    @contextmanager
    def open(self, href: str) -> Iterator[Handle]:
        """Borrow a handle on ``href`` (opened if none is idle) and give it back afterwards."""
        with self._lock:
            handles = self._idle.get(href)
            handle = handles.pop() if handles else None
            if handle is not None:
                self._count -= 1
                self._idle.move_to_end(href)
        if handle is None:
            handle = _open_handle(href)
        try:
            yield handle
        finally:
            self._give_back(handle)

    def _give_back(self, handle: Handle) -> None:
        to_close: list[Handle] = []
        with self._lock:
            self._idle.setdefault(handle.href, []).append(handle)
            self._idle.move_to_end(handle.href)
            self._count += 1
            while self._count > self._max_idle:
                href, handles = next(iter(self._idle.items()))
                to_close.append(handles.pop(0))
                self._count -= 1
                if not handles:
                    del self._idle[href]
        for h in to_close:
            h.dataset.close()

    def close(self) -> None:
        """Close every idle handle."""
        with self._lock:
            handles = [h for hs in self._idle.values() for h in hs]
            self._idle.clear()
            self._count = 0
        for h in handles:
            h.dataset.close()


def apply_affine(t: Affine, x: float, y: float) -> tuple[float, float]:
    """``t`` applied to one point (spelled out: Affine's ``*`` on tuples is being deprecated)."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


@lru_cache(maxsize=16)
def _knots(size: int, points: int) -> tuple[np.ndarray, np.ndarray]:
    """For every output pixel: the knot to its left and its fractional distance to the next."""
    if size < 2:
        return np.zeros(size, dtype=np.intp), np.zeros(size)
    knots = np.linspace(0.0, size - 1.0, points)
    px = np.arange(size, dtype=np.float64)
    k = np.clip(np.searchsorted(knots, px, side="right") - 1, 0, points - 2)
    t = (px - knots[k]) / (knots[k + 1] - knots[k])
    k.setflags(write=False)
    t.setflags(write=False)
    return k, t


def _bilinear(grid: np.ndarray, width: int, height: int) -> np.ndarray:
    # Two gathers and blends instead of a matrix product: BLAS threads on a busy machine cost
    # tens of milliseconds for what is a 65,536-element interpolation.
    ky, ty = _knots(height, grid.shape[0])
    kx, tx = _knots(width, grid.shape[1])
    if height < 2:
        rows = grid[:1].repeat(height, axis=0)
    else:
        rows = grid[ky] * (1.0 - ty)[:, None] + grid[ky + 1] * ty[:, None]
    if width < 2:
        return rows[:, :1].repeat(width, axis=1)
    return rows[:, kx] * (1.0 - tx) + rows[:, kx + 1] * tx


def source_pixels(handle: Handle, bounds: tuple[float, float, float, float], width: int,
                  height: int, transformer: Transformer | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Fractional (col, row) in the source of every output pixel centre of a north-up box."""
    xmin, ymin, xmax, ymax = bounds
    kx = xmin + (np.linspace(0.0, width - 1.0, GRID_POINTS) + 0.5) * (xmax - xmin) / width
    ky = ymax - (np.linspace(0.0, height - 1.0, GRID_POINTS) + 0.5) * (ymax - ymin) / height
    gx, gy = np.meshgrid(kx, ky)
    tr = transformer or handle.from_mercator
    sx, sy = tr.transform(gx.ravel(), gy.ravel())
    inv = handle.inverse
    sx = np.asarray(sx).reshape(gx.shape)
    sy = np.asarray(sy).reshape(gy.shape)
    gcol = inv.a * sx + inv.b * sy + inv.c
    grow = inv.d * sx + inv.e * sy + inv.f
    return _bilinear(gcol, width, height), _bilinear(grow, width, height)


def read_tile(handle: Handle, bounds: tuple[float, float, float, float], size: int = 256,
              transformer: Transformer | None = None, height: int | None = None
              ) -> np.ndarray | None:
    """Band 1 resampled (nearest) onto a north-up box of ``size`` (width) x ``height`` pixels.

    ``bounds`` are in EPSG:3857 unless another ``transformer`` (from the box CRS to the source CRS)
    is given; ``height`` defaults to ``size``. Pixels outside the source get the dataset's fill
    (0 for DN, NaN for floats). None when the box misses the raster.
    """
    width, height = size, height or size
    col, row = source_pixels(handle, bounds, width, height, transformer)
    if not (np.isfinite(col).all() and np.isfinite(row).all()):
        return None
    c0 = max(math.floor(col.min()), 0)
    c1 = min(math.floor(col.max()) + 1, handle.width)
    r0 = max(math.floor(row.min()), 0)
    r1 = min(math.floor(row.max()) + 1, handle.height)
    if c1 <= c0 or r1 <= r0:
        return None
    win_w, win_h = c1 - c0, r1 - r0
    # Source pixels per output pixel along each axis, from the full (unclipped) span.
    sx = (col.max() - col.min()) / max(width - 1, 1)
    sy = (row.max() - row.min()) / max(height - 1, 1)
    out_w = win_w if sx <= 1 else max(1, math.ceil(win_w / sx))
    out_h = win_h if sy <= 1 else max(1, math.ceil(win_h / sy))
    data = handle.dataset.read(1, window=Window(c0, r0, win_w, win_h), out_shape=(out_h, out_w),
                               resampling=Resampling.nearest)
    ci = np.floor((col - c0) * (out_w / win_w)).astype(np.int64)
    ri = np.floor((row - r0) * (out_h / win_h)).astype(np.int64)
    inside = (col >= c0) & (col < c1) & (row >= r0) & (row < r1)
    np.clip(ci, 0, out_w - 1, out=ci)
    np.clip(ri, 0, out_h - 1, out=ri)
    out = data[ri, ci]
    if not inside.all():
        out[~inside] = handle.fill
    return out


def sample_point(handle: Handle, lon: float, lat: float) -> float | None:
    """The full-resolution pixel value at a lon/lat, or None outside the raster."""
    x, y = handle.from_lonlat.transform(lon, lat)
    c, r = apply_affine(handle.inverse, x, y)
    if not (np.isfinite(c) and np.isfinite(r)):
        return None
    col, row = math.floor(c), math.floor(r)
    if not (0 <= col < handle.width and 0 <= row < handle.height):
        return None
    v = handle.dataset.read(1, window=Window(col, row, 1, 1))[0, 0]
    return float(v)
