"""Stream numpy or dask rasters into valid Cloud-Optimised GeoTIFFs, atomically, in bounded memory.

On a local scheduler the chunks are computed and written one by one (``da.store``), on a
distributed one band of row-chunks at a time (the next computing while the current one is
written), into a temporary uncompressed tiled GeoTIFF next to the target (so the data are
compressed only once, at the end); GDAL then builds the
overviews from that file and its COG driver copies it into COG layout (overviews first, tiles in
order). Only the temp file is ever big; memory holds the chunks in flight (or two row bands) plus GDAL's block cache.
Everything goes to a hidden temp directory beside ``path`` and is renamed into place at the end,
so a failure leaves nothing behind.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import shutil
import sys
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from palsar2.errors import ParameterError, RasterError

RESAMPLINGS = ("nearest", "average", "rms", "bilinear", "cubic", "mode", "gauss")
COMPRESSIONS = ("deflate", "zstd", "lzw")
# GDAL's block cache counts towards the process's memory: keep it small, we stream anyway.
GDAL_CACHE_MB = 256
log = logging.getLogger(__name__)


def overview_factors(shape: tuple[int, int], blocksize: int = 512) -> list[int]:
    """Overview decimation factors 2, 4, ... until the smallest side fits in one block."""
    factors: list[int] = []
    f = 2
    while max(shape) / (f // 2) > blocksize:
        factors.append(f)
        f *= 2
    return factors


def _band_rows(data: Any, blocksize: int) -> list[tuple[int, int]]:
    """Row bands: the dask row-chunks (merged up to at least one tile row), else 2048-row bands."""
    rows = data.shape[-2]
    if hasattr(data, "chunks"):
        edges, acc = [0], 0
        for c in data.chunks[-2]:
            acc += c
            if acc - edges[-1] >= blocksize:
                edges.append(acc)
        if edges[-1] != rows:
            edges.append(rows)
        bands = list(itertools.pairwise(edges))
    else:
        step = max(blocksize, 2048)
        bands = [(r, min(r + step, rows)) for r in range(0, rows, step)]
    return bands


def _to_tag(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    return json.dumps(value, default=str, sort_keys=True)


def write_cog(data: Any, geobox: Any, path: str | os.PathLike, *, nodata: float | None = math.nan,
              tags: Mapping[str, Any] | None = None, units: str | None = None,
              overview_resampling: str = "average", compress: str = "zstd", level: int | None = None,
              blocksize: int = 512, progress: bool = False) -> Path:
    """Write 2-D (rows, cols) or 3-D bands-first data on ``geobox`` as a COG at ``path``.

    ``tags`` become GDAL dataset metadata (lists of strings comma-joined, other values JSON);
    ``units`` is also set on every band. ``compress`` is "zstd" (default: level 1 compresses
    float32 speckle as well as deflate at about seven times the speed), "deflate" (level 6, for
    old readers) or "lzw", always with the predictor suited to the data type. Returns the path.
    """
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.shutil import copy as rio_copy

    path = Path(path)
    if overview_resampling not in RESAMPLINGS:
        raise ParameterError(f"overview_resampling: unknown {overview_resampling!r} "
                             f"(use one of {', '.join(RESAMPLINGS)})")
    if compress not in COMPRESSIONS:
        raise ParameterError(f"compress: unknown {compress!r} (use one of {', '.join(COMPRESSIONS)})")
    if data.ndim not in (2, 3):
        raise ParameterError(f"data: expected 2-D or 3-D bands-first data for {path}, got {data.ndim}-D")
    if tuple(data.shape[-2:]) != tuple(geobox.shape):
        raise RasterError(f"{path}: data shape {tuple(data.shape[-2:])} does not match the grid "
                          f"{tuple(geobox.shape)}")
    if not path.parent.is_dir():
        raise ParameterError(f"path: directory {path.parent} does not exist")
    count = 1 if data.ndim == 2 else int(data.shape[0])
    dtype = np.dtype(data.dtype)
    if nodata is not None and math.isnan(nodata) and dtype.kind in "iub":
        nodata = None  # integers cannot hold NaN: no nodata unless one is given
    rows, cols = geobox.shape
    crs = geobox.crs.to_wkt() if geobox.crs is not None else None
    tmpdir = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmpdir.mkdir()
    try:
        staged = tmpdir / "staged.tif"
        profile: dict[str, Any] = {
            "driver": "GTiff", "width": cols, "height": rows, "count": count, "dtype": dtype.name,
            "crs": crs, "transform": geobox.affine, "nodata": nodata, "tiled": True,
            "blockxsize": blocksize, "blockysize": blocksize, "compress": "none", "bigtiff": "IF_SAFER",
            "interleave": "band" if count > 1 else "pixel"}
        if count == 3 and dtype == np.uint8:
            profile["photometric"] = "RGB"
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB, GDAL_NUM_THREADS="ALL_CPUS"):
            t0 = time.perf_counter()
            with rasterio.open(staged, "w", **profile) as dst:
                _stream(data, dst, blocksize, progress, path)
                t1 = time.perf_counter()
                factors = overview_factors((rows, cols), blocksize)
                if factors:
                    dst.build_overviews(factors, Resampling[overview_resampling])
                    dst.update_tags(ns="rio_overview", resampling=overview_resampling)
                dst.update_tags(**{str(k).upper(): _to_tag(v) for k, v in (tags or {}).items()})
                if units:
                    dst.units = (units,) * count
            out = tmpdir / path.name
            opts = {"COMPRESS": compress.upper(), "PREDICTOR": "YES", "BLOCKSIZE": str(blocksize),
                    "OVERVIEWS": "FORCE_USE_EXISTING" if factors else "NONE",
                    "NUM_THREADS": "ALL_CPUS", "BIGTIFF": "IF_SAFER"}
            if compress in ("zstd", "deflate"):
                opts["LEVEL"] = str(level if level is not None else (1 if compress == "zstd" else 6))
            t2 = time.perf_counter()
            rio_copy(str(staged), str(out), driver="COG", **opts)
            log.info("%s: computed+staged %.1f s, overviews %.1f s, COG copy %.1f s", path.name,
                     t1 - t0, t2 - t1, time.perf_counter() - t2)
        os.replace(out, path)
    except BaseException as exc:
        shutil.rmtree(tmpdir, ignore_errors=True)
        if isinstance(exc, rasterio.errors.RasterioError):
            raise RasterError(f"{path}: cannot write COG: {exc}") from exc
        raise
    shutil.rmtree(tmpdir, ignore_errors=True)
    return path


class _WindowTarget:
    """``da.store`` target writing each computed chunk into an open dataset (under a lock: GDAL
    datasets are not thread-safe)."""

    def __init__(self, dst: Any, ndim: int, bar: Any):
        import threading

        self.dst, self.ndim, self.bar = dst, ndim, bar
        self.lock = threading.Lock()
        self.shape = (dst.count, dst.height, dst.width) if ndim == 3 else (dst.height, dst.width)

    def __setitem__(self, key: tuple[slice, ...], block: np.ndarray) -> None:
        from rasterio.windows import Window

        rs, cs = key[-2], key[-1]
        window = Window(cs.start, rs.start, cs.stop - cs.start, rs.stop - rs.start)
        with self.lock:
            if self.ndim == 2:
                self.dst.write(block, 1, window=window)
            else:
                self.dst.write(block, window=window)
            if self.bar is not None:
                self.bar.update(block.shape[-1] * block.shape[-2])


def _on_local_scheduler() -> bool:
    """True when dask runs in this process (threads / sync): tasks may write to our dataset."""
    import dask

    try:
        from distributed import default_client

        default_client()
        return False
    except (ImportError, ValueError):
        return (dask.config.get("scheduler", None) or "threads") in (
            "threads", "threading", "sync", "synchronous", "single-threaded")


def _stream(data: Any, dst: Any, blocksize: int, progress: bool, path: Path) -> None:
    """Compute and write all pixels: chunk by chunk through ``da.store`` on a local scheduler
    (each chunk, and its overlap inputs, computed once), else row band by row band (the next band
    computing on the cluster while the current one is written here)."""
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=data.shape[-2] * data.shape[-1], unit="px", unit_scale=True, desc=path.name,
                   file=sys.stderr, leave=False)
    try:
        if hasattr(data, "dask") and _on_local_scheduler():
            import dask.array as da

            da.store(data, _WindowTarget(dst, data.ndim, bar), lock=False)
        else:
            _stream_bands(data, dst, blocksize, bar)
    finally:
        if bar is not None:
            bar.close()


def _stream_bands(data: Any, dst: Any, blocksize: int, bar: Any) -> None:
    from rasterio.windows import Window

    bands = _band_rows(data, blocksize)
    is_dask = hasattr(data, "dask")

    def compute(r0: int, r1: int) -> np.ndarray:
        part = data[..., r0:r1, :]
        return np.asarray(part.compute() if is_dask else part)

    with ThreadPoolExecutor(max_workers=1) as pool:
        nxt = pool.submit(compute, *bands[0]) if bands else None
        for k, (r0, r1) in enumerate(bands):
            assert nxt is not None
            block = nxt.result()
            nxt = pool.submit(compute, *bands[k + 1]) if k + 1 < len(bands) else None
            window = Window(0, r0, block.shape[-1], r1 - r0)
            if block.ndim == 2:
                dst.write(block, 1, window=window)
            else:
                dst.write(block, window=window)
            if bar is not None:
                bar.update(block.shape[-1] * block.shape[-2])
            del block
