"""``Image`` and ``ImageCollection``: Earth-Engine-like, lazy (dask) until written or computed.

An Image is a float32 dask array on a GeoBox, with its units and where it came from. Every method
returns a new Image and reads nothing; ``to_cog`` / ``to_xarray().compute()`` run the graph on the
active dask scheduler (see ``scheduler.use_scheduler``). Filtering and resampling happen in linear
power whatever the Image's units, and the result is converted back.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from palsar2.errors import ParameterError, RasterError
from palsar2.raster import radiometry, speckle, warp

UNIT_TAG = {"power": "linear power", "db": "dB", "amplitude": "amplitude"}


@dataclass(frozen=True)
class Image:
    """A lazy single-band raster on ``geobox``: float32, NaN = nodata, in ``units``."""

    data: Any
    geobox: Any
    units: str = "power"
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import dask.array as da

        if not hasattr(self.data, "dask"):
            object.__setattr__(self, "data", da.asarray(self.data))
        if tuple(self.data.shape) != tuple(self.geobox.shape):
            raise RasterError(f"Image data shape {tuple(self.data.shape)} does not match its grid "
                              f"{tuple(self.geobox.shape)}")
        object.__setattr__(self, "units", radiometry.check_units(self.units))

    # --- construction --------------------------------------------------------------------------
    @classmethod
    def from_item(cls, item: Any, *, band: str = "HH", chunks: int = 2048) -> Image:
        """sigma0 (linear power) of a catalog item's band, read lazily from its COG."""
        cf = radiometry.check_calibration(item.calibration_db)
        dn = warp.read_item(item, chunks=chunks, band=band)
        meta = {"source_ids": (str(item.id),), "start_time": getattr(item, "start_time", None),
                "band": band, "history": ({"step": "sigma0", "calibration_db": cf},)}
        return cls(radiometry.dn_to_power(dn, cf), item.geobox, "power", meta)

    # --- properties ------------------------------------------------------------------------------
    @property
    def source_ids(self) -> tuple[str, ...]:
        """IDs of the catalog items this image was made from."""
        return tuple(self.meta.get("source_ids", ()))

    @property
    def history(self) -> tuple[dict, ...]:
        """The processing steps so far (method and parameters), oldest first."""
        return tuple(self.meta.get("history", ()))

    @property
    def crs(self) -> Any:
        return self.geobox.crs

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.data.shape)

    def _with(self, data: Any, geobox: Any = None, units: str | None = None,
              step: dict | None = None) -> Image:
        meta = dict(self.meta)
        if step is not None:
            meta["history"] = self.history + (step,)
        return Image(data, self.geobox if geobox is None else geobox, units or self.units, meta)

    def _power(self) -> Any:
        return radiometry.to_power(self.data, self.units)

    # --- operations ------------------------------------------------------------------------------
    def sigma0(self, units: str = "power") -> Image:
        """The same backscatter in ``units``: "power" (linear), "db" or "amplitude"."""
        u = radiometry.check_units(units)
        if u == self.units:
            return self
        return self._with(radiometry.from_power(self._power(), u), units=u,
                          step={"step": "units", "units": u})

    def sigma0_db(self) -> Image:
        """Shortcut for ``sigma0("db")``."""
        return self.sigma0("db")

    def speckle(self, filter: str = "refined_lee", size: int | None = 7, **params: Any) -> Image:
        """Speckle-filtered image (filter applied in linear power, result in this image's units)."""
        spec, size, p = speckle.resolve(filter, size, params)
        out = speckle.filter_dask(self._power(), spec.name, size, **params)
        step = {"step": "speckle", "filter": spec.name, "size": size,
                **{k: v for k, v in p.items() if v is not None}}
        return self._with(radiometry.from_power(out, self.units), step=step)

    def clip(self, geometry: Any, crs: Any = "EPSG:4326") -> Image:
        """Crop to the geometry's bounding box and set pixels outside it to nodata."""
        geom = _to_geometry(geometry, crs).to_crs(self.geobox.crs)
        r0, r1, c0, c1 = _pixel_window(self.geobox, geom.boundingbox)
        if r1 <= r0 or c1 <= c0:
            raise RasterError("clip: the geometry does not overlap the image")
        sub = self.geobox[r0:r1, c0:c1]
        data = self.data[r0:r1, c0:c1]
        gj = json.dumps(geom.json)
        masked = data.map_blocks(_mask_block, gj, tuple(sub.affine)[:6], dtype=data.dtype)
        return self._with(masked, geobox=sub, step={"step": "clip", "bbox": list(geom.boundingbox)})

    def reproject(self, crs: Any, resolution: float, resampling: str = "bilinear") -> Image:
        """Resample (in linear power) onto a north-up grid in ``crs`` with square ``resolution``."""
        from odc.geo.geobox import GeoBox

        if not isinstance(resolution, (int, float)) or not resolution > 0:
            raise ParameterError(f"resolution: must be a positive number, got {resolution!r}")
        bbox = self.geobox.extent.to_crs(crs).boundingbox
        dst = GeoBox.from_bbox(bbox, crs, resolution=float(resolution))
        out = warp.reproject(self._power(), self.geobox, dst, resampling=resampling)
        step = {"step": "reproject", "crs": str(dst.crs), "resolution": resolution,
                "resampling": resampling}
        return self._with(radiometry.from_power(out, self.units), geobox=dst, step=step)

    def align(self, geobox: Any, resampling: str = "bilinear") -> Image:
        """This image on another grid (sliced when pixel-aligned, else resampled in power)."""
        if geobox == self.geobox:
            return self
        out = warp.reproject(self._power(), self.geobox, geobox, resampling=resampling)
        return self._with(radiometry.from_power(out, self.units), geobox=geobox)

    # --- outputs -------------------------------------------------------------------------------
    def tags(self) -> dict[str, Any]:
        """GeoTIFF tags describing the image: units, method, parameters, source item IDs."""
        steps = self.history
        method = " > ".join(s.get("filter", s["step"]) if s["step"] == "speckle" else s["step"]
                            for s in steps) or "none"
        return {"units": UNIT_TAG[self.units], "method": method, "parameters": list(steps),
                "source_item_ids": list(self.source_ids)}

    def to_xarray(self, name: str = "sigma0") -> Any:
        """Dask-backed xarray.DataArray with x/y (or longitude/latitude) coordinates and a CRS."""
        import xarray as xr
        from odc.geo.xr import xr_coords

        coords = xr_coords(self.geobox, crs_coord_name="spatial_ref")
        attrs = {"units": UNIT_TAG[self.units], "nodata": math.nan, "source_item_ids": list(self.source_ids),
                 "history": json.dumps(list(self.history), default=str)}
        # odc-geo's naming: (y, x) for projected grids, (latitude, longitude) for geographic ones
        dims = tuple(self.geobox.dimensions)
        return xr.DataArray(self.data, dims=dims, coords=coords, name=name, attrs=attrs)

    def to_numpy(self) -> np.ndarray:
        """Compute the image (small images only: this holds it all in memory)."""
        return np.asarray(self.data.compute())

    def to_cog(self, path: str | os.PathLike, *, progress: bool = False, compress: str = "zstd") -> Path:
        """Write a valid COG (float32, nodata NaN, overviews averaged in power for power/amplitude)."""
        from palsar2.raster.cog import write_cog

        resampling = {"power": "average", "amplitude": "rms", "db": "average"}[self.units]
        return write_cog(self.data, self.geobox, path, nodata=math.nan, tags=self.tags(),
                         units=UNIT_TAG[self.units], overview_resampling=resampling, progress=progress,
                         compress=compress)


