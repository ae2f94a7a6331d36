"""The instructor's command: ``dlcourse grade ASSIGNMENT SUBMISSIONS --out DIR``.

Grades every student's notebook of a chapter's exercise with the hidden tests of the course's
solution notebook, in parallel, each in its own sandboxed kernel under time and memory limits,
and writes DIR/grades.csv, DIR/feedback/<student>/<slug>.html and DIR/report.html. The exit
status is 0 when every submission was graded normally and 1 otherwise (2: the command could not
run at all). See autograder/README.md for the whole workflow.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from dlcourse.autograder.assemble import Assignment, build_program, load_assignment
from dlcourse.autograder.intake import LMS_PATTERNS, Submission, UnsafeArchive, collect
from dlcourse.autograder.report import Grade, Part, hidden_lines, safe_message, write_csv, write_feedback, write_report
from dlcourse.autograder.runner import run_program
from dlcourse.autograder.sandbox import MAX_JOBS, Limits, bwrap_path, protections


def grade_one(sub: Submission, assignment: Assignment, workdir: Path, limits: Limits, slot: int,
              sandbox: bool, secrets: set[str]) -> Grade:
    """Grade one submission; never raises (an unexpected failure becomes an ``ungradable`` row)."""
    if sub.status != "pending":
        return Grade(sub.student_id, 0.0, assignment.max_score, sub.status, sub.reason)
    try:
        steps, notes = build_program(assignment, sub.notebook)
        run = run_program(assignment, steps, workdir, limits, slot, sandbox)
    except Exception as error:  # noqa: BLE001 - one broken submission must not stop the batch
        return Grade(sub.student_id, 0.0, assignment.max_score, "ungradable",
                     f"the grader failed on this submission: {type(error).__name__}: {str(error)[:200]}")
    results = run.test_results()
    parts = []
    for test in assignment.tests:
        cell = results.get(test.grade_id)
        if cell is None:
            parts.append(Part(test.grade_id, 0.0, test.points, "not run", "not run: the grading stopped before it"))
        elif cell.ok:
            parts.append(Part(test.grade_id, test.points, test.points, "passed"))
        else:
            parts.append(Part(test.grade_id, 0.0, test.points, "failed", safe_message(cell.error, secrets)))
    reason = "; ".join([safe_message(run.reason, secrets)] * bool(run.reason) + notes + sub.notes)
    return Grade(sub.student_id, sum(p.points for p in parts), assignment.max_score, run.status, reason,
                 run.seconds, parts)


def grade(args: argparse.Namespace) -> int:
    """Run the ``grade`` command; return the exit status."""
    from dlcourse.autograder.release import find_course_root

    course = Path(args.course).resolve() if args.course else find_course_root()
    if not 1 <= args.jobs <= MAX_JOBS:
        print(f"error: --jobs must be between 1 and {MAX_JOBS}, got {args.jobs}", file=sys.stderr)
        return 2
    sandbox = not args.no_sandbox
    if sandbox and bwrap_path() is None:
        print("error: bubblewrap (bwrap) is not installed, so submissions cannot be sandboxed.\n"
              "Install it (`make sysdeps`, or `apt-get install bubblewrap`), or pass --no-sandbox to grade "
              "WITHOUT isolation (only for code you trust).", file=sys.stderr)
        return 2
    try:
        assignment = load_assignment(course, args.assignment)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    limits = Limits(memory_mb=args.memory, cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                    output_bytes=args.max_output)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="dlcourse-grade-"))
    workdir.chmod(0o711)
    try:
        try:
            intake = collect(Path(args.submissions), args.assignment, workdir, args.lms, args.max_zip_mb * 2**20)
        except (UnsafeArchive, FileNotFoundError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        grades = _grade_all(intake.submissions, assignment, workdir, limits, sandbox, args.jobs)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    grades.sort(key=lambda g: g.student_id)
    write_csv(grades, out / "grades.csv")
    feedback = out / "feedback"
    for g in grades:
        write_feedback(g, assignment, feedback)
    settings = (f"Limits: {limits.cell_timeout:g} s per cell, {limits.notebook_timeout:g} s per notebook, "
                f"{limits.memory_mb} MB memory; {args.jobs} parallel jobs.")
    write_report(grades, assignment, out / "report.html", protections(sandbox, limits), intake.problems, settings)
    bad = [g for g in grades if not g.normal]
    print(f"{len(grades)} submissions: {len(grades) - len(bad)} graded normally, {len(bad)} with problems. "
          f"Wrote {out / 'grades.csv'}, {out / 'report.html'} and {feedback}/.", file=sys.stderr)
    return 1 if bad or intake.problems else 0


def _grade_all(submissions: list[Submission], assignment: Assignment, workdir: Path, limits: Limits,
               sandbox: bool, jobs: int) -> list[Grade]:
    """Grade every submission with ``jobs`` kernels at a time, showing a progress bar."""
    from tqdm import tqdm

    secrets = hidden_lines(assignment)
    slots = list(range(jobs))
    lock = threading.Lock()

    def job(sub: Submission) -> Grade:
        with lock:
            slot = slots.pop()
        try:
            return grade_one(sub, assignment, workdir, limits, slot, sandbox, secrets)
        finally:
            with lock:
                slots.append(slot)

    grades = []
    with ThreadPoolExecutor(max_workers=jobs) as pool, tqdm(total=len(submissions), desc="grading",
                                                            unit="notebook", file=sys.stderr) as bar:
        futures = {pool.submit(job, sub): sub for sub in submissions}
        for future in as_completed(futures):
            sub = futures[future]
            try:
                grades.append(future.result())
            except Exception as error:  # noqa: BLE001 - N submissions in, N rows out
                grades.append(Grade(sub.student_id, 0.0, assignment.max_score, "ungradable",
                                    f"the grader failed: {type(error).__name__}: {error}"))
            bar.update()
    return grades


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlcourse", description="The course's instructor tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="auto-grade a chapter's submissions",
                            description=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1],
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("assignment", help="chapter slug, e.g. 02-neuron (source: solutions/SLUG/SLUG.ipynb)")
    g.add_argument("submissions", help="folder with one sub-folder per student, a zip of that, or an LMS export zip")
    g.add_argument("--out", required=True, help="output folder for grades.csv, feedback/ and report.html")
    g.add_argument("--course", help="the course repository (default: found above the current folder)")
    g.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    g.add_argument("--timeout", type=float, default=60.0, help="seconds per cell (default 60)")
    g.add_argument("--notebook-timeout", type=float, default=300.0, help="seconds per notebook (default 300)")
    g.add_argument("--memory", type=int, default=2048, help="memory limit per kernel in MB (default 2048)")
    g.add_argument("--max-output", type=int, default=64_000, help="output bytes kept per cell (default 64000)")
    g.add_argument("--max-zip-mb", type=int, default=1024, help="largest decompressed size of a zip (default 1024)")
    g.add_argument("--lms", help=f"file-name pattern of a flat LMS export: {', '.join(LMS_PATTERNS)} or a regular "
                                 "expression with (?P<student_id>...) and (?P<file_id>...) groups (default: guessed)")
    g.add_argument("--no-sandbox", action="store_true",
                   help="run student code WITHOUT bubblewrap isolation (no filesystem or network protection)")
    return parser


def main(argv: list[str] | None = None) -> int:
    import os

    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    args = build_parser().parse_args(argv)
    if args.jobs < 1:
        build_parser().error("--jobs must be at least 1")
    return grade(args)


if __name__ == "__main__":
    sys.exit(main())
