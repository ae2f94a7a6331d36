"""Grading the mutants as a class of students: with the instructor's ``dlcourse grade`` (the
default), with plain ``nbgrader autograde``, or directly (the solution's cells in forked processes,
quick, while hidden tests are being written)."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import types
import warnings
from pathlib import Path

import nbformat

from dlcourse.course.chapters import Layout
from dlcourse.course.mutation.differential import exec_cell, time_limit
from dlcourse.course.notebooks import nbgrader_meta, read


def _environment() -> dict:
    """One BLAS thread per grading process, and the virtual environment's programs on PATH (nbgrader runs alembic)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return dict(os.environ, PATH=path, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def grade(layout: Layout, slug: str, submissions: dict[str, nbformat.NotebookNode], work: Path,
          jobs: int) -> dict[str, dict]:
    """Grade submissions with ``dlcourse grade``: student -> {score, max_score, status, lost: [test ids]}."""
    folder, out = work / "submissions", work / "graded"
    for student, notebook in submissions.items():
        (folder / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, folder / student / f"{slug}.ipynb")
    command = [str(Path(sys.executable).parent / "dlcourse"), "grade", slug, str(folder), "--out", str(out),
               "--course", str(layout.root), "--jobs", str(jobs)]
    if shutil.which("bwrap") is None:
        command.append("--no-sandbox")       # our own mutants: trusted code; the sandbox needs bubblewrap
    environment = _environment()
    run = subprocess.run(command, capture_output=True, text=True, env=environment)
    grades_csv = out / "grades.csv"
    if not grades_csv.exists():
        raise RuntimeError(f"`{' '.join(command)}` wrote no grades.csv (exit status {run.returncode}):\n"
                           f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}\n"
                           "Where the instructor's grader cannot run, --grader nbgrader grades with plain nbgrader.")
    import csv
    lost: dict[str, list[str]] = {}
    with open(out / "parts.csv") as handle:        # one row per student and test cell
        for part in csv.DictReader(handle):
            if float(part["points"]) < float(part["max_points"]):
                lost.setdefault(part["student_id"], []).append(part["test"])
    results = {}
    with open(grades_csv) as handle:
        for row in csv.DictReader(handle):
            results[row["student_id"]] = {"score": float(row["score"]), "max_score": float(row["max_score"]),
                                          "status": row["status"], "reason": row["reason"],
                                          "lost": lost.get(row["student_id"], [])}
    return results


def grade_with_nbgrader(layout: Layout, slug: str, submissions: dict[str, nbformat.NotebookNode], work: Path,
                        jobs: int) -> dict[str, dict]:
    """The same, graded by plain ``nbgrader autograde`` (``jobs`` course copies side by side)."""
    from nbgrader.api import Gradebook

    shards = []
    for index in range(max(1, jobs)):
        shards.append(layout.scratch_course(work / f"course-{index}", slug, _environment()))
    students = list(submissions)
    for index, student in enumerate(students):
        folder = shards[index % len(shards)] / "submitted" / student / slug
        folder.mkdir(parents=True)
        nbformat.write(submissions[student], folder / f"{slug}.ipynb")
    environment = _environment()
    runs = [subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", slug, "--force", "--log-level=ERROR"],
                             cwd=course, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for course in shards]
    for run in runs:
        run.wait()
    results = {}
    for index, student in enumerate(students):
        with Gradebook(f"sqlite:///{shards[index % len(shards)] / 'gradebook.db'}") as gradebook:
            try:
                notebook = gradebook.find_submission_notebook(slug, slug, student)
            except Exception:  # noqa: BLE001 - not graded at all
                continue
            lost = [g.name for g in notebook.grades if g.max_score and g.cell_type == "code"
                    and (g.score or 0) < g.max_score]
            results[student] = {"score": notebook.code_score, "max_score": notebook.max_code_score,
                                "status": "graded", "reason": "", "lost": lost}
    return results


def grade_one_directly(task):
    """Run a solution notebook with one answer cell replaced, in this (forked) process: a test cell
    whose code raised lost its points; one that returned a number as its result (partial credit,
    ``checks.score()``) earned that number, by nbgrader's rule as ``dlcourse grade`` applies it."""
    from dlcourse.autograder.scoring import cell_score

    solution, grade_id, source, seconds = task
    lost, messages, score, maximum = [], [], 0.0, 0.0
    saved, notebook = sys.modules["__main__"], types.ModuleType("__main__")
    sys.modules["__main__"] = notebook     # forbid() also locks names the notebook imported into __main__
    namespace = vars(notebook)
    try:
        for cell in solution.cells:
            meta = nbgrader_meta(cell)
            if cell.cell_type != "code" or cell.source.lstrip().startswith(("%", "!")):
                continue
            code = source if grade_id is not None and meta.get("grade_id") == grade_id else cell.source
            points = float(meta.get("points", 0)) if meta.get("grade") else 0.0
            maximum += points
            try:
                with time_limit(seconds), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                    warnings.simplefilter("ignore")
                    value = exec_cell(code, str(meta.get("grade_id")), namespace)
                if points:
                    result = [] if value is None else [{"output_type": "execute_result", "execution_count": None,
                                                        "metadata": {}, "data": {"text/plain": repr(value)}}]
                    earned = cell_score(code, result, points)
                    score += earned
                    if earned < points:
                        lost.append(meta["grade_id"])
                        messages.append(f"{meta['grade_id']}: {earned:g} of {points:g} points")
            except BaseException as error:  # noqa: BLE001 - whatever the cell raised, it lost its points
                if points:
                    lost.append(meta["grade_id"])
                messages.append(f"{meta.get('grade_id', 'a cell')}: {type(error).__name__}: {str(error)[:300]}")
    finally:
        sys.modules["__main__"] = saved
    return {"score": score, "max_score": maximum, "status": "graded", "reason": " | ".join(messages), "lost": lost}


def grade_directly(layout: Layout, slug: str, tasks: dict[str, tuple[str | None, str | None]], jobs: int,
                   seconds: float = 120.0) -> dict[str, dict]:
    """A quick stand-in for the graders while hidden tests are being written: every mutant runs the
    solution notebook's cells (its hidden tests included) in a fresh process forked from a clean
    one, no kernel, no sandbox. Not the instructor's path: confirm final numbers with ``dlcourse grade``."""
    import multiprocessing

    solution = read(layout.solution(slug))
    # A fork server: children forked from a fresh process that has imported NumPy and torch but
    # started no threads (forking this process, whose torch thread pools have run, can deadlock).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["numpy", "torch", "sklearn", "scipy.optimize", "matplotlib.pyplot",
                                    "dlcourse.grading"])
    names = list(tasks)
    with context.Pool(max(1, jobs), maxtasksperchild=1) as pool:
        results = pool.map(grade_one_directly, [(solution, *tasks[n], seconds) for n in names], chunksize=1)
    return dict(zip(names, results))
