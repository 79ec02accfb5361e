from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import re
from pathlib import Path

import psutil

DOC = Path(__file__).resolve().parent.parent / "docs" / "PERFORMANCE.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def write_section(name: str, body: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Performance\n\nWritten by `make bench` (`python -m benchmarks`).\n"
    stamp = f"_Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}._\n\n"
    block = f"<!-- BEGIN {name} -->\n{stamp}{body.rstrip()}\n<!-- END {name} -->"
    pattern = re.compile(rf"<!-- BEGIN {re.escape(name)} -->.*?<!-- END {re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)


def main() -> None:
    here = Path(__file__).resolve().parent
    names = sorted(p.stem[6:] for p in here.glob("bench_*.py"))
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description="Run benchmarks, update docs/PERFORMANCE.md")
    ap.add_argument("names", nargs="*", choices=names + [[]], help="benchmarks to run (default: all)")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = ap.parse_args()
    for name in args.names or names:
        mod = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"== {name}", flush=True)
        body = mod.run(quick=args.quick)
        print(body)
        if not args.quick:
            write_section(name, body)


if __name__ == "__main__":
    main()
