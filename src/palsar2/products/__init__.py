"""Reading (and writing) JAXA's PALSAR-2 products: IDs, summary.txt, LUT, GeoTIFF, inputs, footprints.

Only this package knows JAXA's file layout. See docs/ARCHITECTURE.md ("products") for the contract.
"""

from __future__ import annotations

from palsar2.products.footprint import footprint
from palsar2.products.georef import Georef, normalise_crs, read_georef, read_tiff_info
from palsar2.products.ids import ProductFileName, ProductId, SceneId, pass_from_frame
from palsar2.products.inputs import find_products, iter_products, open_product, product_sources
from palsar2.products.lut import DEFAULT_CALIBRATION_DB, Lut, parse_lut, read_lut
from palsar2.products.model import Band, Product
from palsar2.products.summary import Corners, LonLat, Summary, read_summary
from palsar2.products.writer import ProductSpec, write_product

__all__ = [
    "SceneId", "ProductId", "ProductFileName", "pass_from_frame",
    "Summary", "Corners", "LonLat", "read_summary",
    "Lut", "parse_lut", "read_lut", "DEFAULT_CALIBRATION_DB",
    "Georef", "read_georef", "read_tiff_info", "normalise_crs",
    "Band", "Product", "open_product", "find_products", "iter_products", "product_sources",
    "footprint", "ProductSpec", "write_product",
]
