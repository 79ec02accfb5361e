"""Built-in collection definitions, and the published beam table of StripMap_202401.

JAXA's files do not carry the beam name; Earth Engine's page for
``JAXA/ALOS/PALSAR-2/Level2_1/StripMap_202401`` publishes a date + frame -> beam table. Items take
every other property from their own product's metadata; only the beam comes from the table, with the
look side taken from the product ID, and the item says so (``palsar2:beam_source``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STRIPMAP_202401 = "StripMap_202401"
OTHER = "PALSAR2"

DESCRIPTION_202401 = """\
Emergency observations of the 2024-01-01 Noto Peninsula earthquake (Mw 7.5, Ishikawa, Japan) by
the PALSAR-2 L-band synthetic aperture radar on ALOS-2 (JAXA), in ultra-fine StripMap mode (3 m
pixels), with pre-event scenes of the same geometries for comparison.

The products are Level 2.1: geocoded and orthorectified with a DEM to UTM, map-north up. Band b1
holds HH amplitude as 16-bit digital numbers (DN); 0 is nodata. DN converts to the normalised radar
cross-section sigma-nought (sigma0), not terrain-flattened gamma-nought (JAXA's terrain-flattened
product is Level 2.2):

    sigma0 [dB] = 10 * log10(DN^2) + CF,  CF = -83.0 dB

