"""Footprint of valid (DN != 0) data as a lon/lat polygon."""

from __future__ import annotations

from shapely.geometry import Polygon

from palsar2.products.model import Product


def footprint(product: Product) -> Polygon:
    """Polygon (lon/lat, EPSG:4326) of the product's valid data."""
    raise NotImplementedError
