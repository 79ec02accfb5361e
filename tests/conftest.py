"""Shared fixtures. Package-specific fixtures live in tests/<package>/conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TEST_DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the user's real catalog from tests."""
    home = tmp_path_factory.mktemp("palsar2-home")
    monkeypatch.setenv("PALSAR2_HOME", str(home))
    monkeypatch.delenv("PALSAR2_SCHEDULER", raising=False)
    yield home


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
