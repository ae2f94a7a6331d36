"""One class of crafted submissions graded in a single ``dlcourse grade`` run.

Each student is correct except for one thing (a wrong answer, a tampered test cell, a cheat, an
attack on the sandbox, a runaway cell, a broken file); each test checks that only that student is
affected, that the run went on, and that their row says what happened.
"""

from __future__ import annotations

import socket
import textwrap

import nbformat
import pytest

from classroom import (MAX, POINTS, SLUG, answer_source, cell_index, correct, deep, needs_bwrap, read_grades,
                      run_grade, with_answers, wrong, write_student)

pytestmark = [needs_bwrap, pytest.mark.slow]  # `make test-fast` leaves it out

WRONG_NEURON = "def neuron(x, w, b, activation=None):\n    return 0.0\n"


def tampered(grade_id: str, change) -> nbformat.NotebookNode:
    """A submission whose answer for the tested part is wrong and whose test cell was tampered with."""
    part = {"test-neuron": "hardcoded_visible_example", "test-mse": "mse_sum_instead_of_mean",
            "test-gd": "gradient_ascent", "test-sigmoid": "naive_sigmoid_overflows",
            "test-bce": "bce_gradient_wrong_sign", "test-softmax": "softmax_normalises_the_wrong_axis"}[grade_id]
    notebook = wrong(part)
    change(notebook, cell_index(notebook, grade_id))
    return notebook


def _empty(nb, i):
    nb.cells[i].source = ""


def _edit(nb, i):
    nb.cells[i].source = "print('visible tests passed')"


def _markdown(nb, i):
    nb.cells[i] = nbformat.v4.new_markdown_cell("tests? what tests?", metadata=nb.cells[i].metadata)


def _delete(nb, i):
    del nb.cells[i]


def _skip_tag(nb, i):
    nb.cells[i].metadata["tags"] = ["skip-execution", "raises-exception"]
    nb.cells[i].source = "pass"


def _metadata(nb, i):
    meta = nb.cells[i].metadata["nbgrader"]
    meta.update(points=0, grade=False, solution=True, locked=False, schema_version=99)
    nb.cells[i].source = "pass"


def _duplicate_correct():
    """A correct submission in which every test cell appears twice with the same cell id."""
    notebook = correct()
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cells.append(deep(cell))
    notebook.cells = cells
    return notebook


PROBE = textwrap.dedent('''\
    import os, socket
    def _escaped(action):
        try:
            action()
            return True
        except Exception:
            return False
    ''')


def sandbox_probe(course_root, classroom, port) -> nbformat.NotebookNode:
    """Correct answers that turn wrong if the student's code escapes the sandbox in one way each."""
    solution = f"{course_root}/solutions/{SLUG}/{SLUG}.ipynb"
    other = f"{classroom}/good/{SLUG}.ipynb"
    outside = f"{classroom}/written-by-student.txt"
    gradebook = f"{course_root}/autograder/gradebook.db"
    answers = {
        "neuron": (f"_leak = _escaped(lambda: open({solution!r}).read())", "neuron"),
        "mse": (f"_leak = _escaped(lambda: open({other!r}).read())", "mse"),
        "gradient-descent": (f"_leak = _escaped(lambda: open({outside!r}, 'w').write('x'))", "gradient-descent"),
        "sigmoid": (f"_leak = _escaped(lambda: socket.create_connection(('127.0.0.1', {port}), timeout=2))",
                    "sigmoid"),
        "bce": (f"_leak = _escaped(lambda: open({gradebook!r}, 'rb').read(1)) or "
                f"_escaped(lambda: os.listdir({str(course_root / 'solutions')!r}))", "bce"),
    }
    sources = {}
    for grade_id, (probe, _) in answers.items():
        body = answer_source(grade_id)
        sources[grade_id] = PROBE + probe + "\nif not _leak:\n" + textwrap.indent(body, "    ")
    return with_answers(**{k.replace("-", "_"): v for k, v in sources.items()})


def _with_prelude(answer: str, fixture: str, prelude: str) -> nbformat.NotebookNode:
    """A submission whose answer cell ``answer`` is ``prelude`` then the wrong-answer ``fixture``."""
    from classroom import FIXTURES

    return with_answers(**{answer.replace("-", "_"): prelude + FIXTURES[fixture][2]})


def _with_suffix(answer: str, fixture: str, suffix: str) -> nbformat.NotebookNode:
    from classroom import FIXTURES

    return with_answers(**{answer.replace("-", "_"): FIXTURES[fixture][2] + "\n" + suffix})


