"""The embedded store: one SQLite file (WAL) with an R*Tree over footprint bboxes and scene time.

Only this package writes SQL. The schema is versioned (table ``schema_version``) and migrated forward
on open, inside one transaction, so an old catalog file keeps working after an upgrade. Connections
are per thread (the server runs readers in a thread pool); writers use ``BEGIN IMMEDIATE`` so that
concurrent ingesting processes queue on SQLite's lock (busy timeout) instead of failing.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import shapely
from shapely.prepared import prep

from palsar2.errors import CatalogError

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 60_000
DAY = 86400.0

# Version 1 (kept to test migration): items without revision/in_place, 2-D R*Tree without time.
SCHEMA_V1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE collections (id TEXT PRIMARY KEY, definition TEXT NOT NULL);
CREATE TABLE items (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    collection TEXT NOT NULL REFERENCES collections(id),
    start_time REAL NOT NULL, end_time REAL NOT NULL,
    frame INTEGER, path INTEGER, orbit INTEGER, beam TEXT, pass_direction TEXT, look_side TEXT,
    level TEXT, mode TEXT, polarisations TEXT NOT NULL,
    min_lon REAL, min_lat REAL, max_lon REAL, max_lat REAL,
    geometry BLOB NOT NULL, checksum TEXT, doc TEXT NOT NULL, ingested_at REAL
);
CREATE INDEX items_collection_time ON items(collection, start_time);
CREATE VIRTUAL TABLE items_rtree USING rtree(pk, min_lon, max_lon, min_lat, max_lat);
INSERT INTO schema_version VALUES (1);
"""


def _migrate_1_to_2(con: sqlite3.Connection) -> None:
    """Add ingest revision and in-place flag; rebuild the R*Tree with scene time as 3rd dimension."""
    con.execute("ALTER TABLE items ADD COLUMN revision TEXT")
    con.execute("ALTER TABLE items ADD COLUMN in_place INTEGER NOT NULL DEFAULT 0")
    con.execute("DROP TABLE items_rtree")
    con.execute("CREATE VIRTUAL TABLE items_rtree USING rtree("
                "pk, min_lon, max_lon, min_lat, max_lat, min_t, max_t)")
    con.execute("INSERT INTO items_rtree SELECT pk, min_lon, max_lon, min_lat, max_lat, "
                f"start_time / {DAY}, start_time / {DAY} FROM items")
    for col in ("frame", "path", "beam"):
        con.execute(f"CREATE INDEX IF NOT EXISTS items_{col} ON items({col}, start_time)")


MIGRATIONS = {1: _migrate_1_to_2}

ITEM_COLUMNS = ("pk", "id", "collection", "start_time", "end_time", "frame", "path", "orbit", "beam",
                "pass_direction", "look_side", "level", "mode", "polarisations", "min_lon",
                "min_lat", "max_lon", "max_lat", "geometry", "checksum", "doc", "ingested_at",
                "revision", "in_place")


@functools.lru_cache(maxsize=64)
def _prepared(query_wkb: bytes, thread: int) -> Any:
    # One per thread: GEOS builds a prepared geometry's index lazily, which is not thread-safe.
    return prep(shapely.from_wkb(query_wkb))


def _intersects_wkb(geom_wkb: bytes | None, query_wkb: bytes) -> int:
    # Exact footprint test after the R*Tree's bbox prefilter; the query geometry is parsed once.
    if geom_wkb is None:
        return 0
    return int(_prepared(query_wkb, threading.get_ident()).intersects(shapely.from_wkb(geom_wkb)))


