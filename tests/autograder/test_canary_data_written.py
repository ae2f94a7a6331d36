"""`dlcourse grade` end to end: the canary, the data in the sandbox, written answers and LMS files.

Chapter 02 (no data) for the canary and the written-answer workflow; chapter 04 (MNIST) for the
data, found in the user cache only, or nowhere.
"""

from __future__ import annotations

import csv
import os
import shutil

import nbformat
import pytest

from classroom import SLUG, correct, needs_bwrap, read_grades, run_grade, write_student
from course import ROOT, read, submission_from_release

pytestmark = [needs_bwrap, pytest.mark.slow]  # `make test-fast` leaves it out
SHARED_DATA = ROOT.parent / "shared" / "data"


def course_copy(tmp_path, change=None, slug=SLUG):
    """A course folder with the repository's configuration and one chapter, its test cells edited
    by ``change(cell)``."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / slug, course / "solutions" / slug)
    shutil.copytree(ROOT / "autograder", course / "autograder", ignore=shutil.ignore_patterns("submitted", "*.db"))
    if change:
        path = course / "solutions" / slug / f"{slug}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
                change(cell)
        nbformat.write(notebook, path)
    return course


def grade_with(course, tmp_path, *extra, env=None):
    classroom = tmp_path / "class"
    write_student(classroom, "alice", correct())
    out = tmp_path / "out"
    command = run_grade(classroom, out, *extra, env=env)
    return command, out


def test_a_broken_environment_stops_the_grading_before_any_student(tmp_path):
    def break_sigmoid(cell):
        if cell.metadata["nbgrader"]["grade_id"] == "test-sigmoid":
            cell.source += "\nimport this_package_is_not_installed_in_the_sandbox\n"

    course = course_copy(tmp_path, break_sigmoid)
    process, out = grade_with(course, tmp_path, "--course", str(course))
    assert process.returncode == 2, process.stderr
    assert "canary failed" in process.stderr and "test-sigmoid" in process.stderr
    assert "this_package_is_not_installed_in_the_sandbox" in process.stderr
    assert not (out / "grades.csv").exists(), "students were graded although the canary failed"


def test_tests_that_accept_the_blank_exercise_stop_the_grading(tmp_path):
    def accept_anything(cell):
        if cell.metadata["nbgrader"]["grade_id"] == "test-neuron":
            cell.source = "pass\n### BEGIN HIDDEN TESTS\npass\n### END HIDDEN TESTS\n"

    course = course_copy(tmp_path, accept_anything)
    process, out = grade_with(course, tmp_path, "--course", str(course))
    assert process.returncode == 2
    assert "the blank exercise earns 2 points in test-neuron" in process.stderr
    skipped, out2 = grade_with(course, tmp_path / "again", "--course", str(course), "--skip-canary")
    alice = read_grades(out2)["alice"]
    assert skipped.returncode == 0 and alice["score"] == alice["max_score"], alice


@pytest.fixture(scope="module")
def graded_with_written(tmp_path_factory):
    """Three students of chapter 02 graded with the canary on and a Canvas export."""
    classroom = tmp_path_factory.mktemp("written-class")
    release = read(ROOT / "exercises" / SLUG / f"{SLUG}.ipynb")
    alice = correct()
    written = next(c for c in alice.cells if c.cell_type == "markdown"
                   and c.metadata.get("nbgrader", {}).get("solution"))
    written.source = "Too large: $\\alpha > 2/\\lambda_{max}$ diverges. <script>alert('x')</script>"
    write_student(classroom, "alice", alice)
    write_student(classroom, "bob", release)
    solution = read(ROOT / "solutions" / SLUG / f"{SLUG}.ipynb")
    write_student(classroom, "carol", submission_from_release(release, solution))
    out = tmp_path_factory.mktemp("written-out")
    process = run_grade(classroom, out, "--jobs", "2", "--lms-export", "canvas")
    return process, out, written.metadata["nbgrader"]["grade_id"]


def test_the_canary_passes_on_the_course_and_the_report_says_so(graded_with_written):
    process, out, _ = graded_with_written
    assert process.returncode == 0, process.stderr
    assert "Canary passed" in (out / "report.html").read_text()


def test_written_answers_are_collected_rendered_safely_and_merged(graded_with_written, tmp_path):
    import subprocess
    import sys

    process, out, question = graded_with_written
    sheet = out / "written" / f"{SLUG}.csv"
    rows = list(csv.DictReader(open(sheet)))
    assert {r["student_id"] for r in rows} == {"alice", "bob", "carol"}
    assert next(r for r in rows if r["student_id"] == "alice")["answer"].startswith("Too large")
    page = (out / "written" / f"{SLUG}.html").read_text()
    assert "<math" in page and "<script>alert" not in page and "&lt;script&gt;" in page
    points = {"alice": "2", "bob": "0", "carol": "1.5"}
    with open(tmp_path / "filled.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([dict(r, points=points[r["student_id"]]) for r in rows])

    def marks(sheet_path):
        return subprocess.run([sys.executable, "-m", "dlcourse.autograder.cli", "marks", SLUG, "--out", str(out),
                               "--written", str(sheet_path), "--course", str(ROOT), "--lms-export", "moodle"],
                              capture_output=True, text=True)

    bad = tmp_path / "bad.csv"
    bad.write_text(f"student_id,question,points\nalice,{question},9\n")
    refused = marks(bad)
    assert refused.returncode == 2 and "worth 0 to 2" in refused.stderr and "missing row: bob" in refused.stderr
    assert "written" not in read_grades(out)["alice"], "a refused sheet changed grades.csv"
    merged = marks(tmp_path / "filled.csv")
    assert merged.returncode == 0, merged.stderr
    grades = read_grades(out)
    assert (grades["alice"]["written"], grades["alice"]["total"]) == ("2", f"{float(grades['alice']['score']) + 2:g}")
    assert (grades["bob"]["total"], grades["carol"]["written"]) == ("0", "1.5")
    assert grades["alice"]["total_max"] == f"{float(grades['alice']['max_score']) + 2:g}"
    moodle = list(csv.reader(open(out / f"moodle-{SLUG}.csv")))
    assert moodle[0][:2] == ["Identifier", SLUG] and ["alice", grades["alice"]["total"], "graded"] in moodle


def test_the_canvas_export_has_a_row_per_student(graded_with_written):
    _, out, _ = graded_with_written
    canvas = list(csv.reader(open(out / f"canvas-{SLUG}.csv")))
    assert canvas[1][0] == "Points Possible" and {r[0] for r in canvas[2:]} == {"alice", "bob", "carol"}


def _mnist_class(tmp_path):
    classroom = tmp_path / "class"
    release = read(ROOT / "exercises" / "04-mlp" / "04-mlp.ipynb")
    solution = read(ROOT / "solutions" / "04-mlp" / "04-mlp.ipynb")
    write_student(classroom, "alice", submission_from_release(release, solution), name="04-mlp.ipynb")
    return classroom


def _env_without_data(home):
    env = {k: v for k, v in os.environ.items() if k != "DLCOURSE_DATA"}
    # The user cache lives under HOME; a proxy that refuses connections stands for "no network".
    return env | {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "HTTPS_PROXY": "http://127.0.0.1:9",
                  "HTTP_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
                  "http_proxy": "http://127.0.0.1:9"}


@pytest.mark.skipif(not (SHARED_DATA / "mnist").is_dir(), reason="the course data folder is not beside the repository")
def test_data_in_the_user_cache_only_is_found_and_bound_into_the_sandbox(tmp_path):
    import subprocess
    import sys

    home = tmp_path / "home"
    shutil.copytree(SHARED_DATA / "mnist", home / ".cache" / "dlcourse" / "mnist")
    out = tmp_path / "out"
    process = subprocess.run([sys.executable, "-m", "dlcourse.autograder.cli", "grade", "04-mlp",
                              str(_mnist_class(tmp_path)), "--out", str(out), "--course", str(ROOT), "--jobs", "2"],
                             capture_output=True, text=True, env=_env_without_data(home), timeout=900)
    assert process.returncode == 0, process.stderr[-3000:]
    row = read_grades(out)["alice"]
    assert row["score"] == row["max_score"], row


def test_no_data_anywhere_stops_before_grading_with_the_file_and_the_fix(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "out"
    process = subprocess.run([sys.executable, "-m", "dlcourse.autograder.cli", "grade", "04-mlp",
                              str(_mnist_class(tmp_path)), "--out", str(out), "--course", str(ROOT)],
                             capture_output=True, text=True, env=_env_without_data(tmp_path / "home"), timeout=300)
    assert process.returncode == 2
    assert "nobody was graded" in process.stderr and "mnist/" in process.stderr and "DLCOURSE_DATA" in process.stderr
    assert not (out / "grades.csv").exists()
