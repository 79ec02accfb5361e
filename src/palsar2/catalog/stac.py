"""STAC: Items and Collections <-> pystac, static catalog export and import.

Items carry the sar (v1.3.0), sat (v1.2.0), projection (v2.0.0) and view (v1.1.0) extensions; the
``palsar2:`` properties (frame, beam and where the beam came from, calibration factor, checksum)
travel with them. pystac's sar/sat/view wrappers still declare their v1.0.0 schemas, whose fields we
write unchanged; we declare the newer schema versions we validate against (tests/data/stac-schemas).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pystac
import shapely
from pystac.extensions.projection import ProjectionExtension
from shapely.geometry import shape

from palsar2.catalog.collections import BUILTIN, CollectionDefinition
from palsar2.catalog.items import Asset, Item, geobox_from_dict
from palsar2.errors import CatalogError, ConflictError

if TYPE_CHECKING:
    from palsar2.catalog.catalog import Catalog
    from palsar2.catalog.ingest import IngestReport

SAR = "https://stac-extensions.github.io/sar/v1.3.0/schema.json"
SAT = "https://stac-extensions.github.io/sat/v1.2.0/schema.json"
PROJ = ProjectionExtension.get_schema_uri()
VIEW = "https://stac-extensions.github.io/view/v1.1.0/schema.json"
EXTENSIONS = (SAR, SAT, PROJ, VIEW)
_PREFIXES = ("sar:", "sat:", "proj:", "view:")  # an extension is declared only with its fields
_TIME_PROPS = ("datetime", "start_datetime", "end_datetime")


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def item_to_stac(item: Item, *, collection_href: str = "../collection.json") -> pystac.Item:
    """A pystac Item with the sar, sat, proj and view extensions.

    ``collection_href`` is where the item's collection link points (default: the static export
    layout; pystac rewrites it when the item is added to a Collection).
    """
    props = {k: v for k, v in item.properties.items() if k not in _TIME_PROPS}
    props["start_datetime"] = _iso(item.start_time)
    props["end_datetime"] = _iso(item.end_time)
    props["palsar2:calibration_db"] = item.calibration_db
    g = item.geobox
    a = g.affine
    props["proj:shape"] = [int(g.shape[0]), int(g.shape[1])]
    props["proj:transform"] = [a.a, a.b, a.c, a.d, a.e, a.f]
    if g.crs is not None:
        if g.crs.epsg:
            props["proj:code"] = f"EPSG:{g.crs.epsg}"
            props.pop("proj:wkt2", None)
        else:
            props["proj:code"] = None
            props["proj:wkt2"] = g.crs.to_wkt()
    pi = pystac.Item(id=item.id, geometry=json.loads(shapely.to_geojson(item.geometry)),
                     bbox=list(item.bbox), datetime=item.datetime, properties=props,
                     collection=item.collection,
                     stac_extensions=[uri for uri, prefix in zip(EXTENSIONS, _PREFIXES, strict=True)
                                      if any(k.startswith(prefix) for k in props)])
    pi.add_link(pystac.Link(pystac.RelType.COLLECTION, collection_href,
                            media_type=pystac.MediaType.JSON))
    for key, asset in item.assets.items():
        extra = dict(asset.extra)
        pi.add_asset(key, pystac.Asset(href=asset.href, media_type=asset.media_type,
                                       title=asset.title, roles=list(asset.roles) or None,
                                       extra_fields=extra))
    return pi


def item_from_stac(pi: pystac.Item | Mapping[str, Any]) -> Item:
    """The catalog Item of a STAC Item written by :func:`item_to_stac` (asset hrefs made absolute)."""
    if not isinstance(pi, pystac.Item):
        pi = pystac.Item.from_dict(dict(pi))
    p = dict(pi.properties)
    try:
        start = _parse(p.pop("start_datetime", None)) or pi.datetime
        end = _parse(p.pop("end_datetime", None)) or pi.datetime
        when = pi.datetime or start
        p.pop("datetime", None)
        crs = p.get("proj:code") or p.get("proj:wkt2")
        geobox = geobox_from_dict({"crs": crs, "transform": p["proj:transform"],
                                   "shape": p["proj:shape"]})
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"{pi.id}: STAC item lacks what a palsar2 item needs ({exc})") from exc
    assets = {}
    for key, a in pi.assets.items():
        href = a.get_absolute_href() or a.href
        assets[key] = Asset(href=href, media_type=a.media_type, roles=tuple(a.roles or ()),
                            title=a.title, extra=dict(a.extra_fields))
    geom = shape(pi.geometry)
    return Item(id=pi.id, collection=pi.collection_id or "PALSAR2", start_time=start,
                end_time=end, datetime=when, geometry=geom,
                bbox=tuple(pi.bbox) if pi.bbox else geom.bounds,  # type: ignore[arg-type]
                properties={k: v for k, v in p.items() if v is not None}, assets=assets,
                geobox=geobox, calibration_db=float(p.get("palsar2:calibration_db", -83.0)))


def _parse(s: str | None) -> dt.datetime | None:
    if not s:
        return None
    return dt.datetime.fromisoformat(s).astimezone(dt.UTC)


def collection_to_stac(definition: CollectionDefinition, items: list[Item]) -> pystac.Collection:
    """A pystac Collection: metadata from the definition, extent and summaries from the items."""
    if items:
        w = min(i.bbox[0] for i in items)
        s = min(i.bbox[1] for i in items)
        e = max(i.bbox[2] for i in items)
        n = max(i.bbox[3] for i in items)
        bbox = [w, s, e, n]
        interval = [min(i.start_time for i in items), max(i.end_time for i in items)]
    else:
        bbox, interval = [-180.0, -90.0, 180.0, 90.0], [None, None]
    extent = pystac.Extent(pystac.SpatialExtent([bbox]), pystac.TemporalExtent([interval]))
    summaries: dict[str, list[Any]] = {}
    for key in ("platform", "constellation", "sar:instrument_mode", "sar:frequency_band",
                "sar:center_frequency", "sar:polarizations", "sar:observation_direction",
                "sat:orbit_state", "palsar2:frame", "palsar2:beam", "sat:relative_orbit"):
        vals: set[Any] = set()
        for i in items:
            v = i.properties.get(key)
            if isinstance(v, list):
                vals.update(v)
            elif v is not None:
                vals.add(v)
        if vals:
            summaries[key] = sorted(vals, key=str)
    providers = [pystac.Provider(name=p["name"], roles=p.get("roles"), url=p.get("url"))
                 for p in definition.providers]
    coll = pystac.Collection(
        id=definition.id, description=definition.description, extent=extent,
        title=definition.title, license=definition.license,
        keywords=list(definition.keywords) or None, providers=providers or None,
        summaries=pystac.Summaries(summaries),
        stac_extensions=[uri for uri, prefix in ((SAR, "sar:"), (SAT, "sat:"))
                         if any(k.startswith(prefix) for k in summaries)],
        extra_fields={"palsar2:definition": definition.to_dict()},
    )
    return coll


def collection_from_stac(pc: pystac.Collection) -> CollectionDefinition:
    """The definition carried by a collection we exported (or a minimal one from plain STAC)."""
    d = pc.extra_fields.get("palsar2:definition")
    if d:
        return CollectionDefinition.from_dict(d)
    return CollectionDefinition(id=pc.id, title=pc.title or pc.id, description=pc.description,
                                license=pc.license or "other", terms="", citation="")


def export_stac(catalog: Catalog, out_dir: str | os.PathLike, *,
                copy_assets: bool = False) -> Path:
    """Write the whole catalog as a self-contained static STAC catalog; returns catalog.json."""
    out = Path(out_dir)
    root = pystac.Catalog(id="palsar2", title="palsar2 catalog",
                          description=f"Items of the palsar2 catalog {catalog.path}")
    for cid in catalog.collections():
        items = catalog.collection(cid).items()
        if not items:
            continue
        coll = collection_to_stac(catalog.definition(cid), items)
        for item in items:
            coll.add_item(item_to_stac(item))
        root.add_child(coll)
    root.normalize_hrefs(str(out))
    if copy_assets:
        _copy_assets(root)
    root.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    return out / "catalog.json"


def _copy_assets(root: pystac.Catalog) -> None:
    # Local asset files go beside each item's JSON, with relative hrefs (GDAL paths stay as they are).
    for pi in root.get_items(recursive=True):
        item_dir = Path(pi.get_self_href()).parent
        for key, a in pi.assets.items():
            if a.href.startswith("/vsi") or "://" in a.href or not os.path.isfile(a.href):
                continue
            item_dir.mkdir(parents=True, exist_ok=True)
            dest = item_dir / f"{key}{Path(a.href).suffix}"
            shutil.copy2(a.href, dest)
            a.href = dest.name


def import_stac(catalog: Catalog, path: str | os.PathLike, *, replace: bool = False) -> IngestReport:
    """Register the items of a static STAC catalog or collection (rows only, assets stay put)."""
    from palsar2.catalog.ingest import IngestReport

    p = Path(path)
    if p.is_dir():
        for name in ("catalog.json", "collection.json"):
            if (p / name).exists():
                p = p / name
                break
    if not p.is_file():
        raise CatalogError(f"{path}: no catalog.json or collection.json found")
    try:
        root = pystac.read_file(str(p))
    except Exception as exc:  # pystac raises many kinds for bad JSON
        raise CatalogError(f"{p}: not a STAC catalog ({exc})") from exc
    if not isinstance(root, pystac.Catalog):
        raise CatalogError(f"{p}: not a STAC catalog or collection")
    report = IngestReport()
    colls = [root] if isinstance(root, pystac.Collection) else list(root.get_all_collections())
    for pc in colls:
        if pc.id not in BUILTIN:
            catalog.put_collection(collection_from_stac(pc))
    for pi in root.get_items(recursive=True):
        try:
            item = item_from_stac(pi)
            state = catalog.store.item_state(item.id)
            if state is not None and not replace:
                if state[0] == item.checksum:
                    report.skipped.append((item.id, "already in the catalog (same checksum)"))
                    continue
                raise ConflictError(f"{item.id}: already in the catalog with a different "
                                    "checksum (use --replace)")
            catalog.add_item(item)
            report.ingested.append(item.id)
        except CatalogError as exc:
            report.failed.append((pi.get_self_href() or pi.id, str(exc)))
            report.errors.append(exc)
    return report
