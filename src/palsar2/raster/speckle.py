"""Speckle filters by name: the ``FILTERS`` table, whole-array and chunked (dask) execution.

``filter_dask`` pads each chunk with the halo its filter needs and a NaN boundary, so the kernels
see exactly the neighbours they would see on the whole array: chunked results equal
``filter_array`` bit for bit, whatever the chunking. Input is linear intensity (power), float32,
NaN = nodata; output is in the same units.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import numpy as np

from palsar2.errors import ParameterError
from palsar2.raster import kernels

FilterName = Literal["boxcar", "median", "lee", "enhanced_lee", "frost", "gamma_map", "refined_lee",
                     "lee_sigma"]

# Lee et al. 2009, one look: sigma -> (I1, I2, sigma_v)
LEE_SIGMA_TABLE: dict[float, tuple[float, float, float]] = {
    0.5: (0.436, 1.920, 0.4057),
    0.7: (0.254, 2.582, 0.5911),
    0.9: (0.084, 3.941, 0.8191),
}
MAX_SIZE = 31


@dataclass(frozen=True)
class FilterSpec:
    """One speckle filter: its kernel, the halo it needs for a window size, and its parameters."""

    name: str
    description: str
    run: Callable[..., np.ndarray]
    """run(a, size, **params) -> filtered float32 array (a: float32 2-D, NaN = nodata)."""
    halo: Callable[[int], int]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    sizes: tuple[int, ...] | None = None
    """Allowed window sizes; None = any odd size from 3 to MAX_SIZE."""
    default_size: int = 7


def _moment(kind: int) -> Callable[..., np.ndarray]:
    def run(a: np.ndarray, size: int, looks: float = 1.0, damping: float = 1.0) -> np.ndarray:
        return kernels.moment_filter(a, size, kind, float(looks), float(damping))
    return run


def _boxcar(a: np.ndarray, size: int) -> np.ndarray:
    return kernels.moment_filter(a, size, kernels.BOXCAR, 1.0, 0.0)


NETWORK_MEDIAN_MAX = 17  # sorting network up to 17x17; beyond, the sliding merge is faster


@cache
def _batcher(n: int) -> np.ndarray:
    return kernels.batcher_pairs(n)


def _median(a: np.ndarray, size: int) -> np.ndarray:
    if size <= NETWORK_MEDIAN_MAX:
        return kernels.median_network(a, size, _batcher(size * size))
    return kernels.median(a, size)


def _frost(a: np.ndarray, size: int, damping: float = 2.0) -> np.ndarray:
    dist, idx = kernels.frost_distances(size)
    return kernels.frost(a, size, float(damping), dist, idx)


def _refined_lee(a: np.ndarray, size: int, looks: float = 1.0) -> np.ndarray:
    return kernels.refined_lee(a, float(looks), kernels.REFINED_LEE_MASKS)


def _lee_sigma(a: np.ndarray, size: int, sigma: float = 0.9, looks: float = 1.0,
               target_size: int = 3, z98: float | None = None) -> np.ndarray:
    i1, i2, sv = LEE_SIGMA_TABLE[float(sigma)]
    if z98 is None:
        z98 = z98_of(a)
    # Lee et al. 2009: K = 5 of the 9 pixels of a 3x3 target window (scaled for 5x5)
    k_points = 5 if target_size == 3 else 13
    return kernels.lee_sigma(a, size, float(looks), i1, i2, sv, float(z98), int(target_size), k_points)


def _half(size: int) -> int:
    return size // 2


FILTERS: dict[str, FilterSpec] = {
    "boxcar": FilterSpec("boxcar", "local mean of the valid pixels", _boxcar, _half),
    "median": FilterSpec("median", "local median of the valid pixels", _median, _half),
    "lee": FilterSpec("lee", "Lee (1980) MMSE", _moment(kernels.LEE), _half, {"looks": 1.0}),
    "enhanced_lee": FilterSpec("enhanced_lee", "enhanced Lee (Lopes 1990)", _moment(kernels.ENHANCED_LEE),
                               _half, {"looks": 1.0, "damping": 1.0}),
    "frost": FilterSpec("frost", "Frost, exp(-K Ci^2 d) weights", _frost, _half, {"damping": 2.0}),
    "gamma_map": FilterSpec("gamma_map", "Gamma-MAP (Lopes 1990)", _moment(kernels.GAMMA_MAP), _half,
                            {"looks": 1.0}),
    "refined_lee": FilterSpec("refined_lee", "refined Lee (Lee, Grunes, De Grandi 1999), 7x7",
                              _refined_lee, lambda size: 3, {"looks": 1.0}, sizes=(7,)),
    "lee_sigma": FilterSpec("lee_sigma", "improved Lee sigma (Lee et al. 2009)", _lee_sigma,
                            lambda size: max(size // 2, 1),
                            {"sigma": 0.9, "looks": 1.0, "target_size": 3, "z98": None}),
}


def resolve(filter: str, size: int | None, params: Mapping[str, Any]) -> tuple[FilterSpec, int, dict]:
    """Validate a filter name, window size and parameters; raise ParameterError naming the culprit."""
    name = str(filter).lower().replace("-", "_")
    if name == "mean":
        name = "boxcar"
    if name not in FILTERS:
        raise ParameterError(f"filter: unknown speckle filter {filter!r} (known: {', '.join(FILTERS)})")
    spec = FILTERS[name]
    if size is None:
        size = spec.default_size
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or int(size) != size:
        raise ParameterError(f"size: window size must be an odd integer, got {size!r}")
    size = int(size)
    if spec.sizes is not None and size not in spec.sizes:
        raise ParameterError(f"size: {name} supports window sizes {spec.sizes}, got {size}")
    if size < 3 or size > MAX_SIZE or size % 2 == 0:
        raise ParameterError(f"size: window size must be odd and in 3..{MAX_SIZE}, got {size}")
    unknown = sorted(set(params) - set(spec.defaults))
    if unknown:
        raise ParameterError(f"{unknown[0]}: not a parameter of {name} "
                             f"(its parameters: {', '.join(spec.defaults) or 'none'})")
    p = {**spec.defaults, **params}
    if "looks" in p:
        looks = p["looks"]
        if not isinstance(looks, (int, float)) or not np.isfinite(looks) or looks <= 0:
            raise ParameterError(f"looks: must be a positive number, got {looks!r}")
    if "damping" in p and (not isinstance(p["damping"], (int, float)) or not np.isfinite(p["damping"])
                           or p["damping"] < 0):
        raise ParameterError(f"damping: must be a non-negative number, got {p['damping']!r}")
    if name == "lee_sigma":
        if float(p["looks"]) != 1.0:
            raise ParameterError(f"looks: lee_sigma has the one-look table only, got {p['looks']!r}")
        if float(p["sigma"]) not in LEE_SIGMA_TABLE:
            raise ParameterError(f"sigma: lee_sigma supports {sorted(LEE_SIGMA_TABLE)}, got {p['sigma']!r}")
        if p["target_size"] not in (3, 5) or p["target_size"] > size:
            raise ParameterError(f"target_size: must be 3 or 5 and <= size, got {p['target_size']!r}")
    return spec, size, p


def _as_float32_2d(a: Any, what: str = "a") -> np.ndarray:
    arr = np.ascontiguousarray(a, dtype=np.float32)
    if arr.ndim != 2:
        raise ParameterError(f"{what}: expected a 2-D array, got {arr.ndim}-D")
    return arr


def filter_array(a: Any, filter: str, size: int | None = 7, **params: Any) -> np.ndarray:
    """Speckle-filter a whole 2-D intensity array (NaN = nodata) and return float32."""
    spec, size, p = resolve(filter, size, params)
    arr = _as_float32_2d(a)
    return spec.run(arr, size, **p)


# --- the global 98th percentile lee_sigma needs, identical whole or chunked --------------------
Z98_EDGES_DB = np.linspace(-100.0, 60.0, 16001)  # 0.01 dB bins


def _db_clipped(block: np.ndarray) -> np.ndarray:
    v = block[np.isfinite(block) & (block > 0)].astype(np.float64)
    return np.clip(10.0 * np.log10(v), Z98_EDGES_DB[0], Z98_EDGES_DB[-1])


def z98_from_hist(hist: np.ndarray) -> float:
    """The 98th percentile (upper edge of its 0.01 dB bin, as power) from a dB histogram."""
    total = int(hist.sum())
    if total == 0:
        return float("inf")
    k = int(np.searchsorted(np.cumsum(hist), 0.98 * total))
    return float(10.0 ** (Z98_EDGES_DB[min(k + 1, len(Z98_EDGES_DB) - 1)] / 10.0))


def z98_of(a: np.ndarray) -> float:
    """98th percentile of the valid intensities (0.01 dB resolution), as lee_sigma uses it."""
    hist, _ = np.histogram(_db_clipped(np.asarray(a)), bins=Z98_EDGES_DB)
    return z98_from_hist(hist)


def _hist_block(b: np.ndarray) -> np.ndarray:
    return np.histogram(_db_clipped(b), bins=Z98_EDGES_DB)[0]


def _z98_dask(a: Any) -> Any:
    """Lazy 0-d dask array: z98 of a dask array from summed per-chunk histograms (exact counts)."""
    import dask
    import dask.array as da

    nb = len(Z98_EDGES_DB) - 1
    parts = [da.from_delayed(dask.delayed(_hist_block)(blk), shape=(nb,), dtype=np.int64)
             for blk in a.to_delayed().ravel()]
    total = da.stack(parts).sum(axis=0)
    return da.from_delayed(dask.delayed(lambda h: np.array(z98_from_hist(h)))(total), shape=(),
                           dtype=np.float64)


# --- chunked ------------------------------------------------------------------------------------
@contextmanager
def _one_thread() -> Iterator[None]:
    """Run numba kernels single-threaded inside a dask task: dask already runs one task per core,
    and nested OpenMP teams on the same cores only spin against each other. Thread-local."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _block(block: np.ndarray, z98: Any = None, *, spec_name: str, size: int, params: dict) -> np.ndarray:
    p = dict(params)
    if z98 is not None:
        p["z98"] = float(z98)
    with _one_thread():
        return FILTERS[spec_name].run(np.ascontiguousarray(block, dtype=np.float32), size, **p)


