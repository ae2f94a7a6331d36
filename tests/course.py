"""Shared knowledge of the course for the tests: chapters, notebooks, nbgrader metadata.

The chapter list, the repository's layout, reading notebooks and building submissions come from the
package (dlcourse.course.chapters and dlcourse.course.notebooks), as the course's tools use them;
what only the tests need (solution snippets, page text, leak markers) is here."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from dlcourse.autograder.markers import Markers
from dlcourse.course.chapters import Layout, find_course_root
from dlcourse.course.notebooks import cells_by_grade_id as cells_by_grade_id
from dlcourse.course.notebooks import nbgrader_meta as nbgrader_meta
from dlcourse.course.notebooks import parse_fixture as parse_fixture
from dlcourse.course.notebooks import read as read
from dlcourse.course.notebooks import submission_from_release as _submission_from_release

ROOT = find_course_root(Path(__file__).parent)
#: Where the course's files live (dlcourse.course.chapters: the tools read the same).
LAYOUT = Layout(ROOT)
FIXTURES = LAYOUT.fixtures

#: nbgrader's markers, read from the course's nbgrader configuration (the grader reads the same).
MARKERS = Markers.for_course(ROOT)
LEAK_MARKERS = (MARKERS.begin_solution, MARKERS.end_solution, MARKERS.begin_hidden, MARKERS.end_hidden,
                MARKERS.begin_mark_scheme, MARKERS.end_mark_scheme)

#: Slugs of the chapters that have a solution notebook solutions/SLUG/SLUG.ipynb: the package's list.
chapters_with_exercises = LAYOUT.chapter_slugs
#: The wrong-answer fixtures tests/fixtures/SLUG/*.py of a chapter.
fixture_files = LAYOUT.fixture_files
#: A student's submission: the release with every answer cell filled in from the solution (markers
#: removed), except the cells in ``replace`` (grade_id -> source); the course's markers.
submission_from_release = functools.partial(_submission_from_release, markers=MARKERS)


def solution_bodies(solution_notebook) -> list[str]:
    """The lines inside every solution region of a solution notebook, one string per region."""
    bodies = []
    for cell in solution_notebook.cells:
        lines = cell.source.splitlines()
        for start, stop in MARKERS.regions(cell.source, MARKERS.begin_solution, MARKERS.end_solution):
            bodies.append("".join(line + "\n" for line in lines[start + 1:stop]))
    return bodies


def compared_fixture(slug: str) -> Path | None:
    """The fixture of ``slug`` that nbgrader grades too (to compare its scores cell by cell with
    `dlcourse grade`): the one whose header has ``# compare-with-nbgrader``, else the first."""
    fixtures = fixture_files(slug)
    marked = [p for p in fixtures if re.search(r"^# compare-with-nbgrader", p.read_text(), flags=re.M)]
    return (marked or fixtures or [None])[0]


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
