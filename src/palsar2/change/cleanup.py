"""Morphological clean-up, hysteresis growth and the minimum mapping unit, on plain arrays.

The dask wrappers run these per block with a halo (``map_overlap``): a component smaller than the
minimum mapping unit of n pixels fits inside a halo of n pixels, so with ``depth >= n`` removal is
exact; the halo is capped (:data:`MAX_DEPTH`) and the cap is reported when it applies.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from palsar2.change.classes import NO_CHANGE, NODATA
from palsar2.errors import ParameterError

STRUCT8 = np.ones((3, 3), bool)  # 8-connectivity everywhere (as rasterio.features.shapes uses)
MAX_DEPTH = 256


def mmu_pixels(mmu_m2: float, pixel_area_m2: float) -> int:
    """Smallest component size in pixels that reaches the minimum mapping unit (>= 1)."""
    if mmu_m2 < 0:
        raise ParameterError(f"--mmu {mmu_m2}: must be >= 0 m2")
    return max(1, int(math.ceil(mmu_m2 / pixel_area_m2 - 1e-9)))


def open_close(mask: np.ndarray, size: int = 3) -> np.ndarray:
    """Binary opening (drops specks) then closing (fills pin-holes) with a size x size square."""
    if size <= 1:
        return mask.copy()
    s = np.ones((size, size), bool)
    m = ndi.binary_opening(mask, structure=s)
    # border_value=0 and a 1-pixel pad would shrink objects at the array edge; pad by reflection
    p = size
    mp = np.pad(m, p, mode="edge")
    return ndi.binary_closing(mp, structure=s)[p:-p, p:-p]


def remove_small(mask: np.ndarray, min_pixels: int) -> np.ndarray:
    """Mask without its 8-connected components of fewer than ``min_pixels`` pixels."""
    if min_pixels <= 1 or not mask.any():
        return mask.copy()
    lab, n = ndi.label(mask, structure=STRUCT8)
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    keep = sizes >= min_pixels
    keep[0] = False
    return keep[lab]


def hysteresis(seeds: np.ndarray, grow: np.ndarray) -> np.ndarray:
    """Pixels of ``grow`` connected (8-neighbours) to a pixel of ``seeds``."""
    grow = grow | seeds
    if not seeds.any():
        return np.zeros_like(grow)
    lab, n = ndi.label(grow, structure=STRUCT8)
    hit = np.zeros(n + 1, bool)
    hit[np.unique(lab[seeds])] = True
    hit[0] = False
    return hit[lab]


def clean_classes(classes: np.ndarray, min_pixels: int, morph_size: int = 3,
                  codes: tuple[int, ...] | None = None) -> np.ndarray:
    """Open/close and apply the MMU to the change as a whole, then tidy the classes inside it.

    Working on the union of change classes first keeps a district whose pixels alternate between
    two classes (burnt / collapsed / decrease) from being eroded away class by class. Inside each
    surviving change region, class fragments under the MMU (and pixels filled by the closing) take
    the region's majority class. ``codes`` restricts which classes count as change.
    """
    out = classes.copy()
    change = classes > NO_CHANGE
    if codes is not None:
        change &= np.isin(classes, codes)
    if not change.any():
        return out
    kept = remove_small(open_close(change, morph_size), min_pixels) & (classes != NODATA)
    out[change & ~kept] = NO_CHANGE
    lab, n = ndi.label(kept, structure=STRUCT8)
    if n == 0:
        return out
    votes = np.bincount((lab.astype(np.int64) * 256 + np.where(change, classes, 0))[kept],
                        minlength=(n + 1) * 256).reshape(n + 1, 256)
    votes[:, : NO_CHANGE + 1] = 0
    majority = np.argmax(votes, axis=1).astype(np.uint8)
    fill = kept & ~change
    out[fill] = majority[lab[fill]]
    for code in np.unique(classes[kept & change]):
        frag = remove_small(kept & (classes == code), min_pixels)
        small = kept & (classes == code) & ~frag
        out[small] = majority[lab[small]]
    return out


def clean_depth(min_pixels: int, morph_size: int) -> tuple[int, bool]:
    """Halo for :func:`clean_classes` per block, and whether it had to be capped."""
    need = max(min_pixels, 1) + 2 * morph_size
    return min(need, MAX_DEPTH), need > MAX_DEPTH


def clean_classes_dask(classes, min_pixels: int, morph_size: int = 3, codes: tuple[int, ...] | None = None):
    """:func:`clean_classes` on a dask array, block by block with an exact halo (up to the cap)."""
    depth, _ = clean_depth(min_pixels, morph_size)
    return classes.map_overlap(clean_classes, depth=depth, boundary=NODATA, dtype=np.uint8,
                               min_pixels=min_pixels, morph_size=morph_size, codes=codes)
