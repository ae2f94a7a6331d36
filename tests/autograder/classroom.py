"""Helpers for the tests of ``dlcourse grade``: crafted submissions of chapter 02 and a runner.

Every test builds submissions from the committed release and solution notebooks (as
tests/course.py's ``submission_from_release`` does) and then damages, cheats or attacks in one
specific way; the assertions say what must happen to that one submission.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course import ROOT, fixture_files, parse_fixture, read, submission_from_release

SLUG = "02-neuron"
RELEASE = read(ROOT / "exercises" / SLUG / f"{SLUG}.ipynb")
SOLUTION = read(ROOT / "solutions" / SLUG / f"{SLUG}.ipynb")
FIXTURES = {p.stem: parse_fixture(p) for p in fixture_files(SLUG)}
POINTS = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in SOLUTION.cells
          if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
MAX = sum(POINTS.values())

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None,
                                 reason="bubblewrap (bwrap) is not installed: run `make sysdeps`")


def correct() -> nbformat.NotebookNode:
    """The release notebook with every answer filled in from the solution."""
    return submission_from_release(RELEASE, SOLUTION)


def with_answers(**answers: str) -> nbformat.NotebookNode:
    """A correct submission except the given answer cells (grade_id with '-' as '_' -> source)."""
    return submission_from_release(RELEASE, SOLUTION, {k.replace("_", "-"): v for k, v in answers.items()})


def wrong(fixture: str) -> nbformat.NotebookNode:
    """A correct submission except one wrong-answer fixture of tests/fixtures/02-neuron/."""
    grade_id, _, code = FIXTURES[fixture]
    return submission_from_release(RELEASE, SOLUTION, {grade_id: code})


def answer_source(grade_id: str) -> str:
    """The correct answer of one answer cell, as a student would type it."""
    for cell in correct().cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell.source
    raise KeyError(grade_id)


def cell_index(notebook, grade_id: str) -> int:
    return next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def write_student(folder: Path, student: str, notebook, name: str = f"{SLUG}.ipynb") -> Path:
    path = folder / student / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, (bytes, str)):
        path.write_bytes(notebook if isinstance(notebook, bytes) else notebook.encode())
    else:
        path.write_text(json.dumps(notebook))
    return path


def run_grade(submissions: Path, out: Path, *extra: str, env: dict | None = None,
              timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``dlcourse grade 02-neuron SUBMISSIONS --out OUT`` as an instructor would."""
    command = [sys.executable, "-m", "dlcourse.autograder.cli", "grade", SLUG, str(submissions), "--out", str(out),
               "--course", str(ROOT), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


def read_grades(out: Path) -> dict[str, dict]:
    with open(out / "grades.csv", newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def deep(notebook):
    return copy.deepcopy(notebook)
