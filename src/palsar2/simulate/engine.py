"""Simulate scenes block by block and write them with ``palsar2.products.write_product``.

Each block of rows is computed from scratch from the seed (DEM, land cover, events, radar physics,
hashed speckle), so a full 2.5 m frame streams in bounded memory and any block is reproducible alone.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
import rasterio.features
import shapely
from affine import Affine
from odc.geo.geobox import GeoBox
from shapely.geometry import Polygon, mapping
from shapely.strtree import STRtree

from palsar2.errors import ParameterError, SimulationError
from palsar2.simulate import events as ev
from palsar2.simulate import radar
from palsar2.simulate.dem import gradient, land_mask, render_dem, slope_deg
from palsar2.simulate.geography import UTM_CRS, geom_to_lonlat, to_lonlat
from palsar2.simulate.landcover import classify
from palsar2.simulate.scenes import (
    SCENE_LENGTH_M,
    SWATH_WIDTH_M,
    SceneDef,
    collection_scenes,
    ground_range_to_angles,
    off_nadir_to_ground_range,
)

SIM_VERSION = "5"
MANIFEST = "simulation.json"
PIXELS_PER_BLOCK = 4_000_000
SHADOW_SPACING_M = 20.0


def scene_axes(scene: SceneDef) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (east, north) along track and toward far range."""
    h = math.radians(scene.geometry.heading_deg)
    along = np.array([math.sin(h), math.cos(h)])
    right = np.array([math.cos(h), -math.sin(h)])
    far = right if scene.geometry.look_side == "R" else -right
    return along, far


def swath_polygon(scene: SceneDef) -> Polygon:
    """The imaged swath (UTM 53N): a rectangle rotated with the satellite heading."""
    c = np.array(scene.center_xy)
    along, far = scene_axes(scene)
    a, w = SCENE_LENGTH_M / 2, SWATH_WIDTH_M / 2
    pts = [c + sa * a * along + sw * w * far for sa, sw in ((1, -1), (1, 1), (-1, 1), (-1, -1))]
    return Polygon(pts)


def scene_geobox(scene: SceneDef, spacing: float) -> GeoBox:
    """North-up UTM 53N grid around the swath, snapped to multiples of the spacing."""
    x0, y0, x1, y1 = swath_polygon(scene).bounds
    x0 = math.floor(x0 / spacing) * spacing
    y1 = math.ceil(y1 / spacing) * spacing
    nx = math.ceil((x1 - x0) / spacing)
    ny = math.ceil((y1 - y0) / spacing)
    return GeoBox((ny, nx), Affine(spacing, 0, x0, 0, -spacing, y1), UTM_CRS)


def _rows_geobox(gb: GeoBox, r0: int, r1: int) -> GeoBox:
    a = gb.affine
    return GeoBox((r1 - r0, gb.shape[1]), a @ Affine.translation(0, r0), gb.crs)


