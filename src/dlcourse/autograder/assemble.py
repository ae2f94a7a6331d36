"""What to execute for one submission: the instructor's notebook with the student's answers in it.

The submitted notebook's structure is never trusted. The program that is graded is rebuilt from
the instructor's source (``solutions/SLUG/SLUG.ipynb``): its setup cells and its test cells (hidden
tests included, with the points of the source), and, in place of each answer cell, the student's
cell with the same nbgrader ``grade_id`` (or, failing that, the same cell id). Edited, emptied,
deleted, duplicated or re-tagged test cells in a submission therefore change nothing. Code cells
after the last test cell (demos, plots) cannot change a grade and are skipped.

Besides the program, the source says what the grader needs around it: the written questions with
their mark schemes, the lesson each part comes from (a markdown link into ``book/``) and the data
sets the notebook reads through :mod:`dlcourse.data`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dlcourse.autograder.markers import MarkerError, Markers

#: dlcourse.data loader -> the data set folder it reads (see dlcourse/data/SHA256SUMS).
LOADERS = {"load_mnist": "mnist", "load_fashion_mnist": "fashion-mnist",
           "load_tiny_shakespeare": "tinyshakespeare", "load_cora": "cora"}
#: A markdown link to a lesson: [text](../../book/NN-slug/lesson.ipynb#anchor).
LESSON_LINK = re.compile(r"\[([^\]]+)\]\(((?:\.\./)*book/[^)\s#]+\.(?:ipynb|md))(#[^)\s]*)?\)")


@dataclass(frozen=True)
class Step:
    """One cell to execute: ``kind`` is "setup" (instructor code), "answer" or "test"."""

    kind: str
    source: str
    grade_id: str | None = None
    points: float = 0.0


@dataclass(frozen=True)
class Lesson:
    """Where a part is taught: the link text, the notebook's path in the repository and an anchor."""

    title: str
    path: str          # e.g. book/02-neuron/02-gradient-descent.ipynb
    anchor: str = ""   # e.g. #the-learning-rate


@dataclass(frozen=True)
class WrittenQuestion:
    """A manually graded markdown cell: its question (the markdown above it) and mark scheme."""

    grade_id: str
    points: float
    question: str
    mark_scheme: str


@dataclass
class Assignment:
    """An assignment as the grader needs it, read from the instructor's source notebook."""

    slug: str
    source_path: Path
    template: list[Step]
    import_code: str                      # the instructor's import lines, re-run before each test
    packages: list[str]                   # modules imported by setup and test cells
    manual: list[tuple[str, float]] = field(default_factory=list)  # hand-graded cells (id, points)
    answer_cell_ids: dict[str, str] = field(default_factory=dict)  # grade_id -> cell id in the source
    written: list[WrittenQuestion] = field(default_factory=list)
    lessons: dict[str, Lesson] = field(default_factory=dict)       # test grade_id -> its lesson
    titles: dict[str, str] = field(default_factory=dict)           # test grade_id -> "Part 2: ..."
    datasets: list[str] = field(default_factory=list)              # e.g. ["mnist"]
    markers: Markers = field(default_factory=Markers)
    solution_answers: dict[str, str] = field(default_factory=dict)  # grade_id -> the solution as typed

    @property
    def tests(self) -> list[Step]:
        return [s for s in self.template if s.kind == "test"]

    @property
    def max_score(self) -> float:
        return sum(s.points for s in self.tests)

    @property
    def test_sources(self) -> list[str]:
        return [s.source for s in self.tests]

    def hidden_lines(self) -> set[str]:
        """Lines of hidden test code (stripped, long enough to be distinctive)."""
        return {line.strip() for source in self.test_sources for line in self.markers.hidden_lines(source)
                if len(line.strip()) >= 12}


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
    return meta if isinstance(meta, dict) else {}


