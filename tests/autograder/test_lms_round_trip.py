"""A term on a real LMS, end to end: Canvas's and Moodle's own downloads graded with their own grade
files as rosters, the grade files written back, late work penalised, written marks merged from a
sheet saved by Excel. Two small classes of chapter 02 (seven kernels in all, canary skipped: it
has its own test)."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime
from types import SimpleNamespace

import pytest

from classroom import MAX, RELEASE, SLUG, correct, needs_bwrap, read_grades
from course import ROOT
from dlcourse.autograder import cli
from lms_downloads import (ASSIGNMENT_COLUMN, WORKSHEET_COLUMNS, canvas_gradebook, canvas_name, make_zip, moodle_path,
                           moodle_worksheet, read_csv)

pytestmark = [needs_bwrap, pytest.mark.slow]  # `make test-fast` leaves it out
WRITTEN = 2   # chapter 02's written question
GOOD, BLANK = json.dumps(correct()), json.dumps(RELEASE)


def dlcourse(*args: str) -> SimpleNamespace:
    """Run ``dlcourse ARGS --course ROOT`` in this process (its kernels are processes of their own;
    this saves starting Python and loading the course for each command)."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = cli.main([*args, "--course", str(ROOT)])
    return SimpleNamespace(returncode=code, stderr=stderr.getvalue())


@pytest.fixture(scope="module")
def canvas(tmp_path_factory):
    """Canvas: two Jane Does, a late Zoë, An's re-upload, a corrupt notebook, a student not on the
    roster, a file the instructor added; on the roster, one student who sent nothing and Canvas's
    test student."""
    folder = tmp_path_factory.mktemp("canvas")
    archive = make_zip(folder / "submissions.zip", {
        canvas_name("Doe, Jane", 104211, 5001, f"{SLUG}.ipynb"): GOOD,
        canvas_name("Doe, Jane", 104299, 5002, f"{SLUG}.ipynb"): BLANK,
        canvas_name("Müller, Zoë", 104213, 5003, f"{SLUG}.ipynb", late=True): GOOD,
        canvas_name("Nguyễn, An", 104216, 5006, f"{SLUG}.ipynb"): BLANK,
        canvas_name("Nguyễn, An", 104216, 5007, f"{SLUG}-1.ipynb"): GOOD,
        canvas_name("Smith, Jo", 104220, 5008, f"{SLUG}.ipynb"): '{"cells": [',
        canvas_name("Stranger, Kim", 104250, 5009, f"{SLUG}.ipynb"): BLANK,
        "readme.txt": "added by hand"})
    gradebook = canvas_gradebook(folder / "gradebook.csv", [
        ("Doe, Jane", "104211", "jdoe"), ("Doe, Jane", "104299", "jdoe2"), ("Müller, Zoë", "104213", "zmueller"),
        ("Nguyễn, An", "104216", "anguyen"), ("Smith, Jo", "104220", "jsmith"), ("Roe, Max", "104230", "mroe"),
        ("Student, Test", "104999", "")], manual_posting=True)
    out = folder / "out"
    process = dlcourse("grade", SLUG, str(archive), "--out", str(out), "--lms", "canvas", "--roster", str(gradebook),
                       "--late-flag-penalty", "10%", "--skip-canary", "--jobs", "2")
    return process, out, gradebook


def test_canvas_every_student_of_the_roster_and_the_zip_has_one_row(canvas):
    process, out, _ = canvas
    assert process.returncode == 1, process.stderr[-3000:]   # problems: a corrupt notebook, a stranger, a stray file
    rows = read_grades(out)
    assert {k: (r["name"], float(r["score"]), r["status"]) for k, r in rows.items()} == {
        "104211": ("Doe, Jane", MAX, "graded"), "104299": ("Doe, Jane", 0, "graded"),
        "104213": ("Müller, Zoë", pytest.approx(0.9 * MAX), "graded"),   # -10% of the 19 points graded so far
        "104216": ("Nguyễn, An", MAX, "graded"), "104220": ("Smith, Jo", 0, "ungradable"),
        "104230": ("Roe, Max", 0, "missing"), "104999": ("Student, Test", 0, "missing"),
        "104250": ("strangerkim", 0, "graded")}
    zoe = rows["104213"]
    assert (zoe["late"], zoe["penalty_percent"], float(zoe["score_before_penalty"])) == (
        "flagged late by Canvas", "10", MAX)
    assert "graded 02-neuron-1.ipynb, the latest upload" in rows["104216"]["reason"]
    assert "not graded: 02-neuron.ipynb" in rows["104216"]["reason"]
    assert "not valid JSON" in rows["104220"]["reason"] and "not on the roster" in rows["104250"]["reason"]
    assert "Found 8 files in the Canvas layout (--lms): 5 notebooks to grade, 3 files set aside" in process.stderr
    assert "2 on the roster sent nothing (missing, 0 points)" in process.stderr
    for words in ("readme.txt: not named as Canvas names", "104250 (strangerkim) sent a submission but is not on the "
                  "roster gradebook.csv"):
        assert words in process.stderr and words in (out / "report.html").read_text()
    assert "Penalty: 10% of the points, 19 before it." in (out / "feedback" / "104213" / f"{SLUG}.html").read_text()


