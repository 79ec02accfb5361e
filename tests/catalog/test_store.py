"""The SQLite store: pragmas, schema version, migration of an old file, bad files."""

from __future__ import annotations

import json
import sqlite3

import pytest

from palsar2.catalog import open_catalog
from palsar2.catalog.store import SCHEMA_V1, SCHEMA_VERSION, Store
from palsar2.errors import CatalogError


def test_new_store_is_wal_with_foreign_keys_and_current_version(tmp_path):
    store = Store(tmp_path / "catalog.sqlite")
    con = store.con
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert con.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000
    assert store.version() == SCHEMA_VERSION
    cols = {r[1] for r in con.execute("PRAGMA table_info(items_rtree)")}
    assert {"min_lon", "max_lon", "min_lat", "max_lat", "min_t", "max_t"} <= cols


def test_foreign_key_rejects_item_of_unknown_collection(tmp_path):
    store = Store(tmp_path / "catalog.sqlite")
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as con:
        con.execute("INSERT INTO items (id, collection, start_time, end_time, polarisations, "
                    "geometry, doc) VALUES ('x', 'nope', 0, 0, '[]', x'00', '{}')")


def test_open_version_1_file_migrates_and_queries(tmp_path, item_factory):
    """A catalog written by schema 1 (2-D R*Tree, no revision column) opens, migrates, answers."""
    path = tmp_path / "catalog.sqlite"
    item = item_factory(lon=137.2, lat=37.1, start="2024-01-01T03:00:00Z")
    con = sqlite3.connect(path)
    con.executescript(SCHEMA_V1)
    con.execute("INSERT INTO collections VALUES ('StripMap_202401', '{}')")
    doc = item.to_dict()
    doc.pop("geometry")
    import shapely

    w, s, e, n = item.bbox
    con.execute(
        "INSERT INTO items (id, collection, start_time, end_time, frame, path, orbit, beam, "
        "pass_direction, look_side, level, mode, polarisations, min_lon, min_lat, max_lon, "
        "max_lat, geometry, checksum, doc, ingested_at) VALUES "
        "(?, ?, ?, ?, 750, 1, 2, 'U2-6L', 'ascending', 'L', '2.1', 'UBS', '[\"HH\"]', "
        "?, ?, ?, ?, ?, 'sha256:x', ?, 0)",
        (item.id, item.collection, item.start_time.timestamp(), item.end_time.timestamp(),
         w, s, e, n, shapely.to_wkb(item.geometry), json.dumps(doc)))
    con.execute("INSERT INTO items_rtree VALUES (1, ?, ?, ?, ?)", (w, e, s, n))
    con.commit()
    con.close()

    cat = open_catalog(path)
    assert cat.store.version() == SCHEMA_VERSION
    cols = {r[1] for r in cat.store.con.execute("PRAGMA table_info(items)")}
    assert {"revision", "in_place"} <= cols
    coll = cat.collection("StripMap_202401")
    hit = coll.filter_bounds([137.1, 37.0, 137.3, 37.2]).filter_date("2024-01-01", "2024-01-02")
    assert hit.ids() == [item.id]
    assert coll.filter_date("2024-01-02", "2024-01-03").size() == 0
    assert cat.get(item.id).frame == 750


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "catalog.sqlite"
    Store(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE schema_version SET version = 99")
    con.commit()
    con.close()
    with pytest.raises(CatalogError, match="schema version 99"):
        Store(path)


def test_garbage_file_is_a_catalog_error_naming_it(tmp_path):
    path = tmp_path / "catalog.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CatalogError, match="catalog.sqlite"):
        open_catalog(path)


def test_open_catalog_default_is_palsar2_home(_isolated_home):
    cat = open_catalog()
    assert cat.path == _isolated_home / "catalog.sqlite"
    assert cat.path.exists()
