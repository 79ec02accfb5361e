"""Calibration look-up tables (LUT-<pol>-<SceneID>-<ProductID>.txt, FORMAT.md section 5).

Line 1 is the offset B, lines 2..N+1 the factor A of each column, so that
``sigma0 = (M**2 + B) / A``; for geocoded products every A is equal and the calibration factor is
``CF = 10*log10(1/A)`` dB (``A = 10**8.3`` gives -83.0 dB).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from palsar2.errors import ProductError

__all__ = ["DEFAULT_CALIBRATION_DB", "Lut", "format_lut", "parse_lut", "read_lut"]

#: JAXA's CF1 for L1.5/L2.1; used only when a product has no LUT.
DEFAULT_CALIBRATION_DB = -83.0


@dataclass(frozen=True)
class Lut:
    """Offset B and per-column factors A of one image."""

    offset: float
    factors: tuple[float, ...]
    source: str | None = None

    @property
    def factor(self) -> float:
        """The factor A (the median if columns differ)."""
        return float(np.median(np.asarray(self.factors)))

    @property
    def is_uniform(self) -> bool:
        a = np.asarray(self.factors)
        return bool(np.allclose(a, a[0], rtol=1e-9, atol=0.0))

    @property
    def calibration_db(self) -> float:
        """``10*log10(1/A)`` in dB, rounded to 1e-6 dB (-83.0 for A = 10**8.3)."""
        return round(-10.0 * math.log10(self.factor), 6)


def parse_lut(text: str, *, source: str | None = None) -> Lut:
    """Parse the text of a LUT file."""
    where = source or "LUT"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        raise ProductError(f"{where}: a LUT needs the offset B on line 1 and at least one factor A")
    try:
        offset = float(lines[0])
    except ValueError:
        raise ProductError(f"{where} line 1: offset {lines[0][:40]!r} is not a number") from None
    factors: list[float] = []
    for i, line in enumerate(lines[1:], start=2):
        for token in line.split():
            try:
                a = float(token)
            except ValueError:
                raise ProductError(f"{where} line {i}: factor {token[:40]!r} is not a number") from None
            if not (a > 0 and math.isfinite(a)):
                raise ProductError(f"{where} line {i}: factor {a} must be positive and finite")
            factors.append(a)
    lut = Lut(offset, tuple(factors), source)
    if not lut.is_uniform:
        warnings.warn(f"{where}: column factors differ ({min(factors):.6g}..{max(factors):.6g}); "
                      "using the median as the product's calibration factor", stacklevel=2)
    return lut


def read_lut(path: str) -> Lut:
    """Read a LUT file: a local path or a GDAL ``/vsizip/`` path."""
    from palsar2.products._vsi import read_bytes

    raw = read_bytes(path)
    return parse_lut(raw.decode("latin-1"), source=str(path))


def format_lut(calibration_db: float, columns: int, offset: float = 0.0) -> str:
    """The LUT text JAXA writes for a geocoded product: B, then A once per column."""
    a = 10.0 ** (-calibration_db / 10.0)
    line = f"{a:.15E}\n"
    return f"{offset:.15E}\n" + line * columns
