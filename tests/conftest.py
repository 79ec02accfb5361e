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


# ---- product factories (owned by palsar2.products; other packages' tests use them) --------------

@pytest.fixture
def make_product(tmp_path):
    """Factory writing a small realistic PALSAR-2 L2.1 product in JAXA's layout; returns its dir.

    ``make_product(out_root=None, **kw) -> Path`` of ``out_root/<SceneID>_<ProductID>/`` (default
    ``out_root``: ``tmp_path / "products"``). The product is a UTM 53N (EPSG:32653) grid centred on
    Noto (137.2228E, 37.1204N) holding a rotated swath quadrilateral of speckled uint16 DN with
    zeros around it, written through ``palsar2.products.write_product`` (strip GeoTIFF, JAXA geokeys,
    half-pixel tie point, LUT, summary.txt, KML). Keywords (all optional):

    - ``scene_id="ALOS2518890750-240101"``, ``product_id="UBSL2.1GUA"`` (str or parsed IDs;
      frame, date, look side and pass follow from them)
    - ``shape=(240, 200)`` rows x cols, ``pixel_spacing=25.0`` m, ``centre=(lon, lat)``,
      ``epsg=32653``
    - ``start_time`` (aware datetime; default 03:00 UTC of the scene date), ``duration_s=10.0``,
      ``off_nadir_deg=32.4``, ``polarisations=("HH",)``, ``calibration_db=-83.0``,
      ``dem="GISMAP_Terrain"``, ``extra={summary key: value}``
    - ``rotation_deg=-12.0`` and ``fill=0.86`` (swath rotation, bounding-box fraction of the grid),
      ``seed=0``, ``sigma0_db=-8.0`` (mean backscatter), ``streamed=True`` (write via a callable),
      ``block_rows=64``

    ``palsar2.products.testing.write_sample_product`` does the same and also returns the spec and
    the swath corners.
    """
    from palsar2.products.testing import write_sample_product

    def make(out_root=None, **kw):
        root = tmp_path / "products" if out_root is None else out_root
        return write_sample_product(root, **kw).path

    return make


@pytest.fixture
def make_ee_export(tmp_path):
    """Factory writing a GeoTIFF as exported from Earth Engine (band b1, DN, no summary.txt).

    ``make_ee_export(name="ALOS2518890750-240101.tif", *, directory=None, shape=(200, 220),
    epsg=4326, centre=(lon, lat), pixel_size=None, seed=0, sidecar=None) -> Path``. ``sidecar``
    (a dict such as ``{"system:time_start": 1704078000000, "frame": 750, "pass": "ascending"}``)
    is written to ``<file>.json``. Pass metadata the name lacks to ``open_product(path, **options)``.
    """
    from palsar2.products.testing import write_ee_export

    def make(name="ALOS2518890750-240101.tif", *, directory=None, **kw):
        d = tmp_path / "ee" if directory is None else directory
        return write_ee_export(d / name, **kw)

    return make
