"""Partial credit for one test cell: named checks, each worth points, the cell's result their sum.

A test cell keeps its visible check on the worked example as plain assertions: they are the gate,
and an answer that fails them (or raises, like the untouched ``NotImplementedError`` stub) crashes
the cell and earns 0, as before. The hidden checks after it are weighted; each runs even when an
earlier one failed, prints its teaching message when it fails, and the cell ends with the points
earned as its result, which is nbgrader's partial-credit convention (the cell's last output is a
number between 0 and its points)::

    checks = Checks(points=3)
    assert_close(neuron(x, w, b), 5.5, "neuron(x, w, b) for the worked example")   # gate, 0 points
    # the hidden tests, between nbgrader's hidden-test markers:
    with checks("random inputs against PyTorch", 2):
        ...
    with checks("inputs left unchanged", 1):
        ...
    # (end of the hidden tests)
    checks.score()

In the student's copy the hidden checks are gone, so ``score()`` has nothing to weigh and returns
the full points once the visible checks passed: ``nbgrader validate`` then says what it says today.

Why the visible check earns nothing by itself: an answer that hard-codes the worked example's
output must not collect points. Why a crashing check is a failed check: one edge case that raises
should cost that check's points, not the whole part. Why a check sends its warnings and stderr to
stdout: nbgrader gives 0 to a cell that wrote anything to stderr, so one ``RuntimeWarning`` of the
student's code would cost the whole cell, however many checks passed.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
import warnings
from dataclasses import asdict, dataclass

#: The MIME type of the check results a test cell displays; ``dlcourse grade`` reads it.
CHECKS_MIME_TYPE = "application/vnd.dlcourse.checks+json"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: its name, its points, whether it passed and why not."""

    name: str
    points: float
    passed: bool
    message: str = ""


class _Check:
    """The context manager behind ``with checks(name, points):``; swallows the check's failure."""

    def __init__(self, owner: Checks, name: str, points: float):
        self.owner, self.name, self.points = owner, name, points
        self._redirect = contextlib.ExitStack()

    def __enter__(self) -> _Check:
        self._redirect.enter_context(contextlib.redirect_stderr(sys.stdout))
        self._warnings = self._redirect.enter_context(warnings.catch_warnings(record=True))
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        self._redirect.close()
        for caught in self._warnings:
            print(f"Warning in check '{self.name}': {caught.category.__name__}: {caught.message}", file=sys.stdout)
        if kind is None:
            self.owner._record(CheckResult(name=self.name, points=self.points, passed=True))
            return False
        if not issubclass(kind, Exception):  # KeyboardInterrupt from the grader's time limit, SystemExit
            return False
        message = str(error).strip() or kind.__name__
        if not isinstance(error, AssertionError):  # the student's code crashed inside the check
            message = f"{kind.__name__}: {message}"
        self.owner._record(CheckResult(name=self.name, points=self.points, passed=False, message=message))
        return True


class Checks:
    """The weighted checks of one test cell.

    Args:
        points: the cell's points in nbgrader (its metadata); the weights of the checks must add up
            to it, and ``score()`` says so when they do not.
    """

    def __init__(self, points: float):
        if not isinstance(points, (int, float)) or isinstance(points, bool) or not points > 0:
            raise ValueError(f"Checks(points=...) needs the cell's positive points, got {points!r}")
        self.points = float(points)
        self.results: list[CheckResult] = []
        self._names: set[str] = set()

    def __call__(self, name: str, points: float) -> _Check:
        """A check named ``name`` (shown to the student) worth ``points``; use it in a ``with``."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("every check needs a name a student can read")
        if name in self._names:
            raise ValueError(f"two checks are named {name!r}; the report counts checks by name")
        if not isinstance(points, (int, float)) or isinstance(points, bool) or points < 0 or math.isnan(points):
            raise ValueError(f"check {name!r} needs points >= 0, got {points!r}")
        self._names.add(name)
        return _Check(self, name, float(points))

    def _record(self, result: CheckResult) -> None:
        self.results.append(result)
        if not result.passed:
            # stdout, never stderr: nbgrader gives 0 to a cell that wrote to stderr.
            print(f"Failed check '{result.name}' ({_format(result.points)} of {_format(self.points)} points): "
                  f"{result.message}", file=sys.stdout)

    @property
    def earned(self) -> float:
        """The points of the checks that passed, within [0, points]."""
        total = sum(result.points for result in self.results if result.passed)
        return float(min(max(round(total, 6), 0.0), self.points))

    def score(self) -> float:
        """The cell's result: the points earned; the full points when no weighted check ran.

        Leave it as the cell's last line so that its value becomes the cell's output. The check
        results are also displayed (as ``CHECKS_MIME_TYPE``) for the grader's feedback and report.
        """
        if not self.results:
            return self.points
        weights = sum(result.points for result in self.results)
        if not math.isclose(weights, self.points, abs_tol=1e-9):
            raise ValueError(f"the checks of this cell are worth {_format(weights)} points in all, but the cell "
                             f"has {_format(self.points)}: make the weights add up to the cell's points")
        passed = sum(result.passed for result in self.results)
        summary = (f"{passed} of {len(self.results)} checks passed: "
                   f"{_format(self.earned)} of {_format(self.points)} points")
        _display({CHECKS_MIME_TYPE: {"points": self.points, "earned": self.earned,
                                     "checks": [asdict(result) for result in self.results]},
                  "text/plain": summary})
        return self.earned


def _format(points: float) -> str:
    return f"{points:g}"


def _display(bundle: dict) -> None:
    """Show ``bundle`` as a display_data output in a kernel; print its text anywhere else."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with every kernel
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(bundle, raw=True)
    else:
        print(bundle["text/plain"])


def read_checks(outputs: list) -> list[CheckResult] | None:
    """The check results a test cell displayed, from its nbformat outputs; None when it had none."""
    for output in outputs:
        data = output.get("data", {}) if isinstance(output, dict) else {}
        if CHECKS_MIME_TYPE in data:
            payload = data[CHECKS_MIME_TYPE]
            if isinstance(payload, str):
                payload = json.loads(payload)
            return [CheckResult(name=str(item["name"]), points=float(item["points"]), passed=bool(item["passed"]),
                                message=str(item.get("message", ""))) for item in payload["checks"]]
    return None
