"""What to execute for one submission: the instructor's notebook with the student's answers in it.

The submitted notebook's structure is never trusted. The program that is graded is rebuilt from
the instructor's source (``solutions/SLUG/SLUG.ipynb``): its setup cells and its test cells (hidden
tests included, with the points of the source), and, in place of each answer cell, the student's
cell with the same nbgrader ``grade_id`` (or, failing that, the same cell id). Edited, emptied,
deleted, duplicated or re-tagged test cells in a submission therefore change nothing. Code cells
after the last test cell (demos, plots) cannot change a grade and are skipped.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


@dataclass(frozen=True)
class Step:
    """One cell to execute: ``kind`` is "setup" (instructor code), "answer" or "test"."""

    kind: str
    source: str
    grade_id: str | None = None
    points: float = 0.0


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

    @property
    def tests(self) -> list[Step]:
        return [s for s in self.template if s.kind == "test"]

    @property
    def max_score(self) -> float:
        return sum(s.points for s in self.tests)

    @property
    def test_sources(self) -> list[str]:
        return [s.source for s in self.tests]


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _stub(source: str) -> str:
    """The student version of an answer cell: each solution block replaced by the code stub."""
    return re.sub(r"[ \t]*### BEGIN SOLUTION.*?### END SOLUTION", lambda m: re.match(r"[ \t]*", m.group()).group()
                  + STUB.replace("\n", "\n" + re.match(r"[ \t]*", m.group()).group()), source, flags=re.S)


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


def _locked_modules(source: str) -> list[str]:
    """Modules named in the ``forbid("package.module.function", ...)`` calls of a test cell.

    They are imported (and their state recorded) when the kernel starts, so a lock resolves the
    genuine function and the import time is not charged to a student's cell.
    """
    modules = []
    for call in re.findall(r"forbid\((.*?)\)\s*:", source, flags=re.S):
        for target in re.findall(r"[\"']([A-Za-z_][\w.]*)[\"']", call):
            parts = target.split(".")
            modules.append(".".join(parts[:-1]) if len(parts) > 1 else parts[0])
    return modules


def load_assignment(course_root: Path, slug: str) -> Assignment:
    """Read ``solutions/SLUG/SLUG.ipynb`` of the course into an :class:`Assignment`."""
    path = course_root / "solutions" / slug / f"{slug}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"no assignment {slug!r}: {path} does not exist")
    notebook = nbformat.read(path, as_version=4)
    template: list[Step] = []
    manual, import_lines, packages, answer_ids = [], [], [], {}
    for cell in notebook.cells:
        meta = _meta(cell)
        if cell.cell_type != "code":
            if meta.get("grade") and meta.get("solution"):
                manual.append((meta["grade_id"], float(meta.get("points", 0))))
            continue
        if meta.get("solution"):
            answer_ids[meta["grade_id"]] = cell.get("id", "")
            template.append(Step("answer", _stub(cell.source), meta["grade_id"]))
        elif meta.get("grade"):
            template.append(Step("test", cell.source, meta["grade_id"], float(meta.get("points", 0))))
        else:
            template.append(Step("setup", cell.source, meta.get("grade_id")))
    last_test = max((i for i, s in enumerate(template) if s.kind == "test"), default=-1)
    if last_test < 0:
        raise ValueError(f"{path} has no auto-graded test cell (nbgrader 'grade': true on a code cell)")
    for step in template[: last_test + 1]:
        lines, modules = _imports(step.source)
        packages += modules if step.kind != "answer" else []
        import_lines += lines if step.kind == "setup" else []
        if step.kind == "test":
            packages += _locked_modules(step.source)
    return Assignment(slug, path, template[: last_test + 1], "\n".join(dict.fromkeys(import_lines)),
                      list(dict.fromkeys(packages)), manual, answer_ids)


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def build_program(assignment: Assignment, submission: dict) -> tuple[list[Step], list[str]]:
    """The steps to execute for ``submission`` (a notebook as a dict) and notes on what was odd.

    Each answer step takes the source of the submission's first code cell with the same
    ``grade_id``, else with the same cell id, else the untouched stub (and a note).
    """
    by_grade_id: dict[str, str] = {}
    by_cell_id: dict[str, str] = {}
    for cell in submission.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        grade_id = _meta(cell).get("grade_id") if isinstance(_meta(cell), dict) else None
        if isinstance(grade_id, str):
            by_grade_id.setdefault(grade_id, _source(cell))
        if isinstance(cell.get("id"), str):
            by_cell_id.setdefault(cell["id"], _source(cell))
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

