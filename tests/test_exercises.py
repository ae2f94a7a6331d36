"""Every exercise grades correctly through nbgrader itself.

For each chapter with a solution notebook, nbgrader generates the student version in a temporary
course folder (which must equal the committed exercises/), then autogrades a class of submissions:
the solution, the untouched exercise, and every wrong-answer fixture in tests/fixtures/SLUG/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course import (LEAK_MARKERS, ROOT, cells_by_grade_id, chapters_with_exercises, fixture_files,
                    nbgrader_meta, parse_fixture, read, solution_bodies, submission_from_release)

CHAPTERS = chapters_with_exercises()


@dataclass
class GradedClass:
    slug: str
    release: Path
    log: str
    returncode: int
    scores: dict = field(default_factory=dict)      # student -> (code score, max code score)
    cells: dict = field(default_factory=dict)       # student -> {grade_id: (score, max score)}


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
    """Release the chapter's exercise and autograde a class of submissions, once per chapter."""
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
    # Two course copies grade half of the class each, in parallel (one nbgrader per core).
    shards = [course, tmp_path_factory.mktemp(f"course-{slug}-shard")]
    shutil.copytree(course, shards[1], dirs_exist_ok=True)
    write_course_config(shards[1])
    students = list(submissions)
    for index, student in enumerate(students):
        folder = shards[index % 2] / "submitted" / student / slug
        folder.mkdir(parents=True)
        nbformat.write(submissions[student], folder / f"{slug}.ipynb")

    runs = [subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", slug, "--force"], cwd=shard,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for shard in shards]
    logs = [run.communicate()[0] for run in runs]
    graded = GradedClass(slug, release_path, "\n".join(logs), max(run.returncode for run in runs))
    for index, student in enumerate(students):
        with Gradebook(f"sqlite:///{shards[index % 2] / 'gradebook.db'}") as gradebook:
            notebook = gradebook.find_submission_notebook(slug, slug, student)
            graded.scores[student] = (notebook.code_score, notebook.max_code_score)
            graded.cells[student] = {g.name: (g.score, g.max_score) for g in notebook.grades}
    return graded


def test_committed_exercise_equals_what_nbgrader_generates(graded):
    committed = read(ROOT / "exercises" / graded.slug / f"{graded.slug}.ipynb")
    fresh = read(graded.release)
    assert committed.cells == fresh.cells, (
        f"exercises/{graded.slug} is stale: run `make exercises` and commit the result")


def test_solution_scores_full_marks(graded):
    assert graded.returncode == 0, graded.log
    score, maximum = graded.scores["solution"]
    assert maximum > 0
    assert score == maximum, f"solution scored {score}/{maximum}: {graded.cells['solution']}"


def test_untouched_exercise_scores_zero_and_grades_without_error(graded):
    assert graded.returncode == 0, graded.log
    assert graded.scores["blank"][0] == 0, graded.cells["blank"]
    assert set(graded.cells["blank"]) == set(graded.cells["solution"]), "some cells of the blank were not graded"


@pytest.mark.parametrize("slug", CHAPTERS)
def test_every_exercise_has_at_least_six_wrong_answer_fixtures(slug):
    assert len(fixture_files(slug)) >= 6, f"tests/fixtures/{slug}/ needs at least 6 wrong answers"


def test_every_wrong_answer_loses_points_where_expected(graded):
    failures = []
    for path in fixture_files(graded.slug):
        student = f"fixture-{path.stem}"
        score, maximum = graded.scores[student]
        _, loses, _ = parse_fixture(path)
        if score >= maximum:
            failures.append(f"{path.name} scored full marks ({score}/{maximum})")
        for test_id in loses:
            cell_score, cell_max = graded.cells[student][test_id]
            if cell_score >= cell_max:
                failures.append(f"{path.name} kept all {cell_max} points of {test_id}")
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
