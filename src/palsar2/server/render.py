"""Visualisation: DN / dB stretches as lookup tables, matplotlib palettes, and image encoding.

Pure functions on arrays. A uint16 DN tile is turned into 8-bit display values with one 65,536-entry
lookup table per visualisation (``min``/``max`` in DN or dB, ``gamma``, calibration factor), so a
tile costs one gather instead of float arithmetic per pixel; the table is cached. DN 0 is nodata and
becomes transparent. Nothing here rescales by the data's own range: the user's ``min``/``max`` are
the only stretch (Earth Engine's ``{min: 0, max: 8000}`` means exactly that).
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from PIL import Image

from palsar2.errors import ParameterError

Units = Literal["dn", "db"]
ImageFormat = Literal["png", "webp", "jpg"]

MEDIA_TYPES: dict[str, str] = {"png": "image/png", "webp": "image/webp", "jpg": "image/jpeg"}

# Default stretches: the collection's own visualisation on DN, and a common sigma0 range in dB.
DEFAULT_RANGE: dict[str, tuple[float, float]] = {"dn": (0.0, 8000.0), "db": (-25.0, 0.0)}
DEFAULT_LOG_RATIO_RANGE = (-6.0, 6.0)
DEFAULT_LOG_RATIO_PALETTE = "RdBu_r"

# Class codes and colours of palsar2.change.classes (ARCHITECTURE.md), the table the detector and
# the report use; "no change" stays transparent on the map so the radar image shows through.
_FALLBACK_CLASSES = {0: ("nodata", "#000000"), 1: ("no_change", "#d9d9d9"),
                     2: ("increase", "#00bcd4"), 3: ("decrease", "#e53935"),
                     10: ("new_land", "#ff9800"), 11: ("landslide", "#8d6e63"),
                     12: ("inundation", "#1e40ff"), 13: ("burnt", "#212121"),
                     14: ("collapsed", "#9c27b0")}


def _class_table() -> dict[int, tuple[str, str]]:
    try:
        from palsar2.change.classes import CLASSES

        return {c.code: (c.name, c.color) for c in CLASSES}
    except ImportError:  # the server also runs without the change package
        return dict(_FALLBACK_CLASSES)


def _rgba(code: int, colour: str) -> tuple[int, int, int, int]:
    if code <= 1:
        return (0, 0, 0, 0)
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), 230


_TABLE = _class_table()
CLASS_NAMES: dict[int, str] = {code: name for code, (name, _) in _TABLE.items()}
CLASS_COLOURS: dict[int, tuple[int, int, int, int]] = {
    code: _rgba(code, colour) for code, (_, colour) in _TABLE.items()}


@dataclass(frozen=True)
class Stretch:
    """A linear stretch with gamma: value -> 0..1 -> 0..255."""

    vmin: float
    vmax: float
    gamma: float = 1.0

    def __post_init__(self) -> None:
        if not np.isfinite(self.vmin) or not np.isfinite(self.vmax):
            raise ParameterError("min/max: must be finite numbers")
        if self.vmax <= self.vmin:
            raise ParameterError(f"max: must be greater than min ({self.vmin} >= {self.vmax})")
        if not (0.01 <= self.gamma <= 100):
            raise ParameterError(f"gamma: must be within 0.01..100, got {self.gamma}")

    def to_byte(self, values: np.ndarray) -> np.ndarray:
        """Scale float values to 0..255 uint8 (NaN -> 0; callers mask nodata separately)."""
        v = (np.asarray(values, dtype=np.float64) - self.vmin) / (self.vmax - self.vmin)
        v = np.clip(np.nan_to_num(v, nan=0.0), 0.0, 1.0)
        if self.gamma != 1.0:
            v = v ** (1.0 / self.gamma)  # Earth Engine's gamma: larger brightens
        return np.round(v * 255.0).astype(np.uint8)


@lru_cache(maxsize=256)
def dn_lut(stretch: Stretch, units: Units, calibration_db: float) -> np.ndarray:
    """65,536-entry uint8 table: display value of each DN under a stretch in DN or dB."""
    dn = np.arange(65536, dtype=np.float64)
    if units == "dn":
        values = dn
    else:
        with np.errstate(divide="ignore"):
            values = 20.0 * np.log10(dn) + calibration_db  # 10*log10(DN^2) + CF
        values[0] = np.nan
    lut = stretch.to_byte(values)
    lut.setflags(write=False)
    return lut


@lru_cache(maxsize=64)
def palette_table(name: str | None) -> np.ndarray:
    """(256, 3) uint8 RGB table of a matplotlib colormap; None -> greyscale."""
    if name is None:
        g = np.arange(256, dtype=np.uint8)
        table = np.stack([g, g, g], axis=1)
    else:
        import matplotlib

        try:
            cmap = matplotlib.colormaps[name]
        except KeyError:
            raise ParameterError(
                f"palette: unknown colormap {name!r} (use a matplotlib name such as viridis, "
                "magma, gray, RdBu_r)"
            ) from None
        table = (cmap(np.linspace(0, 1, 256))[:, :3] * 255 + 0.5).astype(np.uint8)
    table.setflags(write=False)
    return table


def palette_names() -> list[str]:
    """The colormap names ``palette`` accepts."""
    import matplotlib

    return sorted(matplotlib.colormaps)


def validate_palette(name: str | None) -> str | None:
    """Check a palette name early so the error is a 400 naming the parameter."""
    if name is not None:
        palette_table(name)
    return name


def colourise(byte: np.ndarray, valid: np.ndarray, palette: str | None) -> np.ndarray:
    """(H, W) display values + validity -> RGBA (H, W, 4), or grey+alpha (H, W, 2) for no palette.

    Invalid pixels are transparent. Greyscale stays two channels: half the bytes to compress.
    """
    if palette is None:
        la = np.empty(byte.shape + (2,), dtype=np.uint8)
        la[..., 0] = byte
        la[..., 1] = valid
        la[..., 1] *= 255
        return la
    rgba = np.empty(byte.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = palette_table(palette)[byte]
    rgba[..., 3] = np.where(valid, 255, 0).astype(np.uint8)
    return rgba


def classes_rgba(codes: np.ndarray) -> np.ndarray:
    """(H, W) uint8 class codes -> RGBA with the legend's colours."""
    table = np.zeros((256, 4), dtype=np.uint8)
    for code, colour in CLASS_COLOURS.items():
        table[code] = colour
    return table[codes]


