"""A pytest plugin (loaded with -p from pyproject.toml) that reports how long each notebook took.

Each notebook runs once per test run: nbval runs the solution notebooks (one test per cell; the
durations are summed per notebook), and the website build of tests/website.py executes the lesson
notebooks (it records their times here). The table printed at the end of the run shows the
60-second budget of every notebook in each CI log.
"""

from __future__ import annotations

from collections import defaultdict

_notebook_seconds: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] += report.duration


def record(path: str, seconds: float) -> None:
    """Record a notebook executed outside nbval (by the website build)."""
    _notebook_seconds[path] += seconds


def pytest_terminal_summary(terminalreporter):
    if not _notebook_seconds:
        return
    terminalreporter.section("notebook execution times (seconds)")
    for path, seconds in sorted(_notebook_seconds.items()):
        terminalreporter.write_line(f"{seconds:7.1f}  {path}")
