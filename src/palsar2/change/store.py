"""A chunked scratch store for intermediate rasters (filtered dB as float16), in memory or on disk.

The detector filters each image once, keeps the result here, and reads it back for every later
pass, instead of filtering again (the dearest step) or holding a frame in memory. On disk each chunk
is one contiguous record written with ``pwrite`` and read with ``pread``: no memory mapping, so the
pages do not count against the process's resident memory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


class ChunkStore:
    """A 2-D array stored chunk by chunk; ``store[region] = block`` for ``da.store``, slicing to read."""

    def __init__(self, shape: tuple[int, int], chunks: tuple[tuple[int, ...], tuple[int, ...]],
                 dtype: Any = np.float16, directory: str | os.PathLike | None = None, name: str = "store"):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.ndim = 2
        self.chunks = chunks
        self._r = np.cumsum((0,) + tuple(chunks[0]))
        self._c = np.cumsum((0,) + tuple(chunks[1]))
        self._cr, self._cc = max(chunks[0]), max(chunks[1])
        self._rec = self._cr * self._cc * self.dtype.itemsize
        self.path: Path | None = None
        if directory is None:
            self._mem: np.ndarray | None = np.full(self.shape, np.nan, self.dtype)
            self._fd = -1
        else:
            self._mem = None
            fd, p = tempfile.mkstemp(prefix=f"{name}-", suffix=".bin", dir=directory)
            self._fd, self.path = fd, Path(p)
        self._pid = os.getpid()

    # picklable for process schedulers: workers reopen the file by its path
    def __getstate__(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["_fd"] = -1
        return d

    def __setstate__(self, d: dict[str, Any]) -> None:
        self.__dict__.update(d)
        self._owner = False

    def _file(self) -> int:
        if self._fd < 0 or self._pid != os.getpid():
            assert self.path is not None
            self._fd, self._pid = os.open(self.path, os.O_RDWR), os.getpid()
        return self._fd

    def _index(self, sl: tuple[slice, slice]) -> tuple[int, int]:
        i = int(np.searchsorted(self._r, sl[0].start or 0, side="right") - 1)
        j = int(np.searchsorted(self._c, sl[1].start or 0, side="right") - 1)
        return i, j

    def __setitem__(self, key: tuple[slice, slice], block: np.ndarray) -> None:
        if self._mem is not None:
            self._mem[key] = block
            return
        i, j = self._index(key)
        if (key[0].start or 0) != self._r[i] or (key[1].start or 0) != self._c[j]:
            raise ValueError(f"store write {key} is not chunk-aligned")
        buf = np.zeros((self._cr, self._cc), self.dtype)
        buf[: block.shape[0], : block.shape[1]] = block
        os.pwrite(self._file(), buf.tobytes(), (i * (len(self._c) - 1) + j) * self._rec)

    def _read_chunk(self, i: int, j: int) -> np.ndarray:
        raw = os.pread(self._file(), self._rec, (i * (len(self._c) - 1) + j) * self._rec)
        a = np.frombuffer(raw, self.dtype).reshape(self._cr, self._cc)
        return a[: self._r[i + 1] - self._r[i], : self._c[j + 1] - self._c[j]]

    def __getitem__(self, key: tuple[slice, slice]) -> np.ndarray:
        if self._mem is not None:
            return self._mem[key]
        r0, r1, _ = key[0].indices(self.shape[0])
        c0, c1, _ = key[1].indices(self.shape[1])
        out = np.empty((r1 - r0, c1 - c0), self.dtype)
        i0 = int(np.searchsorted(self._r, r0, side="right") - 1)
        j0 = int(np.searchsorted(self._c, c0, side="right") - 1)
        i = i0
        while i < len(self._r) - 1 and self._r[i] < r1:
            j = j0
            while j < len(self._c) - 1 and self._c[j] < c1:
                ch = self._read_chunk(i, j)
                a0, a1 = max(r0, self._r[i]), min(r1, self._r[i + 1])
                b0, b1 = max(c0, self._c[j]), min(c1, self._c[j + 1])
                out[a0 - r0:a1 - r0, b0 - c0:b1 - c0] = ch[a0 - self._r[i]:a1 - self._r[i], b0 - self._c[j]:b1 - self._c[j]]
                j += 1
            i += 1
        return out

    def to_dask(self) -> Any:
        import dask.array as da

        return da.from_array(self, chunks=self.chunks, asarray=False, lock=False, name=f"store-{id(self):x}")

    def close(self) -> None:
        """Delete the backing file (memory stores just drop their array)."""
        self._mem = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if getattr(self, "_owner", True) and self.path is not None and self.path.exists():
            self.path.unlink()

    def __del__(self) -> None:  # best effort: never leave scratch files behind
        try:
            self.close()
        except Exception:
            pass
