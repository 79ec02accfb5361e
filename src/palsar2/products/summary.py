"""summary.txt of a PALSAR-2 product: every record kept in order, byte-exact, with a typed view.

FORMAT.md section 3: one ``Keyword="Value"`` record a line, values in double quotes. Unknown keys
are kept, never rejected (processing versions differ). Typed properties raise
:class:`~palsar2.errors.SummaryError` naming the key and the file when a value is missing or bad.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from palsar2.errors import IdentifierError, SummaryError
from palsar2.products.ids import ProductId, SceneId

__all__ = ["Corners", "LonLat", "Summary", "parse_utc", "read_summary"]

_RECORD_RE = re.compile(r'([A-Za-z][A-Za-z0-9_]*)="(.*)"')
_TIME_RE = re.compile(r"(\d{4})(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?")
_FILE_KEY_RE = re.compile(r"Pdi_L(\d{2})ProductFileName(\d{2,})")
_CORNERS = ("Center", "LeftTop", "RightTop", "LeftBottom", "RightBottom")


class LonLat(NamedTuple):
    lon: float
    lat: float


class Corners(NamedTuple):
    """Centre and corners (lon, lat) as JAXA names them."""

    center: LonLat
    left_top: LonLat
    right_top: LonLat
    left_bottom: LonLat
    right_bottom: LonLat

    def ring(self) -> list[tuple[float, float]]:
        """The corners as a closed ring LT, LB, RB, RT, LT (the order of JAXA's KML)."""
        pts = [self.left_top, self.left_bottom, self.right_bottom, self.right_top, self.left_top]
        return [(p.lon, p.lat) for p in pts]


def parse_utc(text: str, *, what: str = "time") -> datetime:
    """``YYYYMMDD hh:mm:ss.ttt`` (UTC) to an aware datetime.

    A leap second (``23:59:60.x``) becomes ``00:00:00.x`` of the next day, as POSIX time does:
    Python datetimes cannot hold second 60.
    """
    m = _TIME_RE.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"{what} {text!r}: expected 'YYYYMMDD hh:mm:ss.ttt'")
    y, mo, d, hh, mi, ss = (int(g) for g in m.groups()[:6])
    frac = m.group(7) or "0"
    micro = int(frac.ljust(6, "0"))
    leap = ss == 60
    if leap:
        if (hh, mi) != (23, 59):
            raise ValueError(f"{what} {text!r}: second 60 only exists at 23:59 UTC (leap second)")
        ss = 59
    try:
        t = datetime(y, mo, d, hh, mi, ss, micro, tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"{what} {text!r}: {exc}") from None
    return t + timedelta(seconds=1) if leap else t


