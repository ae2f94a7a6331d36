"""Partial credit: ``Checks`` in a test cell, scored alike by nbgrader and by ``dlcourse grade``.

The in-process tests pin down what a ``Checks`` object records and returns. The kernel tests run
small test cells in a real kernel, as both graders do, and score each executed cell twice: with
nbgrader's own ``determine_grade`` and with ``dlcourse.autograder.scoring.cell_score``.
"""

from __future__ import annotations

import textwrap

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.utils import determine_grade

from dlcourse.autograder.scoring import cell_checks, cell_score
from dlcourse.grading import CHECKS_MIME_TYPE, Checks, read_checks


def run_checks(points, *checks):
    """A Checks object after running ``checks``: (name, points, callable) each."""
    cell = Checks(points)
    for name, weight, body in checks:
        with cell(name, weight):
            body()
    return cell


def fail(message):
    def body():
        raise AssertionError(message)
    return body


def test_a_failed_check_costs_its_points_and_the_next_checks_still_run():
    cell = run_checks(3, ("random inputs", 2, fail("expected 1.5, got 2.0")), ("bias", 1, lambda: None))
    assert cell.score() == 1.0
    assert [(r.name, r.passed) for r in cell.results] == [("random inputs", False), ("bias", True)]
    assert cell.results[0].message == "expected 1.5, got 2.0"


def test_a_check_whose_code_crashes_is_a_failed_check_with_the_error_named():
    cell = run_checks(2, ("edge case", 1, lambda: 1 / 0), ("shapes", 1, lambda: None))
    assert cell.score() == 1.0
    assert cell.results[0].message == "ZeroDivisionError: division by zero"


def test_failures_are_printed_on_stdout_never_stderr(capsys):
    run_checks(2, ("edge case", 1, fail("expected 0 for z=-800, got nan")), ("shapes", 1, lambda: None)).score()
    out, err = capsys.readouterr()
    assert "Failed check 'edge case' (1 of 2 points): expected 0 for z=-800, got nan" in out
    assert err == ""


def test_warnings_and_stderr_inside_a_check_go_to_stdout(capsys):
    import sys
    import warnings

    def noisy():
        warnings.warn("overflow encountered in exp", RuntimeWarning, stacklevel=1)
        print("log line", file=sys.stderr)
    run_checks(1, ("large inputs", 1, noisy)).score()
    out, err = capsys.readouterr()
    assert err == "" and "RuntimeWarning: overflow encountered in exp" in out and "log line" in out


def test_the_score_is_clamped_to_the_cells_points_despite_rounding():
    assert 1.1 + 1.3 + 0.6 > 3.0  # floating point: nbgrader refuses a result above the points
    cell = run_checks(3, ("a", 1.1, lambda: None), ("b", 1.3, lambda: None), ("c", 0.6, lambda: None))
    assert cell.score() == 3.0


def test_all_checks_failed_scores_zero():
    assert run_checks(2, ("a", 1, fail("no")), ("b", 1, fail("no"))).score() == 0.0


def test_weights_that_do_not_add_up_to_the_points_are_a_clear_error():
    cell = run_checks(3, ("a", 1, lambda: None), ("b", 1, lambda: None))
    with pytest.raises(ValueError, match="worth 2 points in all, but the cell has 3"):
        cell.score()


@pytest.mark.parametrize("make, words", [
    (lambda: Checks(0), "positive points"), (lambda: Checks(3)("", 1), "name"),
    (lambda: Checks(3)("a", -1), "points >= 0"), (lambda: Checks(3)("a", float("nan")), "points >= 0")])
