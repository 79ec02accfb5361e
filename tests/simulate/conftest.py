"""Fixtures of the simulator tests: one small simulation shared by the module's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def small_sim(tmp_path_factory):
    """Frames 0760 (ascending left) and 2830 (descending left) at 200 m: 4 scenes, 2 truths."""
    from palsar2.simulate import simulate

    out = tmp_path_factory.mktemp("sim")
    return simulate(out, spacing=200.0, seed=0, frames=[760, 2830])
