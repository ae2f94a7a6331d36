"""Every exercise grades correctly through both graders: nbgrader itself and `dlcourse grade`.

For each chapter with a solution notebook (new chapters are found in solutions/), nbgrader
generates the student version in a temporary course folder (which must equal the committed
exercises/) and autogrades the solution and the untouched exercise. At the same time one
`dlcourse grade` run (sandboxed, two jobs, the chapter's data bound in) grades the class: the
solution, the blank exercise and every wrong-answer fixture in tests/fixtures/SLUG/. Both graders
must agree on the solution (full marks) and the blank (zero); every fixture must lose points in
the test cells its header names.

Partial credit (a test cell's result is the points its named checks earned) must come out the same
under both graders for every fixture, without running the fixtures through nbgrader too: nbgrader's
own ``determine_grade`` is applied to the outputs `dlcourse grade` saw for every fixture's test
cells, and nbgrader's real autograde run also grades one fixture per chapter (the one whose header
says ``# compare-with-nbgrader``, else the first), whose every cell must score the same in both.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from dlcourse.autograder.assemble import load_assignment

from course import (LEAK_MARKERS, ROOT, cells_by_grade_id, chapters_with_exercises, compared_fixture, fixture_files,
                    nbgrader_meta, parse_fixture, read, solution_bodies, submission_from_release)

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out

CHAPTERS = chapters_with_exercises()
# Without bubblewrap (a machine where `make sysdeps` could not install it) the class is graded
# unsandboxed: the grades are the same, only the isolation is missing.
SANDBOX = [] if shutil.which("bwrap") else ["--no-sandbox"]


@dataclass
class GradedClass:
    slug: str
    release: Path
    nbgrader_log: str
    nbgrader_returncode: int
    grade_log: str
    grade_returncode: int
    nbgrader_scores: dict = field(default_factory=dict)   # student -> (score, max score)
    nbgrader_cells: dict = field(default_factory=dict)    # student -> {grade_id: (score, max score)}
    rows: dict = field(default_factory=dict)              # dlcourse grade: student -> grades.csv row
    parts: dict = field(default_factory=dict)             # dlcourse grade: student -> {test: (points, max)}
    outputs: dict = field(default_factory=dict)           # dlcourse grade: student -> {test: {ok, outputs}}
    compared: str | None = None                           # the fixture nbgrader grades too


def nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, capture_output=True, text=True)


def write_course_config(course: Path) -> None:
    """An nbgrader course in ``course`` with the repository's settings (stubs, time limits)."""
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"load_subconfig({str(ROOT / 'autograder' / 'nbgrader_config.py')!r})\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.source_directory = 'source'\n"
        "c.CourseDirectory.release_directory = 'release'\n"
        "c.CourseDirectory.submitted_directory = 'submitted'\n"
        "c.CourseDirectory.autograded_directory = 'autograded'\n"
        "c.CourseDirectory.feedback_directory = 'feedback'\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{course / 'gradebook.db'}'\n"
    )


@pytest.fixture(scope="module", params=CHAPTERS)
def graded(request, tmp_path_factory) -> GradedClass:
    """Release the chapter's exercise, then grade it with both graders at once, once per chapter."""
    slug = request.param
    course = tmp_path_factory.mktemp(f"course-{slug}")
    write_course_config(course)
    shutil.copytree(ROOT / "solutions" / slug, course / "source" / slug)
    generated = nbgrader("generate_assignment", slug, cwd=course)
    assert generated.returncode == 0, generated.stderr
    release_path = course / "release" / slug / f"{slug}.ipynb"

    release, solution = read(release_path), read(ROOT / "solutions" / slug / f"{slug}.ipynb")
    submissions = {"solution": submission_from_release(release, solution), "blank": release}
    for path in fixture_files(slug):
        grade_id, _, code = parse_fixture(path)
        submissions[f"fixture-{path.stem}"] = submission_from_release(release, solution, {grade_id: code})
    compared = compared_fixture(slug)
    nbgraded = ["solution", "blank"] + [f"fixture-{compared.stem}"] * (compared is not None)
    for student in nbgraded:   # nbgrader: the scores both graders must agree on
        folder = course / "submitted" / student / slug
        folder.mkdir(parents=True)
        nbformat.write(submissions[student], folder / f"{slug}.ipynb")
    class_folder = tmp_path_factory.mktemp(f"class-{slug}")
    for student, notebook in submissions.items():
        (class_folder / student).mkdir()
        nbformat.write(notebook, class_folder / student / f"{slug}.ipynb")
    out = tmp_path_factory.mktemp(f"grades-{slug}")
    # The class is graded once, by `dlcourse grade` (the solution and the blank are in it, so the
    # canary would grade them twice; its own tests are in tests/autograder/).
    runs = [subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", slug, "--force"], cwd=course,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
            subprocess.Popen([sys.executable, "-m", "dlcourse.autograder.cli", "grade", slug, str(class_folder),
                              "--out", str(out), "--course", str(ROOT), "--jobs", "2", "--skip-canary",
                              "--save-outputs", *SANDBOX],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)]
    logs = [run.communicate()[0] for run in runs]
    graded = GradedClass(slug, release_path, logs[0], runs[0].returncode, logs[1], runs[1].returncode)
    graded.compared = nbgraded[2] if len(nbgraded) > 2 else None
    for student in nbgraded:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            notebook = gradebook.find_submission_notebook(slug, slug, student)
            graded.nbgrader_scores[student] = (notebook.code_score, notebook.max_code_score)
            graded.nbgrader_cells[student] = {g.name: (g.score, g.max_score) for g in notebook.grades}
    if (out / "grades.csv").is_file():
        with open(out / "grades.csv", newline="") as handle:
            graded.rows = {row["student_id"]: row for row in csv.DictReader(handle)}
        with open(out / "parts.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                graded.parts.setdefault(row["student_id"], {})[row["test"]] = (float(row["points"]),
                                                                              float(row["max_points"]))
        graded.outputs = json.loads((out / "outputs.json").read_text())
    return graded


