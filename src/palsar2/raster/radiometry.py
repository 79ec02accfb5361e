"""DN <-> linear power <-> dB / amplitude with each product's own calibration factor (FORMAT.md 5).

``sigma0 = DN^2 * 10^(CF/10)`` (CF in dB, -83.0 for L1.5/L2.1). Everything returned is float32 with
NaN as nodata: DN 0 (outside the swath) and anything non-finite or non-positive become NaN, never
-inf. Functions accept numpy or dask arrays; dask input stays lazy (block-wise map).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from palsar2.errors import ParameterError

Units = Literal["power", "db", "amplitude"]
UNITS: tuple[str, ...] = ("power", "db", "amplitude")
UNIT_LABELS = {"power": "linear power (sigma0)", "db": "dB", "amplitude": "amplitude (sqrt power)"}


def check_calibration(calibration_db: float) -> float:
    """Return the calibration factor as float, or raise ParameterError naming it."""
    try:
        cf = float(calibration_db)
    except (TypeError, ValueError):
        raise ParameterError(f"calibration_db: not a number: {calibration_db!r}") from None
    if not math.isfinite(cf):
        raise ParameterError(f"calibration_db: must be finite, got {calibration_db!r}")
    return cf


def check_units(units: str) -> str:
    """Return the normalised unit name or raise ParameterError naming ``units``."""
    u = str(units).lower()
    if u == "amp":
        u = "amplitude"
    if u not in UNITS:
        raise ParameterError(f"units: unknown {units!r} (use one of {', '.join(UNITS)})")
    return u


def _apply(func: Callable[[np.ndarray], np.ndarray], x: Any, dtype: Any) -> Any:
    """Apply a numpy block function to numpy or (lazily) dask input."""
    if hasattr(x, "map_blocks") and hasattr(x, "dask"):
        return x.map_blocks(func, dtype=dtype)
    return func(np.asarray(x))


def _dn_to_power_np(dn: np.ndarray, factor: np.float32) -> np.ndarray:
    d = dn.astype(np.float32, copy=False)
    with np.errstate(invalid="ignore"):
        bad = ~(d > 0) | ~np.isfinite(d)
    p = d * d * factor
    p[bad] = np.nan
    return p


def dn_to_power(dn: Any, calibration_db: float) -> Any:
    """Calibrated linear power (sigma0) from DN; DN 0 and invalid DN become NaN."""
    factor = np.float32(10.0 ** (check_calibration(calibration_db) / 10.0))
    return _apply(lambda b: _dn_to_power_np(b, factor), dn, np.float32)


def _power_to_db_np(p: np.ndarray) -> np.ndarray:
    p = p.astype(np.float32, copy=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = (p > 0) & np.isfinite(p)
        out = np.full(p.shape, np.nan, np.float32)
        np.log10(p, out=out, where=ok)
        out *= np.float32(10.0)
    return out


def power_to_db(power: Any) -> Any:
    """10 log10(power) as float32; zero, negative and non-finite power become NaN (never -inf)."""
    return _apply(_power_to_db_np, power, np.float32)


def _db_to_power_np(db: np.ndarray) -> np.ndarray:
    d = db.astype(np.float32, copy=False)
    with np.errstate(over="ignore", invalid="ignore"):
        p = np.power(np.float32(10.0), d / np.float32(10.0), dtype=np.float32)
    p[~np.isfinite(p)] = np.nan
    return p


def db_to_power(db: Any) -> Any:
    """Linear power from dB (float32); NaN stays NaN."""
    return _apply(_db_to_power_np, db, np.float32)


def _power_to_amplitude_np(p: np.ndarray) -> np.ndarray:
    p = p.astype(np.float32, copy=False)
    with np.errstate(invalid="ignore"):
        out = np.sqrt(p, dtype=np.float32)
        out[~(p >= 0) | ~np.isfinite(p)] = np.nan
    return out


def power_to_amplitude(power: Any) -> Any:
    """Calibrated amplitude sqrt(power) (float32); negative and non-finite become NaN."""
    return _apply(_power_to_amplitude_np, power, np.float32)


def amplitude_to_power(amplitude: Any) -> Any:
    """Linear power from calibrated amplitude (float32)."""
    return _apply(lambda a: (a.astype(np.float32, copy=False) ** 2), amplitude, np.float32)


def _power_to_dn_np(p: np.ndarray, factor: float) -> np.ndarray:
    p64 = p.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ok = np.isfinite(p64) & (p64 > 0)
        dn = np.sqrt(np.where(ok, p64, 0.0) / factor)
        dn = np.clip(np.rint(dn), 1, 65535)
    return np.where(ok, dn, 0).astype(np.uint16)


def power_to_dn(power: Any, calibration_db: float) -> Any:
    """uint16 DN from linear power; NaN/non-positive -> 0 (nodata), valid values clipped to 1..65535."""
    factor = 10.0 ** (check_calibration(calibration_db) / 10.0)
    return _apply(lambda b: _power_to_dn_np(b, factor), power, np.uint16)


def dn_to(dn: Any, calibration_db: float, units: str = "power") -> Any:
    """DN straight to the requested units (power, db or amplitude)."""
    return from_power(dn_to_power(dn, calibration_db), units)


def from_power(power: Any, units: str) -> Any:
    """Convert linear power to ``units``."""
    u = check_units(units)
    if u == "power":
        return power
    return power_to_db(power) if u == "db" else power_to_amplitude(power)


def to_power(data: Any, units: str) -> Any:
    """Convert data in ``units`` to linear power."""
    u = check_units(units)
    if u == "power":
        return data
    return db_to_power(data) if u == "db" else amplitude_to_power(data)
