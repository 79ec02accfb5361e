"""Benchmarks: ``python -m benchmarks [name ...]`` (or ``make bench``).

Each ``bench_<name>.py`` defines ``run(quick: bool) -> str`` returning a Markdown section; the runner
writes it into docs/PERFORMANCE.md between ``<!-- BEGIN name -->`` and ``<!-- END name -->``
markers, with the machine and the date, leaving the other sections alone.
"""
