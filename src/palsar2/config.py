"""Configuration read at the edges (CLI, server): arguments first, then environment, then defaults.

Library functions take explicit arguments; only the CLI and server call :func:`settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs


@dataclass(frozen=True)
class Settings:
    home: Path
    """Where the catalog (``catalog.sqlite``) and its COG copies (``items/``) live."""
    scheduler: str
    """Dask scheduler: ``threads`` (default), ``processes``, ``local`` or ``tcp://host:port``."""

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite"

    def as_dict(self) -> dict[str, str]:
        return {"PALSAR2_HOME": str(self.home), "PALSAR2_SCHEDULER": self.scheduler,
                "catalog": str(self.catalog_path)}


def default_home() -> Path:
    return Path(platformdirs.user_data_dir("palsar2", appauthor=False))


def settings(home: str | os.PathLike | None = None, scheduler: str | None = None) -> Settings:
    env = os.environ
    h = Path(home) if home else Path(env["PALSAR2_HOME"]) if env.get("PALSAR2_HOME") else default_home()
    s = scheduler or env.get("PALSAR2_SCHEDULER") or "threads"
    return Settings(home=h.expanduser(), scheduler=s)