def _imports(source: str) -> tuple[list[str], list[str]]:
    """Top-level import statements of ``source`` (as code lines) and the modules they import."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [], []
    lines, modules = [], []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
            lines.append(ast.get_source_segment(source, node))
            if isinstance(node, ast.Import):
                modules += [alias.name for alias in node.names]
            else:
                modules.append(node.module)
    return lines, modules


#: A lock target as test cells write them: "numpy.linalg.lstsq", "scipy.special.*", "family:softmax".
LOCK_TARGET = re.compile(r"family:[\w-]+|[A-Za-z_]\w*(?:\.\w+)*\.(?:\w+|\*)")


def _locked_modules(source: str) -> list[str]:
    """Modules a test cell locks: every string in it that reads as a lock target (they are passed to
    ``forbid`` directly or through a tuple), resolved by :func:`dlcourse.grading.locked_modules`.

    They are imported (and their state recorded) when the kernel starts, so a lock resolves the
    genuine function and the import time is not charged to a student's cell.
    """
    from dlcourse.grading import locked_modules

    if "forbid(" not in source:
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    modules = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and LOCK_TARGET.fullmatch(node.value):
            try:
                modules += locked_modules([node.value])
            except (ValueError, ImportError):  # not a lock target after all (or an unknown family)
                continue
    return list(dict.fromkeys(modules))


def datasets_read(sources: list[str], declared: list[str] | None = None) -> list[str]:
    """The data sets the code in ``sources`` reads through dlcourse.data, plus ``declared`` ones."""
    found = list(declared or [])
    text = "\n".join(sources)
    for loader, dataset in LOADERS.items():
        if re.search(rf"\b{loader}\b", text):
            found.append(dataset)
    found += re.findall(r"""fetch\(\s*["']([\w-]+)/""", text)
    return list(dict.fromkeys(found))


def _heading(markdown: str) -> str:
    for line in markdown.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""


def load_assignment(course_root: Path, slug: str) -> Assignment:
    """Read ``solutions/SLUG/SLUG.ipynb`` of the course into an :class:`Assignment`.

    Raises FileNotFoundError when it does not exist and ValueError when it is not a usable source
    (no test cell, unbalanced markers).
    """
    path = course_root / "solutions" / slug / f"{slug}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"no assignment {slug!r}: {path} does not exist")
    markers = Markers.for_course(course_root)
    notebook = nbformat.read(path, as_version=4)
    template: list[Step] = []
    manual, written, import_lines, packages, answer_ids, answers = [], [], [], [], {}, {}
    lessons, titles, markdown_since_test, last_question = {}, {}, [], ""
    try:
        for cell in notebook.cells:
            meta = _meta(cell)
            if cell.cell_type != "code":
                if meta.get("grade") and meta.get("solution"):
                    points = float(meta.get("points", 0))
                    manual.append((meta["grade_id"], points))
                    written.append(WrittenQuestion(meta["grade_id"], points, last_question,
                                                   markers.mark_scheme(cell.source)))
                else:
                    last_question = markers.without_mark_scheme(cell.source).strip()
                    markdown_since_test.append(cell.source)
                continue
            if meta.get("solution"):
                answer_ids[meta["grade_id"]] = cell.get("id", "")
                answers[meta["grade_id"]] = markers.solution_text(cell.source)
                template.append(Step("answer", markers.student_version(cell.source), meta["grade_id"]))
            elif meta.get("grade"):
                markers.hidden_lines(cell.source)  # raises on unbalanced hidden-test markers
                template.append(Step("test", cell.source, meta["grade_id"], float(meta.get("points", 0))))
                text = "\n".join(markdown_since_test)
                link = LESSON_LINK.search(text)
                if link:
                    lessons[meta["grade_id"]] = Lesson(link.group(1), "book/" + link.group(2).split("book/", 1)[1],
                                                       link.group(3) or "")
                elif not text.strip() and lessons:  # a second test cell of the same part
                    lessons[meta["grade_id"]] = list(lessons.values())[-1]
                previous = list(titles.values())[-1] if titles else ""
                titles[meta["grade_id"]] = next((h for h in map(_heading, reversed(markdown_since_test)) if h),
                                                previous)
                markdown_since_test = []
            else:
                template.append(Step("setup", cell.source, meta.get("grade_id")))
    except MarkerError as error:
        raise ValueError(f"{path}: cell {len(template) + 1}: {error}") from None
    last_test = max((i for i, s in enumerate(template) if s.kind == "test"), default=-1)
    if last_test < 0:
        raise ValueError(f"{path} has no auto-graded test cell (nbgrader 'grade': true on a code cell)")
    for step in template[: last_test + 1]:
        lines, modules = _imports(step.source)
        packages += modules if step.kind != "answer" else []
        import_lines += lines if step.kind == "setup" else []
        if step.kind == "test":
            packages += _locked_modules(step.source)
    code = [s.source for s in template] + list(answers.values())
    declared = notebook.metadata.get("dlcourse", {}).get("data", [])
    return Assignment(slug, path, template[: last_test + 1], "\n".join(dict.fromkeys(import_lines)),
                      list(dict.fromkeys(packages)), manual, answer_ids, written, lessons, titles,
                      datasets_read(code, declared), markers, answers)


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _cells_by_id(submission: dict, cell_type: str) -> tuple[dict[str, str], dict[str, str]]:
    """(grade_id -> source, cell id -> source) of the submission's cells of ``cell_type``; the first wins."""
    by_grade_id: dict[str, str] = {}
    by_cell_id: dict[str, str] = {}
    for cell in submission.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != cell_type:
            continue
        grade_id = _meta(cell).get("grade_id")
        if isinstance(grade_id, str):
            by_grade_id.setdefault(grade_id, _source(cell))
        if isinstance(cell.get("id"), str):
            by_cell_id.setdefault(cell["id"], _source(cell))
    return by_grade_id, by_cell_id


def build_program(assignment: Assignment, submission: dict) -> tuple[list[Step], list[str]]:
    """The steps to execute for ``submission`` (a notebook as a dict) and notes on what was odd.

    Each answer step takes the source of the submission's first code cell with the same
    ``grade_id``, else with the same cell id, else the untouched stub (and a note).
    """
    by_grade_id, by_cell_id = _cells_by_id(submission, "code")
    source_ids = assignment.answer_cell_ids
    steps, notes = [], []
    for step in assignment.template:
        if step.kind != "answer":
            steps.append(step)
            continue
        code = by_grade_id.get(step.grade_id)
        if code is None:
            code = by_cell_id.get(source_ids.get(step.grade_id, ""))
        if code is None:
            notes.append(f"answer cell '{step.grade_id}' not found in the notebook: graded as unanswered")
            code = step.source
        steps.append(Step("answer", code, step.grade_id))
    return steps, notes


def written_answers(assignment: Assignment, submission: dict | None) -> dict[str, str]:
    """grade_id -> the student's answer to each written question ('' when missing or untouched)."""
    by_grade_id, _ = _cells_by_id(submission or {}, "markdown")
    answers = {}
    for question in assignment.written:
        text = by_grade_id.get(question.grade_id, "").strip()
        answers[question.grade_id] = "" if text == assignment.markers.text_stub else text
    return answers


def solution_program(assignment: Assignment) -> list[Step]:
    """The program of a student who typed the instructor's solution (the canary's full marks)."""
    return [Step("answer", assignment.solution_answers[s.grade_id], s.grade_id) if s.kind == "answer" else s
            for s in assignment.template]