@dataclass
class SceneRenderer:
    """Computes DN and truth-label rows of one scene: ``renderer(row0, row1) -> uint16 rows``."""

    scene: SceneDef
    spacing: float
    seed: int = 0
    labels_sink: object | None = None  # open rasterio dataset to receive label rows
    geobox: GeoBox = field(init=False)

    def __post_init__(self) -> None:
        self.geobox = scene_geobox(self.scene, self.spacing)
        self.key = (int(self.seed) << 32) ^ zlib.crc32(self.scene.key.encode())
        # Town texture is the scatterers on the ground: the same on every date of one geometry
        # and frame (stable bright points), unlike the speckle, which decorrelates between passes.
        geom = f"{self.scene.geometry.beam}-{self.scene.frame}".encode()
        self.texture_key = (int(self.seed) << 32) ^ zlib.crc32(geom)
        self.along, self.far = scene_axes(self.scene)
        self.center = np.array(self.scene.center_xy)
        self.g_center = off_nadir_to_ground_range(self.scene.geometry.off_nadir_deg)
        g = self.g_center + np.linspace(-SWATH_WIDTH_M, SWATH_WIDTH_M, 257)
        self._g_table = (g, ground_range_to_angles(g)[1])
        date = self.scene.date
        swath = swath_polygon(self.scene)
        # The burnt and collapsed districts were town before the quake, in every scene.
        self.districts = [e.geometry.buffer(60.0 if e.cls == "burnt" else 30.0)
                          for e in ev.earthquake_events(self.seed)
                          if e.cls in ("burnt", "collapsed") and e.geometry.intersects(swath)]
        self.events = ev.earthquake_events(self.seed) if self.scene.post_event else ()
        self.false = ev.false_changes(self.seed, date)
        self.flooded = ev.paddies_flooded(date)
        self.events = tuple(e for e in self.events if e.geometry.intersects(swath))
        self._tree = STRtree([e.geometry for e in self.events]) if self.events else None
        self._shadow_grid, self._shadow = self._terrain_shadow()

    def _terrain_shadow(self) -> tuple[GeoBox, np.ndarray]:
        """Terrain-cast shadow over the scene on a grid of at least 20 m (hills are smooth)."""
        cs = max(self.spacing, SHADOW_SPACING_M)
        gb = scene_geobox(self.scene, cs)
        dem = render_dem(gb, self.seed)
        a = gb.affine
        xs = a.c + (np.arange(gb.shape[1]) + 0.5) * a.a
        ys = a.f + (np.arange(gb.shape[0]) + 0.5) * a.e
        v = (xs - self.center[0])[None, :] * self.far[0] + (ys - self.center[1])[:, None] * self.far[1]
        inc = np.interp(self.g_center + v, *self._g_table)
        toward = (-float(self.far[0]), -float(self.far[1]))
        return gb, radar.cast_shadow(dem, cs, toward, inc)

    def _shadow_rows(self, r0: int, r1: int) -> np.ndarray:
        gb, sh = self._shadow_grid, self._shadow
        a, fa = gb.affine, self.geobox.affine
        xs = fa.c + (np.arange(self.geobox.shape[1]) + 0.5) * fa.a
        ys = fa.f + (np.arange(r0, r1) + 0.5) * fa.e
        cc = np.clip(((xs - a.c) / a.a).astype(np.int64), 0, sh.shape[1] - 1)
        rr = np.clip(((ys - a.f) / a.e).astype(np.int64), 0, sh.shape[0] - 1)
        return sh[rr][:, cc]

    def _shapes(self, bbox: Polygon, value) -> list:
        if self._tree is None:
            return []
        idx = sorted(self._tree.query(bbox))
        return [(self.events[i].geometry, value(self.events[i])) for i in idx]

    def block(self, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
        """DN (uint16) and truth labels (uint8) of rows [r0, r1)."""
        s = self.spacing
        gb = _rows_geobox(self.geobox, r0 - 1, r1 + 1)  # one halo row each side for the gradient
        bbox = shapely.box(*gb.boundingbox)
        land = land_mask(gb)
        dem = render_dem(gb, self.seed, land=land)
        gx, gy = gradient(dem, s)
        slope = slope_deg(gx, gy)
        cover = classify(gb, dem, slope, land, self.seed)
        if self.flooded:
            cover[cover == radar.PADDY] = radar.FLOODED_PADDY
        out_shape = gb.shape
        districts = [(g, 1) for g in self.districts if g.intersects(bbox)]
        if districts:
            m = rasterio.features.rasterize(districts, out_shape=out_shape, transform=gb.affine,
                                            dtype="uint8").astype(bool)
            cover[m & land] = radar.URBAN
        false = [(f.geometry, f.cover) for f in self.false if f.geometry.intersects(bbox)]
        if false:
            fc = rasterio.features.rasterize(false, out_shape=out_shape, transform=gb.affine,
                                             dtype="uint8", fill=255)
            m = (fc != 255) & land
            cover[m] = fc[m]
        truth = np.zeros(out_shape, np.uint8)
        shapes = self._shapes(bbox, lambda e: e.cover)
        if shapes:
            evc = rasterio.features.rasterize(shapes, out_shape=out_shape, transform=gb.affine,
                                              dtype="uint8", fill=255)
            truth = rasterio.features.rasterize(self._shapes(bbox, lambda e: e.code),
                                                out_shape=out_shape, transform=gb.affine,
                                                dtype="uint8", fill=0)
            hit = evc != 255
            # New land only on the old sea, the others only on old land.
            ok = hit & np.where(evc == radar.NEW_LAND, ~land, land)
            cover[ok] = evc[ok]
            truth[hit & ~ok] = 0
        sl = slice(1, -1)
        cover, gx, gy, truth = cover[sl], gx[sl], gy[sl], truth[sl]
        # Geometry: ground range and incidence per pixel, local incidence from the DEM normal.
        a = self.geobox.affine
        xs = a.c + (np.arange(self.geobox.shape[1]) + 0.5) * a.a
        ys = a.f + (np.arange(r0, r1) + 0.5) * a.e
        dx = (xs - self.center[0])[None, :]
        dy = (ys - self.center[1])[:, None]
        v = dx * self.far[0] + dy * self.far[1]
        u = dx * self.along[0] + dy * self.along[1]
        inside = (np.abs(u) <= SCENE_LENGTH_M / 2) & (np.abs(v) <= SWATH_WIDTH_M / 2)
        inc = np.interp(self.g_center + v, *self._g_table).astype(np.float32)
        local, gain = radar.terrain_geometry(gx, gy, inc, (float(self.far[0]), float(self.far[1])))
        gain[self._shadow_rows(r0, r1)] = 0.0  # terrain-cast shadow: only noise comes back
        sigma = 10.0 ** (radar.sigma0_db(cover, local) / 10.0) * gain
        sigma *= radar.texture(self.texture_key, r0, cover)
        power = (sigma + radar.noise_power()) * radar.speckle(self.key, r0, r1 - r0, cover.shape[1])
        dn = radar.power_to_dn(power, inside)
        labels = np.where(inside, np.where(truth > 0, truth, 1), 0).astype(np.uint8)
        return dn, labels

    def __call__(self, row0: int, row1: int) -> np.ndarray:
        dn, labels = self.block(row0, row1)
        if self.labels_sink is not None:
            w = rasterio.windows.Window(0, row0, labels.shape[1], row1 - row0)
            self.labels_sink.write(labels, 1, window=w)
        return dn

    @property
    def block_rows(self) -> int:
        return int(max(16, min(512, PIXELS_PER_BLOCK // self.geobox.shape[1])))


def product_spec(scene: SceneDef, geobox: GeoBox, spacing: float):
    """The ProductSpec of a simulated scene (times from the orbit model, 10 s scene)."""
    from palsar2.products.writer import ProductSpec

    t = scene.center_time.replace(microsecond=(scene.center_time.microsecond // 1000) * 1000)
    half = dt.timedelta(seconds=SCENE_LENGTH_M / 7000.0 / 2)  # ~7 km/s ground speed
    return ProductSpec(scene_id=scene.scene_id, product_id=scene.product_id, geobox=geobox,
                       start_time=t - half, end_time=t + half, center_time=t,
                       off_nadir_deg=scene.geometry.off_nadir_deg,
                       extra={"Pds_ResamplingMethod": "CC",
                              "Pds_PixelSpacing": f"{spacing:.6f}",
                              "Odi_SceneId": f"SIMULATED-palsar2-{scene.geometry.beam}"})


def _write_cog(tmp: Path, final: Path, resampling: str) -> None:
    from rio_cogeo.cogeo import cog_translate
    from rio_cogeo.profiles import cog_profiles

    part = final.with_name(final.name + ".partial")
    cog_translate(str(tmp), str(part), cog_profiles.get("deflate"), overview_resampling=resampling,
                  quiet=True, in_memory=False)
    part.replace(final)
    tmp.unlink(missing_ok=True)


def _tiled_profile(geobox: GeoBox, dtype: str, nodata) -> dict:
    return {"driver": "GTiff", "width": geobox.shape[1], "height": geobox.shape[0], "count": 1,
            "dtype": dtype, "crs": UTM_CRS, "transform": geobox.affine, "tiled": True,
            "blockxsize": 512, "blockysize": 512, "compress": "deflate", "nodata": nodata,
            "BIGTIFF": "IF_SAFER"}


def write_truth(scene: SceneDef, seed: int, out_dir: Path) -> Path:
    """truth.geojson: the earthquake's changes inside the swath (lon/lat, class, code, area_m2)."""
    swath = swath_polygon(scene)
    feats = []
    for e in ev.earthquake_events(seed):
        if not e.geometry.intersects(swath):
            continue
        g = e.geometry.intersection(swath)
        if g.is_empty or g.area < 1.0:
            continue
        feats.append({"type": "Feature",
                      "properties": {"class": e.cls, "code": e.code, "area_m2": round(g.area, 1)},
                      "geometry": mapping(geom_to_lonlat(g))})
    doc = {"type": "FeatureCollection", "name": f"truth {scene.key}",
           "properties": {"scene": scene.key, "seed": seed, "crs": "EPSG:4326",
                          "area_crs": "EPSG:32653"},
           "features": feats}
    path = out_dir / "truth.geojson"
    path.write_text(json.dumps(doc))
    return path


@dataclass
class SimulationResult:
    """What :func:`simulate` wrote (and what it found already written and kept)."""

    out: Path
    products: list[Path] = field(default_factory=list)
    truth: list[Path] = field(default_factory=list)
    dem: Path | None = None
    skipped: list[str] = field(default_factory=list)


def _load_manifest(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return {"version": SIM_VERSION, "scenes": {}}


def simulate_scene(scene: SceneDef, out: Path, *, spacing: float, seed: int) -> tuple[Path, Path | None]:
    """Write one product (and its truth if post-event); returns (product dir, truth dir|None)."""
    from palsar2.products.writer import write_product

    renderer = SceneRenderer(scene, spacing, seed)
    gb = renderer.geobox
    truth_dir = out / "truth" / scene.key if scene.post_event else None
    sink = None
    tmp = None
    if truth_dir is not None:
        truth_dir.mkdir(parents=True, exist_ok=True)
        tmp = truth_dir / "labels.tmp.tif"
        sink = rasterio.open(tmp, "w", **_tiled_profile(gb, "uint8", 0))
        renderer.labels_sink = sink
    try:
        prod = write_product(out / "products", product_spec(scene, gb, spacing), renderer,
                             block_rows=renderer.block_rows, overwrite=True)
    finally:
        if sink is not None:
            sink.update_tags(units="class code", classes="0 nodata, 1 no change, 10 new_land, "
                             "11 landslide, 12 inundation, 13 burnt, 14 collapsed",
                             scene=scene.key, source="palsar2.simulate")
            sink.close()
    if truth_dir is not None and tmp is not None:
        _write_cog(tmp, truth_dir / "labels.tif", "nearest")
        write_truth(scene, seed, truth_dir)
    return prod, truth_dir


def write_dem(out: Path, scenes: list[SceneDef], *, spacing: float, seed: int) -> Path:
    """OUT/dem.tif: the terrain over all scenes (float32 metres, UTM 53N COG)."""
    res = max(spacing, 20.0)
    x0, y0, x1, y1 = shapely.unary_union([swath_polygon(s) for s in scenes]).bounds
    x0, y1 = math.floor(x0 / res) * res, math.ceil(y1 / res) * res
    gb = GeoBox((math.ceil((y1 - y0) / res), math.ceil((x1 - x0) / res)),
                Affine(res, 0, x0, 0, -res, y1), UTM_CRS)
    tmp = out / "dem.tmp.tif"
    rows = max(16, PIXELS_PER_BLOCK // gb.shape[1])
    with rasterio.open(tmp, "w", **_tiled_profile(gb, "float32", None)) as dst:
        for r0 in range(0, gb.shape[0], rows):
            r1 = min(r0 + rows, gb.shape[0])
            dst.write(render_dem(_rows_geobox(gb, r0, r1), seed), 1,
                      window=rasterio.windows.Window(0, r0, gb.shape[1], r1 - r0))
        dst.update_tags(units="metre", description="simulated terrain height above sea level",
                        seed=str(seed), source="palsar2.simulate.dem.render_dem")
    _write_cog(tmp, out / "dem.tif", "average")
    return out / "dem.tif"


def simulate(out: str | os.PathLike, *, spacing: float = 40.0, seed: int = 0,
             frames: Iterable[int] | None = None, progress: bool = False) -> SimulationResult:
    """Write the collection's scenes (products, truth, DEM) under ``out``; reuse identical ones."""
    if not (isinstance(spacing, (int, float)) and math.isfinite(spacing) and 2.0 <= spacing <= 1000.0):
        raise ParameterError(f"spacing: {spacing!r} m must be between 2 and 1000")
    if frames is not None:
        frames = tuple(int(f) for f in frames)
        known = {f for s in collection_scenes() for f in [s.frame]}
        bad = [f for f in frames if f not in known]
        if bad:
            raise ParameterError(f"frames: {bad} not in the collection ({sorted(known)})")
    scenes = collection_scenes(frames)
    if not scenes:
        raise SimulationError("frames: no scene to simulate")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _load_manifest(out)
    if manifest.get("version") != SIM_VERSION:
        manifest = {"version": SIM_VERSION, "scenes": {}}
    params = {"spacing": float(spacing), "seed": int(seed), "version": SIM_VERSION}
    result = SimulationResult(out)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(scenes), desc="simulate", unit="scene", file=__import__("sys").stderr)
    for scene in scenes:
        prod = out / "products" / scene.key
        truth = out / "truth" / scene.key
        done = prod.is_dir() and manifest["scenes"].get(scene.key) == params and \
            (not scene.post_event or (truth / "labels.tif").exists())
        if done:
            result.skipped.append(scene.key)
        else:
            manifest["scenes"].pop(scene.key, None)
            simulate_scene(scene, out, spacing=spacing, seed=seed)
            manifest["scenes"][scene.key] = params
            (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        result.products.append(prod)
        if scene.post_event:
            result.truth.append(truth)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    dem_params = {"spacing": float(spacing), "seed": int(seed), "scenes": sorted(s.key for s in scenes)}
    if not (out / "dem.tif").exists() or manifest.get("dem") != dem_params:
        write_dem(out, scenes, spacing=spacing, seed=seed)
        manifest["dem"] = dem_params
        (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    result.dem = out / "dem.tif"
    return result


__all__ = [
    "SceneRenderer",
    "SimulationResult",
    "scene_geobox",
    "simulate",
    "swath_polygon",
    "to_lonlat",
]
