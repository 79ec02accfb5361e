"""Query and path parameters as reusable dependencies (titiler's ``dependencies.py`` pattern).

Each dataclass is a FastAPI dependency: its fields are query parameters with their limits and
documentation, declared once and shared by every endpoint that takes them. Values that pass
FastAPI's type checks but are still wrong (an unknown palette, max <= min, a tile outside its zoom
level) raise :class:`~palsar2.errors.ParameterError`, which the app turns into a 400 that names the
parameter.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Path, Query

from palsar2.errors import ParameterError
from palsar2.server.render import DEFAULT_RANGE, Stretch, validate_palette

MAX_ZOOM = 20
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
_ID_RE = re.compile(ID_PATTERN)
PALETTE_PATTERN = r"^[A-Za-z0-9_.+-]{1,64}$"

ItemId = Annotated[str, Path(pattern=ID_PATTERN, description="Catalog item ID.")]
CollectionId = Annotated[str, Path(pattern=ID_PATTERN, description="Collection ID.")]
ResultId = Annotated[str, Path(pattern=ID_PATTERN,
                               description="Change result: a directory name in the results dir.")]
Zoom = Annotated[int, Path(ge=0, le=MAX_ZOOM, description="Zoom level (WebMercatorQuad).")]
TileCol = Annotated[int, Path(ge=0, le=2**MAX_ZOOM - 1, description="Tile column.")]
TileRow = Annotated[int, Path(ge=0, le=2**MAX_ZOOM - 1, description="Tile row.")]
TileFormat = Annotated[Literal["png", "webp"], Path(description="Image format.")]
PassDirection = Literal["ascending", "descending"]


def check_id(value: str, name: str) -> str:
    """Validate an ID taken from a query or body (path IDs are checked by their pattern)."""
    if not _ID_RE.match(value):
        raise ParameterError(f"{name}: {value!r} is not a valid ID (letters, digits, . _ -)")
    return value


def check_tile(z: int, x: int, y: int) -> None:
    """x and y must exist at zoom z."""
    n = 1 << z
    if x >= n or y >= n:
        raise ParameterError(f"x/y: tile ({x}, {y}) does not exist at zoom {z} (0..{n - 1})")


def parse_time(value: str, name: str, *, end: bool = False) -> dt.datetime:
    """A date (``2024-01-01``) or an ISO datetime, as aware UTC."""
    text = value.strip()
    try:
        if len(text) == 10:
            t = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
        else:
            t = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            t = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)
    except ValueError:
        raise ParameterError(f"{name}: {value!r} is not a date (YYYY-MM-DD) or ISO 8601 datetime") \
            from None
    return t


@dataclass
class VisParams:
    """How to draw DN: a linear stretch in DN or dB, gamma, and a palette."""

    min: Annotated[float | None, Query(description="Value drawn black (default 0 DN / -25 dB).",
                                       ge=-1e6, le=1e6)] = None
    max: Annotated[float | None, Query(description="Value drawn white (default 8000 DN / 0 dB).",
                                       ge=-1e6, le=1e6)] = None
    units: Annotated[Literal["dn", "db"], Query(
        description="Units of min/max: dn (amplitude digital number) or db (sigma0 = "
        "10*log10(DN^2) + CF).")] = "dn"
    gamma: Annotated[float, Query(ge=0.01, le=100, description="Gamma (>1 brightens).")] = 1.0
    palette: Annotated[str | None, Query(
        pattern=PALETTE_PATTERN,
        description="matplotlib colormap name (viridis, magma, gray, ...); default greyscale.")] = None

    def __post_init__(self) -> None:
        validate_palette(self.palette)
        self.stretch  # noqa: B018  (validate min < max now, as a 400)

    @property
    def stretch(self) -> Stretch:
        lo, hi = DEFAULT_RANGE[self.units]
        return Stretch(lo if self.min is None else self.min, hi if self.max is None else self.max,
                       self.gamma)


@dataclass
class ChangeVisParams:
    """How to draw a change pair: composite, log-ratio or classes."""

    layer: Annotated[Literal["rgb", "log_ratio", "classes"], Query(
        description="rgb: before red, after green+blue; log_ratio: 10*log10(after/before) in dB "
        "with a palette; classes: the result's change classes.")] = "rgb"
    min: Annotated[float | None, Query(ge=-1e6, le=1e6, description=(
        "rgb: DN or dB (units) drawn black; log_ratio: dB drawn at the palette's start "
        "(default -6)."))] = None
    max: Annotated[float | None, Query(ge=-1e6, le=1e6, description=(
        "rgb: value drawn white; log_ratio: dB at the palette's end (default 6)."))] = None
    units: Annotated[Literal["dn", "db"], Query(description="Units of min/max for rgb.")] = "dn"
    gamma: Annotated[float, Query(ge=0.01, le=100, description="Gamma.")] = 1.0
    palette: Annotated[str | None, Query(pattern=PALETTE_PATTERN, description=(
        "matplotlib colormap for log_ratio (default RdBu_r)."))] = None

    def __post_init__(self) -> None:
        validate_palette(self.palette)
        self.stretch  # noqa: B018

    @property
    def stretch(self) -> Stretch:
        if self.layer == "log_ratio":
            lo, hi = -6.0, 6.0
        else:
            lo, hi = DEFAULT_RANGE[self.units]
        return Stretch(lo if self.min is None else self.min, hi if self.max is None else self.max,
                       self.gamma)


@dataclass
class ImageFilter:
    """Earth Engine's ``filterDate`` (end exclusive) and property filters on frame, beam and pass."""

    start: Annotated[str | None, Query(
        description="First date or datetime included (ISO 8601).", max_length=40)] = None
    end: Annotated[str | None, Query(
        description="End date or datetime, exclusive (ISO 8601).", max_length=40)] = None
    frame: Annotated[int | None, Query(ge=0, le=9999, description="Frame number.")] = None
    beam: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9-]{1,16}$",
                                      description="Beam, e.g. U2-6L.")] = None
    pass_direction: Annotated[PassDirection | None, Query(
        alias="pass", description="Orbit direction.")] = None

    def __post_init__(self) -> None:
        self.interval()  # validate now

    def interval(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The [start, end) interval as aware datetimes."""
        start = parse_time(self.start, "start") if self.start else None
        end = parse_time(self.end, "end") if self.end else None
        if start is not None and end is not None and end <= start:
            raise ParameterError(f"end: {self.end!r} must be after start {self.start!r}")
        return start, end

    def properties(self) -> dict[str, object]:
        """The property filters that are set, with the catalog's shortcut names."""
        props: dict[str, object] = {}
        if self.frame is not None:
            props["frame"] = self.frame
        if self.beam is not None:
            props["beam"] = self.beam
        if self.pass_direction is not None:
            props["pass_direction"] = self.pass_direction
        return props


@dataclass
class PagingParams:
    """STAC paging: page size and the opaque token of the next link."""

    limit: Annotated[int, Query(ge=1, le=1000, description="Items per page.")] = 10
    token: Annotated[str | None, Query(pattern=r"^[0-9]{1,9}$",
                                       description="Paging token from a next link.")] = None

    @property
    def offset(self) -> int:
        return int(self.token) if self.token else 0
