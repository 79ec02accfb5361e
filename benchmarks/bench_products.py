"""palsar2.products on a full ultra-fine frame: streamed writing, opening, footprint; bounded memory.

Writes under /tmp (deleted afterwards). The alternative measured in the same run is rasterio
(GDAL's GTiff driver) writing the same strips block by block, and a full-resolution footprint.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import rasterio
from pyproj import Geod
from shapely.geometry import Polygon

from palsar2.products import footprint, open_product, write_product
from palsar2.products.testing import inside_quad, quad_lonlat, sample_spec, swath_quad

FULL = (31459, 27964)  # the real L1.5 UBS sample
QUICK = (6000, 5400)
BLOCK_ROWS = 256
FINE = 8192  # the finer footprint read (full resolution of a full frame would need ~4 GB)


def _source(shape: tuple[int, int], quad: np.ndarray):
    _h, w = shape
    cols = np.arange(w, dtype=np.float64) + 0.5

    def rows(r0: int, r1: int) -> np.ndarray:
        y = (np.arange(r0, r1, dtype=np.float64) + 0.5)[:, None]
        inside = inside_quad(quad, cols, y)
        dn = (((np.arange(r0, r1)[:, None] * 7 + np.arange(w) * 3) % 4000) + 1000).astype(np.uint16)
        return np.where(inside, dn, np.uint16(0))

    return rows


class _Clock:
    """Wraps a block source and adds up the time spent in it."""

    def __init__(self, source) -> None:
        self.source, self.seconds = source, 0.0

    def __call__(self, r0: int, r1: int) -> np.ndarray:
        t = time.perf_counter()
        out = self.source(r0, r1)
        self.seconds += time.perf_counter() - t
        return out


def _timed(fn):
    """(result, seconds, peak RSS growth in bytes), RSS sampled every 5 ms by a thread.

    Not tracemalloc: it slows Python-level allocation several-fold and so distorts timings.
    """
    os.sync()  # start each measurement without the previous one's dirty pages
    proc = psutil.Process()
    base = proc.memory_info().rss
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], proc.memory_info().rss)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t = time.perf_counter()
    try:
        out = fn()
    finally:
        dt = time.perf_counter() - t
        done.set()
        thread.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    return out, dt, peak[0] - base


def _rasterio_strips(path: Path, spec, source) -> None:
    h, w = spec.geobox.shape
    profile = {"driver": "GTiff", "width": w, "height": h, "count": 1, "dtype": "uint16",
               "crs": "EPSG:32653", "transform": spec.geobox.affine, "tiled": False,
               "BIGTIFF": "IF_SAFER"}
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, h, BLOCK_ROWS):
            r1 = min(h, r0 + BLOCK_ROWS)
            dst.write(source(r0, r1), 1, window=((r0, r1), (0, w)))


def run(quick: bool = False) -> str:
    load = os.getloadavg()[0]
    shape = QUICK if quick else FULL
    spec = sample_spec(shape=shape, pixel_spacing=2.5)
    quad = swath_quad(shape, -12.0, 0.86)
    source = _source(shape, quad)
    tmp = Path(tempfile.mkdtemp(prefix="bench-products-", dir="/tmp"))
    try:
        # the alternative first, so that neither gets a warmer page cache; the time spent making
        # the data is measured and subtracted (on a shared machine it dominates and varies)
        small = sample_spec(shape=(64, 64), pixel_spacing=2.5)  # warm up imports and caches
        small_src = _source((64, 64), swath_quad((64, 64)))
        _rasterio_strips(tmp / "warm.tif", small, small_src)
        write_product(tmp / "warm", small, small_src)
        gen_rio, gen_ours = _Clock(source), _Clock(source)
        _, t_rio, m_rio = _timed(lambda: _rasterio_strips(tmp / "rio.tif", spec, gen_rio))
        (tmp / "rio.tif").unlink()
        path, t_write, m_write = _timed(lambda: write_product(tmp / "ours", spec, gen_ours,
                                                              block_rows=BLOCK_ROWS))
        net_rio, net_ours = t_rio - gen_rio.seconds, t_write - gen_ours.seconds
        img = next(path.glob("IMG-*.tif"))
        size_mb = img.stat().st_size / 2**20
        product, t_open, _ = _timed(lambda: open_product(path))
        n = 20
        t0 = time.perf_counter()
        for _ in range(n):
            open_product(path)
        t_open = (time.perf_counter() - t0) / n
        fp, t_fp, m_fp = _timed(lambda: footprint(product))
        fine = min(max(shape), FINE)
        fp_full, t_fp_full, m_fp_full = _timed(lambda: footprint(product, max_size=fine))
        geod = Geod(ellps="WGS84")
        true_area = abs(geod.geometry_area_perimeter(Polygon(quad_lonlat(spec.geobox, quad)))[0])
        area = abs(geod.geometry_area_perimeter(fp)[0])
        bbox_area = abs(geod.geometry_area_perimeter(Polygon.from_bounds(*fp.bounds))[0])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    mb = 2**20
    rows = [
        (f"Frame {shape[1]} x {shape[0]} px (uint16, {size_mb:.0f} MB), blocks of {BLOCK_ROWS} rows. "
        f"Load average at the start: {load:.1f} on {os.cpu_count()} cores (shared machine)."),
        "",
        "| step | palsar2 | alternative (same run) | ratio |",
        "|---|---|---|---|",
        (f"| write_product (streamed callable), excluding data generation | {net_ours:.1f} s, "
         f"{size_mb / net_ours:.0f} MB/s, peak RSS growth {m_write / mb:.0f} MB | rasterio GTiff "
         f"strips: {net_rio:.1f} s, {size_mb / net_rio:.0f} MB/s, peak RSS growth {m_rio / mb:.0f} MB | "
         f"{net_ours / net_rio:.2f}x time |"),
        (f"| the same, including data generation | {t_write:.1f} s | {t_rio:.1f} s | "
         f"{t_write / t_rio:.2f}x time |"),
        (f"| footprint (decimated mask, 2048 px) | {t_fp:.2f} s, peak RSS growth {m_fp / mb:.0f} MB | "
        f"{fine} px mask: {t_fp_full:.1f} s, peak RSS growth {m_fp_full / mb:.0f} MB | "
        f"{t_fp / t_fp_full:.3f}x time |"),
        f"| open_product (metadata only) | {t_open * 1e3:.1f} ms | | |",
        "",
        (f"Footprint area {area / 1e6:.1f} km2 vs true swath {true_area / 1e6:.1f} km2 "
        f"({(area - true_area) / true_area:+.2%}); the {fine} px footprint differs by "
        f"{fp.symmetric_difference(fp_full).area / fp_full.area:.2%}; bounding box "
        f"{bbox_area / 1e6:.1f} km2. Peak RSS growth is sampled every 5 ms: "
         "the frame itself never sits in memory."),
    ]
    return "\n".join(rows)
