"""Shared knowledge of the course layout for the tests: chapters, notebooks, nbgrader metadata."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                "BEGIN MARK SCHEME", "END MARK SCHEME")


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
    source = re.sub(r"\n?=== BEGIN MARK SCHEME ===.*?=== END MARK SCHEME ===\n?", "\n", source, flags=re.S)
    lines = [line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    return "\n".join(lines).strip() + "\n"


def solution_bodies(solution_notebook) -> list[str]:
    """The lines inside every BEGIN/END SOLUTION block of a solution notebook."""
    bodies = []
    for cell in solution_notebook.cells:
        for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, flags=re.S):
            bodies.append(block)
    return bodies


def fixture_files(slug: str) -> list[Path]:
    return sorted((FIXTURES / slug).glob("*.py"))


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
