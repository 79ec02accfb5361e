"""Crashes (SIGKILL at every step and at random moments) and several processes ingesting at once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import numpy as np
import pytest
import rasterio

from palsar2.catalog import open_catalog

from .helpers import PYTHON, assert_consistent

INGEST = """
import sys
from palsar2.catalog import open_catalog
home, replace, *paths = sys.argv[1:]
cat = open_catalog(home)
print("ready", flush=True)
report = cat.ingest(paths, replace=replace == "1")
print(report.summary(), flush=True)
sys.exit(0 if report.ok else 1)
"""


def _run(home, paths, *, replace=False, crash_at=None, timeout=120):
    env = dict(os.environ)
    if crash_at:
        env["PALSAR2_TEST_CRASH_AT"] = crash_at
    return subprocess.run([PYTHON, "-c", INGEST, str(home), "1" if replace else "0",
                           *map(str, paths)], env=env, capture_output=True, text=True,
                          check=False, timeout=timeout)


@pytest.mark.parametrize("crash_at", ["after_cog", "after_plan", "after_move_new",
                                      "before_commit", "after_commit"])
def test_sigkill_at_each_step_of_a_new_ingest(tmp_path, make_product, crash_at):
    prod = make_product()
    home = tmp_path / "home"
    proc = _run(home, [prod], crash_at=crash_at)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    items = assert_consistent(home)
    # committed only if the kill came after the commit
    assert [i.id for i in items] == ([prod.name] if crash_at == "after_commit" else [])
    # and the catalog works on: ingest again
    assert open_catalog(home).ingest(prod).ok
    assert len(assert_consistent(home)) == 1


@pytest.mark.parametrize("crash_at", ["after_move_old", "after_move_new", "before_commit",
                                      "after_commit"])
def test_sigkill_during_replace_keeps_exactly_one_version(tmp_path, make_product, crash_at):
    old = make_product(out_root=tmp_path / "old", seed=1)
    new = make_product(out_root=tmp_path / "new", seed=2)
    home = tmp_path / "home"
    cat = open_catalog(home)
    assert cat.ingest(old).ok
    old_sum = cat.get(old.name).checksum
    cat.close()
    proc = _run(home, [new], replace=True, crash_at=crash_at)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    (item,) = assert_consistent(home)
    src = new if crash_at == "after_commit" else old
    assert (item.checksum != old_sum) == (crash_at == "after_commit")
    with rasterio.open(item.assets["HH"].href) as cog, \
            rasterio.open(next(src.glob("IMG-HH-*.tif"))) as ref:
        np.testing.assert_array_equal(cog.read(1), ref.read(1))


def test_sigkill_at_random_moments(tmp_path, make_product):
    prods = [make_product(scene_id=f"ALOS25188907{f}0-240101", shape=(400, 380), seed=f)
             for f in (5, 6, 7)]
    home = tmp_path / "home"
    rng = random.Random(1)
    for trial in range(3):
        env = dict(os.environ)
        proc = subprocess.Popen([PYTHON, "-c", INGEST, str(home), "1", *map(str, prods)],
                                env=env, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert_consistent(home)
    final = _run(home, prods)
    assert final.returncode == 0, final.stdout
    assert {i.id for i in assert_consistent(home)} == {p.name for p in prods}


def test_three_processes_ingesting_overlapping_sets(tmp_path, make_product):
    prods = [make_product(scene_id=f"ALOS251889{f:03d}0-240101", seed=f) for f in range(75, 81)]
    home = tmp_path / "home"
    open_catalog(home).close()
    sets = [prods[0:4], prods[2:6], prods[::-1]]
    procs = [subprocess.Popen([PYTHON, "-c", INGEST, str(home), "0", *map(str, s)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for s in sets]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, (out, err)
    items = assert_consistent(home)
    assert sorted(i.id for i in items) == sorted(p.name for p in prods)
    ingested = sum(int(out.split("ingested ")[1].split(",")[0]) for out, _ in outs)
    assert ingested == len(prods)  # each product committed once, the others skipped it


DELETE = """
import sys
from palsar2.catalog import open_catalog
open_catalog(sys.argv[1]).delete(sys.argv[2])
"""


@pytest.mark.parametrize("crash_at", ["after_plan", "after_move_old", "before_commit",
                                      "after_commit"])
def test_sigkill_during_delete(tmp_path, make_product, crash_at):
    prod = make_product()
    home = tmp_path / "home"
    assert open_catalog(home).ingest(prod).ok
    env = {**os.environ, "PALSAR2_TEST_CRASH_AT": crash_at}
    proc = subprocess.run([PYTHON, "-c", DELETE, str(home), prod.name], env=env,
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    items = assert_consistent(home)
    assert [i.id for i in items] == ([] if crash_at == "after_commit" else [prod.name])


def test_unwritable_home_is_a_catalog_error(tmp_path, make_product):
    from palsar2.errors import CatalogError

    home = tmp_path / "home"
    cat = open_catalog(home)
    (home / "items").mkdir()
    (home / "items" / ".incoming").write_text("not a folder")
    report = cat.ingest(make_product())
    assert not report.ok and isinstance(report.errors[0], CatalogError)
    assert ".incoming" in report.failed[0][1]
