"""A pytest plugin (loaded with -p from pyproject.toml) that reports how long each notebook took.

nbval runs a notebook as one test per cell; the durations are summed per notebook and printed at
the end of the run, so the 60-second budget of every notebook can be read off each CI log.
"""

from __future__ import annotations

from collections import defaultdict

_notebook_seconds: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _notebook_seconds:
        return
    terminalreporter.section("notebook execution times (seconds)")
    for path, seconds in sorted(_notebook_seconds.items()):
        terminalreporter.write_line(f"{seconds:7.1f}  {path}")
