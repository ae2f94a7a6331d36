"""Grading throughput: ``dlcourse grade`` (sandboxed, parallel) against plain ``nbgrader autograde``.

Builds a class of realistic submissions of a chapter (correct, partial — one wrong-answer fixture
of tests/fixtures/SLUG/ — and blank, in turn), grades it with both tools on this machine in one
run and prints submissions per minute of each and their ratio. The time of ``dlcourse grade``
includes everything it does before grading: verifying the data and the canary (the solution and
the blank graded first), whose own time is printed too.

    python benchmarks/grading_throughput.py [--chapter 02-neuron] [--count 60] [--jobs 2]

Not a timed test: run it by hand on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from dlcourse.autograder.markers import Markers
from dlcourse.course.chapters import Layout, find_course_root
from dlcourse.course.notebooks import parse_fixture, read, submission_from_release

ROOT = find_course_root(Path(__file__).parent)
LAYOUT = Layout(ROOT)
MARKERS = Markers.for_course(ROOT)

SLUG = "02-neuron"   # --chapter changes it


def make_class(count: int) -> dict[str, nbformat.NotebookNode]:
    release = read(LAYOUT.exercise(SLUG))
    solution = read(LAYOUT.solution(SLUG))
    fixtures = [parse_fixture(p) for p in LAYOUT.fixture_files(SLUG)]
    students = {}
    for i in range(count):
        kind = i % 3
        if kind == 0:
            notebook = submission_from_release(release, solution, markers=MARKERS)
        elif kind == 1:
            grade_id, _, code = fixtures[i % len(fixtures)]
            notebook = submission_from_release(release, solution, {grade_id: code}, markers=MARKERS)
        else:
            notebook = release
        students[f"student{i:03d}"] = notebook
    return students


def time_dlcourse(students: dict, work: Path, jobs: int) -> tuple[float, float | None]:
    """Seconds for the whole command, and the canary's share as its report gives it."""
    import re

    folder = work / "dlcourse-class"
    for name, notebook in students.items():
        (folder / name).mkdir(parents=True)
        nbformat.write(notebook, folder / name / f"{SLUG}.ipynb")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dlcourse.autograder.cli", "grade", SLUG, str(folder), "--out",
                    str(work / "dlcourse-out"), "--course", str(ROOT), "--jobs", str(jobs)], check=False)
    seconds = time.perf_counter() - start
    report = work / "dlcourse-out" / "report.html"
    canary = re.search(r"Canary passed in ([\d.]+) s", report.read_text()) if report.exists() else None
    return seconds, float(canary.group(1)) if canary else None


def time_nbgrader(students: dict, work: Path) -> float:
    course = LAYOUT.scratch_course(work / "nbgrader-course", SLUG)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    for name, notebook in students.items():
        (course / "submitted" / name / SLUG).mkdir(parents=True)
        nbformat.write(notebook, course / "submitted" / name / SLUG / f"{SLUG}.ipynb")
    start = time.perf_counter()
    subprocess.run([*nbgrader, "autograde", SLUG, "--log-level=ERROR"], cwd=course, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="02-neuron", help="chapter slug (default 02-neuron)")
    parser.add_argument("--count", type=int, default=60, help="submissions (default 60)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs of dlcourse grade (default 2)")
    args = parser.parse_args()
    global SLUG
    SLUG = args.chapter
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    students = make_class(args.count)
    with tempfile.TemporaryDirectory() as tmp:
        ours, canary = time_dlcourse(students, Path(tmp), args.jobs)
        theirs = time_nbgrader(students, Path(tmp))
    rate_ours, rate_theirs = 60 * args.count / ours, 60 * args.count / theirs
    print(f"\n{SLUG}: {args.count} submissions on {os.cpu_count()} CPU cores")
    print(f"dlcourse grade (--jobs {args.jobs}, sandboxed): {ours:7.1f} s  {rate_ours:6.1f} submissions/min")
    if canary is not None:
        print(f"  of which the canary (solution and blank, before grading): {canary:.1f} s")
    print(f"nbgrader autograde (serial):        {theirs:7.1f} s  {rate_theirs:6.1f} submissions/min")
    print(f"ratio: {rate_ours / rate_theirs:.2f}x")


if __name__ == "__main__":
    main()