def test_canvas_gradebook_comes_back_with_the_assignment_column_filled(canvas):
    _, out, _ = canvas
    rows = read_csv(out / f"canvas-{SLUG}.csv")
    zoe = f"{0.9 * MAX:.2f}".rstrip("0").rstrip(".")
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT_COLUMN],
        ["", "", "", "", "", "Manual Posting"],
        ["    Points Possible", "", "", "", "", "21"],
        ["Doe, Jane", "104211", "S104211", "jdoe", "Section A", f"{MAX:g}"],
        ["Doe, Jane", "104299", "S104299", "jdoe2", "Section A", "0"],
        ["Müller, Zoë", "104213", "S104213", "zmueller", "Section A", zoe],
        ["Nguyễn, An", "104216", "S104216", "anguyen", "Section A", f"{MAX:g}"],
        ["Smith, Jo", "104220", "S104220", "jsmith", "Section A", "0"],
        ["Roe, Max", "104230", "S104230", "mroe", "Section A", "0"],
        ["Student, Test", "104999", "S104999", "", "Section A", "0"]]


def test_canvas_written_marks_from_excel_are_merged_and_the_gradebook_rewritten(canvas, tmp_path):
    _, out, _ = canvas
    sheet = read_csv(out / "written" / f"{SLUG}.csv")
    assert sorted(r[0] for r in sheet[1:]) == ["104211", "104213", "104216", "104220", "104250", "104299"]
    marks = {"104211": "2", "104213": "1,5", "104216": "", "104220": "", "104250": "0", "104299": "0,5"}
    excel = tmp_path / "marked.csv"   # Excel in a German locale: BOM, semicolons, decimal commas
    lines = [";".join(sheet[0])] + [";".join([r[0], r[1], r[2], marks[r[0]], '"' + r[4].replace('"', '""') + '"'])
                                    for r in sheet[1:]]
    excel.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines + [""]).encode())

    def merge(*extra):
        return dlcourse("marks", SLUG, "--out", str(out), "--written", str(excel), *extra)

    refused = merge()
    assert refused.returncode == 2 and "no points for 104216" in refused.stderr and "--blank-is-zero" in refused.stderr
    merged = merge("--blank-is-zero")
    assert merged.returncode == 0, merged.stderr
    rows = read_grades(out)
    total = {k: (float(r["written"]), float(r["total"])) for k, r in rows.items()}
    assert total == {"104211": (2, MAX + 2), "104299": (0.5, 0.5), "104216": (0, MAX), "104220": (0, 0),
                     "104213": (1.5, pytest.approx(MAX + 1.5 - 0.1 * (MAX + WRITTEN))), "104250": (0, 0),  # 18.4
                     "104230": (0, 0), "104999": (0, 0)}
    assert rows["104213"]["total_max"] == f"{MAX + WRITTEN:g}"
    gradebook = {r[1]: r[5] for r in read_csv(out / f"canvas-{SLUG}.csv")[3:]}
    assert gradebook == {"104211": f"{MAX + 2:g}", "104299": "0.5", "104213": "18.4", "104216": f"{MAX:g}",
                         "104220": "0", "104230": "0", "104999": "0"}