def format_utc(t: datetime) -> str:
    """An aware (or naive UTC) datetime as ``YYYYMMDD hh:mm:ss.ttt``."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC)
    return f"{t:%Y%m%d %H:%M:%S}.{t.microsecond // 1000:03d}"


class Summary:
    """Ordered ``Keyword -> Value`` records of a summary.txt, plus typed properties."""

    def __init__(self, records: dict[str, str] | None = None, *, source: str | None = None,
                 newline: str = "\n", trailer: str | None = None, prefix: str = "",
                 encoding: str = "utf-8") -> None:
        self.records: dict[str, str] = dict(records or {})
        self.source = source
        self.newline = newline
        # what follows the last record: normally one newline
        self.trailer = newline if trailer is None else trailer
        self.prefix = prefix  # e.g. a byte-order mark
        self.encoding = encoding  # what the bytes were decoded with, for a byte-exact to_bytes()

    # ---- parsing and formatting ---------------------------------------------------------------

    @classmethod
    def parse(cls, text: str, *, source: str | None = None) -> Summary:
        """Parse the text of a summary.txt; every record kept, in order."""
        where = source or "summary.txt"
        if not isinstance(text, str):
            raise SummaryError(f"{where}: expected text, got {type(text).__name__}")
        prefix = ""
        if text.startswith("\ufeff"):
            prefix, text = "\ufeff", text[1:]
        newline = "\r\n" if "\r\n" in text else "\n"
        body = text.rstrip("\r\n")
        trailer = text[len(body):]
        if not body.strip():
            raise SummaryError(f"{where}: empty, no Keyword=\"Value\" records")
        records: dict[str, str] = {}
        for i, line in enumerate(body.split(newline), start=1):
            m = _RECORD_RE.fullmatch(line)
            if m is None:
                raise SummaryError(f"{where} line {i}: {line[:80]!r} is not a Keyword=\"Value\" record")
            key, value = m.groups()
            if key in records:
                raise SummaryError(f"{where} line {i}: key {key} appears twice")
            records[key] = value
        return cls(records, source=source, newline=newline, trailer=trailer, prefix=prefix)

    def format(self) -> str:
        """The summary.txt text; equal byte-for-byte to what :meth:`parse` was given."""
        body = self.newline.join(f'{k}="{v}"' for k, v in self.records.items())
        return self.prefix + body + self.trailer

    def to_bytes(self) -> bytes:
        return self.format().encode(self.encoding)

    def __repr__(self) -> str:
        return f"Summary({len(self.records)} records, source={self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Summary) and self.format() == other.format()

    def __getitem__(self, key: str) -> str:
        return self.records[key]

    def __contains__(self, key: object) -> bool:
        return key in self.records

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.records.get(key, default)

    # ---- typed access helpers ------------------------------------------------------------------

    def _where(self) -> str:
        return self.source or "summary.txt"

    def _require(self, key: str) -> str:
        value = self.records.get(key)
        if value is None or value.strip() == "":
            raise SummaryError(f"{self._where()}: missing {key}")
        return value.strip()

    def _float(self, key: str) -> float:
        value = self._require(key)
        try:
            return float(value)
        except ValueError:
            raise SummaryError(f"{self._where()}: {key}={value!r} is not a number") from None

    def _int(self, key: str) -> int:
        value = self._require(key)
        try:
            return int(value)
        except ValueError:
            raise SummaryError(f"{self._where()}: {key}={value!r} is not an integer") from None

    def _time(self, key: str) -> datetime:
        value = self._require(key)
        try:
            return parse_utc(value, what=key)
        except ValueError as exc:
            raise SummaryError(f"{self._where()}: {exc}") from None

    # ---- typed view ----------------------------------------------------------------------------

    @property
    def scene_id(self) -> SceneId:
        value = self._require("Scs_SceneID")
        try:
            return SceneId.parse(value)
        except IdentifierError as exc:
            raise SummaryError(f"{self._where()}: Scs_SceneID: {exc}") from None

    @property
    def product_id(self) -> ProductId:
        value = self._require("Pds_ProductID")
        try:
            return ProductId.parse(value)
        except IdentifierError as exc:
            raise SummaryError(f"{self._where()}: Pds_ProductID: {exc}") from None

    @property
    def level(self) -> str:
        """Processing level, ``Lbi_ProcessLevel`` or else the product ID's."""
        value = self.records.get("Lbi_ProcessLevel", "").strip()
        return value or self.product_id.level

    @property
    def look_side(self) -> str:
        return self.product_id.look_side

    @property
    def pass_direction(self) -> str:
        return self.product_id.pass_direction

    @property
    def center_time(self) -> datetime:
        return self._time("Img_SceneCenterDateTime")

    @property
    def start_time(self) -> datetime:
        return self._time("Img_SceneStartDateTime")

    @property
    def end_time(self) -> datetime:
        return self._time("Img_SceneEndDateTime")

    @property
    def observation_date(self) -> date:
        value = self._require("Lbi_ObservationDate")
        try:
            return datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            raise SummaryError(f"{self._where()}: Lbi_ObservationDate={value!r} is not YYYYMMDD") from None

    def _corners(self, prefix: str) -> Corners:
        pts = [LonLat(self._float(f"{prefix}{c}Longitude"), self._float(f"{prefix}{c}Latitude"))
               for c in _CORNERS]
        for c, p in zip(_CORNERS, pts):
            if not (-180 <= p.lon <= 360 and -90 <= p.lat <= 90):
                raise SummaryError(f"{self._where()}: {prefix}{c} ({p.lat}, {p.lon}) is not a "
                                   "latitude/longitude")
        return Corners(*pts)

    @property
    def image_corners(self) -> Corners:
        """``Img_ImageScene*``: centre and corners of the image data (degrees, 3 decimals)."""
        return self._corners("Img_ImageScene")

    @property
    def frame_corners(self) -> Corners:
        """``Img_FrameScene*``: the same for the nominal frame."""
        return self._corners("Img_FrameScene")

    @property
    def pixel_spacing(self) -> float:
        return self._float("Pds_PixelSpacing")

    @property
    def utm_zone(self) -> int | None:
        """``Pds_UTM_ZoneNo`` (1..60), or None when the product is not in UTM."""
        if not self.records.get("Pds_UTM_ZoneNo", "").strip():
            return None
        zone = self._int("Pds_UTM_ZoneNo")
        if not 1 <= zone <= 60:
            raise SummaryError(f"{self._where()}: Pds_UTM_ZoneNo={zone} not in 1..60")
        return zone

    @property
    def utm_south(self) -> bool:
        """Southern hemisphere, from the scene centre latitude (the zone key has no hemisphere)."""
        return self.image_corners.center.lat < 0

    @property
    def utm_epsg(self) -> int | None:
        """EPSG code of the WGS 84 UTM zone equivalent to the product's grid, if UTM."""
        zone = self.utm_zone
        if zone is None:
            return None
        return (32700 if self.utm_south else 32600) + zone

    @property
    def off_nadir_deg(self) -> float:
        return self._float("Img_OffNadirAngle")

    @property
    def dem(self) -> str | None:
        """``Pds_DigitalElevationModel`` (L2.1 only)."""
        return (self.records.get("Pds_DigitalElevationModel") or "").strip() or None

    @property
    def geoid(self) -> str | None:
        return (self.records.get("Pds_GeoidModel") or "").strip() or None

    @property
    def resampling(self) -> str | None:
        return (self.records.get("Pds_ResamplingMethod") or "").strip() or None

    @property
    def map_direction(self) -> str | None:
        return (self.records.get("Pds_MapDirection") or "").strip() or None

    @property
    def scene_shift(self) -> int | None:
        return self._int("Scs_SceneShift") if self.records.get("Scs_SceneShift", "").strip() else None

    @property
    def n_pixels(self) -> int:
        return self._int("Pdi_NoOfPixels_0")

    @property
    def n_lines(self) -> int:
        return self._int("Pdi_NoOfLines_0")

    @property
    def bit_pixel(self) -> int:
        return self._int("Pdi_BitPixel")

    @property
    def product_format(self) -> str | None:
        return (self.records.get("Pdi_ProductFormat") or "").strip() or None

    @property
    def processing_facility(self) -> str | None:
        return (self.records.get("Lbi_ProcessFacility") or "").strip() or None

    @property
    def product_files(self) -> list[str]:
        """Names from ``Pdi_L<nn>ProductFileName01..`` in number order (L15, L21, ...)."""
        found: list[tuple[int, str]] = []
        for key, value in self.records.items():
            m = _FILE_KEY_RE.fullmatch(key)
            if m and value.strip():
                found.append((int(m.group(2)), value.strip()))
        found.sort()
        files = [v for _, v in found]
        count_keys = [k for k in self.records if re.fullmatch(r"Pdi_CntOfL\d{2}ProductFileName", k)]
        if count_keys:
            count = self._int(count_keys[0])
            if count != len(files):
                raise SummaryError(f"{self._where()}: {count_keys[0]}={count} but {len(files)} "
                                   "Pdi_L..ProductFileName records")
        return files

    @property
    def image_files(self) -> list[str]:
        return [f for f in self.product_files if f.upper().startswith("IMG-")]

    @property
    def lut_files(self) -> list[str]:
        return [f for f in self.product_files if f.upper().startswith("LUT-")]

    def validate(self) -> None:
        """Check that every record a product needs is there and well-formed."""
        for prop in ("scene_id", "product_id", "start_time", "end_time", "center_time",
                     "image_corners", "pixel_spacing", "off_nadir_deg", "product_files"):
            getattr(self, prop)
        if self.product_id.projection == "U" and self.utm_zone is None:
            raise SummaryError(f"{self._where()}: missing Pds_UTM_ZoneNo for a UTM product")


def read_summary(path: str | os.PathLike) -> Summary:
    """Read and parse a summary.txt file (local path)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise SummaryError(f"{path}: cannot read summary.txt ({exc.strerror or exc})") from None
    return parse_summary_bytes(raw, source=str(path))


def parse_summary_bytes(raw: bytes, *, source: str) -> Summary:
    """Decode (UTF-8, else Latin-1 so that no byte is lost) and parse."""
    encoding = "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        encoding = "latin-1"
        text = raw.decode(encoding)
    summary = Summary.parse(text, source=source)
    summary.encoding = encoding
    return summary