def _to_geometry(geometry: Any, crs: Any) -> Any:
    from odc.geo.geom import Geometry

    if isinstance(geometry, Geometry):
        return geometry
    try:
        return Geometry(geometry, crs=crs)
    except Exception as exc:  # shapely / GeoJSON errors vary
        raise ParameterError(f"geometry: cannot use {type(geometry).__name__} as a geometry: {exc}") \
            from exc


def _pixel_window(gbox: Any, bbox: Any) -> tuple[int, int, int, int]:
    inv = ~gbox.affine
    xs, ys = [], []
    for x, y in ((bbox.left, bbox.bottom), (bbox.left, bbox.top), (bbox.right, bbox.bottom),
                 (bbox.right, bbox.top)):
        c, r = inv * (x, y)
        xs.append(c)
        ys.append(r)
    rows, cols = gbox.shape
    r0 = max(math.floor(min(ys)), 0)
    r1 = min(math.ceil(max(ys)), rows)
    c0 = max(math.floor(min(xs)), 0)
    c1 = min(math.ceil(max(xs)), cols)
    return r0, r1, c0, c1


def _mask_block(block: np.ndarray, geojson: str, affine6: tuple, block_info: Any = None) -> np.ndarray:
    from affine import Affine
    from rasterio.features import geometry_mask

    (r0, _), (c0, _) = block_info[0]["array-location"]
    t = Affine(*affine6) * Affine.translation(c0, r0)
    outside = geometry_mask([json.loads(geojson)], out_shape=block.shape, transform=t)
    out = block.copy()
    out[outside] = np.nan
    return out


