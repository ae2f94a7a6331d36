"""The grader's pure stages, without a kernel or bubblewrap: markers, assembling a program, hidden
lines and redaction, the data an assignment reads, written-answer sheets and marks, LMS files,
feedback pages."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

import nbformat
import pytest

from classroom import MAX, SLUG, correct
from course import ROOT
from dlcourse.autograder.assemble import (Step, StepKind, build_program, datasets_read, load_assignment,
                                          solution_program, written_answers)
from dlcourse.autograder.datasets import SANDBOX_DATA, DataUnavailable, stage
from dlcourse.autograder.lms import write_export
from dlcourse.autograder.markers import MarkerError, Markers
from dlcourse.autograder.report import Grade, Part, safe_message, write_feedback
from dlcourse.autograder.status import PartState, Status
from dlcourse.autograder.written import MarksError, read_marks, render_markdown, write_sheets

MARKERS = Markers.for_course(ROOT)
ASSIGNMENT = load_assignment(ROOT, SLUG)


# --- markers ------------------------------------------------------------------------------------

def test_markers_come_from_the_nbgrader_configuration():
    from nbgrader.preprocessors import ClearSolutions

    assert MARKERS.code_stub == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert MARKERS.begin_solution == ClearSolutions().begin_solution_delimeter


def test_student_version_replaces_each_solution_region_with_the_stub_at_its_indentation():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    assert MARKERS.student_version(source) == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert MARKERS.solution_text(source) == "def f(x):\n    return 2 * x\n"


@pytest.mark.parametrize("source, words", [
    ("x = 1\n### BEGIN SOLUTION\nx = 2\n", "has no 'END SOLUTION'"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "still open"),
    ("### END SOLUTION\n", "without"),
])
def test_unbalanced_markers_are_an_error_as_in_nbgrader(source, words):
    with pytest.raises(MarkerError, match=words):
        MARKERS.student_version(source)


def test_a_hidden_test_block_without_its_end_makes_the_assignment_unusable(tmp_path):
    course = _course_copy(tmp_path)
    path = course / "solutions" / SLUG / f"{SLUG}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    test = next(c for c in notebook.cells if "### END HIDDEN TESTS" in c.source)
    test.source = test.source.replace("### END HIDDEN TESTS", "")
    nbformat.write(notebook, path)
    with pytest.raises(ValueError, match="has no 'END HIDDEN TESTS'"):
        load_assignment(course, SLUG)


# --- assembling a program -------------------------------------------------------------------------

def test_the_program_takes_answers_from_the_submission_and_tests_from_the_source():
    submission = correct()
    for cell in submission.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "pass  # the student emptied the test"
    steps, notes = build_program(ASSIGNMENT, submission)
    assert notes == []
    assert [s.source for s in steps if s.kind == StepKind.TEST] == ASSIGNMENT.test_sources
    assert all("NotImplementedError" not in s.source for s in steps if s.kind == StepKind.ANSWER)


def test_a_missing_answer_cell_is_graded_as_unanswered_with_a_note():
    submission = correct()
    submission.cells = [c for c in submission.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "neuron"]
    for cell in submission.cells:
        cell.pop("id", None)
    steps, notes = build_program(ASSIGNMENT, submission)
    assert any("'neuron' not found" in n for n in notes)
    assert next(s for s in steps if s.grade_id == "neuron").source.endswith("raise NotImplementedError()")


def test_the_solution_program_holds_the_solution_without_markers():
    answers = [s for s in solution_program(ASSIGNMENT) if s.kind == StepKind.ANSWER]
    assert answers and all("BEGIN SOLUTION" not in s.source and "NotImplementedError()" not in s.source
                           for s in answers)


def test_messages_quoting_hidden_test_code_are_withheld():
    secret = sorted(ASSIGNMENT.hidden_lines(), key=len)[-1]
    assert safe_message(f"AssertionError: {secret}", ASSIGNMENT.hidden_lines()).startswith("(message withheld")
    assert safe_message("AssertionError: expected 5.5", ASSIGNMENT.hidden_lines()) == "AssertionError: expected 5.5"


# --- data ----------------------------------------------------------------------------------------

def test_the_data_an_assignment_reads_is_found_in_its_code():
    assert datasets_read(["from dlcourse.data import load_mnist\nx = load_mnist('train')"]) == ["mnist"]
    assert datasets_read(["fetch('cora/ind.cora.x')"], declared=["tinyshakespeare"]) == ["tinyshakespeare", "cora"]
    assert load_assignment(ROOT, "04-mlp").datasets == ["mnist"]
    assert ASSIGNMENT.datasets == []


def test_staged_data_is_bound_read_only_and_the_loader_pointed_at_it(tmp_path, monkeypatch):
    shared = ROOT.parent / "shared" / "data"
    if not (shared / "mnist").is_dir():
        pytest.skip("the course data folder is not beside the repository")
    monkeypatch.setenv("DLCOURSE_DATA", str(shared))
    staged = stage(["mnist"], tmp_path)
    assert len(staged.files) == 4
    args = staged.bwrap_args()
    binds = [args[i + 1:i + 3] for i, a in enumerate(args) if a == "--ro-bind"]
    assert {Path(dest).parent.as_posix() for _, dest in binds} == {f"{SANDBOX_DATA}/mnist"}
    assert staged.kernel_env(sandbox=True) == {"DLCOURSE_DATA": SANDBOX_DATA}
    assert Path(staged.kernel_env(sandbox=False)["DLCOURSE_DATA"], "mnist").is_dir()


def test_data_that_cannot_be_had_stops_the_grading_with_the_file_and_the_fix(tmp_path, monkeypatch):
    import dlcourse.data.files as files

    monkeypatch.setenv("DLCOURSE_DATA", str(tmp_path / "empty"))
    monkeypatch.setattr(files, "cache_dir", lambda: tmp_path / "cache")

    def offline(url, folder, fname):
        raise OSError("no network")

    monkeypatch.setattr(files, "_download", offline)
    with pytest.raises(DataUnavailable, match=r"(?s)mnist/\S+-ubyte.*not found.*Fix: set DLCOURSE_DATA"):
        stage(["mnist"], tmp_path / "work")
    with pytest.raises(DataUnavailable, match="does not know"):
        stage(["imagenet"], tmp_path / "work")


# --- written answers and marks ---------------------------------------------------------------------

def test_student_markdown_is_rendered_without_anything_that_runs():
    page = render_markdown("**yes** $\\frac{a}{b}$ <script>alert(1)</script> [x](javascript:alert(1)) "
                           "$\\text{<img src=x onerror=alert(1)>}$")
    assert "<strong>yes</strong>" in page and "<mfrac>" in page
    assert "<script" not in page and "<img" not in page and "javascript:" not in page.replace("[x](javascript", "")
    assert 'href="javascript' not in page


def _sheet(tmp_path, rows):
    path = tmp_path / "marks.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "question", "max_points", "points", "answer"])
        writer.writerows(rows)
    return path


def test_written_sheets_list_every_student_and_question(tmp_path):
    question = ASSIGNMENT.written[0]
    answers = {"alice": {question.grade_id: "It diverges when $\\alpha > 2/\\lambda$."}, "bob": {}}
    sheet, page = write_sheets(ASSIGNMENT, answers, tmp_path)
    rows = list(csv.DictReader(open(sheet)))
    assert [(r["student_id"], r["question"], r["points"]) for r in rows] == [
        ("alice", question.grade_id, ""), ("bob", question.grade_id, "")]
    html = page.read_text()
    assert "Content-Security-Policy" in html and "<math" in html and "no answer" in html
    assert ASSIGNMENT.markers.mark_scheme("") == "" and "Mark scheme" in html


def test_filled_marks_are_checked_before_merging(tmp_path):
    q = ASSIGNMENT.written[0]
    good = _sheet(tmp_path, [["alice", q.grade_id, q.points, q.points, ""], ["bob", q.grade_id, q.points, "0.5", ""]])
    assert read_marks(good, ASSIGNMENT, ["alice", "bob"]) == {"alice": q.points, "bob": 0.5}
    bad = _sheet(tmp_path, [["alice", q.grade_id, q.points, q.points + 1, ""], ["mallory", q.grade_id, 2, 1, ""],
                            ["bob", "no-such-question", 2, 1, ""]])
    with pytest.raises(MarksError) as error:
        read_marks(bad, ASSIGNMENT, ["alice", "bob"])
    message = str(error.value)
    for words in ("worth 0 to", "unknown student 'mallory'", "unknown question", f"missing row: bob / {q.grade_id}"):
        assert words in message
    empty = _sheet(tmp_path, [["alice", q.grade_id, q.points, "", ""], ["bob", q.grade_id, q.points, "x", ""]])
    with pytest.raises(MarksError, match="no points for alice(.|\n)*'x' .* is not a number"):
        read_marks(empty, ASSIGNMENT, ["alice", "bob"])


def test_written_answers_are_read_from_the_submission_and_the_stub_counts_as_no_answer():
    q = ASSIGNMENT.written[0]
    blank = nbformat.read(ROOT / "exercises" / SLUG / f"{SLUG}.ipynb", as_version=4)
    assert written_answers(ASSIGNMENT, blank) == {q.grade_id: ""}
    answered = correct()
    assert written_answers(ASSIGNMENT, answered)[q.grade_id] != ""


# --- LMS files and feedback --------------------------------------------------------------------------

def test_exports_of_login_name_ids_have_the_columns_each_lms_imports(tmp_path):
    """Students keyed by login names (a folder each, JupyterHub): Canvas's SIS Login ID, Moodle's CSV import."""
    rows = [{"student_id": "doejane", "score": "17", "max_score": "19", "status": "graded", "reason": ""},
            {"student_id": "roe", "score": "0", "max_score": "19", "status": "ungradable", "reason": "empty file"}]
    canvas = list(csv.reader(open(write_export("canvas", SLUG, rows, tmp_path, lms_ids=False)[0])))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", SLUG]
    assert canvas[1] == ["Points Possible", "", "", "", "", "19"]
    assert canvas[2] == ["doejane", "", "", "doejane", "", "17"]
    moodle = list(csv.reader(open(write_export("moodle", SLUG, rows, tmp_path, lms_ids=False)[0])))
    assert moodle[0] == ["Identifier", SLUG, f"{SLUG} feedback"]
    assert moodle[2] == ["roe", "0", "ungradable: empty file"]
    merged = [dict(r, total="18", total_max="21") for r in rows]
    assert list(csv.reader(open(write_export("canvas", SLUG, merged, tmp_path, lms_ids=False)[0])))[1][-1] == "21"


def test_feedback_names_the_part_what_was_checked_and_the_lesson(tmp_path):
    import copy

    from dlcourse.autograder.assemble import Lesson

    assignment = copy.deepcopy(ASSIGNMENT)
    test = assignment.tests[0]
    assignment.lessons.setdefault(test.grade_id, Lesson("The neuron", "book/02-neuron/01-neuron.ipynb", "#the-neuron"))
    grade = Grade("alice", 0.0, MAX, Status.GRADED, "",
                  parts=[Part(test.grade_id, 0.0, test.points, PartState.FAILED, "AssertionError: expected 5.5")])
    page = write_feedback(grade, assignment, tmp_path, "https://course.example.org/").read_text()
    lesson = assignment.lessons[test.grade_id]
    assert html.escape(assignment.titles[test.grade_id]) in page and "expected 5.5" in page
    assert "https://course.example.org/" + lesson.path.replace(".ipynb", ".html") + lesson.anchor in page
    assert "assert_close" not in page


def test_feedback_on_a_part_left_blank_says_it_is_not_answered(tmp_path):
    test = ASSIGNMENT.tests[0]
    grade = Grade("bob", 0.0, MAX, Status.GRADED, "",
                  parts=[Part(test.grade_id, 0.0, test.points, PartState.FAILED, "NotImplementedError: ")])
    page = write_feedback(grade, ASSIGNMENT, tmp_path).read_text()
    assert "NotImplementedError: this part is not answered yet (replace raise NotImplementedError()" in page
    assert "not answered yet" not in write_feedback(
        Grade("eve", 0.0, MAX, Status.GRADED, "", parts=[Part(test.grade_id, 0.0, test.points, PartState.FAILED,
                                                          "NotImplementedError: sparse inputs")]),
        ASSIGNMENT, tmp_path).read_text()


def test_a_test_cell_that_crashed_after_its_answer_cell_raised_names_the_answer_cell():
    from dlcourse.autograder.cli import score_part
    from dlcourse.autograder.runner import CellResult, RunResult

    def answer_step(grade_id: str, source: str) -> Step:
        return Step(kind=StepKind.ANSWER, source=source, grade_id=grade_id)

    def test_step(grade_id: str, source: str, points: float) -> Step:
        return Step(kind=StepKind.TEST, source=source, grade_id=grade_id, points=points)

    first, second = test_step("test-f", "assert f(1) == 2", 2.0), test_step("test-x", "assert X == 3", 2.0)
    run = RunResult(cells=[
        CellResult(step=answer_step("answer-f", "raise NotImplementedError()"), ok=False,
                   error="NotImplementedError: "),
        CellResult(step=first, ok=False, error="NameError: name 'f' is not defined"),
        CellResult(step=answer_step("answer-x", "X = 1 / 0"), ok=False, error="ZeroDivisionError: division by zero"),
        CellResult(step=answer_step("answer-y", "Y = 1"), ok=True),
        CellResult(step=second, ok=False, error="NameError: name 'X' is not defined"),
        CellResult(step=test_step("test-z", "assert True", 1.0), ok=True)])
    failed = run.failed_answers()
    assert {k: [c.step.grade_id for c in v] for k, v in failed.items()} == {
        "test-f": ["answer-f"], "test-x": ["answer-x"], "test-z": []}
    cells = run.test_results()
    part = score_part(first, cells["test-f"], set(), failed["test-f"])
    assert part.state == PartState.FAILED and part.points == 0
    assert part.message == ("The answer cell 'answer-f' stopped with NotImplementedError: this part is not answered "
                            "yet (replace raise NotImplementedError() in its answer cell with your code); then the "
                            "test cell stopped with NameError: name 'f' is not defined")
    assert score_part(second, cells["test-x"], set(), failed["test-x"]).message == (
        "The answer cell 'answer-x' stopped with ZeroDivisionError: division by zero; "
        "then the test cell stopped with NameError: name 'X' is not defined")
    assert score_part(second, cells["test-x"], set(), []).message == "NameError: name 'X' is not defined"


def test_statuses_are_written_as_their_values():
    assert f"{Status.RESOURCE_LIMIT}" == "resource_limit" and Status.TIMEOUT.ran and not Status.UNGRADABLE.ran


def _course_copy(tmp_path: Path) -> Path:
    """A course folder with the repository's nbgrader configuration and chapter 02's source."""
    import shutil

    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / SLUG, course / "solutions" / SLUG)
    shutil.copytree(ROOT / "autograder", course / "autograder", ignore=shutil.ignore_patterns("submitted", "*.db"))
    return course


def test_step_is_a_value():
    assert (Step(kind=StepKind.TEST, source="pass", grade_id="t", points=1.0)
            == Step(kind=StepKind.TEST, source="pass", grade_id="t", points=1.0))
    assert json.dumps([Step(kind=StepKind.SETUP, source="x").kind]) == '["setup"]'
    assert StepKind.TEST == "test" and f"{StepKind.ANSWER}" == "answer"


def test_feedback_links_the_repository_notebook_when_no_website_is_configured(tmp_path):
    from dlcourse.autograder.cli import _site_url

    (tmp_path / "_config.yml").write_text("repository:\n  url: https://example.org/uni/dl\n  branch: spring\n")
    assert _site_url(tmp_path, None) == "https://example.org/uni/dl/blob/spring"
    assert _site_url(tmp_path, "https://course.example.org") == "https://course.example.org"


def _partial_grades():
    """Two students of one part made of two named checks: alice misses the edge case, bob passes both."""
    from dlcourse.grading import CheckResult

    test = ASSIGNMENT.tests[0]
    edge = CheckResult("large inputs", 0.5, False, "expected 0.0 for z=-800, got nan")
    random_inputs = CheckResult("random inputs against PyTorch", test.points - 0.5, True)
    alice = Grade("alice", test.points - 0.5, MAX, Status.GRADED, "", parts=[
        Part(test.grade_id, test.points - 0.5, test.points, PartState.PARTIAL, f"{edge.name}: {edge.message}",
             [random_inputs, edge])])
    bob = Grade("bob", test.points, MAX, Status.GRADED, "", parts=[
        Part(test.grade_id, test.points, test.points, PartState.PASSED, "",
             [random_inputs, CheckResult("large inputs", 0.5, True)])])
    return test, alice, bob


def test_feedback_lists_every_check_with_its_points_and_a_failed_checks_message(tmp_path):
    test, alice, _ = _partial_grades()
    page = write_feedback(alice, ASSIGNMENT, tmp_path).read_text()
    assert f"{test.points - 0.5:g} / {test.points:g}" in page and ">partial<" in page
    assert f"passed, {test.points - 0.5:g} / {test.points - 0.5:g}: random inputs against PyTorch" in page
    assert "failed, 0 / 0.5: large inputs: <code>expected 0.0 for z=-800, got nan</code>" in page


def test_checks_csv_and_the_reports_pass_rate_per_check(tmp_path):
    from dlcourse.autograder.report import write_checks_csv, write_report

    test, alice, bob = _partial_grades()
    write_checks_csv([alice, bob], tmp_path / "checks.csv")
    rows = list(csv.DictReader(open(tmp_path / "checks.csv")))
    assert [(r["student_id"], r["check"], r["passed"]) for r in rows] == [
        ("alice", "random inputs against PyTorch", "True"), ("alice", "large inputs", "False"),
        ("bob", "random inputs against PyTorch", "True"), ("bob", "large inputs", "True")]
    assert rows[1]["message"] == "expected 0.0 for z=-800, got nan" and rows[1]["points"] == "0.5"
    write_report([alice, bob], ASSIGNMENT, tmp_path / "report.html", [], [], "")
    report = (tmp_path / "report.html").read_text()
    assert "<h2>Pass rate per check</h2>" in report
    assert f"<td>{test.grade_id}</td><td>large inputs</td><td>0.5</td><td>1 / 2</td><td>50%</td>" in report
    assert f"<td>{test.grade_id}</td><td>{test.points:g}</td><td>{test.points - 0.25:.2f}</td><td>1 / 2</td>" in report
