"""What one running server holds: the catalog, the results directory, open datasets, short caches.

The server is read-only. Items and change results are looked up by validated ID only; the files
behind them are the catalog's asset hrefs and the files of the configured results directory, never
a path from a request.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from palsar2.errors import NotFoundError
from palsar2.server.deps import check_id
from palsar2.server.sources import DatasetPool

RESULT_FILES = ("log_ratio.tif", "classes.tif", "stats.json")
CACHE_SECONDS = 5.0  # a catalog ingested into while we serve shows up within this


@dataclass(frozen=True)
class ChangeResult:
    """One result directory of ``palsar2 change``: its files and the pair it compares."""

    id: str
    path: Path
    stats: dict[str, Any]

    @property
    def log_ratio(self) -> Path | None:
        p = self.path / "log_ratio.tif"
        return p if p.is_file() else None

    @property
    def classes(self) -> Path | None:
        p = self.path / "classes.tif"
        return p if p.is_file() else None

    @property
    def before_id(self) -> str | None:
        return _pair_id(self.stats, "before")

    @property
    def after_id(self) -> str | None:
        return _pair_id(self.stats, "after")


def _pair_id(stats: dict[str, Any], side: str) -> str | None:
    # stats.json names the pair; accept a plain ID or an object with an "id".
    for key in (side, f"{side}_id", f"{side}_item"):
        v = stats.get(key)
        if isinstance(v, str):
            return v
        if isinstance(v, dict) and isinstance(v.get("id"), str):
            return v["id"]
    pair = stats.get("pair")
    if isinstance(pair, dict):
        return _pair_id(pair, side)
    return None


@dataclass
class _Cached:
    value: Any
    expires: float


@dataclass
class ServerState:
    """Shared, thread-safe state of one app."""

    catalog: Any
    results_dir: Path | None = None
    pool: DatasetPool = field(default_factory=DatasetPool)
    _cache: dict[Hashable, _Cached] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cached(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """Memoise a catalog lookup for a few seconds (tiles ask the same thing hundreds of times)."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit.expires > now:
                return hit.value
        value = make()
        with self._lock:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = _Cached(value, now + CACHE_SECONDS)
        return value

    def item(self, item_id: str) -> Any:
        """The catalog item with this ID (NotFoundError -> 404)."""
        check_id(item_id, "item_id")
        return self.cached(("item", item_id), lambda: self.catalog.get(item_id))

    def results(self) -> dict[str, ChangeResult]:
        """Change results in the results directory, by ID (the directory name)."""
        return self.cached(("results",), self._scan_results)

    def result(self, result_id: str) -> ChangeResult:
        """One change result (NotFoundError -> 404)."""
        check_id(result_id, "result_id")
        try:
            return self.results()[result_id]
        except KeyError:
            raise NotFoundError(f"result {result_id!r}: not found in the results directory") \
                from None

    def result_for_pair(self, before_id: str, after_id: str) -> ChangeResult | None:
        """The result that compares exactly this pair, if one was computed."""
        for r in self.results().values():
            if r.before_id == before_id and r.after_id == after_id:
                return r
        return None

    def _scan_results(self) -> dict[str, ChangeResult]:
        if self.results_dir is None or not self.results_dir.is_dir():
            return {}
        root = self.results_dir.resolve()
        dirs = [root] + sorted(p for p in root.iterdir() if p.is_dir())
        found: dict[str, ChangeResult] = {}
        for d in dirs:
            if not any((d / f).is_file() for f in RESULT_FILES):
                continue
            # Never follow a link out of the results directory.
            real = d.resolve()
            if real != root and root not in real.parents:
                continue
            try:
                check_id(d.name, "result_id")
            except ValueError:
                continue
            stats: dict[str, Any] = {}
            if (d / "stats.json").is_file():
                try:
                    loaded = json.loads((d / "stats.json").read_text())
                    stats = loaded if isinstance(loaded, dict) else {}
                except (OSError, ValueError):
                    stats = {}
            found[d.name] = ChangeResult(d.name, real, stats)
        return found