STUDENTS = {}  # name -> builder(context)


def student(name):
    def register(builder):
        STUDENTS[name] = builder
        return builder
    return register


student("good")(lambda c: correct())
student("blank")(lambda c: c["release"])
student("wrong-bias")(lambda c: wrong("missing_bias"))
student("deprecation-warning")(lambda c: with_answers(neuron="import warnings\nwarnings.warn('old API', "
                                                          "DeprecationWarning)\n" + answer_source("neuron")))
student("test-emptied")(lambda c: tampered("test-neuron", _empty))
student("test-edited")(lambda c: tampered("test-mse", _edit))
student("test-markdown")(lambda c: tampered("test-gd", _markdown))
student("test-deleted")(lambda c: tampered("test-sigmoid", _delete))
student("test-skip-tag")(lambda c: tampered("test-bce", _skip_tag))
student("test-metadata")(lambda c: tampered("test-softmax", _metadata))
student("test-duplicated")(lambda c: _duplicate_correct())
student("cheat-always-equal")(lambda c: with_answers(neuron=textwrap.dedent('''\
    class Anything(float):
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        def __array__(self, *a, **k): raise TypeError("no")
    def neuron(x, w, b, activation=None):
        return Anything(0.0)
    ''')))
student("cheat-monkeypatch")(lambda c: with_answers(mse=textwrap.dedent('''\
    import math, numpy as np, numpy.testing
    np.testing.assert_allclose = lambda *a, **k: None
    np.isclose = lambda a, b, **k: np.ones(np.shape(b), dtype=bool)
    np.all = lambda *a, **k: True
    math.isclose = lambda *a, **k: True
    def mse_loss_and_grad(X, y, w, b):
        return 0.0, np.zeros(X.shape[1]), 0.0
    ''')))
student("cheat-helpers")(lambda c: with_answers(sigmoid=textwrap.dedent('''\
    import dlcourse.grading, dlcourse.grading.checks
    def assert_close(*a, **k): return None
    def assert_finite(*a, **k): return None
    dlcourse.grading.assert_close = dlcourse.grading.checks.assert_close = assert_close
    def sigmoid(z): return 0.5
    ''')))
student("cheat-excepthook")(lambda c: with_answers(bce=textwrap.dedent('''\
    import sys
    sys.excepthook = lambda *a: None
    get_ipython().showtraceback = lambda *a, **k: print("visible tests passed")
    get_ipython().set_custom_exc((Exception,), lambda *a, **k: print("all tests passed"))
    def bce_loss_and_grad(X, y, w, b): return 0.0, 0.0, 0.0
    ''')))
student("cheat-shadow-builtins")(lambda c: with_answers(gradient_descent=textwrap.dedent('''\
    range = lambda *a: []
    def isinstance(*a): return True
    def gradient_descent(X, y, w0, b0, lr, num_steps):
        return np.array(w0, dtype=float) * 0, 0.0, []
    ''')))
# Partial credit: the score is the test cell's own result, computed by dlcourse.grading.Checks. Each
# cheat below pairs a wrong answer that passes the visible check (so the hidden checks run) with a
# trick that would otherwise turn the checks' verdict into full points.
student("cheat-checks-score")(lambda c: _with_prelude("neuron", "hardcoded_visible_example", textwrap.dedent('''\
    import dlcourse.grading.partial
    dlcourse.grading.partial.Checks.score = lambda self: self.points
    dlcourse.grading.partial.Checks.earned = property(lambda self: self.points)
    ''')))
student("cheat-fake-checks")(lambda c: _with_prelude("mse", "mse_sum_instead_of_mean", textwrap.dedent('''\
    import contextlib, dlcourse.grading
    class Checks:
        def __init__(self, points): self.points = points
        def __call__(self, name, points): return contextlib.suppress(Exception)
        def score(self): return self.points
    dlcourse.grading.Checks = dlcourse.grading.partial.Checks = Checks
    ''')))
student("cheat-swapped-code")(lambda c: _with_prelude("sigmoid", "naive_sigmoid_overflows", textwrap.dedent('''\
    from dlcourse.grading import Checks
    Checks.score.__code__ = (lambda self: self.points).__code__
    ''')))
student("cheat-displayhook")(lambda c: _with_suffix("bce", "bce_log_of_probability_is_unstable", textwrap.dedent('''\
    import sys
    _honest = bce_loss_and_grad
    def bce_loss_and_grad(*args, **kwargs):
        sys.displayhook(3.0)   # shows a number while the test cell runs: nbgrader would read it as the score
        return _honest(*args, **kwargs)
    ''')))