@pytest.fixture(scope="module")
def moodle(tmp_path_factory):
    """Moodle's default download (a folder per student): Jane on time, Zoë a day and some late, An
    submitted according to the worksheet but absent from the zip, a second Jane Doe with only an
    online text."""
    folder = tmp_path_factory.mktemp("moodle")
    archive = make_zip(folder / "submissions.zip", {
        moodle_path("Jane Doe", 48213, f"{SLUG}.ipynb"): GOOD,
        moodle_path("Zoë Müller", 48214, f"{SLUG}.ipynb"): GOOD,
        moodle_path("Jane Doe", 48299, "onlinetext.html", plugin="onlinetext"): "<p>see attached</p>"})
    worksheet = moodle_worksheet(folder / "worksheet.csv", [
        (48213, "Jane Doe", "Submitted for grading", "Tuesday, 4 March 2025, 10:00 PM"),
        (48214, "Zoë Müller", "Submitted for grading", "Thursday, 6 March 2025, 1:30 AM"),
        (48216, "Nguyễn An", "Submitted for grading", "Tuesday, 4 March 2025, 9:00 PM"),
        (48299, "Jane Doe", "Submitted for grading", "Tuesday, 4 March 2025, 8:00 PM")])
    out = folder / "out"
    before = datetime.now().astimezone()
    process = dlcourse("grade", SLUG, str(archive), "--out", str(out), "--roster", str(worksheet), "--lms", "moodle",
                       "--due", "2025-03-04T23:59+01:00", "--late-penalty", "10%/day,max=50%", "--skip-canary",
                       "--jobs", "2")
    return process, out, worksheet, before


def test_moodle_folders_are_graded_by_participant_number_and_late_work_penalised(moodle):
    process, out, _, _ = moodle
    assert process.returncode == 1, process.stderr[-3000:]   # a problem: 48299 sent no notebook
    rows = read_grades(out)
    late = MAX - 0.2 * MAX    # 1 day 1 h 31 min late: two started days, 20% of the points
    assert {k: (r["name"], float(r["score"]), r["status"], r["late"]) for k, r in rows.items()} == {
        "48213": ("Jane Doe", MAX, "graded", ""), "48214": ("Zoë Müller", pytest.approx(late), "graded",
                                                            "1 day 1 h 31 min"),
        "48216": ("Nguyễn An", 0, "missing", ""), "48299": ("Jane Doe", 0, "missing_notebook", "")}
    zoe = rows["48214"]
    assert (zoe["submitted"], zoe["penalty_percent"], float(zoe["score_before_penalty"])) == (
        "2025-03-06T01:30:00+01:00", "20", MAX)
    assert "though the worksheet says 'Submitted for grading'" in rows["48216"]["reason"]
    assert "not graded: onlinetext.html" in rows["48299"]["reason"]
    assert "Found 3 files in the Moodle layout (--lms): 2 notebooks to grade, 1 file set aside" in process.stderr


def test_moodle_worksheet_comes_back_with_grade_time_and_feedback(moodle):
    _, out, worksheet, before = moodle
    written, original = read_csv(out / f"moodle-{SLUG}.csv"), read_csv(worksheet)
    assert written[0] == WORKSHEET_COLUMNS and len(written) == len(original)
    grade, modified, feedback = (WORKSHEET_COLUMNS.index(c) for c in ("Grade", "Last modified (grade)",
                                                                      "Feedback comments"))
    late = f"{MAX - 0.2 * MAX:.2f}".rstrip("0").rstrip(".")
    expected = {"Participant 48213": (f"{MAX:g}", f"{MAX:g} of {MAX:g} points (graded automatically)."),
                "Participant 48214": (late, f"{late} of {MAX:g} points (graded automatically). Late: 1 day 1 h 31 min, "
                                            "-20% of the points."),
                "Participant 48216": ("0", "No submission was received."),
                "Participant 48299": ("0", "0 of 19 points (graded automatically). Not graded normally "
                                           "(missing_notebook): no notebook in the submission")}
    for line, source in zip(written[1:], original[1:]):
        want_grade, want_feedback = expected[line[0]]
        assert line[grade] == want_grade and line[feedback].startswith(want_feedback), line
        stamp = datetime.strptime(line[modified], "%Y-%m-%d %H:%M:%S %z")
        assert before.replace(microsecond=0) <= stamp <= datetime.now().astimezone()
        assert [c for i, c in enumerate(line) if i not in (grade, modified, feedback)] == [
            c for i, c in enumerate(source) if i not in (grade, modified, feedback)]