class Store:
    """A catalog.sqlite file: schema, migrations, transactions and row access."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._init_schema()
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"{self.path}: not a usable catalog database ({exc})") from exc
        except OSError as exc:
            raise CatalogError(f"{self.path}: cannot create the catalog ({exc})") from exc

    # -- connections -------------------------------------------------------------------------
    @property
    def con(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; transactions are explicit)."""
        con = getattr(self._local, "con", None)
        if con is not None and self._local.pid != os.getpid():
            con = None  # inherited through fork: SQLite connections must not cross processes
        if con is None:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                  isolation_level=None, check_same_thread=False)
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise CatalogError(f"{self.path}: cannot switch the catalog to WAL mode ({mode})")
            # NORMAL is durable against process crashes in WAL mode; only power loss can lose the
            # last transactions, never corrupt the file.
            con.execute("PRAGMA synchronous = NORMAL")
            con.execute("PRAGMA foreign_keys = ON")
            con.create_function("intersects_wkb", 2, _intersects_wkb, deterministic=True)
            self._local.con = con
            self._local.pid = os.getpid()
        return con

    def close(self) -> None:
        """Close this thread's connection."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taking SQLite's write lock at once (queued by the busy timeout)."""
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        else:
            con.execute("COMMIT")

    # -- schema ------------------------------------------------------------------------------
    def version(self) -> int:
        """Schema version of the file (0 for an empty file)."""
        con = self.con
        has = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone()
        if not has:
            return 0
        row = con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}  # connections do not pickle; each process opens its own

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = state["path"]
        self._local = threading.local()

    def _init_schema(self) -> None:
        try:
            if self.version() == SCHEMA_VERSION:  # the common case needs no write lock
                return
        except sqlite3.OperationalError:
            pass
        with self.transaction() as con:
            v = self.version()
            if v == 0:
                for stmt in _split(SCHEMA_V1):
                    con.execute(stmt)
                v = 1
            if v > SCHEMA_VERSION:
                raise CatalogError(f"{self.path}: catalog schema version {v} is newer than this "
                                   f"palsar2 understands ({SCHEMA_VERSION}); upgrade palsar2")
            while v < SCHEMA_VERSION:
                MIGRATIONS[v](con)
                v += 1
                con.execute("DELETE FROM schema_version")
                con.execute("INSERT INTO schema_version VALUES (?)", (v,))

    def ensure_collection(self, con: sqlite3.Connection, cid: str, definition: dict) -> None:
        """Insert a collection row if missing (items reference it by foreign key)."""
        con.execute("INSERT OR IGNORE INTO collections (id, definition) VALUES (?, ?)",
                    (cid, json.dumps(definition)))

    def put_collection(self, cid: str, definition: dict) -> None:
        """Insert or update a collection definition."""
        with self.transaction() as con:
            con.execute("INSERT INTO collections (id, definition) VALUES (?, ?) ON CONFLICT(id) "
                        "DO UPDATE SET definition = excluded.definition",
                        (cid, json.dumps(definition)))

    def collection_rows(self) -> list[tuple[str, dict, int]]:
        """(id, definition, item count) of every collection with a row."""
        rows = self.con.execute(
            "SELECT c.id, c.definition, (SELECT count(*) FROM items i WHERE i.collection = c.id) "
            "FROM collections c ORDER BY c.id").fetchall()
        return [(r[0], json.loads(r[1]), int(r[2])) for r in rows]

    # -- items -------------------------------------------------------------------------------
    def item_state(self, item_id: str) -> tuple[str | None, str | None] | None:
        """(checksum, revision) of an item, or None when it is not catalogued."""
        row = self.con.execute("SELECT checksum, revision FROM items WHERE id = ?",
                               (item_id,)).fetchone()
        return None if row is None else (row[0], row[1])

    def write_item(self, con: sqlite3.Connection, row: dict[str, Any]) -> None:
        """Insert or replace one item row and its R*Tree entry, inside ``con``'s transaction."""
        old = con.execute("SELECT pk FROM items WHERE id = ?", (row["id"],)).fetchone()
        if old is not None:
            con.execute("DELETE FROM items_rtree WHERE pk = ?", (old[0],))
            con.execute("DELETE FROM items WHERE pk = ?", (old[0],))
        cols = [c for c in ITEM_COLUMNS if c != "pk"]
        cur = con.execute(f"INSERT INTO items ({', '.join(cols)}) VALUES "
                          f"({', '.join('?' * len(cols))})", [row[c] for c in cols])
        t = row["start_time"] / DAY
        con.execute("INSERT INTO items_rtree VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (cur.lastrowid, row["min_lon"], row["max_lon"], row["min_lat"],
                     row["max_lat"], t, t))

    def delete_row(self, con: sqlite3.Connection, item_id: str) -> bool:
        """Delete one item row (inside ``con``'s transaction); False when there was none."""
        old = con.execute("SELECT pk FROM items WHERE id = ?", (item_id,)).fetchone()
        if old is None:
            return False
        con.execute("DELETE FROM items_rtree WHERE pk = ?", (old[0],))
        con.execute("DELETE FROM items WHERE pk = ?", (old[0],))
        return True

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run a read query (built with parameters by :mod:`palsar2.catalog.query`)."""
        try:
            return self.con.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise CatalogError(f"{self.path}: query failed ({exc})") from exc


def _split(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
