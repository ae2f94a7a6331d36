"""Submissions as zips and LMS exports, refusal to run unsandboxed, and N in -> N rows out at scale."""

from __future__ import annotations

import os
import stat
import sys
import zipfile
from pathlib import Path

import pytest

from classroom import (MAX, RELEASE, SLUG, correct, needs_bwrap, read_grades, run_grade, wrong, write_student)
from dlcourse.autograder.intake import UnsafeArchive, collect, extract_zip


def make_zip(path: Path, entries: dict, links: dict | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def test_zip_with_absolute_paths_dotdot_and_symlinks_writes_nothing_outside(tmp_path):
    archive = make_zip(tmp_path / "class.zip", {
        "alice/../../escaped.txt": "x", "/abs-escape.txt": "x", f"carol/{SLUG}.ipynb": "{}",
        f"dave/{SLUG}.ipynb": '{"cells": []}'}, links={f"bob/{SLUG}.ipynb": "/etc/passwd"})
    work = tmp_path / "work"
    work.mkdir()
    intake = collect(archive, SLUG, work)
    rows = {s.student_id: s for s in intake.submissions}
    assert not (tmp_path / "escaped.txt").exists() and not Path("/abs-escape.txt").exists()
    assert rows["bob"].status == "ungradable" and "unsafe" in rows["bob"].reason
    assert rows["alice"].status == "ungradable"
    assert rows["carol"].status == "ungradable" and "not a Jupyter notebook" in rows["carol"].reason
    assert rows["dave"].status == "pending"
    assert any("abs-escape" in p for p in intake.problems)


def test_zip_bomb_over_the_size_limit_is_refused(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", {f"eve/{SLUG}.ipynb": "0" * 3_000_000})
    assert archive.stat().st_size < 100_000
    with pytest.raises(UnsafeArchive, match="decompresses to more than"):
        extract_zip(archive, tmp_path / "x", max_bytes=1_000_000)


def test_grade_refuses_a_zip_bomb_with_a_clear_error(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", {f"eve/{SLUG}.ipynb": "0" * 3_000_000})
    process = run_grade(archive, tmp_path / "out", "--max-zip-mb", "1", "--no-sandbox")
    assert process.returncode == 2 and "decompresses to more than 1 MB" in process.stderr


@pytest.mark.parametrize("lms,names", [
    ("canvas", {"doejane_12345_678901_02-neuron.ipynb": "12345",            # the Canvas user id, not the name
                "smithj_LATE_2345_678902_02-neuron-1.ipynb": "2345"}),
    ("moodle", {"Jane Doe_12345_assignsubmission_file_02-neuron.ipynb": "12345"})])
def test_lms_export_file_names_are_sorted_into_student_folders(tmp_path, lms, names):
    archive = make_zip(tmp_path / "export.zip", {name: '{"cells": []}' for name in names})
    work = tmp_path / "work"
    work.mkdir()
    intake = collect(archive, SLUG, work, lms=lms)
    assert {s.student_id: s.status for s in intake.submissions} == {sid: "pending" for sid in names.values()}


def test_grade_refuses_to_run_unsandboxed_without_the_explicit_flag(tmp_path):
    write_student(tmp_path / "class", "alice", correct())
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))  # no bwrap on PATH
    process = run_grade(tmp_path / "class", tmp_path / "out", env=env)
    assert process.returncode == 2 and "--no-sandbox" in process.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


@needs_bwrap
def test_canvas_zip_of_normal_submissions_grades_with_exit_status_zero(tmp_path):
    archive = tmp_path / "canvas.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("doejane_12345_678901_02-neuron.ipynb", correct_json())
        zf.writestr("smithj_2345_678902_02-neuron.ipynb", __import__("json").dumps(RELEASE))
    process = run_grade(archive, tmp_path / "out", "--lms", "canvas", "--jobs", "2")
    rows = read_grades(tmp_path / "out")
    assert process.returncode == 0, process.stderr[-2000:]
    assert {k: (float(v["score"]), v["status"]) for k, v in rows.items()} == {
        "12345": (MAX, "graded"), "2345": (0, "graded")}
    assert "grading" in process.stderr  # the progress bar


def correct_json() -> str:
    return __import__("json").dumps(correct())


@pytest.mark.slow
@needs_bwrap
def test_sixty_submissions_a_fifth_broken_give_sixty_rows(tmp_path):
    classroom = tmp_path / "class"
    broken = [b"", b"{not json", b'{"a": 1}']
    for i in range(60):
        name = f"student{i:02d}"
        if i % 5 == 0:
            write_student(classroom, name, broken[i % 3])
        else:
            write_student(classroom, name, [correct(), RELEASE, wrong("missing_bias")][i % 3])
    process = run_grade(classroom, tmp_path / "out", "--jobs", "2", "--timeout", "60")
    rows = read_grades(tmp_path / "out")
    assert len(rows) == 60, process.stderr[-2000:]
    assert sum(r["status"] == "ungradable" for r in rows.values()) == 12
    assert sum(r["status"] == "graded" for r in rows.values()) == 48, process.stderr[-2000:]
    assert len(list((tmp_path / "out" / "feedback").iterdir())) == 60
    assert process.returncode == 1
