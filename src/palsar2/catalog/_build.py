"""Product -> Item: STAC properties from the product's own metadata, beam from the published table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shapely.geometry.base import BaseGeometry

from palsar2.catalog import items as P
from palsar2.catalog.collections import CollectionDefinition, beam_for
from palsar2.catalog.items import Asset, Item

COG_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
TIFF_TYPE = "image/tiff; application=geotiff"
CENTER_FREQUENCY_GHZ = 1.2575  # PALSAR-2 L-band centre frequency
# First letter of JAXA's mode code -> STAC instrument mode and its name.
MODE_NAMES = {"U": "StripMap (ultra-fine)", "H": "StripMap (high-sensitive)",
              "F": "StripMap (fine)", "S": "Spotlight", "W": "ScanSAR (wide)",
              "V": "ScanSAR (wide, 350 km)"}


def item_properties(product: Any, definition: CollectionDefinition,
                    checksum: str, in_place: bool) -> dict[str, Any]:
    """STAC-named properties of an item, each taken from the product itself where it exists."""
    g = product.geobox
    epsg = product.epsg
    a = g.affine
    mode = product.mode
    look = product.look_side
    props: dict[str, Any] = {
        "platform": "alos-2", "constellation": "alos", "instruments": ["palsar-2"],
        "sar:frequency_band": "L", "sar:center_frequency": CENTER_FREQUENCY_GHZ,
        "sar:polarizations": list(product.polarisations),
        P.SCENE_ID: str(product.scene_id) if product.scene_id else None,
        P.PRODUCT_ID: str(product.product_id) if product.product_id else None,
        P.MODE: mode, P.LEVEL: product.level, P.LOOK_SIDE: look,
        P.FRAME: product.frame, P.ABS_ORBIT: product.orbit, P.REL_ORBIT: product.path,
        P.ORBIT_STATE: product.pass_direction,
        P.CALIBRATION: float(product.calibration_db), P.CHECKSUM: checksum,
        "palsar2:kind": product.kind, "palsar2:source": str(product.source),
        "palsar2:in_place": bool(in_place),
        "palsar2:time_precision": getattr(product, "time_precision", "exact"),
        "proj:code": f"EPSG:{epsg}" if epsg else None,
        "proj:shape": [int(g.shape[0]), int(g.shape[1])],
        "proj:transform": [a.a, a.b, a.c, a.d, a.e, a.f],
    }
    if epsg is None and g.crs is not None:
        props["proj:wkt2"] = g.crs.to_wkt()
    if mode:
        props["sar:instrument_mode"] = mode[0]
        props["palsar2:instrument_mode_name"] = MODE_NAMES.get(mode[0], mode)
    if product.level:
        props["sar:product_type"] = f"L{product.level}"
    if look:
        props[P.OBS_DIRECTION] = {"L": "left", "R": "right"}[look]
    if product.off_nadir_deg is not None:
        props["view:off_nadir"] = float(product.off_nadir_deg)
    if product.pixel_spacing:
        props["sar:pixel_spacing_range"] = props["sar:pixel_spacing_azimuth"] = \
            float(product.pixel_spacing)
    if product.crs_note:
        props["palsar2:crs_note"] = product.crs_note
    summary = product.summary
    if summary is not None:
        for key, attr in (("palsar2:dem", "dem"), ("palsar2:geoid", "geoid")):
            value = getattr(summary, attr, None)
            if value:
                props[key] = value
    _set_beam(props, product, definition)
    return {k: v for k, v in props.items() if v is not None}


def _set_beam(props: dict[str, Any], product: Any, definition: CollectionDefinition) -> None:
    extra: Mapping[str, Any] = getattr(product, "extra", {}) or {}
    if extra.get("beam"):
        props[P.BEAM] = str(extra["beam"]).upper()
        props[P.BEAM_SOURCE] = "user (sidecar or option)"
        return
    beam, note = beam_for(definition, product.start_time.date(), product.frame, product.look_side)
    if beam is None:
        return  # not in the published table: the beam is unknown (the files do not carry it)
    props[P.BEAM] = beam
    props[P.BEAM_SOURCE] = (f"published table of {definition.id} (date + frame); look side "
                            "from the product ID")
    if note:
        props[P.BEAM_NOTE] = note


def build_item(product: Any, *, collection: str, definition: CollectionDefinition,
               geometry: BaseGeometry, assets: Mapping[str, Asset], checksum: str,
               in_place: bool, footprint_source: str = "valid data") -> Item:
    """The catalog item of a product, its footprint and the assets where its files now live."""
    return Item(
        id=product.id, collection=collection,
        start_time=product.start_time, end_time=product.end_time,
        datetime=product.center_time, geometry=geometry,
        bbox=tuple(float(v) for v in geometry.bounds),  # type: ignore[arg-type]
        properties={**item_properties(product, definition, checksum, in_place),
                    "palsar2:footprint_source": footprint_source},
        assets=dict(assets), geobox=product.geobox,
        calibration_db=float(product.calibration_db),
    )


def item_row(item: Item, *, revision: str | None, in_place: bool, now: float) -> dict[str, Any]:
    """The store's row for an item (indexed columns + the JSON document)."""
    import json

    import shapely

    doc = item.to_dict()
    doc.pop("geometry")  # kept once, as WKB
    p = item.properties
    w, s, e, n = item.bbox
    return {
        "id": item.id, "collection": item.collection,
        "start_time": item.start_time.timestamp(), "end_time": item.end_time.timestamp(),
        "frame": p.get(P.FRAME), "path": p.get(P.REL_ORBIT), "orbit": p.get(P.ABS_ORBIT),
        "beam": p.get(P.BEAM), "pass_direction": p.get(P.ORBIT_STATE),
        "look_side": p.get(P.LOOK_SIDE), "level": p.get(P.LEVEL), "mode": p.get(P.MODE),
        "polarisations": json.dumps(list(p.get(P.POLARIZATIONS, []))),
        "min_lon": w, "min_lat": s, "max_lon": e, "max_lat": n,
        "geometry": shapely.to_wkb(item.geometry), "checksum": p.get(P.CHECKSUM),
        "doc": json.dumps(doc, default=str), "ingested_at": now,
        "revision": revision, "in_place": int(in_place),
    }
