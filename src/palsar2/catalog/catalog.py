"""The :class:`Catalog`: a home folder with ``catalog.sqlite`` and ``items/<item id>/`` COG copies."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Self

import shapely

from palsar2.catalog._files import clean_incoming
from palsar2.catalog.collections import BUILTIN, CollectionDefinition
from palsar2.catalog.ingest import Footprint, IngestReport, delete_item, ingest
from palsar2.catalog.items import Item
from palsar2.catalog.query import Collection
from palsar2.catalog.store import Store
from palsar2.errors import NotFoundError

DB_NAME = "catalog.sqlite"


class Catalog:
    """An embedded catalog: ingest products, get items, query collections."""

    def __init__(self, path: str | os.PathLike, *, recover: bool = True) -> None:
        p = Path(path).expanduser()
        if p.suffix in (".sqlite", ".db", ".sqlite3"):
            self.home, db = p.parent, p
        else:
            self.home, db = p, p / DB_NAME
        self.items_dir = self.home / "items"
        self.store = Store(db)
        # A process killed mid-ingest leaves a plan in items/.incoming: finish or undo it now.
        if recover:
            clean_incoming(self.store, self.items_dir)

    def __repr__(self) -> str:
        return f"Catalog({str(self.store.path)!r})"

    @property
    def path(self) -> Path:
        return self.store.path

    def close(self) -> None:
        """Close this thread's database connection."""
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------
    def ingest(self, sources: str | os.PathLike | Iterable[str | os.PathLike], *,
               in_place: bool = False, replace: bool = False, progress: bool = False,
               collection: str | None = None, workers: int | None = None,
               footprint: Footprint = "data", **ee_metadata: Any) -> IngestReport:
        """Add products (dirs, zips, order folders, EE exports); see :mod:`.ingest`."""
        return ingest(self, sources, in_place=in_place, replace=replace, progress=progress,
                      collection=collection, workers=workers, footprint=footprint,
                      **ee_metadata)

    def delete(self, item_id: str) -> None:
        """Remove an item (and its COG copy) from the catalog."""
        delete_item(self, item_id)

    def add_item(self, item: Item, *, in_place: bool = True) -> None:
        """Register an already-built item (STAC import, synthetic benchmarks): a row, no files."""
        self.add_items([item], in_place=in_place)

    def add_items(self, items: Iterable[Item], *, in_place: bool = True) -> int:
        """Register many built items in one transaction; returns how many."""
        import time
        import uuid

        from palsar2.catalog._build import item_row

        now = time.time()
        n = 0
        with self.store.transaction() as con:
            seen: set[str] = set()
            for item in items:
                if item.collection not in seen:
                    self.store.ensure_collection(con, item.collection,
                                                 self.definition(item.collection).to_dict())
                    seen.add(item.collection)
                self.store.write_item(con, item_row(item, revision=uuid.uuid4().hex,
                                                    in_place=in_place, now=now))
                n += 1
        return n

    def put_collection(self, definition: CollectionDefinition) -> None:
        """Store (or update) a non-built-in collection definition, e.g. from a STAC import."""
        self.store.put_collection(definition.id, definition.to_dict())

    def export_stac(self, out_dir: str | os.PathLike, *, copy_assets: bool = False) -> Path:
        """Write the catalog as a static, self-contained STAC catalog; returns its catalog.json."""
        from palsar2.catalog.stac import export_stac

        return export_stac(self, out_dir, copy_assets=copy_assets)

    def import_stac(self, path: str | os.PathLike, *, replace: bool = False) -> IngestReport:
        """Register the items of a static STAC catalog (rows only; assets stay where they are)."""
        from palsar2.catalog.stac import import_stac

        return import_stac(self, path, replace=replace)

    # -- reading -----------------------------------------------------------------------------
    def get(self, item_id: str) -> Item:
        """One item by ID (NotFoundError naming it when absent)."""
        rows = self.store.fetch("SELECT doc, geometry FROM items WHERE id = ?", (item_id,))
        if not rows:
            raise NotFoundError(f"{item_id}: no such item in {self.store.path}")
        return Item.from_dict(json.loads(rows[0][0]), geometry=shapely.from_wkb(rows[0][1]))

    def __contains__(self, item_id: object) -> bool:
        return isinstance(item_id, str) and self.store.item_state(item_id) is not None

    def items(self) -> list[Item]:
        """Every item, ordered by scene start time."""
        return Collection(self.store).items()

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items())

    def __len__(self) -> int:
        return Collection(self.store).size()

    def definition(self, name: str) -> CollectionDefinition:
        """Static metadata of a collection, built-in or stored (NotFoundError when unknown)."""
        if name in BUILTIN:
            return BUILTIN[name]
        rows = self.store.fetch("SELECT definition FROM collections WHERE id = ?", (name,))
        if rows:
            return CollectionDefinition.from_dict(json.loads(rows[0][0]))
        known = ", ".join(self.collections()) or "none"
        raise NotFoundError(f"collection: unknown {name!r} (known: {known})")

    def collection(self, name: str | None = None) -> Collection:
        """A query over one collection (by ID, or its Earth Engine ID), or all items when None."""
        if name is None:
            return Collection(self.store)
        name = _short_name(name)
        return Collection(self.store, name, self.definition(name))

    def collections(self) -> list[str]:
        """IDs of the built-in collections and of every collection with items or a definition."""
        stored = [cid for cid, _, _ in self.store.collection_rows()]
        return sorted(set(BUILTIN) | set(stored))

    def counts(self) -> dict[str, int]:
        """Number of items per collection."""
        counts = {cid: 0 for cid in BUILTIN}
        counts.update({cid: n for cid, _, n in self.store.collection_rows()})
        return counts

    def availability(self, name: str) -> list[dict[str, Any]]:
        """Per observation date: frames, beams, pass, look side and item count (from the items)."""
        return _availability(self.collection(name))


def _short_name(name: str) -> str:
    # "JAXA/ALOS/PALSAR-2/Level2_1/StripMap_202401" -> "StripMap_202401"
    for cid, d in BUILTIN.items():
        if name == d.extra.get("earth_engine_id"):
            return cid
    return name


def _availability(coll: Collection) -> list[dict[str, Any]]:
    table: dict[tuple, dict[str, Any]] = {}
    for item in coll.items():
        key = (item.date, item.beam, item.pass_direction, item.look_side)
        row = table.setdefault(key, {"date": item.date.isoformat(), "frames": set(),
                                     "beam": item.beam, "pass_direction": item.pass_direction,
                                     "look_side": item.look_side, "items": 0})
        if item.frame is not None:
            row["frames"].add(item.frame)
        row["items"] += 1
    out = []
    for key in sorted(table, key=lambda k: (k[0], str(k[1]))):
        row = table[key]
        row["frames"] = sorted(row["frames"])
        out.append(row)
    return out


def open_catalog(path: str | os.PathLike | None = None) -> Catalog:
    """Open (creating if needed) a catalog: a home folder or a .sqlite file; None -> $PALSAR2_HOME."""
    if path is None:
        from palsar2.config import settings

        path = settings().home
    return Catalog(path)
