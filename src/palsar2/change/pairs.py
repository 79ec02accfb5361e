"""Before/after pairs: each post-event item with its pre-event twin of the same geometry.

The three geometries of StripMap_202401 (ascending-left, descending-left, ascending-right) never mix
in one ratio (FORMAT.md 1): a twin shares path, frame, look side and pass (and beam when both items
know it). The twin is the latest pre-event item unless a pre-event date is chosen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from palsar2.errors import PairError, ParameterError

GEOMETRY_KEYS = ("path", "frame", "look_side", "pass_direction")


@dataclass(frozen=True)
class Pair:
    """A pre-event item, a post-event item of the same geometry, and why they were paired."""

    before: Any
    after: Any
    reason: str

    @property
    def name(self) -> str:
        """Directory-safe name: ``<after id>__<before id>``."""
        return f"{self.after.id}__{self.before.id}"


@dataclass(frozen=True)
class Unpaired:
    """A post-event item with no pre-event twin, and why."""

    after: Any
    reason: str


def _prop(item: Any, key: str) -> Any:
    v = getattr(item, key, None)
    if v is None:
        props = getattr(item, "properties", {}) or {}
        v = props.get({"frame": "palsar2:frame", "beam": "palsar2:beam", "path": "sat:relative_orbit",
                       "pass_direction": "sat:orbit_state", "look_side": "sar:observation_direction"}.get(key, key))
        if key == "look_side" and isinstance(v, str) and v in ("left", "right"):
            v = v[0].upper()
    return v


def geometry_of(item: Any) -> dict[str, Any]:
    """Path, frame, look side, pass direction and beam of an item (catalog Item or Product)."""
    g = {k: _prop(item, k) for k in GEOMETRY_KEYS}
    g["beam"] = _prop(item, "beam")
    return g


def _when(item: Any) -> dt.datetime:
    t = getattr(item, "datetime", None) or getattr(item, "center_time", None) or getattr(item, "start_time", None)
    if t is None:
        raise PairError(f"item {getattr(item, 'id', item)}: has no acquisition time")
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def parse_date(value: str | dt.date | dt.datetime, name: str = "--event") -> dt.datetime:
    """A date or datetime (ISO text or object) as an aware UTC datetime (dates at 00:00 UTC)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    try:
        s = str(value).strip()
        d = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise ParameterError(f"{name} {value!r}: not a date (expected YYYY-MM-DD)") from None
    return d if d.tzinfo else d.replace(tzinfo=dt.UTC)


def describe_geometry(g: dict[str, Any]) -> str:
    side = {"L": "left", "R": "right"}.get(g["look_side"], g["look_side"])
    beam = f", beam {g['beam']}" if g.get("beam") else ""
    return f"path {g['path']}, frame {g['frame']}, {side}-looking, {g['pass_direction']}{beam}"


def check_pair(before: Any, after: Any) -> None:
    """Raise PairError unless both items share path, frame, look side, pass (and beam) and are in order."""
    gb, ga = geometry_of(before), geometry_of(after)
    diff = [k for k in GEOMETRY_KEYS if gb[k] != ga[k]]
    if gb["beam"] and ga["beam"] and gb["beam"] != ga["beam"]:
        diff.append("beam")
    if diff:
        detail = ", ".join(f"{k} {gb[k]!r} vs {ga[k]!r}" for k in diff)
        raise PairError(f"items {before.id} and {after.id} have different geometries ({detail}): "
                        "a ratio must never mix geometries")
    if not _when(before) < _when(after):
        raise PairError(f"item {before.id} ({_when(before):%Y-%m-%d}) is not earlier than {after.id} "
                        f"({_when(after):%Y-%m-%d})")


def _items(collection: Any) -> list[Any]:
    if hasattr(collection, "items") and callable(collection.items):
        return list(collection.items())
    return list(collection)


def pair_report(collection: Any, event_date: str | dt.date | dt.datetime,
                before: str | dt.date | None = None) -> tuple[list[Pair], list[Unpaired]]:
    """All pairs for an event, and the post-event items left without a twin (with the reason)."""
    event = parse_date(event_date)
    chosen = parse_date(before, "--before").date() if before is not None else None
    if chosen is not None and chosen >= event.date():
        raise ParameterError(f"--before {before}: must be earlier than the event date {event:%Y-%m-%d}")
    items = sorted(_items(collection), key=_when)
    pre = [i for i in items if _when(i) < event]
    post = [i for i in items if _when(i) >= event]
    pairs: list[Pair] = []
    unpaired: list[Unpaired] = []
    for a in post:
        ga = geometry_of(a)
        same = [b for b in pre if _same(geometry_of(b), ga)]
        geom = describe_geometry(ga)
        if not same:
            others = sorted({describe_geometry(geometry_of(b)) for b in pre})
            why = f"no pre-event item with the same geometry ({geom})"
            if others:
                why += f"; pre-event items have: {'; '.join(others)}"
            unpaired.append(Unpaired(a, why))
            continue
        if chosen is not None:
            on_day = [b for b in same if _when(b).date() == chosen]
            if not on_day:
                dates = ", ".join(sorted({f"{_when(b):%Y-%m-%d}" for b in same}))
                unpaired.append(Unpaired(a, f"no pre-event item of the same geometry ({geom}) on {chosen}; "
                                            f"available: {dates}"))
                continue
            b, how = on_day[-1], f"pre-event date {chosen} chosen"
        else:
            b, how = same[-1], "latest pre-event item"
        days = (_when(a) - _when(b)).days
        pairs.append(Pair(b, a, f"same {geom}; {how} ({_when(b):%Y-%m-%d}, {days} days before "
                                f"{_when(a):%Y-%m-%d})"))
    return pairs, unpaired


def _same(g1: dict[str, Any], g2: dict[str, Any]) -> bool:
    if any(g1[k] != g2[k] for k in GEOMETRY_KEYS):
        return False
    return not (g1["beam"] and g2["beam"] and g1["beam"] != g2["beam"])


def find_pairs(collection: Any, event_date: str | dt.date | dt.datetime,
               before: str | dt.date | None = None) -> list[Pair]:
    """Every post-event item with its pre-event twin of the same path, frame, look side and pass."""
    return pair_report(collection, event_date, before)[0]


def pairs_table(pairs: Iterable[Pair], unpaired: Iterable[Unpaired]) -> str:
    """Plain-text listing for the CLI."""
    lines = []
    for p in pairs:
        lines.append(f"{p.after.id}  <-  {p.before.id}\n    {p.reason}")
    for u in unpaired:
        lines.append(f"{u.after.id}  (no pair)\n    {u.reason}")
    return "\n".join(lines) if lines else "no post-event items"