DN is amplitude and DN^2 is power: average and filter in linear power, show in dB. The scenes come
in three viewing geometries (ascending left-looking, descending left-looking, ascending
right-looking); a post-event scene may only be compared with a pre-event scene of the same frame,
beam, look side and pass direction.
"""

TERMS = (
    "Free for non-commercial use only, under JAXA's G-Portal terms of use (section 7) and "
    "CC-BY-NC-SA-4.0. Data provided by EORC, JAXA."
)
CITATION = (
    "The data used for this paper have been provided by Earth Observation Research Center (EORC) "
    "of Japan Aerospace Exploration Agency (JAXA)."
)


@dataclass(frozen=True)
class BeamEntry:
    """One row of the published availability table: a date, the frames imaged, beam and pass."""

    date: dt.date
    frames: tuple[int, ...]
    beam: str          # with look side, as published: "U2-6L"
    pass_direction: str
    note: str | None = None


_NOTE_0108 = ("JAXA lists the 2024-01-08 pass as beam U3-13 right-looking; the published Earth "
              "Engine table says U2-9R, which is what is recorded here.")

BEAM_TABLE_202401: tuple[BeamEntry, ...] = tuple(
    BeamEntry(dt.date.fromisoformat(d), frames, beam, pd, note if d == "2024-01-08" else None)
    for dates, frames, beam, pd, note in (
        (("2024-01-01", "2022-09-26"), (750, 760, 770), "U2-6L", "ascending", None),
        (("2024-01-02", "2023-06-06"), (2820, 2830, 2840), "U2-8L", "descending", None),
        (("2024-01-08", "2024-01-03", "2023-12-06"), (720, 730), "U2-9R", "ascending", _NOTE_0108),
    )
    for d in dates
)


@dataclass(frozen=True)
class CollectionDefinition:
    """Static metadata of a collection (what an Earth Engine catalog page shows)."""

    id: str
    title: str
    description: str
    license: str = "CC-BY-NC-SA-4.0"
    terms: str = TERMS
    citation: str = CITATION
    keywords: tuple[str, ...] = ()
    providers: tuple[Mapping[str, Any], ...] = ()
    bands: tuple[Mapping[str, Any], ...] = ()
    visualisation: Mapping[str, Any] = field(default_factory=dict)
    default_view: Mapping[str, float] = field(default_factory=dict)
    beam_table: tuple[BeamEntry, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored for imported, non-built-in collections)."""
        return {
            "id": self.id, "title": self.title, "description": self.description,
            "license": self.license, "terms": self.terms, "citation": self.citation,
            "keywords": list(self.keywords), "providers": [dict(p) for p in self.providers],
            "bands": [dict(b) for b in self.bands], "visualisation": dict(self.visualisation),
            "default_view": dict(self.default_view),
            "beam_table": [{"date": e.date.isoformat(), "frames": list(e.frames), "beam": e.beam,
                            "pass_direction": e.pass_direction, "note": e.note}
                           for e in self.beam_table],
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CollectionDefinition:
        """Inverse of :meth:`to_dict`."""
        return cls(
            id=d["id"], title=d.get("title", d["id"]), description=d.get("description", ""),
            license=d.get("license", "other"), terms=d.get("terms", ""),
            citation=d.get("citation", ""), keywords=tuple(d.get("keywords", ())),
            providers=tuple(d.get("providers", ())), bands=tuple(d.get("bands", ())),
            visualisation=d.get("visualisation", {}), default_view=d.get("default_view", {}),
            beam_table=tuple(BeamEntry(dt.date.fromisoformat(e["date"]), tuple(e["frames"]),
                                       e["beam"], e["pass_direction"], e.get("note"))
                             for e in d.get("beam_table", ())),
            extra=d.get("extra", {}),
        )


_JAXA = {"name": "JAXA EORC", "roles": ["producer", "licensor"],
         "url": "https://www.eorc.jaxa.jp/ALOS/en/alos-2/a2_about_e.htm"}
_HH_BAND = {"name": "b1", "description": "HH amplitude, digital number (DN); 0 is nodata",
            "polarisation": "HH", "data_type": "uint16", "units": "DN", "nodata": 0,
            "pixel_size_m": 3.0, "calibration_db": -83.0}

BUILTIN: dict[str, CollectionDefinition] = {
    STRIPMAP_202401: CollectionDefinition(
        id=STRIPMAP_202401,
        title="ALOS-2 PALSAR-2 Level 2.1 StripMap, 2024 Noto Peninsula earthquake",
        description=DESCRIPTION_202401,
        keywords=("ALOS-2", "PALSAR-2", "SAR", "L-band", "StripMap", "earthquake", "Noto", "JAXA"),
        providers=(_JAXA,),
        bands=(_HH_BAND,),
        visualisation={"bands": ["b1"], "min": 0, "max": 8000},
        default_view={"lon": 137.2228, "lat": 37.1204, "zoom": 8},
        beam_table=BEAM_TABLE_202401,
        extra={"earth_engine_id": "JAXA/ALOS/PALSAR-2/Level2_1/StripMap_202401",
               "instrument_mode": "StripMap (ultra-fine, U)"},
    ),
    OTHER: CollectionDefinition(
        id=OTHER,
        title="ALOS-2 PALSAR-2 products outside a published collection",
        description=("PALSAR-2 GeoTIFF products ingested by the user that are not part of a "
                     "published collection's table. Band values are DN; "
                     "sigma0 [dB] = 10*log10(DN^2) + CF, with CF read from each product's LUT."),
        license="other",
        keywords=("ALOS-2", "PALSAR-2", "SAR", "L-band"),
        providers=(_JAXA,),
        bands=(_HH_BAND,),
        visualisation={"bands": ["b1"], "min": 0, "max": 8000},
    ),
}


def beam_for(definition: CollectionDefinition, date: dt.date, frame: int | None,
             look_side: str | None) -> tuple[str | None, str | None]:
    """Beam for a scene from the published table, look side from the product; and a note, if any.

    Returns ``(None, None)`` when the table has no row for the date and frame.
    """
    for e in definition.beam_table:
        if e.date == date and frame in e.frames:
            number = e.beam.rstrip("LR")
            side = look_side or e.beam[-1]
            note = e.note
            if look_side and e.beam[-1] != look_side:
                extra = (f"the table says look side {e.beam[-1]} but the product ID says "
                         f"{look_side}; the product's look side is used")
                note = f"{note} {extra}" if note else extra[0].upper() + extra[1:] + "."
            return number + side, note
    return None, None


def assign_collection(date: dt.date, frame: int | None) -> str:
    """The built-in collection a scene belongs to: StripMap_202401 when in its table, else PALSAR2."""
    for e in BEAM_TABLE_202401:
        if e.date == date and frame in e.frames:
            return STRIPMAP_202401
    return OTHER
