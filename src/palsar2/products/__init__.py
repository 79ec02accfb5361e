"""Reading (and writing) JAXA's PALSAR-2 products: IDs, summary.txt, LUT, GeoTIFF, inputs, footprints.

Only this package knows JAXA's file layout. See docs/ARCHITECTURE.md ("products") for the contract.
"""

from __future__ import annotations

from palsar2.products.checks import GridMismatchWarning
from palsar2.products.footprint import corner_footprint, footprint
from palsar2.products.georef import Georef, normalise_crs, read_georef, read_tiff_info
from palsar2.products.ids import ProductFileName, ProductId, SceneId, pass_from_frame
from palsar2.products.inputs import find_products, iter_products, open_product, product_sources
from palsar2.products.jaxa import MissingLutWarning
from palsar2.products.lut import DEFAULT_CALIBRATION_DB, Lut, parse_lut, read_lut
from palsar2.products.model import Band, Product
from palsar2.products.summary import Corners, LonLat, Summary, read_summary
from palsar2.products.writer import ProductSpec, write_product

__all__ = [
    "DEFAULT_CALIBRATION_DB",
    "Band",
    "Corners",
    "Georef",
    "GridMismatchWarning",
    "LonLat",
    "Lut",
    "MissingLutWarning",
    "Product",
    "ProductFileName",
    "ProductId",
    "ProductSpec",
    "SceneId",
    "Summary",
    "corner_footprint",
    "find_products",
    "footprint",
    "iter_products",
    "normalise_crs",
    "open_product",
    "parse_lut",
    "pass_from_frame",
    "product_sources",
    "read_georef",
    "read_lut",
    "read_summary",
    "read_tiff_info",
    "write_product",
]
