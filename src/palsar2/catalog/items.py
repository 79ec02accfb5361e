"""Catalog items: one PALSAR-2 product as the catalog stores and returns it.

An :class:`Item` is a frozen value close to a STAC Item: properties carry STAC names (``sar:*``,
``sat:*``, ``view:*``, ``proj:*``) plus a ``palsar2:`` prefix for what STAC has no name for (frame,
beam, calibration factor). Asset hrefs are GDAL paths or URLs (``/vsizip/...``, ``/vsis3/...``),
never assumed to be local files.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from affine import Affine
from odc.geo.geobox import GeoBox

if TYPE_CHECKING:
    import pystac
    from shapely.geometry.base import BaseGeometry

# Property names of the shortcuts, in one place (queries and STAC use the same table).
FRAME = "palsar2:frame"
BEAM = "palsar2:beam"
BEAM_SOURCE = "palsar2:beam_source"
BEAM_NOTE = "palsar2:beam_note"
CALIBRATION = "palsar2:calibration_db"
CHECKSUM = "palsar2:checksum"
SCENE_ID = "palsar2:scene_id"
PRODUCT_ID = "palsar2:product_id"
MODE = "palsar2:mode"
LEVEL = "palsar2:level"
LOOK_SIDE = "palsar2:look_side"
ORBIT_STATE = "sat:orbit_state"
ABS_ORBIT = "sat:absolute_orbit"
REL_ORBIT = "sat:relative_orbit"
POLARIZATIONS = "sar:polarizations"
OBS_DIRECTION = "sar:observation_direction"


@dataclass(frozen=True)
class Asset:
    """One file of an item: a GDAL path or URL, with its STAC media type and roles."""

    href: str
    media_type: str | None = None
    roles: tuple[str, ...] = ()
    title: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the store's and STAC's shape)."""
        d: dict[str, Any] = {"href": self.href}
        if self.media_type:
            d["type"] = self.media_type
        if self.title:
            d["title"] = self.title
        if self.roles:
            d["roles"] = list(self.roles)
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Asset:
        """Inverse of :meth:`to_dict`."""
        rest = {k: v for k, v in d.items() if k not in ("href", "type", "title", "roles")}
        return cls(href=d["href"], media_type=d.get("type"), roles=tuple(d.get("roles", ())),
                   title=d.get("title"), extra=rest)


@dataclass(frozen=True, repr=False)
class Item:
    """A catalogued product: times, footprint, STAC properties, assets and the COG's grid."""

    id: str
    collection: str
    start_time: dt.datetime
    end_time: dt.datetime
    datetime: dt.datetime
    geometry: BaseGeometry
    bbox: tuple[float, float, float, float]
    properties: Mapping[str, Any]
    assets: Mapping[str, Asset]
    geobox: GeoBox
    calibration_db: float = -83.0

    def __post_init__(self) -> None:
        for name in ("start_time", "end_time", "datetime"):
            t = getattr(self, name)
            if t.tzinfo is None or t.utcoffset() != dt.timedelta(0):
                object.__setattr__(self, name, _as_utc(t))

    def __hash__(self) -> int:
        return hash((self.id, self.checksum))

    def __repr__(self) -> str:
        return f"Item({self.id!r}, collection={self.collection!r}, start={self.start_time:%Y-%m-%dT%H:%M:%SZ})"

    # Shortcuts with the names users filter on.
    @property
    def frame(self) -> int | None:
        return self.properties.get(FRAME)

    @property
    def beam(self) -> str | None:
        return self.properties.get(BEAM)

    @property
    def pass_direction(self) -> str | None:
        return self.properties.get(ORBIT_STATE)

    @property
    def look_side(self) -> str | None:
        return self.properties.get(LOOK_SIDE)

    @property
    def path(self) -> int | None:
        return self.properties.get(REL_ORBIT)

    @property
    def orbit(self) -> int | None:
        return self.properties.get(ABS_ORBIT)

    @property
    def polarisations(self) -> tuple[str, ...]:
        return tuple(self.properties.get(POLARIZATIONS, ()))

    @property
    def polarisation(self) -> str | None:
        """The first (main) polarisation, HH for the StripMap_202401 collection."""
        pols = self.polarisations
        return pols[0] if pols else None

    @property
    def checksum(self) -> str | None:
        return self.properties.get(CHECKSUM)

    @property
    def date(self) -> dt.date:
        """Observation date (UTC) of the scene start, the date Earth Engine filters on."""
        return self.start_time.date()

    def to_stac(self) -> pystac.Item:
        """This item as a pystac Item with the sar, sat, proj and view extensions."""
        from palsar2.catalog.stac import item_to_stac

        return item_to_stac(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form stored in the catalog (geometry as GeoJSON, grid as CRS + affine + shape)."""
        import json

        import shapely

        return {
            "id": self.id, "collection": self.collection,
            "start_time": self.start_time.isoformat(), "end_time": self.end_time.isoformat(),
            "datetime": self.datetime.isoformat(),
            "geometry": json.loads(shapely.to_geojson(self.geometry)), "bbox": list(self.bbox),
            "properties": dict(self.properties),
            "assets": {k: a.to_dict() for k, a in self.assets.items()},
            "geobox": geobox_to_dict(self.geobox), "calibration_db": self.calibration_db,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], geometry: BaseGeometry | None = None) -> Item:
        """Inverse of :meth:`to_dict` (``geometry`` may be given already decoded)."""
        if geometry is None:
            from shapely.geometry import shape

            geometry = shape(d["geometry"])
        return cls(
            id=d["id"], collection=d["collection"],
            start_time=parse_time(d["start_time"]), end_time=parse_time(d["end_time"]),
            datetime=parse_time(d["datetime"]), geometry=geometry,
            bbox=tuple(d["bbox"]),  # type: ignore[arg-type]
            properties=d["properties"],
            assets={k: Asset.from_dict(a) for k, a in d["assets"].items()},
            geobox=geobox_from_dict(d["geobox"]), calibration_db=float(d["calibration_db"]),
        )


def _as_utc(t: dt.datetime) -> dt.datetime:
    # Naive datetimes are UTC by convention everywhere in palsar2 (JAXA writes UTC).
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def parse_time(s: str) -> dt.datetime:
    """ISO 8601 text (``Z`` or offset, or naive = UTC) to an aware UTC datetime."""
    return _as_utc(dt.datetime.fromisoformat(s))


def geobox_to_dict(g: GeoBox) -> dict[str, Any]:
    """CRS (EPSG code when there is one, else WKT2), affine and shape of a grid."""
    a = g.affine
    epsg = g.crs.epsg if g.crs is not None else None
    return {
        "crs": f"EPSG:{epsg}" if epsg else (g.crs.to_wkt() if g.crs is not None else None),
        "transform": [a.a, a.b, a.c, a.d, a.e, a.f],
        "shape": [int(g.shape[0]), int(g.shape[1])],
    }


def geobox_from_dict(d: Mapping[str, Any]) -> GeoBox:
    """Inverse of :func:`geobox_to_dict`."""
    return _geobox(d["crs"], tuple(d["transform"][:6]), tuple(d["shape"]))


@functools.lru_cache(maxsize=4096)
def _geobox(crs: str | None, transform: tuple[float, ...], shape: tuple[int, int]) -> GeoBox:
    # GeoBoxes are immutable: items on the same grid share one (building one costs ~80 us).
    return GeoBox(shape, Affine(*transform), crs)
