"""Shared checks for the ingest tests."""

from __future__ import annotations

import sys
from pathlib import Path

from palsar2.catalog import open_catalog
from palsar2.catalog._files import INCOMING

PYTHON = sys.executable


def assert_consistent(home: Path) -> list:
    """Opening recovers; then every row's files exist, every folder has a row, nothing is pending."""
    cat = open_catalog(home)
    items = cat.items()
    items_dir = home / "items"
    folders = {p.name for p in items_dir.iterdir() if p.name != INCOMING} \
        if items_dir.exists() else set()
    copied = {i.id for i in items if not i.properties.get("palsar2:in_place")}
    assert folders == copied, (folders, copied)
    for item in items:
        for asset in item.assets.values():
            if not asset.href.startswith("/vsi"):
                assert Path(asset.href).is_file(), asset.href
    pending = list((items_dir / INCOMING).iterdir()) if (items_dir / INCOMING).exists() else []
    assert pending == [], pending
    cat.close()
    return items
