"""ChangeResult: what :func:`~.detect.detect` returns, and how it is written to a result directory."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from palsar2.change import classes as C
from palsar2.change.align import Alignment
from palsar2.change.thresholds import Histogram, ThresholdResult

FILES = ("log_ratio.tif", "classes.tif", "preview.tif", "polygons.gpkg", "polygons.geojson", "stats.json",
         "report.html")
GRID_CELL_M = 1000.0
VECTOR_BLOCK = 4096
VECTOR_CACHE_MB = 128


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "to_dict"):
        return o.to_dict()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


@dataclass
class ChangeResult:
    """Lazy classes and log-ratio on the after grid, with thresholds, alignment and coarse masks."""

    geobox: Any
    pair: str
    before_id: str
    after_id: str
    options: Any
    thresholds: dict[str, ThresholdResult]
    alignment: Alignment
    params: dict[str, Any]
    histogram: Histogram
    lr_histogram: Histogram
    coarse: dict[str, Any]
    look: Any
    log_ratio: Any
    classes: Any
    _stores: tuple = ()
    stats: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] | None = None
    timing: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # caveats about the pair itself (season, ...)

    @property
    def pixel_area_m2(self) -> float:
        a = self.geobox.affine
        return float(abs(a.a * a.e - a.b * a.d))

    @property
    def degenerate(self) -> bool:
        """True when a threshold method failed and the fallback rule was used."""
        return any(t.degenerate for t in self.thresholds.values())

    def close(self) -> None:
        """Drop the scratch stores (files on disk) behind the lazy arrays."""
        for s in self._stores:
            s.close()
        self._stores = ()

    # ------------------------------------------------------------------------------------ write
    def write(self, out_dir: str | os.PathLike, *, report: bool = True) -> Path:
        """Write log_ratio.tif, classes.tif, preview.tif, polygons.gpkg/.geojson, stats.json, report.html."""
        from palsar2.raster.cog import write_cog

        out = Path(out_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        progress = bool(getattr(self.options, "progress", False))
        try:
            tags = {"pair": self.pair, "before": self.before_id, "after": self.after_id,
                    "method": self.options.method, "filter": f"{self.options.filter}:{self.options.size}"}
            t0 = time.perf_counter()
            write_cog(self.log_ratio, self.geobox, tmp / "log_ratio.tif", units="dB",
                      tags={**tags, "quantity": "log-ratio 10*log10(after/before), speckle-filtered power"},
                      progress=progress)
            self.timing["write_log_ratio_s"] = time.perf_counter() - t0
            table = {c.code: c.name for c in C.CLASSES}
            write_cog(self.classes, self.geobox, tmp / "classes.tif", nodata=0, overview_resampling="nearest",
                      tags={**tags, "classes": table}, progress=progress)
            self.timing["write_classes_s"] = time.perf_counter() - t0 - self.timing["write_log_ratio_s"]
            self._write_preview(tmp / "preview.tif")
            t1 = time.perf_counter()
            self._vectorise(tmp)
            self.timing["vectorise_stats_s"] = time.perf_counter() - t1
            self.stats["timing_s"] = {k: round(v, 2) for k, v in self.timing.items()}
            (tmp / "stats.json").write_text(json.dumps(self.stats, indent=2, default=_json_default))
            if report:
                from palsar2.change.report import write_report

                t2 = time.perf_counter()
                write_report(tmp)
                self.timing["report_s"] = time.perf_counter() - t2
            _move_into(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out

    def _write_preview(self, path: Path) -> None:
        from affine import Affine
        from odc.geo.geobox import GeoBox

        from palsar2.raster.cog import write_cog

        f = self.coarse["factor"]
        cb, ca = self.coarse["before_db"], self.coarse["after_db"]
        g = GeoBox(cb.shape, self.geobox.affine @ Affine.scale(f, f), self.geobox.crs)
        write_cog(np.stack([cb, ca]).astype(np.float32), g, path, units="dB",
                  tags={"bands": "before sigma0 dB, after sigma0 dB (filtered, block means in power)",
                        "pair": self.pair})

    def _vectorise(self, tmp: Path) -> None:
        import rasterio
        from rasterio.windows import Window

        from palsar2.change.places import Gazetteer
        from palsar2.change.vectors import finish, polygonize_blocks, write_vectors

        shape = tuple(int(s) for s in self.geobox.shape)
        t = self.geobox.affine
        px = math.sqrt(self.pixel_area_m2)
        cell = max(1, int(round(GRID_CELL_M / px)))
        counts = np.zeros(256, np.int64)
        grid = np.zeros((-(-shape[0] // cell), -(-shape[1] // cell), len(C.CLASSES)), np.int64)
        slot = np.zeros(256, np.int64)
        slot[[c.code for c in C.CLASSES]] = np.arange(len(C.CLASSES))
        # each tile is read once, in order: GDAL's default block cache (5% of RAM) would only
        # hold on to up to a gigabyte of tiles that are never read again
        with rasterio.Env(GDAL_CACHEMAX=VECTOR_CACHE_MB), rasterio.open(tmp / "classes.tif") as cs, \
                rasterio.open(tmp / "log_ratio.tif") as ls:
            def read(r0: int, r1: int, c0: int, c1: int):
                w = Window(c0, r0, c1 - c0, r1 - r0)
                cls = cs.read(1, window=w)
                counts[:] += np.bincount(cls.ravel(), minlength=256)
                ch = cls > C.NO_CHANGE
                if not ch.any():
                    return cls, None
                rr, cc = np.nonzero(ch)
                np.add.at(grid, ((rr + r0) // cell, (cc + c0) // cell, slot[cls[rr, cc]]), 1)
                return cls, ls.read(1, window=w)

            block = VECTOR_BLOCK
            recs = polygonize_blocks(read, shape, t, block=block)
        crs = self.geobox.crs
        bbox = self.geobox.geographic_extent.boundingbox
        gaz = Gazetteer(str(crs), (bbox.left, bbox.bottom, bbox.right, bbox.top))
        self.records = finish(recs, pair=self.pair, gazetteer=gaz)
        write_vectors(self.records, str(crs), tmp / "polygons.gpkg", tmp / "polygons.geojson")
        self.stats = self._stats(counts, grid, cell, px, gaz, tmp / "classes.tif")

    def _stats(self, counts: np.ndarray, grid: np.ndarray, cell: int, px: float, gaz: Any,
               classes_path: Path) -> dict[str, Any]:
        area = self.pixel_area_m2
        areas = {c.name: float(counts[c.code] * area) for c in C.CLASSES if c.code != C.NODATA}
        towns: dict[str, dict[str, float]] = {}
        for r in self.records or []:
            d = towns.setdefault(r["place"] or "unknown", {})
            d[r["class"]] = round(d.get(r["class"], 0.0) + r["area_m2"], 2)
        t = self.geobox.affine
        cells = []
        for i, j in zip(*np.nonzero(grid.sum(axis=2)), strict=True):
            x0, y0 = t @ (int(j) * cell, int(i) * cell)
            n = grid[i, j]
            cells.append({"row": int(i), "col": int(j), "x_min": round(x0, 2), "y_max": round(y0, 2),
                          "areas_m2": {C.CLASSES[k].name: float(n[k] * area) for k in np.nonzero(n)[0]}})
        shore = self._shoreline(classes_path)
        o = self.options
        return {
            "pair": self.pair, "before": self.before_id, "after": self.after_id,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "grid": {"crs": str(self.geobox.crs), "transform": list(tuple(t)[:6]),
                     "shape": list(self.geobox.shape), "pixel_m": px},
            "options": {k: (v.to_dict() if hasattr(v, "to_dict") else v) for k, v in asdict(o).items()},
            "thresholds": {k: v.to_dict() for k, v in self.thresholds.items()},
            "degenerate": {k: v.degenerate for k, v in self.thresholds.items()},
            "fallbacks": {k: v.fallback for k, v in self.thresholds.items() if v.fallback},
            "not_mapped": self._not_mapped(px),
            "notes": list(self.notes),
            "water": self.coarse["water"],
            "alignment": self.alignment.to_dict(),
            "look": self.look.to_dict() if self.look is not None else None,
            "classifier": self.params,
            "histogram": {"index": self.options.method, **self.histogram.to_dict()},
            "log_ratio_histogram": self.lr_histogram.to_dict(),
            "pixels": {C.BY_CODE[k].name: int(counts[k]) for k in np.nonzero(counts)[0] if k in C.BY_CODE},
            "areas_m2": areas,
            "change_area_m2": float(sum(v for k, v in areas.items() if k not in ("no_change",))),
            "new_land": {"area_m2": areas.get("new_land", 0.0), "shoreline": shore},
            "towns": towns,
            "grid_cell_m": GRID_CELL_M, "grid_1km": cells,
            "polygons": len(self.records or []),
            "class_table": {c.code: {"name": c.name, "label": c.label, "color": c.color} for c in C.CLASSES},
        }

    def _not_mapped(self, px: float) -> dict[str, str]:
        """Themes this result does not map, and why (shown in the report)."""
        out = {}
        if self.options.themes and not self.params.get("landslides", True):
            out["landslide"] = (f"{px:g} m pixels: a 2,500 m2 slide would be about "
                                f"{2500 / px**2:.1f} pixels (landslides need pixels of at most "
                                f"{self.options.landslide_max_pixel_m:g} m); slope changes stay increase/decrease")
        elif self.options.themes and "dem" not in self.coarse:
            out["landslide"] = "no DEM given: landslide candidates need slope and layover/shadow masks"
        return out

    def _shoreline(self, classes_path: Path) -> dict[str, Any]:
        """Seaward advance of the coast through new land, on a grid of at most ~10 m."""
        from palsar2.change.themes import shoreline_advance

        sea = self.coarse["sea_before"]
        if not sea.any():
            return {"transects": 0, "note": "no sea in the scene"}
        px = math.sqrt(self.pixel_area_m2)
        step = max(1, int(round(10.0 / px)))
        import rasterio
        from rasterio.enums import Resampling

        h, w = self.geobox.shape
        with rasterio.open(classes_path) as src:
            cls = src.read(1, out_shape=(-(-h // step), -(-w // step)), resampling=Resampling.nearest)
        f = self.coarse["factor"]
        rows = np.minimum(np.arange(cls.shape[0]) * step // f, sea.shape[0] - 1)
        cols = np.minimum(np.arange(cls.shape[1]) * step // f, sea.shape[1] - 1)
        sea_up = sea[rows[:, None], cols[None, :]]
        new = cls == C.NEW_LAND
        if not new.any():
            return {"transects": 0, "advancing": 0, "note": "no new land"}
        # only the box around the new land (plus the longest transect) needs distance transforms
        rr, cc = np.nonzero(new)
        m = int(1000.0 / (px * step)) + 2
        r0, r1 = max(rr.min() - m, 0), min(rr.max() + m + 1, cls.shape[0])
        c0, c1 = max(cc.min() - m, 0), min(cc.max() + m + 1, cls.shape[1])
        cls, sea_up, new = cls[r0:r1, c0:c1], sea_up[r0:r1, c0:c1], new[r0:r1, c0:c1]
        land_before = (cls != C.NODATA) & ~sea_up & ~new
        return shoreline_advance(land_before, new, px * step)

    def polygons(self) -> list[dict[str, Any]]:
        """Polygon records (after :meth:`write`; computed in memory otherwise)."""
        if self.records is None:
            from palsar2.change.vectors import finish, polygonize

            cls = np.asarray(self.classes)
            lr = np.asarray(self.log_ratio)
            self.records = finish(polygonize(cls, self.geobox.affine, lr), pair=self.pair)
        return self.records


def _move_into(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.replace(tmp, out)
        return
    for p in tmp.iterdir():
        os.replace(p, out / p.name)
    tmp.rmdir()