@dataclass(frozen=True)
class ImageCollection:
    """An ordered set of Images (collection order = mosaic order: later on top)."""

    images: tuple[Image, ...]

    @classmethod
    def from_items(cls, items: Iterable[Any], *, band: str = "HH", chunks: int = 2048) -> ImageCollection:
        """One Image per catalog item, in the given order."""
        return cls(tuple(Image.from_item(it, band=band, chunks=chunks) for it in items))

    @classmethod
    def from_collection(cls, collection: Any, *, band: str = "HH", chunks: int = 2048) -> ImageCollection:
        """Images of a catalog query's items, in its order."""
        return cls.from_items(collection.items(), band=band, chunks=chunks)

    def __len__(self) -> int:
        return len(self.images)

    def __iter__(self) -> Iterator[Image]:
        return iter(self.images)

    def __getitem__(self, k: int) -> Image:
        return self.images[k]

    @property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(i for im in self.images for i in im.source_ids)

    def sort(self, key: str = "start_time", ascending: bool = True) -> ImageCollection:
        """Images ordered by a meta field (default acquisition start time)."""
        ims = sorted(self.images, key=lambda im: im.meta.get(key) or 0, reverse=not ascending)
        return ImageCollection(tuple(ims))

    def sigma0(self, units: str = "power") -> ImageCollection:
        return ImageCollection(tuple(im.sigma0(units) for im in self.images))

    def speckle(self, filter: str = "refined_lee", size: int | None = 7, **params: Any) -> ImageCollection:
        return ImageCollection(tuple(im.speckle(filter, size, **params) for im in self.images))

    def multitemporal(self, size: int = 7) -> ImageCollection:
        """Quegan-Yu multi-temporal speckle filter of the co-registered images (on the first's grid)."""
        if not self.images:
            raise RasterError("multitemporal: the collection is empty")
        g = self.images[0].geobox
        out = speckle.multitemporal(stack(self.images), size)
        step = {"step": "speckle", "filter": "multitemporal", "size": size, "dates": len(self.images)}
        return ImageCollection(tuple(
            im.align(g)._with(radiometry.from_power(out[k], im.units), geobox=g, step=step)
            for k, im in enumerate(self.images)))

    def mosaic(self, geobox: Any = None) -> Image:
        """One Image: later images on top, nodata showing those below (Earth Engine's ``mosaic``)."""
        if not self.images:
            raise RasterError("mosaic: the collection is empty")
        first = self.images[0]
        target = geobox or warp.union_geobox([im.geobox for im in self.images])
        aligned = [im.sigma0(first.units).align(target).data for im in self.images]
        data = warp.mosaic(aligned)
        meta = {"source_ids": self.source_ids,
                "start_time": max((im.meta.get("start_time") for im in self.images
                                   if im.meta.get("start_time") is not None), default=None),
                "history": ({"step": "mosaic", "sources": list(self.source_ids),
                             "inputs": [list(im.history) for im in self.images]},)}
        return Image(data, target, first.units, meta)


def stack(images: Sequence[Image]) -> Any:
    """(dates, rows, cols) dask array of same-grid images (for the multi-temporal filter)."""
    import dask.array as da

    if not images:
        raise ParameterError("images: need at least one image")
    g = images[0].geobox
    return da.stack([im.align(g).sigma0("power").data for im in images])


__all__ = ["Image", "ImageCollection", "stack"]
