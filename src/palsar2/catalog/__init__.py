"""The embedded catalog: SQLite + R*Tree store, COG ingest, Earth Engine-style queries, STAC.

>>> cat = open_catalog()                                   # $PALSAR2_HOME/catalog.sqlite
>>> cat.ingest(["ALOS2...zip"])                             # copies imagery as COGs
>>> coll = cat.collection("StripMap_202401").filter_date("2024-01-01", "2024-01-02")
>>> coll.filter(beam="U2-6L", pass_direction="ascending").size()
"""

from __future__ import annotations

from palsar2.catalog.catalog import Catalog, open_catalog
from palsar2.catalog.collections import (
    BEAM_TABLE_202401,
    BUILTIN,
    STRIPMAP_202401,
    BeamEntry,
    CollectionDefinition,
)
from palsar2.catalog.ingest import IngestReport
from palsar2.catalog.items import Asset, Item
from palsar2.catalog.query import Collection

__all__ = [
    "BEAM_TABLE_202401",
    "BUILTIN",
    "STRIPMAP_202401",
    "Asset",
    "BeamEntry",
    "Catalog",
    "Collection",
    "CollectionDefinition",
    "IngestReport",
    "Item",
    "open_catalog",
]
