"""Raster engine: radiometry, numba speckle kernels, ENL, dask execution, warp/mosaic, COG, Image API.

Submodules load on demand so ``import palsar2.raster`` stays light; numba compiles (or loads from
its cache) only when a kernel is first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "Image": "palsar2.raster.image",
    "ImageCollection": "palsar2.raster.image",
    "filter_array": "palsar2.raster.speckle",
    "filter_dask": "palsar2.raster.speckle",
    "multitemporal": "palsar2.raster.speckle",
    "FILTERS": "palsar2.raster.speckle",
    "write_cog": "palsar2.raster.cog",
    "use_scheduler": "palsar2.raster.scheduler",
    "dn_to_power": "palsar2.raster.radiometry",
    "power_to_db": "palsar2.raster.radiometry",
    "db_to_power": "palsar2.raster.radiometry",
    "power_to_amplitude": "palsar2.raster.radiometry",
    "power_to_dn": "palsar2.raster.radiometry",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'palsar2.raster' has no attribute {name!r}")
