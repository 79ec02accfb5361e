"""A physically grounded simulator of the StripMap_202401 collection over the real Noto coast.

``simulate(out, spacing=40.0, seed=0, frames=None)`` writes JAXA-layout Level 2.1 products to
``out/products/``, ground truth of each post-event scene to ``out/truth/<SceneID>_<ProductID>/``
and the terrain to ``out/dem.tif``. ``render_dem(geobox, seed)`` gives the same terrain on any grid.
"""

from __future__ import annotations

from palsar2.simulate.dem import render_dem
from palsar2.simulate.engine import SimulationResult, simulate
from palsar2.simulate.scenes import collection_scenes

__all__ = ["SimulationResult", "collection_scenes", "render_dem", "simulate"]
