"""Where dask runs: local threads, local processes, a LocalCluster, or a remote scheduler.

Library code never reads the environment: the CLI resolves ``--scheduler`` / PALSAR2_SCHEDULER
(palsar2.config) and passes the spec here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from palsar2.errors import ParameterError

SCHEDULERS = ("threads", "processes", "sync", "local")


def parse(spec: str | None) -> tuple[str, dict[str, Any]]:
    """Split a scheduler spec into its kind and options; ParameterError naming ``scheduler``."""
    s = (spec or "threads").strip()
    if s.startswith(("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")):
        return "address", {"address": s}
    kind, _, arg = s.partition(":")
    kind = kind.lower()
    if kind == "synchronous":
        kind = "sync"
    if kind not in SCHEDULERS or (arg and kind != "local"):
        raise ParameterError(f"scheduler: unknown {spec!r} (use threads, processes, sync, local, "
                             "local:N or a scheduler address tcp://host:port)")
    opts: dict[str, Any] = {}
    if arg:
        try:
            opts["n_workers"] = int(arg)
        except ValueError:
            raise ParameterError(f"scheduler: worker count in {spec!r} is not an integer") from None
        if opts["n_workers"] < 1:
            raise ParameterError(f"scheduler: need at least one worker in {spec!r}")
    return kind, opts


@contextlib.contextmanager
def use_scheduler(spec: str | None = "threads", *, connect_timeout: float = 10.0,
                  **cluster_kwargs: Any) -> Iterator[Any]:
    """Run dask work inside the block on ``spec``; yields the distributed Client, if any.

    "local" starts a LocalCluster of worker processes (``local:N`` for N workers; keyword
    arguments go to LocalCluster) and closes it after; an address connects to a running scheduler
    and only closes the connection.
    """
    import dask

    kind, opts = parse(spec)
    if kind in ("threads", "processes", "sync"):
        with dask.config.set(scheduler="synchronous" if kind == "sync" else kind):
            yield None
        return
    from distributed import Client, LocalCluster

    if kind == "local":
        kw = {"processes": True, "threads_per_worker": 1, "dashboard_address": None, **opts,
              **cluster_kwargs}
        with LocalCluster(**kw) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(opts["address"], timeout=f"{connect_timeout}s")
    except (OSError, TimeoutError) as exc:
        raise ParameterError(f"scheduler: cannot connect to {opts['address']}: {exc}") from exc
    with client:
        yield client
