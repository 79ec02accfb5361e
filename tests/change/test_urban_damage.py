"""Burnt, collapsed and flooded towns: one district burnt inside collapsed blocks, one town flooded."""

from __future__ import annotations

import numpy as np
import pytest

from palsar2.change import DetectOptions, detect
from palsar2.change import classes as C
from palsar2.change.evaluate import evaluate_arrays

from .conftest import make_scene

SPACING = 5.0
# town A: collapsed blocks (-7 dB) around a burnt market (-16 dB: +2 dB town to ash at -14 dB)
TOWN_A = (60, 170, 40, 170)
FIRE = (85, 135, 75, 125)
# town B: flooded by the tsunami, water at -22 dB after (-24 dB from the +2 dB town)
TOWN_B = (200, 270, 190, 280)


@pytest.fixture(scope="module")
def result():
    s = make_scene((300, 320), SPACING, 21, sea_rows=30,
                   urban=[TOWN_A, TOWN_B],
                   patches=[(*TOWN_A, -7.0, C.COLLAPSED), (*FIRE, -16.0, C.BURNT),
                            (*TOWN_B, -24.0, C.INUNDATION)])
    dem = np.full(s.truth.shape, 2.0, np.float32)
    dem[:30] = 0.0
    # a small test sea: keep it as sea (the default wants 2 km2 or the swath edge)
    r = detect((s.before, s.gbox, "before"), (s.after, s.gbox, "after"), dem=(dem, s.gbox),
               options=DetectOptions(filter="boxcar", size=5, sea_min_area_m2=1e5))
    return s, r.classes.compute()


def inner(box, margin):
    r0, r1, c0, c1 = box
    return slice(r0 + margin, r1 - margin), slice(c0 + margin, c1 - margin)


def test_burnt_market_inside_collapsed_blocks_keeps_its_area(result):
    s, cls = result
    # a burnt district inside collapsed blocks used to be averaged with them into "collapsed"
    assert (cls[inner(FIRE, 5)] == C.BURNT).mean() > 0.9
    res = evaluate_arrays(s.truth, cls, SPACING**2)["mmu"]["500"]
    assert 0.8 <= res["burnt"]["area_ratio"] <= 1.2
    assert res["burnt"]["precision"] > 0.85


def test_collapsed_blocks_around_the_fire_stay_collapsed(result):
    s, cls = result
    far_from_fire = np.zeros(s.truth.shape, bool)
    far_from_fire[TOWN_A[0] + 5:FIRE[0] - 10, TOWN_A[2] + 5:TOWN_A[3] - 5] = True  # blocks north of the fire
    assert (cls[far_from_fire] == C.COLLAPSED).mean() > 0.7
    assert (cls[far_from_fire] == C.BURNT).mean() < 0.05


def test_flooded_town_is_inundation_not_fire(result):
    _, cls = result
    town_b = cls[inner(TOWN_B, 5)]
    assert (town_b == C.BURNT).sum() == 0
    assert (town_b == C.INUNDATION).mean() > 0.7
