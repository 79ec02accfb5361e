"""Immutable, chainable queries over the catalog with Earth Engine's meanings.

``filter_date(start, end)`` selects on the scene start time, start inclusive, end exclusive;
``filter_bounds`` prefilters with the R*Tree and then tests the footprint exactly; operations after
``limit`` apply to the limited set, as in ``ee.ImageCollection``. Every value reaches SQLite as a
bound parameter; property names are checked against a pattern before they become JSON paths.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import shapely
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry

from palsar2.catalog.items import Item
from palsar2.catalog.store import DAY, Store
from palsar2.errors import QueryError

if TYPE_CHECKING:
    from palsar2.catalog.collections import CollectionDefinition

Clause = tuple[str, tuple[Any, ...]]

# name -> (column, kind). Shortcuts, their STAC names and Earth Engine-ish aliases.
_COLUMNS: dict[str, tuple[str, str]] = {}
for _names, _col, _kind in (
    (("id", "system:index", "system:id"), "id", "text"),
    (("frame", "palsar2:frame"), "frame", "int"),
    (("path", "sat:relative_orbit", "relative_orbit"), "path", "int"),
    (("orbit", "sat:absolute_orbit", "absolute_orbit"), "orbit", "int"),
    (("beam", "palsar2:beam"), "beam", "beam"),
    (("pass_direction", "orbit_direction", "pass", "sat:orbit_state", "orbit_state"),
     "pass_direction", "pass"),
    (("look_side", "palsar2:look_side", "sar:observation_direction", "observation_direction"),
     "look_side", "look"),
    (("level", "palsar2:level"), "level", "text"),
    (("mode", "palsar2:mode"), "mode", "text"),
    (("start_time", "system:time_start", "start_datetime"), "start_time", "time"),
    (("end_time", "system:time_end", "end_datetime"), "end_time", "time"),
    (("collection",), "collection", "text"),
    (("polarisation", "polarization", "polarisations", "polarizations", "sar:polarizations"),
     "polarisations", "pol"),
):
    for _n in _names:
        _COLUMNS[_n] = (_col, _kind)

_OPS = {"eq": "=", "equals": "=", "==": "=", "neq": "!=", "not_equals": "!=", "!=": "!=",
        "lt": "<", "less_than": "<", "<": "<", "lte": "<=", "less_than_or_equals": "<=",
        "<=": "<=", "gt": ">", "greater_than": ">", ">": ">", "gte": ">=",
        "greater_than_or_equals": ">=", ">=": ">=", "in": "in"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_:.\-]*$")
_PASS = {"a": "ascending", "asc": "ascending", "ascending": "ascending",
         "d": "descending", "desc": "descending", "descending": "descending"}
_LOOK = {"l": "L", "left": "L", "r": "R", "right": "R"}


def to_utc(value: Any, name: str) -> dt.datetime:
    """A date, datetime, ISO string or epoch milliseconds (as ee) to an aware UTC datetime."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return dt.datetime.fromtimestamp(value / 1000.0, dt.UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            return to_utc(dt.datetime.fromisoformat(text), name)
        except ValueError:
            pass
    raise QueryError(f"{name}: not a date or datetime: {value!r} (use e.g. '2024-01-01' or "
                     "'2024-01-01T03:00:00Z')")


def _ts(value: Any, name: str) -> float:
    return to_utc(value, name).timestamp()


def _norm(kind: str, value: Any, name: str) -> Any:
    """Normalise a filter value for its column (ascending/A, L/left, 0750 -> 750, ...)."""
    if value is None:
        raise QueryError(f"{name}: a value is required")
    try:
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind == "pass":
            return _PASS[str(value).strip().lower()]
        if kind == "look":
            return _LOOK[str(value).strip().lower()]
        if kind in ("beam", "pol"):
            return str(value).strip().upper()
        if kind == "time":
            return _ts(value, name)
        if kind == "text":
            return str(value)
    except (KeyError, ValueError, TypeError):
        pass
    else:
        return value
    allowed = {"pass": "ascending or descending", "look": "L (left) or R (right)",
               "int": "an integer"}.get(kind, "a valid value")
    raise QueryError(f"{name}: invalid value {value!r} (expected {allowed})")


