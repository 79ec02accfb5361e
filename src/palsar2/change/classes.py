"""The class-code table shared by the detector, the simulator's truth and the server.

Codes are uint8 values in ``classes.tif`` and ``labels.tif``; names are the ``class`` property of
polygons and truth features; colours (RGB hex) are what maps and legends draw.
"""

from __future__ import annotations

from dataclasses import dataclass

from palsar2.errors import ParameterError


@dataclass(frozen=True)
class ChangeClass:
    """One class of a change map: its uint8 code, name, legend label and colour."""

    code: int
    name: str
    label: str
    color: str  # "#rrggbb"

    @property
    def rgb(self) -> tuple[int, int, int]:
        """Colour as a (r, g, b) tuple of 0-255 ints."""
        c = self.color.lstrip("#")
        return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


NODATA = 0
NO_CHANGE = 1
INCREASE = 2
DECREASE = 3
NEW_LAND = 10
LANDSLIDE = 11
INUNDATION = 12
BURNT = 13
COLLAPSED = 14

CLASSES: tuple[ChangeClass, ...] = (
    ChangeClass(NODATA, "nodata", "No data", "#000000"),
    ChangeClass(NO_CHANGE, "no_change", "No change", "#d9d9d9"),
    ChangeClass(INCREASE, "increase", "Backscatter increase", "#00bcd4"),
    ChangeClass(DECREASE, "decrease", "Backscatter decrease", "#e53935"),
    ChangeClass(NEW_LAND, "new_land", "New land (coastal uplift)", "#ff9800"),
    ChangeClass(LANDSLIDE, "landslide", "Landslide candidate", "#8d6e63"),
    ChangeClass(INUNDATION, "inundation", "Inundation", "#1e40ff"),
    ChangeClass(BURNT, "burnt", "Burnt urban area", "#212121"),
    ChangeClass(COLLAPSED, "collapsed", "Collapsed buildings", "#9c27b0"),
)

BY_CODE: dict[int, ChangeClass] = {c.code: c for c in CLASSES}
BY_NAME: dict[str, ChangeClass] = {c.name: c for c in CLASSES}
# Classes that are "change" (everything but nodata and no change), in map order.
CHANGE_CODES: tuple[int, ...] = tuple(c.code for c in CLASSES if c.code > NO_CHANGE)
THEME_CODES: tuple[int, ...] = (NEW_LAND, LANDSLIDE, INUNDATION, BURNT, COLLAPSED)


def by_code(code: int) -> ChangeClass:
    """The class of a uint8 code; ParameterError for an unknown one."""
    try:
        return BY_CODE[int(code)]
    except KeyError:
        raise ParameterError(f"class code {code!r}: unknown (known: {sorted(BY_CODE)})") from None


def by_name(name: str) -> ChangeClass:
    """The class of a name such as "landslide"; ParameterError for an unknown one."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ParameterError(f"class name {name!r}: unknown (known: {sorted(BY_NAME)})") from None


def colormap() -> dict[int, tuple[int, int, int, int]]:
    """GDAL/rasterio colour table (code -> RGBA); nodata transparent."""
    cmap = {c.code: (*c.rgb, 255) for c in CLASSES}
    cmap[NODATA] = (0, 0, 0, 0)
    return cmap