def test_committed_exercise_equals_what_nbgrader_generates(graded):
    committed = read(ROOT / "exercises" / graded.slug / f"{graded.slug}.ipynb")
    fresh = read(graded.release)
    assert committed.cells == fresh.cells, (
        f"exercises/{graded.slug} is stale: run `make exercises` and commit the result")


def test_solution_scores_full_marks_through_both_graders(graded):
    assert graded.nbgrader_returncode == 0, graded.nbgrader_log
    assert graded.rows, f"dlcourse grade wrote no grades.csv:\n{graded.grade_log[-3000:]}"
    score, maximum = graded.nbgrader_scores["solution"]
    assert maximum > 0
    assert score == maximum, f"nbgrader: solution scored {score}/{maximum}: {graded.nbgrader_cells['solution']}"
    row = graded.rows["solution"]
    assert (row["status"], float(row["score"]), float(row["max_score"])) == ("graded", maximum, maximum), (
        f"dlcourse grade: {row}; parts {graded.parts.get('solution')}")


def test_untouched_exercise_scores_zero_through_both_graders(graded):
    assert graded.nbgrader_returncode == 0, graded.nbgrader_log
    assert graded.nbgrader_scores["blank"][0] == 0, graded.nbgrader_cells["blank"]
    assert set(graded.nbgrader_cells["blank"]) == set(graded.nbgrader_cells["solution"]), (
        "some cells of the blank were not graded")
    assert graded.rows, f"dlcourse grade wrote no grades.csv:\n{graded.grade_log[-3000:]}"
    row = graded.rows["blank"]
    assert (row["status"], float(row["score"])) == ("graded", 0), row
    assert set(graded.parts["blank"]) == set(graded.parts["solution"]), "some test cells of the blank did not run"


def test_every_submission_gets_a_row_and_the_run_succeeds(graded):
    expected = {"solution", "blank"} | {f"fixture-{p.stem}" for p in fixture_files(graded.slug)}
    assert set(graded.rows) == expected, graded.grade_log[-3000:]
    assert graded.grade_returncode == 0, graded.grade_log[-3000:]


def test_nbgrader_and_dlcourse_grade_score_every_test_cell_alike(graded):
    """nbgrader's determine_grade on the outputs of every fixture's test cells gives parts.csv's points."""
    from nbgrader.utils import determine_grade

    assert graded.outputs, f"dlcourse grade wrote no outputs.json:\n{graded.grade_log[-3000:]}"
    tests = {t.grade_id: t for t in load_assignment(ROOT, graded.slug).tests}
    differences = []
    for student, cells in graded.outputs.items():
        for grade_id, ran in cells.items():
            cell = nbformat.v4.new_code_cell(tests[grade_id].source, metadata={"nbgrader": {
                "grade": True, "solution": False, "locked": True, "grade_id": grade_id,
                "points": tests[grade_id].points}})
            cell.outputs = [nbformat.from_dict(o) for o in ran["outputs"]]
            nbgrader_score, _ = determine_grade(cell)
            if nbgrader_score != graded.parts[student][grade_id][0]:
                differences.append(f"{student} {grade_id}: nbgrader {nbgrader_score:g}, "
                                   f"dlcourse grade {graded.parts[student][grade_id][0]:g}")
    assert not differences, "the graders disagree:\n" + "\n".join(differences)


