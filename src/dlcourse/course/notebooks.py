"""Reading the course's notebooks: nbgrader's cell metadata, a student's submission built from the
release and the solution, the wrong-answer fixtures of the tests."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from dlcourse.autograder.markers import Markers


def read(path: Path) -> nbformat.NotebookNode:
    """A notebook as nbformat version 4."""
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata ({} for a cell nbgrader does not know)."""
    return cell.metadata.get("nbgrader", {})


def cells_by_grade_id(notebook) -> dict:
    """A notebook's nbgrader cells by their ``grade_id``."""
    return {nbgrader_meta(c)["grade_id"]: c for c in notebook.cells if "grade_id" in nbgrader_meta(c)}


def submission_from_release(release, solution, replace: dict[str, str] | None = None, *,
                            markers: Markers) -> nbformat.NotebookNode:
    """A student's submission: the release notebook with every answer cell filled in from the
    solution (the code between ``markers``' solution markers, markers removed), except the cells in
    ``replace`` (grade_id -> source)."""
    submission = nbformat.from_dict(release)
    solved = cells_by_grade_id(solution)
    for cell in submission.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            grade_id = meta["grade_id"]
            cell.source = (replace or {}).get(grade_id, markers.solution_text(solved[grade_id].source))
    return submission


def parse_fixture(path: Path) -> tuple[str, list[str], str]:
    """A wrong-answer fixture: ``# replaces: GRADE_ID`` and ``# loses: TEST_ID[, TEST_ID]`` header lines,
    then the code the student wrote in that answer cell."""
    text = path.read_text()
    replaces = re.search(r"^# replaces: *(\S+)", text, flags=re.M)
    loses = re.search(r"^# loses: *(.+)$", text, flags=re.M)
    if not replaces or not loses:
        raise ValueError(f"{path}: a fixture needs '# replaces: GRADE_ID' and '# loses: TEST_ID' lines")
    return replaces.group(1), [t.strip() for t in loses.group(1).split(",")], text
