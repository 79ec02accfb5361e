"""The change pipeline on worker processes: a real LocalCluster and the processes scheduler.

The filtered images live in scratch stores between passes; worker processes cannot write into
the main process's memory, so the detector must put them on disk whenever dask runs elsewhere.
"""

from __future__ import annotations

import numpy as np
import pytest

from palsar2.change import DetectOptions, detect
from palsar2.change import classes as C
from palsar2.raster.scheduler import use_scheduler

from .conftest import make_scene


def scene():
    return make_scene((300, 320), 10.0, 31, sea_rows=60, new_land_rows=10,
                      patches=[(150, 190, 100, 160, -9, C.DECREASE), (220, 250, 200, 260, 9, C.INCREASE)])


def run(s, out=None):
    r = detect((s.before, s.gbox, "before"), (s.after, s.gbox, "after"),
               options=DetectOptions(filter="lee", size=5, chunks=256, sea_min_area_m2=1e5))
    cls, lr = r.classes.compute(), r.log_ratio.compute()
    if out is not None:
        r.write(out)
    r.close()
    return cls, lr


@pytest.fixture(scope="module")
def local():
    return run(scene())


@pytest.mark.parametrize("spec", ["local", "processes"])
def test_worker_processes_give_the_threaded_result(local, spec, tmp_path):
    s = scene()
    with use_scheduler(spec, **({"n_workers": 2, "threads_per_worker": 1} if spec == "local" else {})) as client:
        if client is not None:
            assert len(client.scheduler_info()["workers"]) == 2
        cls, lr = run(s, tmp_path / "res")
    np.testing.assert_array_equal(cls, local[0])
    np.testing.assert_allclose(lr, local[1], equal_nan=True)
    assert (cls == C.DECREASE).sum() > 1000 and (cls == C.NEW_LAND).sum() > 1000
    assert (tmp_path / "res" / "classes.tif").exists()