def test_nbgrader_autograde_and_dlcourse_grade_agree_on_a_wrong_answer(graded):
    """A real nbgrader run of one fixture, cell by cell (partial credit included)."""
    if graded.compared is None:
        pytest.skip(f"{graded.slug} has no wrong-answer fixture")
    assert graded.nbgrader_returncode == 0, graded.nbgrader_log
    nbgrader_cells = {k: v for k, v in graded.nbgrader_cells[graded.compared].items() if k in graded.parts["solution"]}
    assert nbgrader_cells == graded.parts[graded.compared], graded.compared


@pytest.mark.parametrize("slug", CHAPTERS)
def test_every_exercise_has_at_least_eight_wrong_answer_fixtures(slug):
    assert len(fixture_files(slug)) >= 8, f"tests/fixtures/{slug}/ needs at least 8 wrong answers"


def test_every_wrong_answer_loses_points_where_expected(graded):
    failures = []
    for path in fixture_files(graded.slug):
        student = f"fixture-{path.stem}"
        row = graded.rows.get(student)
        if row is None:
            failures.append(f"{path.name}: no row in grades.csv")
            continue
        score, maximum = float(row["score"]), float(row["max_score"])
        _, loses, _ = parse_fixture(path)
        if score >= maximum:
            failures.append(f"{path.name} scored full marks ({score:g}/{maximum:g})")
        for test_id in loses:
            if test_id not in graded.parts.get(student, {}):
                failures.append(f"{path.name}: its header names {test_id}, which is not a test cell")
                continue
            cell_score, cell_max = graded.parts[student][test_id]
            if cell_score >= cell_max:
                failures.append(f"{path.name} kept all {cell_max:g} points of {test_id}")
    assert not failures, "hidden tests too weak:\n" + "\n".join(failures)


@pytest.mark.parametrize("slug", CHAPTERS)
def test_graded_cells_have_points_and_tests_hide_something(slug):
    solution = read(ROOT / "solutions" / slug / f"{slug}.ipynb")
    graded_code = [c for c in solution.cells if nbgrader_meta(c).get("grade") and c.cell_type == "code"]
    written = [c for c in solution.cells if nbgrader_meta(c).get("grade") and c.cell_type == "markdown"]
    assert 4 <= len(graded_code) <= 8, f"{len(graded_code)} auto-graded parts (DESIGN: 4 to 8)"
    assert written, "at least one manually graded written question"
    for cell in graded_code + written:
        meta = nbgrader_meta(cell)
        assert meta.get("points", 0) > 0, f"graded cell {meta['grade_id']} has no points"
    for cell in graded_code:
        assert nbgrader_meta(cell)["locked"], f"test cell {nbgrader_meta(cell)['grade_id']} is not read-only"
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{nbgrader_meta(cell)['grade_id']} has no hidden tests"
    answers = [c for c in solution.cells if nbgrader_meta(c).get("solution")]
    assert all("### BEGIN SOLUTION" in c.source for c in answers)


@pytest.mark.parametrize("slug", CHAPTERS)
def test_committed_exercise_leaks_no_solution_or_hidden_test(slug):
    release_path = ROOT / "exercises" / slug / f"{slug}.ipynb"
    text = release_path.read_text()
    for marker in LEAK_MARKERS:
        assert marker not in text, f"exercises/{slug} contains {marker!r}"
    release = read(release_path)
    released_sources = "\n".join(c.source for c in release.cells)
    solution = read(ROOT / "solutions" / slug / f"{slug}.ipynb")
    for body in solution_bodies(solution):
        for line in body.splitlines():
            if len(line.strip()) >= 20:
                assert line.strip() not in released_sources, f"solution line leaked: {line.strip()!r}"
    assert all(not c.get("outputs") for c in release.cells if c.cell_type == "code"), "release has outputs"
    assert set(cells_by_grade_id(release)) == set(cells_by_grade_id(solution))


@pytest.mark.parametrize("slug", CHAPTERS)
def test_every_part_links_the_lesson_section_that_teaches_it(slug):
    """The feedback of a failed part sends the student to this link, and the exercise page shows it."""
    from myst_parser.mdit_to_docutils.base import default_slugify

    assignment = load_assignment(ROOT, slug)
    missing = [t.grade_id for t in assignment.tests if t.grade_id not in assignment.lessons]
    assert not missing, f"parts without a '*Lesson:* [section](../../book/...ipynb#anchor)' link: {missing}"
    for grade_id, lesson in assignment.lessons.items():
        path = ROOT / lesson.path
        assert path.is_file(), f"{grade_id} links {lesson.path}, which does not exist"
        headings = set()
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                for line in "".join(cell["source"]).splitlines():
                    if line.startswith(("# ", "## ", "### ")):
                        headings.add("#" + default_slugify(line.lstrip("#").strip()))
        assert not lesson.anchor or lesson.anchor in headings, (
            f"{grade_id} links {lesson.path}{lesson.anchor}, but that lesson has no such heading "
            f"(its anchors: {sorted(headings)})")
