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
from enum import StrEnum
from pathlib import Path

import nbformat

from dlcourse.autograder.markers import MarkerError, Markers

#: dlcourse.data loader -> the data set folder it reads (see dlcourse/data/SHA256SUMS).
LOADERS = {"load_mnist": "mnist", "load_fashion_mnist": "fashion-mnist",
           "load_tiny_shakespeare": "tinyshakespeare", "load_cora": "cora"}
#: A markdown link to a lesson: [text](../../book/NN-slug/lesson.ipynb#anchor).
LESSON_LINK = re.compile(r"\[([^\]]+)\]\(((?:\.\./)*book/[^)\s#]+\.(?:ipynb|md))(#[^)\s]*)?\)")


class StepKind(StrEnum):
    """What a cell of the program is; a str, so it prints and serialises as its value."""

    SETUP = "setup"     # the instructor's code: imports, helpers, data
    ANSWER = "answer"   # where the student's answer cell goes
    TEST = "test"       # an auto-graded test cell (hidden tests included)


@dataclass(frozen=True)
class Step:
    """One cell to execute: its kind, its code and, for answers and tests, its nbgrader ``grade_id``."""

    kind: StepKind
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
        """The test cells of the program, in order: one part of the grade each."""
        return [s for s in self.template if s.kind == StepKind.TEST]

    @property
    def max_score(self) -> float:
        """The points of all test cells: the most the automatic grading can give."""
        return sum(s.points for s in self.tests)

    @property
    def test_sources(self) -> list[str]:
        """The code of every test cell, hidden tests included (never shown to students)."""
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


@dataclass
class _SourceCells:
    """What :func:`load_assignment` gathers from the source's cells, read in order with :meth:`add`."""

    markers: Markers
    template: list[Step] = field(default_factory=list)
    manual: list[tuple[str, float]] = field(default_factory=list)
    written: list[WrittenQuestion] = field(default_factory=list)
    answer_cell_ids: dict[str, str] = field(default_factory=dict)
    solution_answers: dict[str, str] = field(default_factory=dict)
    lessons: dict[str, Lesson] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    markdown_since_test: list[str] = field(default_factory=list)   # the current part's markdown so far
    last_question: str = ""                                         # the markdown above a written answer

    def add(self, cell) -> None:
        """Take in the next cell of the source; raises MarkerError on unbalanced markers."""
        meta = _meta(cell)
        if cell.cell_type != "code":
            self._markdown(cell, meta)
        elif meta.get("solution"):
            self._answer(cell, meta)
        elif meta.get("grade"):
            self._test(cell, meta)
        else:
            self.template.append(Step(kind=StepKind.SETUP, source=cell.source, grade_id=meta.get("grade_id")))

    def _markdown(self, cell, meta: dict) -> None:
        """A written question's answer cell (graded by hand), or text that may hold a question or a lesson link."""
        if meta.get("grade") and meta.get("solution"):
            points = float(meta.get("points", 0))
            self.manual.append((meta["grade_id"], points))
            self.written.append(WrittenQuestion(grade_id=meta["grade_id"], points=points,
                                                question=self.last_question,
                                                mark_scheme=self.markers.mark_scheme(cell.source)))
        else:
            self.last_question = self.markers.without_mark_scheme(cell.source).strip()
            self.markdown_since_test.append(cell.source)

    def _answer(self, cell, meta: dict) -> None:
        """An answer cell: the stub students get in the template, the solution as a student would type it."""
        grade_id = meta["grade_id"]
        self.answer_cell_ids[grade_id] = cell.get("id", "")
        self.solution_answers[grade_id] = self.markers.solution_text(cell.source)
        self.template.append(Step(kind=StepKind.ANSWER, source=self.markers.student_version(cell.source),
                                  grade_id=grade_id))

    def _test(self, cell, meta: dict) -> None:
        """A test cell, with the lesson its part links to and its part's title (from the markdown above it)."""
        grade_id = meta["grade_id"]
        self.markers.hidden_lines(cell.source)  # raises on unbalanced hidden-test markers
        self.template.append(Step(kind=StepKind.TEST, source=cell.source, grade_id=grade_id,
                                  points=float(meta.get("points", 0))))
        text = "\n".join(self.markdown_since_test)
        link = LESSON_LINK.search(text)
        if link:
            self.lessons[grade_id] = Lesson(title=link.group(1), path="book/" + link.group(2).split("book/", 1)[1],
                                            anchor=link.group(3) or "")
        elif not text.strip() and self.lessons:  # a second test cell of the same part
            self.lessons[grade_id] = list(self.lessons.values())[-1]
        previous = list(self.titles.values())[-1] if self.titles else ""
        self.titles[grade_id] = next((h for h in map(_heading, reversed(self.markdown_since_test)) if h), previous)
        self.markdown_since_test = []


def _imports_and_packages(program: list[Step]) -> tuple[str, list[str]]:
    """The import lines of the setup cells (re-run before each test) and the modules the setup and
    test cells import or lock (imported and recorded when the kernel starts)."""
    import_lines, packages = [], []
    for step in program:
        lines, modules = _imports(step.source)
        packages += modules if step.kind != StepKind.ANSWER else []
        import_lines += lines if step.kind == StepKind.SETUP else []
        if step.kind == StepKind.TEST:
            packages += _locked_modules(step.source)
    return "\n".join(dict.fromkeys(import_lines)), list(dict.fromkeys(packages))


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
    cells = _SourceCells(markers=markers)
    try:
        for cell in notebook.cells:
            cells.add(cell)
    except MarkerError as error:
        raise ValueError(f"{path}: cell {len(cells.template) + 1}: {error}") from None
    last_test = max((i for i, s in enumerate(cells.template) if s.kind == StepKind.TEST), default=-1)
    if last_test < 0:
        raise ValueError(f"{path} has no auto-graded test cell (nbgrader 'grade': true on a code cell)")
    program = cells.template[: last_test + 1]
    import_code, packages = _imports_and_packages(program)
    code = [s.source for s in cells.template] + list(cells.solution_answers.values())
    declared = notebook.metadata.get("dlcourse", {}).get("data", [])
    return Assignment(slug=slug, source_path=path, template=program, import_code=import_code, packages=packages,
                      manual=cells.manual, answer_cell_ids=cells.answer_cell_ids, written=cells.written,
                      lessons=cells.lessons, titles=cells.titles, datasets=datasets_read(code, declared),
                      markers=markers, solution_answers=cells.solution_answers)


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
        if step.kind != StepKind.ANSWER:
            steps.append(step)
            continue
        code = by_grade_id.get(step.grade_id)
        if code is None:
            code = by_cell_id.get(source_ids.get(step.grade_id, ""))
        if code is None:
            notes.append(f"answer cell '{step.grade_id}' not found in the notebook: graded as unanswered")
            code = step.source
        steps.append(Step(kind=StepKind.ANSWER, source=code, grade_id=step.grade_id))
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
    return [Step(kind=StepKind.ANSWER, source=assignment.solution_answers[s.grade_id], grade_id=s.grade_id)
            if s.kind == StepKind.ANSWER else s
            for s in assignment.template]