student("cheat-answer-result")(lambda c: _with_suffix("softmax_cross_entropy", "softmax_without_max_shift",
                                                      "print(2.0)\n2.0\n"))
student("sandbox-probe")(lambda c: sandbox_probe(c["root"], c["classroom"], c["port"]))
RUNAWAY = {}
runaway = lambda name: (lambda builder: RUNAWAY.__setitem__(name, builder))  # noqa: E731
runaway("infinite-loop")(lambda c: with_answers(sigmoid="while True:\n    pass\n"))
runaway("ignores-sigint")(lambda c: with_answers(sigmoid="import signal\nsignal.signal(signal.SIGINT, "
                                                          "signal.SIG_IGN)\nwhile True:\n    pass\n"))
runaway("slow-cells")(lambda c: with_answers(**{k: "import time\ntime.sleep(7)\n" + answer_source(k.replace("_", "-"))
                                                for k in ("neuron", "mse", "gradient_descent", "sigmoid", "bce",
                                                          "softmax_cross_entropy")}))
student("memory-bomb")(lambda c: with_answers(sigmoid="hog = []\nwhile True:\n    hog.append(bytearray(50_000_000))\n"))
student("fork-bomb")(lambda c: with_answers(sigmoid="import os\nwhile True:\n    os.fork()\n"))
student("os-exit")(lambda c: with_answers(sigmoid="import os\nos._exit(3)\n"))
student("segfault")(lambda c: with_answers(sigmoid="import ctypes\nctypes.string_at(0)\n"))
student("sys-exit")(lambda c: with_answers(neuron="import sys\nsys.exit('bye')\n" + answer_source("neuron")))
student("prints-200k-lines")(lambda c: with_answers(neuron="for i in range(200_000):\n    print('line', i)\n"
                                                            + answer_source("neuron")))
student("prints-50mb-line")(lambda c: with_answers(neuron="print('x' * 50_000_000)\n" + answer_source("neuron")))
student("exfiltrates-tests")(lambda c: with_answers(mse=textwrap.dedent('''\
    import inspect, linecache
    def mse_loss_and_grad(X, y, w, b):
        caller = inspect.stack()[1].filename
        raise ValueError("".join(linecache.getlines(caller)))
    ''')))
