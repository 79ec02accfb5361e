"""Footprint of a product: the polygon of valid (DN != 0) data in lon/lat, not its bounding box.

A decimated mask is read (GDAL uses overviews when the file has them, otherwise it samples every
n-th line and column, so a full 28,000 x 31,000 frame costs about 2048 lines of I/O and a few MB of
memory), vectorised with ``rasterio.features.shapes``, reduced to its largest part without holes,
simplified to a few pixels at the read scale and transformed to EPSG:4326.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.enums import Resampling
from rasterio.features import shapes
from shapely.geometry import Point, Polygon, shape
from shapely.geometry.polygon import orient

from palsar2.errors import ProductError
from palsar2.products.checks import GridMismatchWarning, corner_tolerance_m, to_grid_xy, transformer
from palsar2.products.model import Product

__all__ = ["footprint", "footprint_native", "valid_mask"]


def valid_mask(href: str, max_size: int = 2048) -> tuple[np.ndarray, Affine, int]:
    """Decimated ``DN != 0`` mask of an image, its transform and the decimation step."""
    try:
        with rasterio.open(href) as src:
            h, w = src.height, src.width
            step = max(1, math.ceil(max(h, w) / max_size))
            oh, ow = math.ceil(h / step), math.ceil(w / step)
            data = src.read(1, out_shape=(oh, ow), resampling=Resampling.nearest)
            transform = src.transform @ Affine.scale(w / ow, h / oh)
    except rasterio.errors.RasterioIOError as exc:
        raise ProductError(f"{href}: cannot read pixels for the footprint ({exc})") from None
    return data != 0, transform, step


def footprint_native(product: Product, *, max_size: int = 2048,
                     simplify_px: float = 2.0) -> tuple[Polygon, Polygon, int]:
    """(simplified, unsimplified) valid-data polygon in the product's CRS, and the read step."""
    href = product.href
    mask, transform, step = valid_mask(href, max_size)
    if not mask.any():
        raise ProductError(f"{href}: no valid (non-zero) pixels, so no footprint")
    parts = [shape(g) for g, _ in shapes(mask.view(np.uint8), mask=mask, transform=transform,
                                         connectivity=8)]
    largest = max(parts, key=lambda p: p.area)
    total = sum(p.area for p in parts)
    if largest.area < 0.9 * total:
        warnings.warn(f"{href}: valid data falls in {len(parts)} parts; the footprint is the "
                      f"largest ({largest.area / total:.0%} of the valid area)", stacklevel=3)
    outline = Polygon(largest.exterior)
    res = math.hypot(transform.a, transform.b)
    simplified = outline.simplify(simplify_px * res, preserve_topology=True)
    return simplified, outline, step


def footprint(product: Product, *, crs: str = "EPSG:4326", max_size: int = 2048,
              simplify_px: float = 2.0, check: bool = True) -> Polygon:
    """Polygon (lon/lat, EPSG:4326 by default) of the product's valid (DN != 0) data.

    ``max_size`` bounds the longest side of the mask read; ``simplify_px`` is the simplification
    tolerance in pixels of that mask. With ``check``, warns when the summary's image corners are
    farther from the data's outline than their 3-decimal precision and two pixels allow.
    """
    poly, outline, step = footprint_native(product, max_size=max_size, simplify_px=simplify_px)
    gb = product.geobox
    if check and product.summary is not None:
        _check_corners(product, outline, step)
    src_crs = gb.crs.to_wkt()
    extent = max(poly.bounds[2] - poly.bounds[0], poly.bounds[3] - poly.bounds[1])
    # densify so that long straight edges in the grid's CRS follow their curve in lon/lat
    dense = shapely.segmentize(poly, max(extent / 8.0, 1e-9))
    tr = transformer(src_crs, crs)
    coords = np.asarray(dense.exterior.coords)
    x, y = tr.transform(coords[:, 0], coords[:, 1])
    out = Polygon(np.c_[x, y])
    if not out.is_valid:
        out = shapely.make_valid(out)
        if out.geom_type != "Polygon":
            out = max(getattr(out, "geoms", [out]), key=lambda g: g.area)
    return orient(out, 1.0)


def corner_footprint(product: Product) -> Polygon:
    """Metadata-only footprint (no pixels read): the summary's image corners for JAXA products,
    the grid's extent for Earth Engine exports; lon/lat. Good to 3 decimals, for fast registering."""
    if product.summary is not None:
        poly = Polygon(product.summary.image_corners.ring())
        if poly.is_valid and poly.area > 0:
            return orient(poly, 1.0)
    extent = product.geobox.extent.to_crs("EPSG:4326")
    return orient(Polygon(extent.geom.exterior), 1.0)


def _check_corners(product: Product, outline: Polygon, step: int) -> None:
    """Warn when summary image corners are far from the outline of the valid data."""
    assert product.summary is not None
    gb = product.geobox
    corners = product.summary.image_corners
    pts = to_grid_xy(gb, np.array([[p.lon, p.lat] for p in corners[1:]], dtype=float))
    scale = 1.0 if not gb.crs.geographic else 111_320.0
    pixel = (abs(gb.affine.a) * scale) if not gb.crs.geographic else (product.pixel_spacing or 0.0)
    # the mask is read every `step` pixels: its outline is only that precise
    tol = corner_tolerance_m(pixel) + math.sqrt(2.0) * step * pixel
    names = ("left_top", "right_top", "left_bottom", "right_bottom")
    dist = {n: outline.exterior.distance(Point(x, y)) * scale for n, (x, y) in zip(names, pts)}
    worst = max(dist, key=dist.__getitem__)
    if dist[worst] > tol:
        warnings.warn(
            f"{product.href}: GeoTIFF grid and summary.txt disagree: image corner {worst} is "
            f"{dist[worst]:.0f} m ({dist[worst] / pixel:.1f} px) from the edge of the valid data "
            f"(tolerance {tol:.0f} m = max(2 px, 3-decimal rounding) + read step)",
            GridMismatchWarning, stacklevel=3)
