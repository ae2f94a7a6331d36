"""How one executed test cell scores: nbgrader's own rule, applied to the outputs the grader saw.

nbgrader (``nbgrader.utils.determine_grade``) reads a test cell's outputs in order: an error or any
text on stderr gives 0; an ``execute_result`` whose text is a number gives that many points (the
partial-credit convention that :class:`dlcourse.grading.Checks` follows); anything else gives full
points. ``dlcourse grade`` rebuilds the cell with the outputs its kernel sent and calls that very
function, so both graders score a cell alike, with two differences, both in the student's disfavour
only where the student cheated:

* the cell counts as failed when the kernel's reply says it failed, whatever its outputs;
* the only ``execute_result`` that counts is the cell's own (its last line, when that line is an
  expression). A student's function that calls ``sys.displayhook(3)`` while a test runs emits an
  ``execute_result`` too, and nbgrader, which reads the first one, would take it as the score.

A score above the cell's points (which nbgrader refuses with an error) is clamped to the points.
"""

from __future__ import annotations

import ast

import nbformat

from dlcourse.grading.partial import CHECKS_MIME_TYPE, CheckResult, read_checks

#: The MIME types kept from a result or a display: what nbgrader reads and the checks' results.
KEPT_DATA = ("text/plain", CHECKS_MIME_TYPE)


def ends_in_expression(source: str) -> bool:
    """Whether the cell's last statement is an expression, whose value IPython shows as the result."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and isinstance(body[-1], ast.Expr)


def own_outputs(source: str, outputs: list[dict]) -> list[dict]:
    """``outputs`` without the ``execute_result`` outputs the cell's own last line did not produce."""
    results = [i for i, o in enumerate(outputs) if o.get("output_type") == "execute_result"]
    keep = results[-1:] if ends_in_expression(source) else []
    return [o for i, o in enumerate(outputs) if o.get("output_type") != "execute_result" or i in keep]


def cell_score(source: str, outputs: list[dict], points: float, ok: bool = True) -> float:
    """The points a test cell worth ``points`` earned, by nbgrader's rule (see the module docstring).

    ``outputs`` are nbformat outputs in the order the kernel sent them; ``ok`` is the kernel's
    execute reply (False when the cell raised).
    """
    from nbgrader.utils import determine_grade

    if not ok:
        return 0.0
    cell = nbformat.v4.new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": "test", "points": points}})
    cell.outputs = [nbformat.from_dict(o) for o in own_outputs(source, outputs)]
    try:
        score, _ = determine_grade(cell)
    except ValueError:  # a result above the cell's points: nbgrader refuses it, we clamp it
        score = points
    return float(min(max(float(score), 0.0), points))


def cell_checks(outputs: list[dict]) -> list[CheckResult]:
    """The named checks the cell reported (the last report, the one ``checks.score()`` shows), or []."""
    displays = [o for o in outputs if CHECKS_MIME_TYPE in o.get("data", {})]
    return read_checks(displays[-1:]) or []