def _multitemporal_block(b: np.ndarray, size: int) -> np.ndarray:
    with _one_thread():
        return kernels.multitemporal(np.ascontiguousarray(b, dtype=np.float32), size)


def _min_chunks(x: Any, depth: int) -> Any:
    """Rechunk so every chunk is at least ``depth`` (overlap needs halo <= chunk)."""
    from dask.array.overlap import ensure_minimum_chunksize

    new = tuple(ensure_minimum_chunksize(depth, c) if len(c) > 1 else c for c in x.chunks)
    return x if new == x.chunks else x.rechunk(new)


def filter_dask(a: Any, filter: str, size: int | None = 7, **params: Any) -> Any:
    """Lazy speckle filter of a 2-D dask (or numpy) array via map_overlap; equals filter_array."""
    import dask.array as da

    spec, size, p = resolve(filter, size, params)
    x = da.asarray(a)
    if x.ndim != 2:
        raise ParameterError(f"a: expected a 2-D array, got {x.ndim}-D")
    x = x.astype(np.float32)
    h = spec.halo(size)
    x = _min_chunks(x, h)
    depth = {0: h, 1: h}
    boundary = {0: np.nan, 1: np.nan}
    g = da.overlap.overlap(x, depth=depth, boundary=boundary)
    kw = {"spec_name": spec.name, "size": size, "params": {k: v for k, v in p.items() if k != "z98"}}
    if spec.name == "lee_sigma":
        z98 = p.get("z98")
        z = _z98_dask(x) if z98 is None else da.from_array(np.array(float(z98)))
        out = da.blockwise(_block, "ij", g, "ij", z, "", dtype=np.float32, **kw)
    else:
        out = da.blockwise(_block, "ij", g, "ij", dtype=np.float32, **kw)
    return da.overlap.trim_internal(out, depth, boundary=boundary)


