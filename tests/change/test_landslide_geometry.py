"""Landslides from the radar geometry: a bare scar facing the radar brightens, one facing away darkens."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from palsar2.change import DetectOptions, detect
from palsar2.change import classes as C
from palsar2.change.themes import LookGeometry
from palsar2.errors import ParameterError

from .conftest import make_scene

LOOK = LookGeometry("ascending", "L", 32.9)  # looks west-south-west: the sensor is to the east
SLOPE_DEG = 15.0
RIDGE_COL = 200


def ridge_scene():
    """A north-south ridge: west of it a slope facing away from the radar, east of it one facing it.

    Four 30 x 30 px patches: fore-slope +6 dB and -6 dB, back-slope +6 dB and -6 dB.
    """
    patches = [(60, 90, 250, 280, 6.0, C.LANDSLIDE),    # fore-slope, brightens: a scar facing the radar
               (160, 190, 250, 280, -6.0, C.DECREASE),  # fore-slope, darkens: not the scar signature
               (60, 90, 110, 140, -6.0, C.LANDSLIDE),   # back-slope, darkens: a scar facing away
               (160, 190, 110, 140, 6.0, C.INCREASE)]   # back-slope, brightens: not the scar signature
    s = make_scene((260, 400), 10.0, 11, patches=patches)
    cols = np.arange(400) * 10.0
    z = 1000.0 - np.abs(cols - RIDGE_COL * 10.0) * math.tan(math.radians(SLOPE_DEG))
    dem = np.repeat(z[None, :], 260, axis=0).astype(np.float32)
    return s, dem


def classes_of(sign: str) -> np.ndarray:
    s, dem = ridge_scene()
    o = DetectOptions(filter="boxcar", size=5, look=LOOK, landslide_sign=sign)
    r = detect((s.before, s.gbox, "before"), (s.after, s.gbox, "after"), dem=(dem, s.gbox), options=o)
    assert r.coarse["slide_fore"][:, : RIDGE_COL // 4 - 1].sum() == 0  # west of the ridge: back-slope
    assert r.coarse["slide_fore"][:, RIDGE_COL // 4 + 1:].all()        # east: fore-slope
    p = r.params  # a fore-slope brightening needs the decrease threshold's confidence, mirrored
    assert p["t_inc_slide"] == pytest.approx(2 * p["mode"] - p["t_dec"])
    return r.classes.compute()


def frac(cls: np.ndarray, r0: int, c0: int, code: int) -> float:
    return float((cls[r0 + 5:r0 + 25, c0 + 5:c0 + 25] == code).mean())


def test_geometry_sign_maps_brightening_fore_slope_and_darkening_back_slope_scars():
    cls = classes_of("geometry")
    assert frac(cls, 60, 250, C.LANDSLIDE) > 0.9    # fore-slope scar brighter than the forest
    assert frac(cls, 60, 110, C.LANDSLIDE) > 0.9    # back-slope scar darker
    # change of the other sign is generic change, not a landslide candidate
    assert frac(cls, 160, 250, C.DECREASE) > 0.9
    assert frac(cls, 160, 110, C.INCREASE) > 0.9
    # the rest of the slopes stays clean
    assert (cls[200:255, :] == C.NO_CHANGE).mean() > 0.99


def test_decrease_only_misses_the_fore_slope_scar():
    cls = classes_of("decrease")
    assert frac(cls, 60, 250, C.INCREASE) > 0.9 and frac(cls, 60, 250, C.LANDSLIDE) == 0.0
    assert frac(cls, 160, 250, C.LANDSLIDE) > 0.9   # a darkening fore-slope is taken as a scar


def test_geometry_sign_without_look_falls_back_to_decreases():
    s, dem = ridge_scene()
    o = DetectOptions(filter="boxcar", size=5)  # tuples carry no look geometry
    r = detect((s.before, s.gbox, "before"), (s.after, s.gbox, "after"), dem=(dem, s.gbox), options=o)
    assert r.params["landslide_sign"] == "decrease"
    cls = r.classes.compute()
    assert frac(cls, 60, 110, C.LANDSLIDE) > 0.9 and frac(cls, 60, 250, C.LANDSLIDE) == 0.0


def test_landslide_option_errors():
    with pytest.raises(ParameterError, match="landslide_sign"):
        DetectOptions(landslide_sign="up").validate()
    with pytest.raises(ParameterError, match="slide_crossover_deg"):
        DetectOptions(slide_crossover_deg=95.0).validate()
    with pytest.raises(ParameterError, match="landslide_max_pixel_m"):
        DetectOptions(landslide_max_pixel_m=0).validate()


def test_no_landslide_theme_on_pixels_too_coarse_for_slides(tmp_path):
    """Above landslide_max_pixel_m the scars stay generic change and the result says why."""
    s, dem = ridge_scene()
    o = DetectOptions(filter="boxcar", size=5, look=LOOK, landslide_max_pixel_m=8.0)  # the scene has 10 m pixels
    r = detect((s.before, s.gbox, "before"), (s.after, s.gbox, "after"), dem=(dem, s.gbox), options=o)
    out = r.write(tmp_path / "res")
    cls = r.classes.compute()
    assert (cls == C.LANDSLIDE).sum() == 0
    assert frac(cls, 60, 110, C.DECREASE) > 0.9 and frac(cls, 60, 250, C.INCREASE) > 0.9
    stats = json.loads((out / "stats.json").read_text())
    assert "10 m pixels" in stats["not_mapped"]["landslide"]
    assert "Not mapped: landslide" in (out / "report.html").read_text()
