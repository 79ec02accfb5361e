"""Choosing the images a request is about: Earth Engine's ``filterDate`` + property filters.

The catalog does the querying (only it knows SQL); this module turns HTTP parameters into a
:class:`~palsar2.catalog.Collection` query and sorts the result the way ``mosaic()`` stacks it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import Any

from fastapi import Request

from palsar2.server.deps import ImageFilter, check_id
from palsar2.server.state import ServerState

DEFAULT_COLLECTION = "StripMap_202401"


def get_state(request: Request) -> ServerState:
    """The server state of the app handling this request (a FastAPI dependency)."""
    return request.app.state.palsar2


def select_items(state: ServerState, collection_id: str, filt: ImageFilter) -> list[Any]:
    """Items of a collection in [start, end) with the given properties, oldest first."""
    check_id(collection_id, "collection")
    start, end = filt.interval()
    props = filt.properties()
    key = ("select", collection_id, start, end, tuple(sorted(props.items())))

    def query() -> list[Any]:
        coll = state.catalog.collection(collection_id)
        if start is not None or end is not None:
            coll = coll.filter_date(start or dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
                                    end or dt.datetime(9999, 1, 1, tzinfo=dt.UTC))
        if props:
            coll = coll.filter(**props)
        return sorted(coll.items(), key=lambda i: (i.start_time, i.id))

    return state.cached(key, query)


def bbox_intersects(a: Sequence[float], b: Sequence[float]) -> bool:
    """Do two (west, south, east, north) boxes overlap?"""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def hh_href(item: Any) -> str:
    """The image a tile is drawn from: the item's HH COG (the collection's one band)."""
    assets = item.assets
    asset = assets.get("HH") or next(
        (a for k, a in assets.items() if k not in ("lut", "summary", "thumbnail")), None)
    if asset is None:
        from palsar2.errors import NotFoundError

        raise NotFoundError(f"item {item.id!r}: has no image asset")
    return asset.href


def item_version(item: Any) -> str:
    """What changes when an item's pixels change (for ETags)."""
    checksum = getattr(item, "checksum", None)
    if checksum:
        return str(checksum)
    href = hh_href(item)
    try:
        st = os.stat(href)
        return f"{href}:{st.st_mtime_ns}:{st.st_size}"
    except OSError:
        return href