BROKEN = {
    "invalid-json": b'{"cells": [',
    "empty-file": b"",
    "json-not-notebook": b'{"hello": "world"}',
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the whole class once; yields (process, rows, output folder, classroom folder)."""
    from course import ROOT

    classroom = tmp_path_factory.mktemp("classroom")
    out = tmp_path_factory.mktemp("out")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    context = {"release": nbformat.from_dict(deep(__import__("classroom").RELEASE)), "root": ROOT,
               "classroom": classroom, "port": listener.getsockname()[1]}
    for name, builder in STUDENTS.items():
        write_student(classroom, name, builder(context))
    for name, content in BROKEN.items():
        write_student(classroom, name, content)
    write_student(classroom, "renamed", correct(), name="my-work.ipynb")
    write_student(classroom, "two-notebooks", correct())
    write_student(classroom, "two-notebooks", correct(), name=f"{SLUG}/{SLUG}.ipynb")
    (classroom / "no-notebook").mkdir()
    (classroom / "no-notebook" / "answers.py").write_text("print('hi')\n")
    (classroom / "symlinked-solution").mkdir()
    (classroom / "symlinked-solution" / f"{SLUG}.ipynb").symlink_to(ROOT / "solutions" / SLUG / f"{SLUG}.ipynb")
    process = run_grade(classroom, out, "--jobs", "2", "--timeout", "60", "--notebook-timeout", "240")
    listener.close()
    yield process, read_grades(out), out, classroom


@pytest.fixture(scope="module")
def runaways(tmp_path_factory):
    """Students whose code never finishes, graded with short limits (10 s per cell, 30 s per notebook)."""
    classroom, out = tmp_path_factory.mktemp("runaways"), tmp_path_factory.mktemp("runaways-out")
    for name, builder in RUNAWAY.items():
        write_student(classroom, name, builder({}))
    write_student(classroom, "good", correct())
    process = run_grade(classroom, out, "--jobs", "2", "--timeout", "10", "--notebook-timeout", "30",
                        "--skip-canary")  # the canary is tested on its own
    return process, read_grades(out), out, classroom


def read_parts(out) -> dict:
    """parts.csv: student -> {test id: points}."""
    import csv

    with open(out / "parts.csv", newline="") as handle:
        parts: dict = {}
        for line in csv.DictReader(handle):
            parts.setdefault(line["student_id"], {})[line["test"]] = float(line["points"])
    return parts


def row(graded, name):
    return graded[1][name]


def part_state(graded, name, test_id):
    """passed, failed or not run, as the student's feedback page says."""
    import re

    page = (graded[2] / "feedback" / name / f"{SLUG}.html").read_text()
    return re.search(rf"<small>{re.escape(test_id)}</small></td><td class='[^']*'>([^<]*)</td>", page).group(1)


def score(graded, name):
    return float(row(graded, name)["score"])


def test_every_student_folder_gets_exactly_one_row(graded):
    process, rows, _, classroom = graded
    folders = {p.name for p in classroom.iterdir() if p.is_dir()}
    assert set(rows) == folders, process.stderr[-3000:]


def test_exit_status_is_nonzero_when_some_submission_was_not_graded_normally(graded):
    assert graded[0].returncode == 1, graded[0].stderr[-3000:]


def test_correct_submission_gets_full_marks(graded):
    assert row(graded, "good")["status"] == "graded"
    assert (score(graded, "good"), float(row(graded, "good")["max_score"])) == (MAX, MAX)


def test_untouched_exercise_scores_zero_and_is_graded_normally(graded):
    assert (score(graded, "blank"), row(graded, "blank")["status"]) == (0, "graded")


def test_wrong_answer_loses_only_its_part(graded):
    assert score(graded, "wrong-bias") == MAX - POINTS["test-neuron"]


def test_deprecation_warning_of_a_correct_answer_costs_no_points(graded):
    assert score(graded, "deprecation-warning") == MAX


@pytest.mark.parametrize("student,test_id", [
    ("test-emptied", "test-neuron"), ("test-edited", "test-mse"), ("test-markdown", "test-gd"),
    ("test-deleted", "test-sigmoid"), ("test-skip-tag", "test-bce"), ("test-metadata", "test-softmax")])
def test_tampered_test_cell_still_runs_the_original_tests(graded, student, test_id):
    assert row(graded, student)["status"] == "graded"
    assert part_state(graded, student, test_id) != "passed", f"{student}: the wrong answer kept its points"
    parts = read_parts(graded[2])[student]   # a wrong answer may keep part of its points (partial credit)
    assert parts[test_id] < POINTS[test_id] and score(graded, student) < MAX, parts
    assert float(row(graded, student)["max_score"]) == MAX, "tampered points changed the maximum"


def test_duplicated_test_cells_do_not_abort_and_grade_once(graded):
    assert (score(graded, "test-duplicated"), row(graded, "test-duplicated")["status"]) == (MAX, "graded")


@pytest.mark.parametrize("student,test_id", [
    ("cheat-always-equal", "test-neuron"), ("cheat-monkeypatch", "test-mse"), ("cheat-helpers", "test-sigmoid"),
    ("cheat-excepthook", "test-bce"), ("cheat-shadow-builtins", "test-gd")])
def test_cheating_trick_earns_no_points_for_wrong_code(graded, student, test_id):
    assert part_state(graded, student, test_id) != "passed"
    assert score(graded, student) <= MAX - POINTS[test_id], row(graded, student)


@pytest.mark.parametrize("student,test_id", [
    ("cheat-checks-score", "test-neuron"), ("cheat-fake-checks", "test-mse"), ("cheat-swapped-code", "test-sigmoid"),
    ("cheat-displayhook", "test-bce"), ("cheat-answer-result", "test-softmax")])
def test_tampering_with_partial_credit_earns_no_extra_points(graded, student, test_id):
    """The guard restores dlcourse.grading (its classes and function bodies) before every test cell,
    and only a test cell's own result counts, so no cheat turns its wrong answer's score into full points."""
    assert row(graded, student)["status"] == "graded", row(graded, student)
    assert part_state(graded, student, test_id) != "passed"
    assert score(graded, student) < MAX, row(graded, student)
    parts = read_parts(graded[2])[student]
    assert parts[test_id] < POINTS[test_id], parts


@pytest.mark.parametrize("test_id,escape", [
    ("test-neuron", "read the solution notebook"), ("test-mse", "read another student's submission"),
    ("test-gd", "write outside its scratch folder"), ("test-sigmoid", "open a network connection"),
    ("test-bce", "read the gradebook or list the course repository")])
def test_student_code_cannot_escape_the_sandbox(graded, test_id, escape):
    feedback = (graded[2] / "feedback" / "sandbox-probe" / f"{SLUG}.html").read_text()
    assert row(graded, "sandbox-probe")["status"] == "graded"
    assert score(graded, "sandbox-probe") == MAX, f"the kernel could {escape}:\n{feedback}"
    assert not (graded[3] / "written-by-student.txt").exists()


@pytest.mark.parametrize("student", ["infinite-loop", "ignores-sigint", "slow-cells"])
def test_runaway_code_times_out_and_keeps_earlier_points(runaways, student):
    assert row(runaways, student)["status"] == "timeout", row(runaways, student)
    assert "ran past" in row(runaways, student)["reason"]
    if student != "slow-cells":  # parts 1-3 come before the runaway sigmoid cell
        assert score(runaways, student) == POINTS["test-neuron"] + POINTS["test-mse"] + POINTS["test-gd"]
    else:
        assert "30 s" in row(runaways, student)["reason"], "the per-notebook limit should have stopped it"


def test_runaway_submissions_do_not_affect_a_correct_one_in_the_same_run(runaways):
    assert (score(runaways, "good"), row(runaways, "good")["status"]) == (MAX, "graded")
    assert runaways[0].returncode == 1


@pytest.mark.parametrize("student,words", [("memory-bomb", "memory"), ("fork-bomb", "process")])
def test_resource_bombs_hit_limits_and_keep_earlier_points(graded, student, words):
    assert row(graded, student)["status"] == "resource_limit", row(graded, student)
    assert words in row(graded, student)["reason"]
    assert score(graded, student) == POINTS["test-neuron"] + POINTS["test-mse"] + POINTS["test-gd"]


@pytest.mark.parametrize("student", ["os-exit", "segfault"])
def test_a_dying_kernel_is_reported_as_kernel_died(graded, student):
    assert row(graded, student)["status"] == "kernel_died", row(graded, student)
    assert "kernel died" in row(graded, student)["reason"]


def test_sys_exit_in_an_answer_is_handled_like_an_error(graded):
    assert row(graded, "sys-exit")["status"] == "graded"
    assert score(graded, "sys-exit") == MAX - POINTS["test-neuron"]


@pytest.mark.parametrize("student", ["prints-200k-lines", "prints-50mb-line"])
def test_huge_outputs_are_capped_and_feedback_stays_small(graded, student):
    assert (row(graded, student)["status"], score(graded, student)) == ("graded", MAX)
    assert (graded[2] / "feedback" / student / f"{SLUG}.html").stat().st_size < 20_000


@pytest.mark.parametrize("student,status,words", [
    ("invalid-json", "ungradable", "not valid JSON"), ("empty-file", "ungradable", "empty file"),
    ("json-not-notebook", "ungradable", "not a Jupyter notebook"), ("renamed", "missing_notebook", "my-work.ipynb"),
    ("two-notebooks", "ungradable", "2 notebooks"), ("no-notebook", "missing_notebook", "no notebook"),
    ("symlinked-solution", "ungradable", "symbolic link")])
def test_broken_submission_gets_a_row_with_a_clear_reason(graded, student, status, words):
    assert (row(graded, student)["status"], score(graded, student)) == (status, 0)
    assert words in row(graded, student)["reason"]


def test_feedback_names_failed_hidden_tests_and_points_but_never_their_code(graded):
    from classroom import SOLUTION

    page = (graded[2] / "feedback" / "wrong-bias" / f"{SLUG}.html").read_text()
    assert "test-neuron" in page and "0 / 2" in page and "failed" in page
    hidden = [line.strip() for c in SOLUTION.cells if c.cell_type == "code" and "HIDDEN" in c.source
              for line in c.source.split("### BEGIN HIDDEN TESTS")[1].splitlines() if len(line.strip()) > 15]
    for student in ("wrong-bias", "exfiltrates-tests", "blank"):
        page = (graded[2] / "feedback" / student / f"{SLUG}.html").read_text()
        leaked = [line for line in hidden if line in page or line.replace("'", "&#x27;") in page]
        assert not leaked, f"feedback of {student} shows hidden test code: {leaked[:2]}"


def test_report_shows_histogram_pass_rates_slowest_problems_and_protections(graded):
    report = (graded[2] / "report.html").read_text()
    for heading in ("Scores", "Pass rate per part", "Pass rate per check", "Slowest submissions", "Problems",
                    "Sandbox protections"):
        assert f"<h2>{heading}</h2>" in report
    assert "memory-bomb" in report and "Filesystem isolation (bubblewrap)</td><td>yes" in report
    assert "No network (network namespace)</td><td>yes" in report
