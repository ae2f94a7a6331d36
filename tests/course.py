"""Shared knowledge of the course layout for the tests: chapters, notebooks, nbgrader metadata."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from dlcourse.autograder.markers import Markers

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

#: nbgrader's markers, read from the course's nbgrader configuration (the grader reads the same).
MARKERS = Markers.for_course(ROOT)
LEAK_MARKERS = (MARKERS.begin_solution, MARKERS.end_solution, MARKERS.begin_hidden, MARKERS.end_hidden,
                MARKERS.begin_mark_scheme, MARKERS.end_mark_scheme)


def chapters_with_exercises() -> list[str]:
    """Slugs of chapters that have a solution notebook solutions/SLUG/SLUG.ipynb."""
    return sorted(p.parent.name for p in ROOT.glob("solutions/*/*.ipynb") if p.stem == p.parent.name)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def cells_by_grade_id(notebook) -> dict:
    return {nbgrader_meta(c)["grade_id"]: c for c in notebook.cells if "grade_id" in nbgrader_meta(c)}


def strip_solution_markers(source: str) -> str:
    """The code or text between solution markers, as a student would type it (markers removed)."""
    return MARKERS.solution_text(source)


def solution_bodies(solution_notebook) -> list[str]:
    """The lines inside every solution region of a solution notebook, one string per region."""
    bodies = []
    for cell in solution_notebook.cells:
        lines = cell.source.splitlines()
        for start, stop in MARKERS.regions(cell.source, MARKERS.begin_solution, MARKERS.end_solution):
            bodies.append("".join(line + "\n" for line in lines[start + 1:stop]))
    return bodies


def fixture_files(slug: str) -> list[Path]:
    return sorted((FIXTURES / slug).glob("*.py"))


def compared_fixture(slug: str) -> Path | None:
    """The fixture of ``slug`` that nbgrader grades too (to compare its scores cell by cell with
    `dlcourse grade`): the one whose header has ``# compare-with-nbgrader``, else the first."""
    fixtures = fixture_files(slug)
    marked = [p for p in fixtures if re.search(r"^# compare-with-nbgrader", p.read_text(), flags=re.M)]
    return (marked or fixtures or [None])[0]


def parse_fixture(path: Path) -> tuple[str, list[str], str]:
    """A wrong-answer fixture: ``# replaces: GRADE_ID`` and ``# loses: TEST_ID[, TEST_ID]`` header lines,
    then the code the student wrote in that answer cell."""
    text = path.read_text()
    replaces = re.search(r"^# replaces: *(\S+)", text, flags=re.M)
    loses = re.search(r"^# loses: *(.+)$", text, flags=re.M)
    if not replaces or not loses:
        raise ValueError(f"{path}: a fixture needs '# replaces: GRADE_ID' and '# loses: TEST_ID' lines")
    return replaces.group(1), [t.strip() for t in loses.group(1).split(",")], text


def submission_from_release(release, solution, replace: dict[str, str] | None = None):
    """A student's submission: the release notebook with every answer cell filled in from the
    solution (markers removed), except the cells in ``replace`` (grade_id -> source)."""
    submission = nbformat.from_dict(release)
    solved = cells_by_grade_id(solution)
    for cell in submission.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            grade_id = meta["grade_id"]
            cell.source = (replace or {}).get(grade_id, strip_solution_markers(solved[grade_id].source))
    return submission


def solution_snippets(solution_notebook) -> list[str]:
    """Every pair of consecutive non-blank lines of every solution block, whitespace-normalised.

    A page that contains one of these pairs shows solution code. (Single lines are too common:
    a lesson may well teach `np.asarray(z, dtype=float)`.)
    """
    snippets = []
    for body in solution_bodies(solution_notebook):
        lines = [" ".join(line.split()) for line in body.splitlines() if line.strip()]
        snippets += [f"{a}\n{b}" for a, b in zip(lines, lines[1:])]
        if len(lines) == 1:
            snippets.append(lines[0])
    return snippets


def page_text(path: Path) -> str:
    """The visible text of a built page (HTML tags removed) or a notebook's cell sources,
    one whitespace-normalised line per line."""
    import html as html_module
    import json

    raw = path.read_text(errors="replace")
    if path.suffix == ".ipynb":
        raw = "\n".join("".join(c.get("source", "")) for c in json.loads(raw).get("cells", []))
    elif path.suffix == ".html":
        raw = html_module.unescape(re.sub(r"<[^>]+>", "", raw))
    return "\n".join(" ".join(line.split()) for line in raw.splitlines() if line.strip())