def composite_rgba(red: np.ndarray, green_blue: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Change composite: before in red, after in green and blue (bright red = lost backscatter)."""
    rgba = np.empty(red.shape + (4,), dtype=np.uint8)
    rgba[..., 0] = red
    rgba[..., 1] = green_blue
    rgba[..., 2] = green_blue
    rgba[..., 3] = np.where(valid, 255, 0).astype(np.uint8)
    return rgba


def encode(rgba: np.ndarray, fmt: ImageFormat) -> bytes:
    """Encode RGBA (or grey+alpha) pixels; PNG at a low compression level: tiles must be fast."""
    buf = io.BytesIO()
    if rgba.shape[-1] == 2 and fmt != "png":
        rgba = np.concatenate([np.repeat(rgba[..., :1], 3, axis=-1), rgba[..., 1:]], axis=-1)
    if fmt == "png":
        if rgba[..., -1].min() == 255:  # fully opaque: drop alpha, a third fewer bytes to deflate
            rgba = np.ascontiguousarray(rgba[..., :-1] if rgba.shape[-1] == 4 else rgba[..., 0])
        mode = {2: "LA", 4: "RGBA", 3: "RGB"}.get(rgba.shape[-1], "L") if rgba.ndim == 3 else "L"
        # Z_RLE: speckle does not deflate anyway, runs of nodata do; ~25% faster than default
        Image.fromarray(rgba, mode).save(buf, format="PNG", compress_level=1,
                                         compress_type=zlib.Z_RLE)
    elif fmt == "webp":
        Image.fromarray(rgba, "RGBA").save(buf, format="WEBP", quality=85, method=0)
    elif fmt == "jpg":
        Image.fromarray(np.ascontiguousarray(rgba[..., :3]), "RGB").save(buf, format="JPEG",
                                                                          quality=85)
    else:
        raise ParameterError(f"format: must be png, webp or jpg, got {fmt!r}")
    return buf.getvalue()


@lru_cache(maxsize=8)
def empty_tile(fmt: ImageFormat, size: int = 256) -> bytes:
    """A fully transparent tile (outside every footprint), encoded once."""
    return encode(np.zeros((size, size, 4), dtype=np.uint8), fmt)
