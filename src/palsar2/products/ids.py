"""Scene ID, product ID and file-name grammar of JAXA's PALSAR-2 products (FORMAT.md section 2).

Pure parsing and formatting: no file I/O. Anything that does not follow the grammar raises
:class:`~palsar2.errors.IdentifierError` naming the text and the part at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from palsar2.errors import IdentifierError

__all__ = [
    "LEVELS",
    "MODES",
    "OPTIONS",
    "ORBIT_DIRECTIONS",
    "POLARISATIONS",
    "PROJECTIONS",
    "ProductFileName",
    "ProductId",
    "SceneId",
    "pass_from_frame",
]

#: Observation modes (DDD) and what they are.
MODES: dict[str, str] = {
    "SBS": "spotlight",
    "UBS": "ultra-fine single", "UBD": "ultra-fine dual",
    "HBS": "high-sensitive single", "HBD": "high-sensitive dual", "HBQ": "high-sensitive quad",
    "FBS": "fine single", "FBD": "fine dual", "FBQ": "fine quad",
    "WBS": "ScanSAR nominal single", "WBD": "ScanSAR nominal dual",
    "WWS": "ScanSAR wide single", "WWD": "ScanSAR wide dual",
    "VBS": "ScanSAR (VBS) single", "VBD": "ScanSAR (VBD) dual",
}
LEVELS = ("1.0", "1.1", "1.5", "2.1", "3.1")
#: Processing option (G): geo-coded, geo-reference, none (L1.0/L1.1).
OPTIONS = {"G": "geo-coded", "R": "geo-reference", "_": "none"}
#: Map projection (H).
PROJECTIONS = {"U": "UTM", "P": "polar stereographic", "M": "Mercator",
               "L": "Lambert conformal conic", "_": "none"}
ORBIT_DIRECTIONS = {"A": "ascending", "D": "descending"}
POLARISATIONS = ("HH", "HV", "VH", "VV")
#: Frames per orbit: a frame number is the argument of latitude in units of 0.05 degrees.
FRAMES_PER_ORBIT = 7200
#: Orbits in one repeat cycle; path = (14 * orbit + 24) % 207 (FORMAT.md section 2).
ORBITS_PER_CYCLE = 207

PassDirection = Literal["ascending", "descending"]

_SCENE_RE = re.compile(r"ALOS2(\d{5})(\d{4})-(\d{2})(\d{2})(\d{2})")
_PRODUCT_RE = re.compile(r"([A-Z]{3})(.)(\d\.\d)(.)(.)(.)")
_FILE_RE = re.compile(
    r"(?P<kind>IMG|LUT|BRS)-(?P<pol>[A-Z]{2})-(?P<scene>ALOS2\d{9}-\d{6})-(?P<product>.{10})"
    r"\.(?P<ext>tif|tiff|txt|jpg)", re.IGNORECASE)
#: A scene ID anywhere inside a longer name (file names of Earth Engine exports).
SCENE_IN_TEXT_RE = re.compile(r"(?<![0-9A-Za-z])ALOS2\d{9}-\d{6}(?!\d)")
#: A product ID anywhere inside a longer name.
PRODUCT_IN_TEXT_RE = re.compile(r"(?<![A-Z])[A-Z]{3}[LR]\d\.\d[GR_][UPML_][AD](?![A-Za-z0-9])")


def pass_from_frame(frame: int) -> PassDirection:
    """Orbit direction implied by a frame number (argument of latitude = frame * 0.05 degrees)."""
    if not 0 <= frame < FRAMES_PER_ORBIT:
        raise IdentifierError(f"frame {frame}: not in 0..{FRAMES_PER_ORBIT - 1}")
    # 0..90 deg and 270..360 deg of argument of latitude are the northbound half of the orbit
    return "descending" if 1800 <= frame < 5400 else "ascending"


@dataclass(frozen=True, order=True)
class SceneId:
    """``ALOS2`` + orbit (5 digits) + frame (4 digits) + ``-`` + ``YYMMDD``."""

    orbit: int
    frame: int
    date: date

    def __post_init__(self) -> None:
        if not 0 <= self.orbit <= 99999:
            raise IdentifierError(f"scene ID orbit {self.orbit}: not in 0..99999")
        if not 0 <= self.frame < FRAMES_PER_ORBIT:
            raise IdentifierError(f"scene ID frame {self.frame}: not in 0..{FRAMES_PER_ORBIT - 1}")
        if not 2000 <= self.date.year <= 2099:
            raise IdentifierError(f"scene ID date {self.date}: YYMMDD covers 2000..2099 only")

    @classmethod
    def parse(cls, text: str) -> SceneId:
        """Parse e.g. ``ALOS2552020760-240812`` (orbit 55202, frame 0760, 2024-08-12)."""
        if not isinstance(text, str):
            raise IdentifierError(f"scene ID {text!r}: not a string")
        m = _SCENE_RE.fullmatch(text)
        if m is None:
            raise IdentifierError(
                f"scene ID {text!r}: expected ALOS2 + orbit (5 digits) + frame (4 digits) + '-YYMMDD'")
        orbit, frame, yy, mm, dd = (int(g) for g in m.groups())
        try:
            d = date(2000 + yy, mm, dd)
        except ValueError as exc:
            raise IdentifierError(f"scene ID {text!r}: bad date {m.group(3)}{m.group(4)}"
                                  f"{m.group(5)} ({exc})") from None
        return cls(orbit, frame, d)

    def __str__(self) -> str:
        return f"ALOS2{self.orbit:05d}{self.frame:04d}-{self.date:%y%m%d}"

    @property
    def path(self) -> int:
        """Path (track) number, ``(14 * orbit + 24) % 207``; not part of the name itself."""
        return (14 * self.orbit + 24) % ORBITS_PER_CYCLE

    @property
    def frame_pass_direction(self) -> PassDirection:
        """Orbit direction implied by the frame number."""
        return pass_from_frame(self.frame)


@dataclass(frozen=True)
class ProductId:
    """``DDDEFFFGHI``: mode, look side, level, processing option, map projection, orbit direction."""

    mode: str
    look_side: str
    level: str
    option: str
    projection: str
    orbit_direction: str

    def __post_init__(self) -> None:
        text = (f"{self.mode}{self.look_side}{self.level}{self.option}{self.projection}"
                f"{self.orbit_direction}")
        if self.mode not in MODES:
            raise IdentifierError(f"product ID {text!r}: unknown mode {self.mode!r} "
                                  f"(one of {', '.join(MODES)})")
        if self.look_side not in ("L", "R"):
            raise IdentifierError(f"product ID {text!r}: look side {self.look_side!r} is not L or R")
        if self.level not in LEVELS:
            raise IdentifierError(f"product ID {text!r}: level {self.level!r} not in {', '.join(LEVELS)}")
        if self.option not in OPTIONS:
            raise IdentifierError(f"product ID {text!r}: processing option {self.option!r} "
                                  "is not G, R or _")
        if self.projection not in PROJECTIONS:
            raise IdentifierError(f"product ID {text!r}: map projection {self.projection!r} "
                                  "is not U, P, M, L or _")
        if self.orbit_direction not in ORBIT_DIRECTIONS:
            raise IdentifierError(f"product ID {text!r}: orbit direction {self.orbit_direction!r} "
                                  "is not A or D")
        # L1.0/L1.1 are in radar geometry: no processing option, no projection; L1.5+ have both
        slant = self.level in ("1.0", "1.1")
        if slant and (self.option, self.projection) != ("_", "_"):
            raise IdentifierError(f"product ID {text!r}: level {self.level} has no processing "
                                  "option or map projection (expected '__')")
        if not slant and "_" in (self.option, self.projection):
            raise IdentifierError(f"product ID {text!r}: level {self.level} needs a processing "
                                  "option (G/R) and a map projection (U/P/M/L)")

    @classmethod
    def parse(cls, text: str) -> ProductId:
        """Parse e.g. ``UBSL2.1GUA``."""
        if not isinstance(text, str):
            raise IdentifierError(f"product ID {text!r}: not a string")
        m = _PRODUCT_RE.fullmatch(text)
        if m is None:
            raise IdentifierError(f"product ID {text!r}: expected 10 characters DDDEFFFGHI, "
                                  "e.g. UBSL2.1GUA")
        return cls(*m.groups())

    def __str__(self) -> str:
        return (f"{self.mode}{self.look_side}{self.level}{self.option}{self.projection}"
                f"{self.orbit_direction}")

    @property
    def pass_direction(self) -> PassDirection:
        """``ascending`` or ``descending``."""
        return ORBIT_DIRECTIONS[self.orbit_direction]  # type: ignore[return-value]

    @property
    def look_direction(self) -> str:
        """``left`` or ``right`` (STAC ``sar:observation_direction``)."""
        return "left" if self.look_side == "L" else "right"

    @property
    def mode_name(self) -> str:
        return MODES[self.mode]

    @property
    def projection_name(self) -> str:
        return PROJECTIONS[self.projection]

    @property
    def n_polarisations(self) -> int:
        """1, 2 or 4 from the last letter of the mode (single/dual/quad)."""
        return {"S": 1, "D": 2, "Q": 4}[self.mode[2]]

    @property
    def is_scansar(self) -> bool:
        return self.mode[0] in "WV"

    @property
    def is_geocoded(self) -> bool:
        return self.option == "G"


@dataclass(frozen=True)
class ProductFileName:
    """``IMG-<pol>-<SceneID>-<ProductID>.tif``, ``LUT-...txt``, ``BRS-...jpg``."""

    kind: str
    polarisation: str
    scene_id: SceneId
    product_id: ProductId
    extension: str

    @classmethod
    def parse(cls, name: str) -> ProductFileName:
        """Parse a bare file name (no directory)."""
        m = _FILE_RE.fullmatch(name)
        if m is None:
            raise IdentifierError(f"file name {name!r}: expected IMG|LUT|BRS-<pol>-<SceneID>-"
                                  "<ProductID>.tif|txt|jpg")
        pol = m["pol"]
        if pol not in POLARISATIONS:
            raise IdentifierError(f"file name {name!r}: polarisation {pol!r} not in "
                                  f"{', '.join(POLARISATIONS)}")
        return cls(m["kind"].upper(), pol, SceneId.parse(m["scene"]),
                   ProductId.parse(m["product"]), m["ext"])

    @classmethod
    def build(cls, kind: str, polarisation: str, scene_id: SceneId, product_id: ProductId) -> str:
        """The file name JAXA uses for this kind of file."""
        ext = {"IMG": "tif", "LUT": "txt", "BRS": "jpg"}[kind]
        return f"{kind}-{polarisation}-{scene_id}-{product_id}.{ext}"

    def __str__(self) -> str:
        return f"{self.kind}-{self.polarisation}-{self.scene_id}-{self.product_id}.{self.extension}"


def product_key(scene_id: SceneId, product_id: ProductId) -> str:
    """``<SceneID>_<ProductID>``: the product's ID, its directory and KML name."""
    return f"{scene_id}_{product_id}"
