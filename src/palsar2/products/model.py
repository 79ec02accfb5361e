"""What a product is once opened: :class:`Band` and :class:`Product` (frozen values, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from odc.geo.geobox import GeoBox

from palsar2.products.ids import ProductId, SceneId
from palsar2.products.summary import Summary

__all__ = ["Band", "Product", "ProductKind"]

ProductKind = Literal["jaxa", "ee_export"]


@dataclass(frozen=True)
class Band:
    """One image of a product: its polarisation, GDAL path, LUT and calibration factor (dB)."""

    polarisation: str
    href: str
    lut_href: str | None
    calibration_db: float


@dataclass(frozen=True)
class Product:
    """A PALSAR-2 product (JAXA layout or Earth Engine export), opened lazily: metadata + paths."""

    id: str
    kind: ProductKind
    source: str
    scene_id: SceneId | None
    product_id: ProductId | None
    bands: tuple[Band, ...]
    geobox: GeoBox
    crs_note: str | None
    start_time: datetime
    end_time: datetime
    center_time: datetime
    orbit: int | None
    frame: int | None
    path: int | None
    look_side: str | None
    pass_direction: str | None
    off_nadir_deg: float | None
    mode: str | None
    level: str | None
    pixel_spacing: float | None
    summary: Summary | None = field(default=None, compare=False)
    #: "exact" when times come from the product, "day" when only the date was known (EE names)
    time_precision: Literal["exact", "day"] = "exact"
    #: further metadata given by a sidecar or options (e.g. beam), kept as given
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def polarisations(self) -> tuple[str, ...]:
        return tuple(b.polarisation for b in self.bands)

    @property
    def calibration_db(self) -> float:
        """Calibration factor of the first (HH) band."""
        return self.bands[0].calibration_db

    def band(self, polarisation: str) -> Band:
        """The band of one polarisation (KeyError when absent)."""
        for b in self.bands:
            if b.polarisation == polarisation:
                return b
        raise KeyError(f"{self.id}: no {polarisation} band (has {', '.join(self.polarisations)})")

    @property
    def href(self) -> str:
        """GDAL path of the first (HH) image."""
        return self.bands[0].href

    @property
    def epsg(self) -> int | None:
        return self.geobox.crs.epsg if self.geobox.crs is not None else None

    def properties(self) -> dict[str, Any]:
        """Flat metadata for a catalog: IDs, geometry of acquisition, times, grid, calibration."""
        props: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "scene_id": str(self.scene_id) if self.scene_id else None,
            "product_id": str(self.product_id) if self.product_id else None,
            "orbit": self.orbit,
            "frame": self.frame,
            "path": self.path,
            "look_side": self.look_side,
            "look_direction": {"L": "left", "R": "right"}.get(self.look_side or ""),
            "pass_direction": self.pass_direction,
            "off_nadir_deg": self.off_nadir_deg,
            "mode": self.mode,
            "level": self.level,
            "pixel_spacing": self.pixel_spacing,
            "polarisations": list(self.polarisations),
            "start_time": self.start_time,
            "end_time": self.end_time,
            "center_time": self.center_time,
            "time_precision": self.time_precision,
            "calibration_db": self.calibration_db,
            "epsg": self.epsg,
            "crs": self.geobox.crs.to_wkt() if self.epsg is None and self.geobox.crs else None,
            "crs_note": self.crs_note,
            "shape": list(self.geobox.shape),
            "transform": list(self.geobox.affine)[:6],
        }
        if self.summary is not None:
            props["dem"] = self.summary.dem
            props["geoid"] = self.summary.geoid
            props["resampling"] = self.summary.resampling
            props["processing_facility"] = self.summary.processing_facility
        for k, v in self.extra.items():
            props.setdefault(k, v)
        return props
