"""The reader against FORMAT.md, not against our writer: a product built by hand like JAXA's.

The GeoTIFF is written here directly with tifffile (own geokey directory, big strips), around
the REAL L1.5 summary.txt of tests/data/jaxa-samples (UTM zone 40 south, Mauritius), decimated
to 250 m pixels so that the test stays small.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
import tifffile
from pyproj import Transformer
from shapely.geometry import Polygon

from palsar2.products import footprint, open_product
from palsar2.products.summary import read_summary

SAMPLES = Path(__file__).parent.parent / "data" / "jaxa-samples"
SCENE, PRODUCT = "ALOS2337294000-200821", "UBSL1.5GUD"
SPACING = 250.0


def _geokeys_south_zone_40() -> list[tuple]:
    """GeoKeyDirectory as FORMAT.md section 4 describes, written out number by number."""
    citation = "Datum=ITRF97 Ellipsoid=GRS80 Projection=UTM|"
    keys = [(1024, 0, 1, 1), (1025, 0, 1, 1), (2048, 0, 1, 4338), (2049, 34737, len(citation), 0),
            (2050, 0, 1, 6655), (2054, 0, 1, 9102), (2056, 0, 1, 7019), (3072, 0, 1, 32767),
            (3074, 0, 1, 16140), (3075, 0, 1, 1), (3076, 0, 1, 9001),
            (3080, 34736, 1, 0), (3081, 34736, 1, 1), (3082, 34736, 1, 2), (3083, 34736, 1, 3),
            (3092, 34736, 1, 4)]
    doubles = [57.0, 0.0, 500000.0, 10000000.0, 0.9996]
    directory = [1, 1, 0, len(keys)] + [v for k in keys for v in k]
    return [(34735, "H", len(directory), directory, True),
            (34736, "d", len(doubles), doubles, True), (34737, "s", 0, citation, True)]


@pytest.fixture(scope="module")
def jaxa_like(tmp_path_factory):
    """A product directory in JAXA's layout around the real summary; returns (dir, info)."""
    d = tmp_path_factory.mktemp("jaxa") / f"{SCENE}_{PRODUCT}"
    d.mkdir()
    s = read_summary(SAMPLES / f"{SCENE}_{PRODUCT}_summary.txt")
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32740", always_xy=True)
    f = s.frame_corners
    xs, ys = to_utm.transform([p.lon for p in f[1:]], [p.lat for p in f[1:]])
    x0, y1 = np.floor(min(xs) / SPACING) * SPACING, np.ceil(max(ys) / SPACING) * SPACING
    w = int(np.ceil((max(xs) - x0) / SPACING))
    h = int(np.ceil((y1 - min(ys)) / SPACING))
    c = s.image_corners
    qx, qy = to_utm.transform([c.left_top.lon, c.right_top.lon, c.right_bottom.lon, c.left_bottom.lon],
                              [c.left_top.lat, c.right_top.lat, c.right_bottom.lat, c.left_bottom.lat])
    quad_px = np.c_[(np.asarray(qx) - x0) / SPACING, (y1 - np.asarray(qy)) / SPACING]
    cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    inside = np.ones((h, w), bool)
    for i in range(4):
        (ax, ay), (bx, by) = quad_px[i], quad_px[(i + 1) % 4]
        inside &= (bx - ax) * (rows - ay) - (by - ay) * (cols - ax) >= 0
    rng = np.random.default_rng(1)
    dn = np.where(inside, rng.integers(1000, 9000, (h, w)), 0).astype("<u2")
    img = d / f"IMG-HH-{SCENE}-{PRODUCT}.tif"
    tie = (0.5, 0.5, 0.0, x0 + SPACING / 2, y1 - SPACING / 2, 0.0)
    tifffile.imwrite(img, dn, byteorder="<", photometric="minisblack", rowsperstrip=16,
                     description="HH", metadata=None, software=False,
                     extratags=[(33550, "d", 3, (SPACING, SPACING, 0.0), True),
                                (33922, "d", 6, tie, True)] + _geokeys_south_zone_40())
    a = "1.995262314968883E+08"
    (d / f"LUT-HH-{SCENE}-{PRODUCT}.txt").write_text("0.000000000000000E+00\n" + f"{a}\n" * w)
    text = s.format().replace('Pds_PixelSpacing="2.500000"', f'Pds_PixelSpacing="{SPACING:.6f}"')
    text = text.replace('Pdi_NoOfPixels_0="27964"', f'Pdi_NoOfPixels_0="{w}"')
    text = text.replace('Pdi_NoOfLines_0="31459"', f'Pdi_NoOfLines_0="{h}"')
    (d / "summary.txt").write_text(text)
    shutil.copy(SAMPLES / f"{SCENE}_{PRODUCT}.kml", d / f"{SCENE}_{PRODUCT}.kml")
    shutil.copy(SAMPLES / f"BRS-HH-{SCENE}-{PRODUCT}.jpg", d)
    return d, {"x0": x0, "y1": y1, "shape": (h, w), "quad_px": quad_px, "tie": tie}


def test_opens_without_warnings(jaxa_like):
    d, info = jaxa_like
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = open_product(d)
    assert p.id == f"{SCENE}_{PRODUCT}" and p.kind == "jaxa" and p.level == "1.5"
    assert p.geobox.crs.epsg == 32740 and "40S" in p.crs_note
    assert p.geobox.shape == info["shape"]
    assert p.pass_direction == "descending" and p.look_side == "L" and p.path == 63
    assert p.calibration_db == -83.0 and p.off_nadir_deg == 28.8


def test_half_pixel_tie_point(jaxa_like):
    d, info = jaxa_like
    p = open_product(d)
    a = p.geobox.affine
    # the corner is half a pixel up and left of the tie point (the first pixel's centre)
    assert (a.c, a.f) == (info["tie"][3] - SPACING / 2, info["tie"][4] + SPACING / 2)
    assert (a.c, a.f) == (info["x0"], info["y1"])
    with rasterio.open(p.href) as src:  # and GDAL agrees
        assert tuple(src.transform)[:6] == tuple(a)[:6]
        assert src.xy(0, 0) == (info["tie"][3], info["tie"][4])


def test_footprint_is_the_summary_quadrilateral(jaxa_like):
    d, _ = jaxa_like
    p = open_product(d)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fp = footprint(p)
    truth = Polygon(p.summary.image_corners.ring())
    assert fp.symmetric_difference(truth).area / truth.area < 0.03
    bbox = Polygon.from_bounds(*fp.bounds)
    assert fp.area < 0.8 * bbox.area
