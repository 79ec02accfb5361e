"""Schedulers: threads, processes, and a real LocalCluster of two worker processes."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest

from palsar2.errors import ParameterError
from palsar2.raster import speckle
from palsar2.raster.image import Image
from palsar2.raster.scheduler import parse, use_scheduler


def test_parse_specs():
    assert parse(None) == ("threads", {})
    assert parse("processes") == ("processes", {})
    assert parse("local:3") == ("local", {"n_workers": 3})
    assert parse("tcp://10.0.0.1:8786") == ("address", {"address": "tcp://10.0.0.1:8786"})
    for bad in ("gpu", "threads:2", "local:x", "local:0"):
        with pytest.raises(ParameterError, match="^scheduler:"):
            parse(bad)


def test_threads_and_processes_give_the_same(rng):
    a = da.from_array(rng.exponential(1.0, (60, 70)).astype(np.float32), chunks=25)
    want = speckle.filter_array(a.compute(), "lee", 7)
    for spec in ("threads", "processes", "sync"):
        with use_scheduler(spec):
            assert dask.config.get("scheduler") in (spec, "synchronous")
            np.testing.assert_array_equal(speckle.filter_dask(a, "lee", 7).compute(), want)


def test_local_cluster_equals_local(make_item, tmp_path):
    item = make_item(shape=(120, 150))
    img = Image.from_item(item, chunks=48).speckle("refined_lee").sigma0("db")
    local = img.to_numpy()
    with use_scheduler("local", n_workers=2, threads_per_worker=1, processes=True) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        np.testing.assert_array_equal(img.to_numpy(), local)
        img.to_cog(tmp_path / "cluster.tif")
        stacked = speckle.filter_dask(img.sigma0("power").data, "lee_sigma", 7).compute()
    import rasterio

    with rasterio.open(tmp_path / "cluster.tif") as src:
        np.testing.assert_array_equal(src.read(1), local)
    np.testing.assert_array_equal(stacked, speckle.filter_array(img.sigma0("power").to_numpy(), "lee_sigma"))


def test_bad_address_is_a_parameter_error():
    with pytest.raises(ParameterError, match="^scheduler: cannot connect"), \
            use_scheduler("tcp://127.0.0.1:1", connect_timeout=1.0):
        pass