# --- multi-temporal -----------------------------------------------------------------------------
def multitemporal(stack: Any, size: int = 7) -> Any:
    """Quegan-Yu multi-temporal filter of a co-registered (dates, rows, cols) intensity stack.

    numpy in -> numpy out; dask in -> lazy dask out (all dates in one chunk, halo size//2 in space).
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 3 or size % 2 == 0 \
            or size > MAX_SIZE:
        raise ParameterError(f"size: window size must be odd and in 3..{MAX_SIZE}, got {size!r}")
    size = int(size)
    if hasattr(stack, "dask"):
        import dask.array as da

        if stack.ndim != 3:
            raise ParameterError(f"stack: expected (dates, rows, cols), got {stack.ndim}-D")
        x = stack.astype(np.float32).rechunk({0: -1})
        h = size // 2
        x = _min_chunks(x, h)
        depth = {0: 0, 1: h, 2: h}
        boundary = {0: "none", 1: np.nan, 2: np.nan}
        return da.map_overlap(_multitemporal_block, x, depth=depth, boundary=boundary, dtype=np.float32,
                              trim=True, size=size)
    arr = np.ascontiguousarray(stack, dtype=np.float32)
    if arr.ndim != 3:
        raise ParameterError(f"stack: expected (dates, rows, cols), got {arr.ndim}-D")
    return kernels.multitemporal(arr, size)
