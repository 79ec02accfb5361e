"""palsar2: ALOS-2 PALSAR-2 StripMap products to disaster maps, on your own machine.

The import is light: sub-packages load on first use (``palsar2.products``, ``palsar2.catalog``,
``palsar2.raster``, ``palsar2.change``, ``palsar2.simulate``, ``palsar2.server``).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "open_catalog": ("palsar2.catalog", "open_catalog"),
    "open_product": ("palsar2.products", "open_product"),
    "Image": ("palsar2.raster.image", "Image"),
    "ImageCollection": ("palsar2.raster.image", "ImageCollection"),
    "change": ("palsar2.change", None),
    "simulate": ("palsar2.simulate", None),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        mod, attr = _LAZY[name]
        m = import_module(mod)
        return getattr(m, attr) if attr else m
    raise AttributeError(f"module 'palsar2' has no attribute {name!r}")
