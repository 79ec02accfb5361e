"""Calibration look-up tables (LUT-<pol>-<SceneID>-<ProductID>.txt, FORMAT.md section 5).

Line 1 is the offset B, lines 2..N+1 the factor A of each column, so that
``sigma0 = (M**2 + B) / A``; for geocoded products every A is equal and the calibration factor is
``CF = 10*log10(1/A)`` dB (``A = 10**8.3`` gives -83.0 dB).
"""

from __future__ import annotations

import functools
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

    @functools.cached_property
    def factor(self) -> float:
        """The factor A (the median if columns differ)."""
        if self.is_uniform:
            return self.factors[0]
        return float(np.median(np.asarray(self.factors)))

    @functools.cached_property
    def is_uniform(self) -> bool:
        if len(set(self.factors)) == 1:
            return True
        a = np.asarray(self.factors)
        return bool(np.allclose(a, a[0], rtol=1e-9, atol=0.0))

    @property
    def calibration_db(self) -> float:
        """``10*log10(1/A)`` in dB, rounded to 1e-6 dB (-83.0 for A = 10**8.3)."""
        return round(-10.0 * math.log10(self.factor), 6)


def parse_lut(text: str, *, source: str | None = None) -> Lut:
    """Parse the text of a LUT file."""
    where = source or "LUT"
    tokens = text.split()  # one number a line; a full frame has ~28,000 factor lines
    if len(tokens) < 2:
        raise ProductError(f"{where}: a LUT needs the offset B on line 1 and at least one factor A")
    start = len(text) - len(text.lstrip()) if text[:1].isspace() else 0
    end = text.find("\n", start)
    first = text[start:end if end >= 0 else len(text)].strip()
    if len(first.split()) != 1:
        raise ProductError(f"{where} line 1: expected the offset B alone, got {first[:40]!r}")
    try:
        offset = float(tokens[0])
    except ValueError:
        raise ProductError(f"{where} line 1: offset {tokens[0][:40]!r} is not a number") from None
    body = tokens[1:]
    uniform = False
    try:
        uniform = len(set(body)) == 1
        if uniform:  # geocoded products: all equal, parse one
            a = np.full(len(body), float(body[0]))
        else:
            a = np.array(body, dtype=float)
    except ValueError:
        a = None
    if a is None or not (np.all(a > 0) and np.all(np.isfinite(a))):
        _raise_bad_factor([ln.strip() for ln in text.splitlines() if ln.strip()], where)
    assert a is not None
    lut = Lut(offset, tuple(a.tolist()), source)
    if uniform:
        lut.__dict__["is_uniform"] = True  # known already; the cached_property need not scan
    if not lut.is_uniform:
        warnings.warn(f"{where}: column factors differ ({a.min():.6g}..{a.max():.6g}); "
                      "using the median as the product's calibration factor", stacklevel=2)
    return lut


def _raise_bad_factor(lines: list[str], where: str) -> None:
    for i, line in enumerate(lines[1:], start=2):
        for token in line.split():
            try:
                a = float(token)
            except ValueError:
                raise ProductError(f"{where} line {i}: factor {token[:40]!r} is not a number") from None
            if not (a > 0 and math.isfinite(a)):
                raise ProductError(f"{where} line {i}: factor {a} must be positive and finite")


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