def _property_sql(name: str) -> tuple[str, str]:
    """SQL expression and kind for a property name (column, or JSON path into the item)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise QueryError(f"property name: invalid {name!r}")
    if name in _COLUMNS:
        col, kind = _COLUMNS[name]
        return f"i.{col}", kind
    return f"json_extract(i.doc, '$.properties.\"{name}\"')", "any"


def _compare(name: str, op: str, value: Any) -> Clause:
    sql_op = _OPS.get(str(op).lower())
    if sql_op is None:
        raise QueryError(f"operator: unknown {op!r} for {name!r} "
                         "(use eq, neq, lt, lte, gt, gte or in)")
    expr, kind = _property_sql(name)
    if sql_op == "in":
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise QueryError(f"{name}: 'in' needs a list of values, got {value!r}")
        vals = tuple(_norm(kind, v, name) for v in value)
        if not vals:
            return "0", ()
        if kind == "pol":
            marks = ", ".join("?" * len(vals))
            return f"EXISTS (SELECT 1 FROM json_each(i.polarisations) WHERE value IN ({marks}))", vals
        return f"{expr} IN ({', '.join('?' * len(vals))})", vals
    if isinstance(value, (list, tuple, set, frozenset)):
        if sql_op == "=":
            return _compare(name, "in", value)
        raise QueryError(f"{name}: operator {op!r} needs one value, got {value!r}")
    v = _norm(kind, value, name)
    if kind == "pol":
        if sql_op == "=":
            return "EXISTS (SELECT 1 FROM json_each(i.polarisations) WHERE value = ?)", (v,)
        if sql_op == "!=":
            return "NOT EXISTS (SELECT 1 FROM json_each(i.polarisations) WHERE value = ?)", (v,)
        raise QueryError(f"{name}: only eq, neq and in apply to polarisations")
    return f"{expr} {sql_op} ?", (v,)


def as_geometry(value: Any, name: str = "geometry") -> BaseGeometry:
    """A shapely geometry from a geometry, GeoJSON mapping, (lon, lat) point or (W, S, E, N) bbox."""
    if isinstance(value, BaseGeometry):
        geom = value
    elif isinstance(value, Mapping) or hasattr(value, "__geo_interface__"):
        try:
            geom = shape(value)
        except Exception as exc:  # shapely raises many types for bad GeoJSON
            raise QueryError(f"{name}: not a valid GeoJSON geometry ({exc})") from exc
    elif isinstance(value, str):
        parts = value.replace(" ", "").split(",")
        return as_geometry(_floats(parts, name), name)
    elif isinstance(value, Sequence):
        nums = _floats(value, name)
        if len(nums) == 2:
            lon, lat = nums
            _check_lonlat(lon, lat, name)
            return shapely.Point(lon, lat)
        if len(nums) != 4:
            raise QueryError(f"{name}: a bbox needs 4 numbers W,S,E,N (got {len(nums)})")
        w, s, e, n = nums
        _check_lonlat(w, s, name)
        _check_lonlat(e, n, name)
        if w > e:
            raise QueryError(f"{name}: west {w} is east of east {e} (bboxes across the "
                             "antimeridian are not supported)")
        if s > n:
            raise QueryError(f"{name}: south {s} is north of north {n}")
        return box(w, s, e, n)
    else:
        raise QueryError(f"{name}: expected a geometry, GeoJSON, point or bbox, got {value!r}")
    if geom.is_empty:
        raise QueryError(f"{name}: the geometry is empty")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom


def _floats(values: Sequence[Any], name: str) -> list[float]:
    try:
        nums = [float(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise QueryError(f"{name}: not numbers: {values!r}") from exc
    if not all(math.isfinite(v) for v in nums):
        raise QueryError(f"{name}: numbers must be finite: {values!r}")
    return nums


def _check_lonlat(lon: float, lat: float, name: str) -> None:
    if not -180.0 <= lon <= 180.0:
        raise QueryError(f"{name}: longitude {lon} outside -180..180")
    if not -90.0 <= lat <= 90.0:
        raise QueryError(f"{name}: latitude {lat} outside -90..90")


@dataclass(frozen=True)
class _Stage:
    where: tuple[Clause, ...] = ()
    rtree: tuple[tuple[str, float], ...] = ()  # ("max_lon >= ?", w), ... merged into one lookup
    order: tuple[str, bool] | None = None
    limit: int | None = None


_DEFAULT_ORDER = ("i.start_time", True)


@dataclass(frozen=True)
class Collection:
    """A lazy, immutable query over the catalog's items (one collection, or all of them)."""

    store: Store
    id: str | None = None
    definition: CollectionDefinition | None = None
    stages: tuple[_Stage, ...] = (_Stage(),)

    def __repr__(self) -> str:
        return f"Collection({self.id!r}, stages={len(self.stages)})"

    # -- building ----------------------------------------------------------------------------
    def _where(self, clause: Clause, rtree: tuple[tuple[str, float], ...] = ()) -> Collection:
        last = self.stages[-1]
        if last.limit is not None:  # after limit: filter the limited set, as ee does
            return replace(self, stages=(*self.stages, _Stage(where=(clause,), rtree=rtree)))
        new = replace(last, where=(*last.where, clause), rtree=(*last.rtree, *rtree))
        return replace(self, stages=(*self.stages[:-1], new))

    def filter_date(self, start: Any, end: Any = None) -> Collection:
        """Items whose scene start time is in [start, end); without end, one millisecond (as ee)."""
        t0 = _ts(start, "start")
        t1 = t0 + 0.001 if end is None else _ts(end, "end")
        if t1 < t0:
            raise QueryError(f"end: {end!r} is before start {start!r}")
        # The R*Tree's time axis is float32 and rounds outwards, so it only prefilters; the
        # exact half-open test is on the REAL column.
        return self._where(("i.start_time >= ? AND i.start_time < ?", (t0, t1)),
                           (("max_t >= ?", t0 / DAY), ("min_t <= ?", t1 / DAY)))

    def filter_bounds(self, geometry: Any) -> Collection:
        """Items whose footprint intersects a geometry, GeoJSON, (lon, lat) or (W, S, E, N) bbox."""
        geom = as_geometry(geometry, "bounds")
        w, s, e, n = geom.bounds
        return self._where(("intersects_wkb(i.geometry, ?)", (shapely.to_wkb(geom),)),
                           (("max_lon >= ?", w), ("min_lon <= ?", e),
                            ("max_lat >= ?", s), ("min_lat <= ?", n)))

    def filter(self, **props: Any) -> Collection:
        """Items equal to each property (shortcuts: frame, beam, pass_direction, look_side, path,
        orbit, polarisation, level, mode; or any STAC property name); a list means any of them."""
        out = self
        for name, value in props.items():
            out = out._where(_compare(name, "eq", value))
        return out

    def filter_metadata(self, name: str, op: str, value: Any) -> Collection:
        """Items whose property ``name`` compares with ``value`` (eq, neq, lt, lte, gt, gte, in)."""
        return self._where(_compare(name, op, value))

    def sort(self, prop: str = "start_time", ascending: bool = True) -> Collection:
        """Order by a property (ties broken by item ID)."""
        expr, _ = _property_sql(prop)
        last = self.stages[-1]
        if last.limit is not None:
            return replace(self, stages=(*self.stages, _Stage(order=(expr, bool(ascending)))))
        return replace(self, stages=(*self.stages[:-1], replace(last, order=(expr, bool(ascending)))))

    def limit(self, n: int, prop: str | None = None, ascending: bool = True) -> Collection:
        """The first ``n`` items (optionally after sorting by ``prop``), as ``ee`` ``limit``."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise QueryError(f"limit: expected a non-negative integer, got {n!r}")
        coll = self.sort(prop, ascending) if prop is not None else self
        last = coll.stages[-1]
        if last.limit is not None:
            return replace(coll, stages=(*coll.stages, _Stage(limit=n)))
        return replace(coll, stages=(*coll.stages[:-1], replace(last, limit=n)))

    # -- SQL ---------------------------------------------------------------------------------
    def _sql(self) -> tuple[str, list[Any], tuple[str, bool]]:
        sql, params = "items", []
        order = _DEFAULT_ORDER
        for k, stage in enumerate(self.stages):
            where = [c for c, _ in stage.where]
            p = [v for _, ps in stage.where for v in ps]
            if any("_lon" in c for c, _ in stage.rtree):
                # One R*Tree lookup for all spatial and time constraints of the stage; time
                # alone is better served by the B-tree on (collection, start_time).
                where.insert(0, "i.pk IN (SELECT pk FROM items_rtree WHERE "
                             + " AND ".join(c for c, _ in stage.rtree) + ")")
                p[0:0] = [v for _, v in stage.rtree]
            if k == 0 and self.id is not None:
                where.insert(0, "i.collection = ?")
                p.insert(0, self.id)
            order = stage.order or order
            src = sql if k == 0 else f"({sql})"
            s = f"SELECT i.* FROM {src} AS i"
            if where:
                s += " WHERE " + " AND ".join(f"({w})" for w in where)
            s += f" ORDER BY {order[0]} {'ASC' if order[1] else 'DESC'}, i.id"
            if stage.limit is not None:
                s += " LIMIT ?"
                p.append(stage.limit)
            sql, params = s, params + p
        return sql, params, order

    def _rows(self, columns: str) -> list[tuple]:
        sql, params, order = self._sql()
        dirn = "ASC" if order[1] else "DESC"
        return self.store.fetch(
            f"SELECT {columns} FROM ({sql}) AS i ORDER BY {order[0]} {dirn}, i.id", params)

    # -- results -----------------------------------------------------------------------------
    def items(self) -> list[Item]:
        """The matching items, in order."""
        rows = self._rows("i.doc, i.geometry")
        if not rows:
            return []
        geoms = shapely.from_wkb([g for _, g in rows])  # one vectorised call for all footprints
        return [Item.from_dict(json.loads(doc), geometry=geom)
                for (doc, _), geom in zip(rows, geoms, strict=True)]

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items())

    def first(self) -> Item | None:
        """The first matching item, or None when there is none."""
        items = self.limit(1).items()
        return items[0] if items else None

    def size(self) -> int:
        """Number of matching items."""
        sql, params, _ = self._sql()
        return int(self.store.fetch(f"SELECT count(*) FROM ({sql})", params)[0][0])

    def ids(self) -> list[str]:
        """IDs of the matching items, in order."""
        return [r[0] for r in self._rows("i.id")]

    def aggregate_array(self, prop: str) -> list[Any]:
        """The values of one property over the matching items, in order (ee aggregate_array)."""
        expr, kind = _property_sql(prop)
        vals = [r[0] for r in self._rows(expr)]
        if kind == "time":
            return [dt.datetime.fromtimestamp(v, dt.UTC) for v in vals]
        if kind == "pol":
            return [json.loads(v) for v in vals]
        return vals

    def pairs(self, event_date: Any) -> list[tuple[Item, Item]]:
        """(before, after) for each item starting on or after ``event_date``: the latest earlier
        item of the same path, frame, look side and pass (and beam when both are known); the
        viewing geometries never mix. Items without a twin are left out."""
        t = _ts(event_date, "event_date")
        items = self.items()
        earlier = [i for i in items if i.start_time.timestamp() < t]
        out = []
        for after in (i for i in items if i.start_time.timestamp() >= t):
            key = (after.path, after.frame, after.look_side, after.pass_direction)
            twins = [b for b in earlier
                     if (b.path, b.frame, b.look_side, b.pass_direction) == key
                     and (b.beam is None or after.beam is None or b.beam == after.beam)]
            if twins:
                out.append((max(twins, key=lambda b: (b.start_time, b.id)), after))
        return out

    def dates(self) -> list[dt.date]:
        """Distinct observation dates (UTC date of the scene start), ascending."""
        return sorted({dt.datetime.fromtimestamp(r[0], dt.UTC).date()
                       for r in self._rows("i.start_time")})
