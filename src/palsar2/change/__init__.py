"""Change detection for disaster response: pairs, alignment, indices, thresholds, themes, clean-up,
polygons, statistics, accuracy and the HTML report."""

from __future__ import annotations

from palsar2.change.detect import DetectOptions, detect
from palsar2.change.evaluate import evaluate
from palsar2.change.pairs import Pair, PairError, check_pair, find_pairs
from palsar2.change.report import write_report
from palsar2.change.result import ChangeResult

__all__ = [
           "ChangeResult",
           "DetectOptions",
           "Pair",
           "PairError",
           "check_pair",
           "detect",
           "evaluate",
           "find_pairs",
           "write_report",
]