def test_bad_arguments_say_what_was_wrong(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_two_checks_with_one_name_are_refused():
    cell = Checks(2)
    cell("a", 1)
    with pytest.raises(ValueError, match="two checks are named 'a'"):
        cell("a", 1)


def test_without_weighted_checks_the_cell_keeps_its_full_points():
    assert Checks(3).score() == 3.0   # the student's copy: the hidden checks were stripped


def test_an_interrupt_inside_a_check_is_not_swallowed():
    cell = Checks(1)
    with pytest.raises(KeyboardInterrupt), cell("a", 1):
        raise KeyboardInterrupt


# --- in a kernel, under both graders -------------------------------------------------------------

HEADER = "from dlcourse.grading import Checks\n"
CELLS = {
    "all-pass": (3, """\
        checks = Checks(3)
        with checks("first", 2):
            assert True
        with checks("second", 1):
            assert True
        checks.score()"""),
    "one-fails": (3, """\
        checks = Checks(3)
        with checks("first", 2):
            assert 1 == 2, "expected 1 to equal 2"
        with checks("second", 1):
            pass
        checks.score()"""),
    "one-crashes": (3, """\
        checks = Checks(3)
        with checks("first", 2):
            pass
        with checks("second", 1):
            {}["missing"]
        checks.score()"""),
    "all-fail": (2, """\
        checks = Checks(2)
        with checks("first", 1):
            assert False, "no"
        with checks("second", 1):
            assert False, "no"
        checks.score()"""),
    "gate-raises": (3, """\
        def answer(): raise NotImplementedError()
        checks = Checks(3)
        assert answer() == 5.5, "the worked example"
        with checks("first", 3):
            pass
        checks.score()"""),
    "warning-in-check": (2, """\
        import warnings
        checks = Checks(2)
        with checks("first", 1):
            warnings.warn("overflow encountered in exp", RuntimeWarning)
        with checks("second", 1):
            assert False, "no"
        checks.score()"""),
    "student-copy": (3, """\
        checks = Checks(3)
        assert 2 + 2 == 4, "the worked example"
        checks.score()"""),
    "fake-displayhook": (3, """\
        import sys
        def answer():
            sys.displayhook(3.0)   # a student's function that shows a number while the test runs
            return 0
        checks = Checks(3)
        with checks("first", 3):
            assert answer() == 1, "expected 1"
        checks.score()"""),
}
EXPECTED = {"all-pass": 3, "one-fails": 1, "one-crashes": 2, "all-fail": 0, "gate-raises": 0,
            "warning-in-check": 1, "student-copy": 3}


@pytest.fixture(scope="module")
def executed():
    """The cells of CELLS executed once in one kernel, as nbgrader would (errors allowed)."""
    cells = [nbformat.v4.new_code_cell(HEADER)]
    for grade_id, (points, source) in CELLS.items():
        cells.append(nbformat.v4.new_code_cell(textwrap.dedent(source), metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": points,
            "schema_version": 3}}))
    notebook = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(notebook, timeout=60, allow_errors=True, kernel_name="python3").execute()
    return {c.metadata["nbgrader"]["grade_id"]: c for c in notebook.cells[1:]}


@pytest.mark.parametrize("grade_id", sorted(EXPECTED))
def test_both_graders_give_the_same_score(executed, grade_id):
    cell = executed[grade_id]
    points = cell.metadata["nbgrader"]["points"]
    nbgrader_score, _ = determine_grade(cell)
    ok = not any(o.output_type == "error" for o in cell.outputs)
    ours = cell_score(cell.source, [dict(o) for o in cell.outputs], points, ok)
    assert (nbgrader_score, ours) == (EXPECTED[grade_id], EXPECTED[grade_id]), cell.outputs


def test_a_cell_that_scores_zero_shows_zero_not_nothing(executed):
    result = [o for o in executed["all-fail"].outputs if o.output_type == "execute_result"]
    assert result and result[0].data["text/plain"] == "0.0"   # nbgrader once read a returned 0 as full marks


def test_warnings_inside_a_check_do_not_reach_stderr(executed):
    streams = [o for o in executed["warning-in-check"].outputs if o.output_type == "stream"]
    assert all(o.name == "stdout" for o in streams) and "RuntimeWarning" in "".join(o.text for o in streams)


def test_the_checks_are_displayed_for_the_feedback(executed):
    checks = cell_checks([dict(o) for o in executed["one-crashes"].outputs])
    assert [(c.name, c.points, c.passed) for c in checks] == [("first", 2, True), ("second", 1, False)]
    assert checks[1].message == "KeyError: 'missing'"
    assert read_checks([{"data": {CHECKS_MIME_TYPE: {"checks": []}}}]) == []


def test_a_number_shown_by_the_students_code_is_not_the_cells_score(executed):
    cell = executed["fake-displayhook"]
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert [r.data["text/plain"] for r in results] == ["3.0", "0.0"]
    assert determine_grade(cell)[0] == 3.0, "nbgrader takes the first result (its weakness)"
    assert cell_score(cell.source, [dict(o) for o in cell.outputs], 3) == 0.0


# --- nbgrader validate on the student's copy ------------------------------------------------------

def test_nbgrader_validate_passes_a_right_answer_and_fails_a_wrong_one(tmp_path):
    """The student's copy has no hidden checks: score() returns the full points once the visible
    check passed, so `nbgrader validate` says 'passed'; a wrong answer fails the visible check."""
    from nbgrader.validator import Validator

    test = "from dlcourse.grading import Checks\nchecks = Checks(2)\nassert double(2) == 4, 'double(2)'\nchecks.score()"
    outcomes = {}
    for name, answer in {"right": "def double(x):\n    return 2 * x", "wrong": "def double(x):\n    return x"}.items():
        notebook = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell(answer, metadata={"nbgrader": {
                "grade": False, "solution": True, "locked": False, "grade_id": "answer", "schema_version": 3}}),
            nbformat.v4.new_code_cell(test, metadata={"nbgrader": {
                "grade": True, "solution": False, "locked": True, "grade_id": "test", "points": 2,
                "schema_version": 3}})])
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(notebook, path)
        outcomes[name] = Validator().validate(str(path))
    assert outcomes["right"] == {}
    assert len(outcomes["wrong"]["failed"]) == 1 and "double(2)" in outcomes["wrong"]["failed"][0]["raw_error"]
