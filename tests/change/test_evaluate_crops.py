"""evaluate_arrays labels only each class's bounding box: same scores as labelling the whole frame."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from palsar2.change import classes as C
from palsar2.change.evaluate import DETECT_OVERLAP, evaluate_arrays

S8 = np.ones((3, 3), bool)


def reference(truth, pred, code, px_area, mmu):
    """Straightforward whole-frame scoring of one class (the definition, not the fast path)."""
    valid = (truth != C.NODATA) & (pred != C.NODATA)
    t = (truth == code) & valid
    lab, n = ndi.label(pred == code, S8)
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    keep = sizes * px_area >= mmu - 1e-9
    keep[0] = False
    p = keep[lab] & valid
    tp, fp, fn = int((t & p).sum()), int((p & ~t).sum()), int((t & ~p).sum())
    lt, nt = ndi.label(t, S8)
    ts = np.bincount(lt.ravel(), minlength=nt + 1)
    hit = ndi.sum(p, lt, np.arange(nt + 1))
    big = (ts * px_area >= mmu)
    big[0] = False
    det = int(((hit >= DETECT_OVERLAP * ts) & big).sum())
    _, npred = ndi.label(p, S8)
    return tp, fp, fn, int(big.sum()), det, npred


def test_cropped_scores_equal_whole_frame_scores():
    rng = np.random.default_rng(5)
    shape = (700, 900)
    truth = np.full(shape, C.NO_CHANGE, np.uint8)
    pred = truth.copy()
    # landslides clustered in one corner, new land along the top, noise objects everywhere
    for _ in range(120):
        r, c = rng.integers(300, 690), rng.integers(500, 890)
        h, w = rng.integers(1, 12, 2)
        truth[r:r + h, c:c + w] = C.LANDSLIDE
        if rng.random() < 0.7:
            dr, dc = rng.integers(-3, 4, 2)
            pred[max(r + dr, 0):r + dr + h, max(c + dc, 0):c + dc + w] = C.LANDSLIDE
    truth[20:30, 100:800] = C.NEW_LAND
    pred[22:31, 120:790] = C.NEW_LAND
    specks = rng.random(shape) < 0.002
    pred[specks] = C.LANDSLIDE
    truth[:, :3] = C.NODATA
    pred[-2:] = C.NODATA
    res = evaluate_arrays(truth, pred, 25.0, mmus=(25.0, 100.0, 500.0))
    for mmu in (25.0, 100.0, 500.0):
        for code, name in ((C.LANDSLIDE, "landslide"), (C.NEW_LAND, "new_land")):
            s = res["mmu"][str(int(mmu))][name]
            tp, fp, fn, nt, det, npred = reference(truth, pred, code, 25.0, mmu)
            assert (s["tp"], s["fp"], s["fn"]) == (tp, fp, fn)
            assert s["objects"]["truth_objects"] == nt and s["objects"]["detected"] == det
            assert s["objects"]["predicted_objects"] == npred
    assert res["mmu"]["100"]["landslide"]["objects"]["predicted_objects"] > 0


def test_absent_class_scores_are_empty_not_errors():
    truth = np.full((50, 50), C.NO_CHANGE, np.uint8)
    pred = truth.copy()
    res = evaluate_arrays(truth, pred, 100.0)
    assert res["mmu"]["500"]["any_change"]["tp"] == 0
    assert res["mmu"]["500"]["any_change"]["f1"] == 1.0
