"""The instructor's commands: ``dlcourse grade``, ``dlcourse marks``, and the course's tools.

``dlcourse grade ASSIGNMENT SUBMISSIONS --out DIR`` grades every student's notebook of a chapter's
exercise with the hidden tests of the course's solution notebook, in parallel, each in its own
sandboxed kernel under time and memory limits, and writes DIR/grades.csv, DIR/parts.csv (every
test cell of every student, its points partial when some of its named checks failed), DIR/checks.csv
(every named check of every student), DIR/feedback/<student>/<slug>.html, DIR/report.html and
DIR/written/<slug>.{csv,html} (the written answers to mark by hand). Before anyone is graded, the
data the assignment reads is verified and the canary runs: the instructor's solution must score
full marks and the untouched exercise 0 in the same sandbox, or nothing is graded. Exit status: 0
when every submission was graded normally, 1 otherwise, 2 when the command could not run (bad
arguments, missing data, a failed canary).

With an LMS's download (``--lms canvas|moodle``, or guessed from the file names), students are keyed
by the LMS's own ids; ``--roster`` (the LMS's grade file: Canvas's gradebook export, Moodle's
grading worksheet) gives every student a row and is written back filled in, ready to upload.
``--due`` and ``--late-penalty`` take off points for late work, the scores before and after both
in grades.csv.

``dlcourse marks ASSIGNMENT --out DIR --written SHEET`` merges the filled written-answer sheet into
DIR/grades.csv (columns written and total) and rewrites the LMS's import file with the totals. See
autograder/README.md for the whole workflow.

The course's own tools (:mod:`dlcourse.course`) are subcommands too: ``dlcourse publish DEST``
writes the student edition (``make publish``), ``dlcourse release [SLUG ...]`` the exercises
(``make exercises``), ``dlcourse install-cells`` every notebook's install cell (``make
install-cells``), ``dlcourse book`` executes the lessons for the website (``make book``) and
``dlcourse mutate [--all] [SLUG ...]`` measures how many mutants of the solutions the hidden tests
catch.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from dlcourse.autograder.assemble import (Assignment, Step, build_program, load_assignment, solution_program,
                                          written_answers)
from dlcourse.autograder.datasets import DataUnavailable, StagedData, stage
from dlcourse.autograder.intake import LAYOUTS, Intake, Submission, UnsafeArchive, collect
from dlcourse.autograder.late import (POLICY_HELP, LatePolicy, Lateness, assess, parse_due, parse_lms_time,
                                      parse_percent, parse_policy, penalised)
from dlcourse.autograder.lms import FORMATS, write_export, write_import
from dlcourse.autograder.report import (GRADES_COLUMNS, Grade, Part, readable_message, safe_message, write_checks_csv,
                                        write_csv, write_feedback, write_parts_csv, write_report)
from dlcourse.autograder.roster import Roster, RosterError, merge, read_roster
from dlcourse.autograder.runner import CellResult, run_program
from dlcourse.autograder.scoring import cell_checks, cell_score
from dlcourse.autograder.sandbox import MAX_JOBS, Limits, bwrap_path, protections
from dlcourse.autograder.status import PartState, Status
from dlcourse.autograder.written import MarksError, read_marks, write_sheets
from dlcourse.course import book, install_cells
from dlcourse.course import publish as publishing
from dlcourse.course import release as releasing
from dlcourse.course.chapters import find_course_root
from dlcourse.course.mutation import command as mutating


@dataclass
class GradingRun:
    """Everything one ``dlcourse grade`` run grades with."""

    assignment: Assignment
    workdir: Path
    limits: Limits
    sandbox: bool
    data: StagedData
    secrets: set[str]
    outputs: dict | None = None   # --save-outputs: student -> {test cell: {"ok", "outputs"}}


def grade_program(student_id: str, steps: list[Step], notes: list[str], run: GradingRun, slot: int,
                  redact: bool = True) -> Grade:
    """Execute ``steps`` in a fresh sandboxed kernel and score every test cell."""
    assignment = run.assignment
    result = run_program(assignment, steps, run.workdir, run.limits, slot, run.sandbox, run.data)
    secrets = run.secrets if redact else set()
    cells, failed_answers = result.test_results(), result.failed_answers()
    if run.outputs is not None and redact:
        run.outputs[student_id] = {grade_id: {"ok": cell.ok, "outputs": cell.outputs}
                                   for grade_id, cell in cells.items()}
    parts = []
    for test in assignment.tests:
        cell = cells.get(test.grade_id)
        if cell is None:
            parts.append(Part(grade_id=test.grade_id, points=0.0, max_points=test.points, state=PartState.NOT_RUN,
                              message="not run: the grading stopped before it"))
        else:
            parts.append(score_part(test, cell, secrets, failed_answers.get(test.grade_id, [])))
    reason = "; ".join([safe_message(result.reason, secrets)] * bool(result.reason) + notes)
    return Grade(student_id=student_id, score=sum(p.points for p in parts), max_score=assignment.max_score,
                 status=result.status, reason=reason, seconds=result.seconds, parts=parts)


def score_part(test: Step, cell: CellResult, secrets: set[str], failed_answers: Sequence[CellResult] = ()) -> Part:
    """One executed test cell's part: its points by nbgrader's rule, its state, its checks.

    A test cell that crashed after its answer cell raised says so: the answer cell's error is the
    one to fix (the test's own is then usually a name that was never defined)."""
    points = cell_score(test.source, cell.outputs, test.points, cell.ok)
    checks = [replace(check, message=safe_message(check.message, secrets)) for check in cell_checks(cell.outputs)]
    if not cell.ok:
        message = cell.error
        if failed_answers:
            causes = "; ".join(f"the answer cell '{answer.step.grade_id}' stopped with {readable_message(answer.error)}"
                               for answer in failed_answers)
            message = f"{causes[0].upper()}{causes[1:]}; then the test cell stopped with {cell.error.rstrip(': ')}"
        return Part(grade_id=test.grade_id, points=0.0, max_points=test.points, state=PartState.FAILED,
                    message=safe_message(message, secrets), checks=checks)
    failed = [check for check in checks if not check.passed]
    message = "; ".join(f"{check.name}: {check.message}" for check in failed)
    if points >= test.points:
        return Part(grade_id=test.grade_id, points=points, max_points=test.points, state=PartState.PASSED,
                    message=message, checks=checks)
    if not message:  # no check failed, yet points were lost: stderr, or a result that was not the checks'
        stderr = any(o.get("name") == "stderr" for o in cell.outputs)
        message = ("the test cell wrote to stderr (a warning or an error message), which nbgrader scores 0"
                   if stderr else f"the test cell's result gave {points:g} of {test.points:g} points")
    state = PartState.PARTIAL if points > 0 else PartState.FAILED
    return Part(grade_id=test.grade_id, points=points, max_points=test.points, state=state, message=message,
                checks=checks)


def grade_one(sub: Submission, run: GradingRun, slot: int) -> Grade:
    """Grade one submission; never raises (an unexpected failure becomes an ``ungradable`` row)."""
    if sub.status != Status.PENDING:
        return Grade(student_id=sub.student_id, score=0.0, max_score=run.assignment.max_score, status=sub.status,
                     reason="; ".join([sub.reason] + sub.notes))
    try:
        steps, notes = build_program(run.assignment, sub.notebook)
        return grade_program(sub.student_id, steps, notes + sub.notes, run, slot)
    except Exception as error:  # noqa: BLE001 - one broken submission must not stop the batch
        return Grade(student_id=sub.student_id, score=0.0, max_score=run.assignment.max_score,
                     status=Status.UNGRADABLE,
                     reason=f"the grader failed on this submission: {type(error).__name__}: {str(error)[:200]}")


def canary(run: GradingRun, jobs: int) -> tuple[list[str], float]:
    """Grade the instructor's solution and the untouched exercise as a class of two.

    Returns the problems (empty when the solution scores full marks and the blank 0, both graded
    normally) and the seconds it took. An environment that breaks the solution (missing data, a
    package that does not import in the sandbox, limits too tight) would otherwise cost every
    student the same points without anyone being told.
    """
    assignment = run.assignment
    start = time.monotonic()
    programs = {"solution": solution_program(assignment), "blank exercise": assignment.template}
    with ThreadPoolExecutor(max_workers=min(jobs, 2)) as pool:
        futures = {name: pool.submit(grade_program, name, steps, [], run, slot, False)
                   for slot, (name, steps) in enumerate(programs.items())}
        solution, blank = futures["solution"].result(), futures["blank exercise"].result()
    problems = []
    if solution.status != Status.GRADED:
        problems.append(f"the solution was not graded normally ({solution.status}): {solution.reason}")
    for part in solution.parts:
        if part.state != PartState.PASSED:
            problems.append(f"the solution fails {part.grade_id} ({part.state}): {part.message}")
    if blank.status != Status.GRADED:
        problems.append(f"the blank exercise was not graded normally ({blank.status}): {blank.reason}")
    for part in blank.parts:
        if part.points > 0:
            problems.append(f"the blank exercise earns {part.points:g} points in {part.grade_id}: "
                            "its tests accept the unanswered stub")
    return problems, time.monotonic() - start


def _site_url(course: Path, given: str | None) -> str | None:
    """Where the feedback's lesson links point: --site-url, else _config.yml's html.baseurl (the
    published website), else the lesson notebooks in the course repository (repository.url)."""
    if given:
        return given
    try:
        import yaml

        config = yaml.safe_load((course / "_config.yml").read_text()) or {}
    except (OSError, ValueError, ImportError):
        return None
    site = (config.get("html") or {}).get("baseurl")
    repository = config.get("repository") or {}
    if not site and repository.get("url"):
        site = f"{repository['url'].rstrip('/')}/blob/{repository.get('branch') or 'main'}"
    return site or None


@dataclass
class LatePlan:
    """``--due``, ``--late-penalty`` and ``--late-flag-penalty``, read."""

    due: datetime | None = None
    policy: LatePolicy | None = None
    flag_percent: float | None = None

    def describe(self) -> str:
        """The late-work rules in one sentence for the report (empty when there are none)."""
        if self.due is None and self.flag_percent is None:
            return ""
        text = f" Due {self.due.isoformat(timespec='minutes')}; " if self.due else " "
        text += f"late penalty {self.policy}" if self.policy else "no late penalty"
        if self.flag_percent is not None:
            text += f"; Canvas's late flag without a time: {self.flag_percent:g}%"
        return text + "."


def _late_plan(args: argparse.Namespace) -> LatePlan:
    """The late-work options, checked. Raises ValueError saying what is wrong."""
    plan = LatePlan(due=parse_due(args.due) if args.due else None,
                    policy=parse_policy(args.late_penalty) if args.late_penalty else None,
                    flag_percent=parse_percent(args.late_flag_penalty) if args.late_flag_penalty else None)
    if plan.policy and plan.due is None:
        raise ValueError("--late-penalty needs --due (the time it counts from)")
    return plan


def _roster(args: argparse.Namespace) -> Roster | None:
    """``--roster``, read (None without one). Raises RosterError."""
    if not args.roster:
        if args.lms_assignment and args.lms_export != "canvas":
            raise RosterError("--lms-assignment names a Canvas gradebook column: use it with --roster or "
                              "--lms-export canvas")
        return None
    if args.lms not in LAYOUTS:
        raise RosterError("--roster needs --lms canvas or --lms moodle: the LMS whose download and grade file "
                          "these are")
    if args.lms_export and args.lms_export != args.lms:
        raise RosterError(f"--roster is a {args.lms} file, so the import file is {args.lms}'s; drop "
                          f"--lms-export {args.lms_export}")
    return read_roster(args.lms, Path(args.roster), args.assignment, args.lms_assignment)


def _lateness(subs: list[Submission], roster: Roster | None, plan: LatePlan, intake: Intake,
              problems: list[str], notes: list[str]) -> dict[str, Lateness]:
    """Each submission's lateness (student id -> Lateness), from its recorded time or the LMS's flag."""
    result, unknown = {}, []
    for sub in subs:
        if sub.status == Status.MISSING:
            continue
        when = sub.submitted
        if when is None and roster is not None and roster.kind == "moodle":
            try:
                when = parse_lms_time(roster.submitted.get(sub.student_id, ""), plan.due)
            except ValueError as error:
                problems.append(f"{sub.student_id}: the worksheet's Last modified (submission) {error}: lateness "
                                "not checked")
        if plan.due is not None and when is None and not sub.late_flag and sub.status == Status.PENDING:
            unknown.append(sub.student_id)
        result[sub.student_id] = assess(when, sub.late_flag, plan.due, plan.policy, plan.flag_percent)
    if unknown and intake.layout == "canvas":
        notes.append("Canvas's download holds no submission times: lateness comes from its _LATE flags "
                     "(--late-flag-penalty), not from --due")
    elif unknown:
        problems.append(f"--due: no submission time for {len(unknown)} students ({', '.join(unknown[:10])}"
                        f"{', ...' if len(unknown) > 10 else ''}; no timestamp.txt or worksheet time): not "
                        "checked for lateness")
    return result


def _finish(grades: list[Grade], subs: list[Submission], lateness: dict[str, Lateness]) -> None:
    """Names, submission times and late penalties onto the grades (the score before the penalty kept)."""
    by_id = {sub.student_id: sub for sub in subs}
    for g in grades:
        g.name = by_id[g.student_id].name if g.student_id in by_id else ""
        late = lateness.get(g.student_id)
        if late is None:
            continue
        g.submitted, g.late = late.submitted, late.late
        g.reason = "; ".join(part for part in (g.reason, late.note) if part)
        if late.percent and g.status.ran:
            g.score_before_penalty, g.penalty_percent = g.score, late.percent
            g.score = penalised(g.score, g.max_score, late.percent)


def grade(args: argparse.Namespace) -> int:
    """Run the ``grade`` command; return the exit status."""
    course = Path(args.course).resolve() if args.course else find_course_root()
    if args.lms and args.lms.lower() in LAYOUTS:
        args.lms = args.lms.lower()
    if not 1 <= args.jobs <= MAX_JOBS:
        return _fail(f"--jobs must be between 1 and {MAX_JOBS}, got {args.jobs}")
    sandbox = not args.no_sandbox
    if sandbox and bwrap_path() is None:
        return _fail("bubblewrap (bwrap) is not installed, so submissions cannot be sandboxed.\n"
                     "Install it (`make sysdeps`, or `apt-get install bubblewrap`), or pass --no-sandbox to grade "
                     "WITHOUT isolation (only for code you trust).")
    try:
        plan = _late_plan(args)
        roster = _roster(args)
        assignment = load_assignment(course, args.assignment)
    except (FileNotFoundError, ValueError) as error:   # RosterError is a ValueError
        return _fail(str(error))
    limits = Limits(memory_mb=args.memory, cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                    output_bytes=args.max_output)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="dlcourse-grade-"))
    workdir.chmod(0o711)
    notes: list[str] = []
    try:
        try:
            intake = collect(Path(args.submissions), args.assignment, workdir, args.lms, args.max_zip_mb * 2**20,
                             set(roster.students) if roster else None)
        except (UnsafeArchive, FileNotFoundError, ValueError) as error:
            return _fail(str(error))
        subs, problems = intake.submissions, list(intake.problems)
        if roster is not None:
            anonymous = [s.student_id for s in subs if s.student_id.startswith("anon_")]
            if anonymous and roster.kind == "canvas":
                return _fail(f"the zip is from an anonymously graded assignment ({len(anonymous)} anon_ ids, e.g. "
                             f"{anonymous[0]}), whose ids Canvas's gradebook does not show, so they cannot be matched "
                             "to the roster; grade without --roster (grades.csv keyed by the anonymous ids) and enter "
                             "the grades in SpeedGrader, or post the grades and download the zip again")
            problems += merge(subs, roster)
            expected = assignment.max_score + sum(q.points for q in assignment.written)
            if roster.maximum is not None and abs(roster.maximum - expected) > 1e-9:
                problems.append(f"{roster.path.name} gives {roster.assignment} {roster.maximum:g} points, the "
                                f"assignment is worth {expected:g}: the import file has the points as graded (change "
                                "the points in the LMS to match; Moodle skips grades above its maximum)")
        lateness = _lateness(subs, roster, plan, intake, problems, notes)
        data = stage(assignment.datasets, workdir)
        run = GradingRun(assignment=assignment, workdir=workdir, limits=limits, sandbox=sandbox, data=data,
                         secrets=assignment.hidden_lines(), outputs={} if args.save_outputs else None)
        canary_note = "Canary skipped (--skip-canary)."
        if not args.skip_canary:
            print("canary: grading the solution and the blank exercise first", file=sys.stderr)
            canary_problems, seconds = canary(run, args.jobs)
            if canary_problems:
                return _fail("the canary failed, so nobody was graded: in this grading environment\n  "
                             + "\n  ".join(canary_problems) + "\nFix the environment (data, limits, packages) or the "
                             "tests; --skip-canary grades anyway.")
            canary_note = (f"Canary passed in {seconds:.1f} s: the solution scored "
                           f"{assignment.max_score:g}/{assignment.max_score:g} and the blank exercise 0.")
        grades = _grade_all(subs, run, args.jobs)
    except DataUnavailable as error:
        return _fail(f"{assignment.slug} reads data that is not available, so nobody was graded.\n{error}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _finish(grades, subs, lateness)
    grades.sort(key=lambda g: g.student_id)
    write_csv(grades, out / "grades.csv")
    write_parts_csv(grades, out / "parts.csv")
    write_checks_csv(grades, out / "checks.csv")
    if run.outputs is not None:
        (out / "outputs.json").write_text(json.dumps(run.outputs, indent=1, sort_keys=True))
    feedback = out / "feedback"
    site = _site_url(course, args.site_url)
    for g in grades:
        write_feedback(g, assignment, feedback, site)
    answers = {s.student_id: written_answers(assignment, s.notebook) for s in subs if s.status != Status.MISSING}
    written = write_sheets(assignment, answers, out / "written")
    rows = _read_rows(out / "grades.csv")
    imported = _write_lms_file(args.lms_export, roster, intake.layout, args.lms_assignment, assignment.slug, rows,
                               out, notes)
    recorded = {"layout": intake.layout, "kind": roster.kind if roster else args.lms_export,
                "roster": str(Path(args.roster).resolve()) if roster else None,
                "assignment": roster.assignment if roster else args.lms_assignment}
    (out / "lms.json").write_text(json.dumps(recorded, indent=1))
    settings = (f"Submissions: {intake.summary()}. Limits: {limits.cell_timeout:g} s per cell, "
                f"{limits.notebook_timeout:g} s per notebook, {limits.memory_mb} MB memory; {args.jobs} parallel "
                f"jobs.{plan.describe()} {canary_note}")
    write_report(grades, assignment, out / "report.html", protections(sandbox, limits),
                 problems + [f"Note: {n}" for n in notes], settings)
    bad = [g for g in grades if not g.normal and g.status != Status.MISSING]
    missing = sum(g.status == Status.MISSING for g in grades)
    print(f"Found {intake.summary()}.\n{len(grades)} rows: {len(grades) - len(bad) - missing} graded normally, "
          f"{len(bad)} with problems" + (f", {missing} on the roster sent nothing (missing, 0 points)" * bool(missing))
          + f". Wrote {out / 'grades.csv'}, {out / 'report.html'}, {feedback}/"
          + (f", {written[0].parent}/ (written answers to mark)" if written else "")
          + (f" and {imported} (upload it to {_lms_name(imported)})" if imported else "") + ".", file=sys.stderr)
    _print_list("problem", problems)
    _print_list("note", notes)
    return 1 if bad or problems else 0


def _lms_name(path: Path) -> str:
    return "Canvas: Grades > Import" if path.name.startswith("canvas") else \
        "Moodle: View all submissions > Upload grading worksheet, or Grades > Import"


def _print_list(kind: str, items: list[str], limit: int = 12) -> None:
    for item in items[:limit]:
        print(f"{kind}: {item}", file=sys.stderr)
    if len(items) > limit:
        print(f"... and {len(items) - limit} more {kind}s: see report.html", file=sys.stderr)


def _write_lms_file(kind: str | None, roster: Roster | None, layout: str, column: str | None, slug: str,
                    rows: list[dict], out: Path, notes: list[str]) -> Path | None:
    """The LMS's import file: the roster filled in, else ``--lms-export``'s file (its notes added)."""
    if roster is not None:
        return write_import(roster, slug, rows, out)
    if kind:
        path, said = write_export(kind, slug, rows, out, lms_ids=layout == kind,
                                  column=column if kind == "canvas" else None)
        notes.extend(said)
        return path
    return None


def _grade_all(submissions: list[Submission], run: GradingRun, jobs: int) -> list[Grade]:
    """Grade every submission with ``jobs`` kernels at a time, showing a progress bar."""
    from tqdm import tqdm

    slots = list(range(jobs))
    lock = threading.Lock()

    def job(sub: Submission) -> Grade:
        with lock:
            slot = slots.pop()
        try:
            return grade_one(sub, run, slot)
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
                grades.append(Grade(student_id=sub.student_id, score=0.0, max_score=run.assignment.max_score,
                                    status=Status.UNGRADABLE,
                                    reason=f"the grader failed: {type(error).__name__}: {error}"))
            bar.update()
    return grades


def _read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def marks(args: argparse.Namespace) -> int:
    """Run the ``marks`` command: merge a filled written-answer sheet into grades.csv, and write the
    LMS's import file again with the totals."""
    course = Path(args.course).resolve() if args.course else find_course_root()
    try:
        assignment = load_assignment(course, args.assignment)
    except (FileNotFoundError, ValueError) as error:
        return _fail(str(error))
    out = Path(args.out)
    grades_csv = out / "grades.csv"
    if not grades_csv.is_file():
        return _fail(f"{grades_csv} does not exist: run `dlcourse grade {args.assignment} ... --out {args.out}` first")
    rows = _read_rows(grades_csv)
    recorded = json.loads((out / "lms.json").read_text()) if (out / "lms.json").is_file() else {}
    roster_path = args.roster or (recorded.get("roster") if not args.lms_export or
                                  args.lms_export == recorded.get("kind") else None)
    notes: list[str] = []
    if roster_path and not args.roster and not Path(roster_path).is_file():
        notes.append(f"the roster {roster_path} that `dlcourse grade` used is gone: pass --roster to write the "
                     "LMS's file with the totals")
        roster_path = None
    roster = None
    try:
        if roster_path:
            kind = args.lms_export or recorded.get("kind")
            if kind not in FORMATS:
                return _fail("--roster needs --lms-export canvas or --lms-export moodle (the roster's format)")
            roster = read_roster(kind, Path(roster_path), assignment.slug,
                                 args.lms_assignment or recorded.get("assignment"))
        students = [row["student_id"] for row in rows if row["status"] != Status.MISSING]
        points = read_marks(Path(args.written), assignment, students, args.blank_is_zero)
    except (MarksError, RosterError) as error:
        return _fail(str(error))
    written_max = sum(q.points for q in assignment.written)
    for row in rows:
        before = float(row.get("score_before_penalty") or row["score"])
        row["written"] = f"{points.get(row['student_id'], 0.0):g}"
        row["written_max"] = f"{written_max:g}"
        row["total_max"] = f"{float(row['max_score']) + written_max:g}"
        total = penalised(before + float(row["written"]), float(row["total_max"]),
                          float(row.get("penalty_percent") or 0))
        row["total"] = f"{total:g}"
    added = ["written", "written_max", "total", "total_max"]
    columns = [c for c in (list(rows[0]) if rows else GRADES_COLUMNS) if c not in added]
    at = columns.index("max_score") + 1 if "max_score" in columns else len(columns)
    fields = columns[:at] + added + columns[at:]
    with open(grades_csv, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    imported = _write_lms_file(args.lms_export, roster, recorded.get("layout", "folders"),
                               args.lms_assignment or recorded.get("assignment"), assignment.slug, rows, out, notes)
    print(f"Merged written marks of {len(points)} students into {grades_csv}"
          + (f"; wrote {imported} with the totals" if imported else "") + ".", file=sys.stderr)
    _print_list("note", notes)
    return 0


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    """The ``dlcourse`` command's argument parser: one subcommand per instructor task."""
    parser = argparse.ArgumentParser(prog="dlcourse", description="The course's instructor tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="auto-grade a chapter's submissions",
                            description="\n\n".join(__doc__.split("\n\n")[:3]),
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("assignment", help="chapter slug, e.g. 02-neuron (source: solutions/SLUG/SLUG.ipynb)")
    g.add_argument("submissions", help="folder with one sub-folder per student, a zip of that, or an LMS's "
                                       "download zip")
    g.add_argument("--out", required=True, help="output folder for grades.csv, feedback/, report.html and written/")
    g.add_argument("--course", help="the course repository (default: found above the current folder)")
    g.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    g.add_argument("--timeout", type=float, default=60.0, help="seconds per cell (default 60)")
    g.add_argument("--notebook-timeout", type=float, default=300.0, help="seconds per notebook (default 300)")
    g.add_argument("--memory", type=int, default=2048, help="memory limit per kernel in MB (default 2048)")
    g.add_argument("--max-output", type=int, default=64_000, help="output bytes kept per cell (default 64000)")
    g.add_argument("--max-zip-mb", type=int, default=1024, help="largest decompressed size of a zip (default 1024)")
    g.add_argument("--lms", help=f"the layout of an LMS's download: {', '.join(LAYOUTS)}, or a regular expression "
                                 "with (?P<student_id>...) and (?P<file_id>...) groups, optionally "
                                 "(?P<timestamp>...) (default: guessed from the file names)")
    g.add_argument("--roster", help="the LMS's grade file (Canvas: the gradebook export CSV; Moodle: the "
                                    "assignment's grading worksheet): every student gets a row, and the file is "
                                    "written back to OUT with the grades filled in (needs --lms canvas|moodle)")
    g.add_argument("--lms-assignment", help="the Canvas gradebook column of the assignment, 'Title (id)', its title "
                                            "or id (default: the column titled like the assignment)")
    g.add_argument("--lms-export", choices=FORMATS, help="without --roster, also write the grades as the LMS imports "
                                                         "them (OUT/canvas-SLUG.csv or OUT/moodle-SLUG.csv)")
    g.add_argument("--due", help="the due time, ISO 8601 (2025-03-01T23:59, or with an offset: ...+01:00; without "
                                 "one it is this computer's local time)")
    policy_help = POLICY_HELP.replace("%", "%%")   # argparse formats help strings with %
    g.add_argument("--late-penalty", help=f"points off for late work (needs --due): {policy_help}, in percent of "
                                          "the maximum points per started day or hour")
    g.add_argument("--late-flag-penalty", help="a flat penalty, e.g. 10%%, for a submission the LMS flags late "
                                               "without saying when (Canvas's _LATE); default: reported, not "
                                               "penalised")
    g.add_argument("--site-url", help="the published course website, for the lesson links of the feedback "
                                      "(default: html.baseurl of _config.yml)")
    g.add_argument("--skip-canary", action="store_true",
                   help="do not grade the solution and the blank exercise before the class")
    g.add_argument("--save-outputs", action="store_true",
                   help="also write OUT/outputs.json: every test cell's outputs as the kernel sent them (instructor "
                        "only: the messages may quote hidden tests), to re-check a score with nbgrader's own rule")
    g.add_argument("--no-sandbox", action="store_true",
                   help="run student code WITHOUT bubblewrap isolation (no filesystem or network protection)")
    m = commands.add_parser("marks", help="merge the filled written-answer sheet into grades.csv",
                            description=__doc__.split("\n\n")[3])
    m.add_argument("assignment", help="chapter slug, e.g. 02-neuron")
    m.add_argument("--out", required=True, help="the output folder of `dlcourse grade` (holds grades.csv)")
    m.add_argument("--written", required=True, help="the filled sheet (written/SLUG.csv with points filled in; "
                                                     "saved by any spreadsheet)")
    m.add_argument("--course", help="the course repository (default: found above the current folder)")
    m.add_argument("--blank-is-zero", action="store_true", help="a blank mark is 0 points (default: an error)")
    m.add_argument("--lms-export", choices=FORMATS, help="also rewrite the LMS grade file with the totals")
    m.add_argument("--roster", help="the LMS's grade file to fill in with the totals (default: the one `dlcourse "
                                    "grade` used)")
    m.add_argument("--lms-assignment", help="the Canvas gradebook column, as for `dlcourse grade`")
    p = commands.add_parser("publish", help="write the student edition (no solutions, hidden tests or fixtures)",
                            description=publishing.__doc__.split("\n\n")[1])
    publishing.add_arguments(p)
    for name, tool, summary in COURSE_TOOLS:
        tool.add_arguments(commands.add_parser(name, help=summary, description=tool.__doc__.split("\n\n")[0]))
    return parser


#: The course's other tools: (subcommand, its module, with add_arguments(parser) and run(args), its help).
COURSE_TOOLS = (
    ("release", releasing, "regenerate exercises/ from solutions/ with nbgrader (make exercises)"),
    ("install-cells", install_cells, "rewrite every notebook's install cell from _config.yml (make install-cells)"),
    ("book", book, "execute the lessons for the website before jupyter-book build (make book)"),
    ("mutate", mutating, "how many mutants of the solutions do the hidden tests catch?"),
)


def main(argv: list[str] | None = None) -> int:
    """Run the ``dlcourse`` command with ``argv`` (default: the command line); returns the exit status."""
    import os

    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    args = build_parser().parse_args(argv)
    if args.command == "publish":
        return publishing.run(args)
    tools = {name: tool for name, tool, _ in COURSE_TOOLS}
    if args.command in tools:
        return tools[args.command].run(args)
    return grade(args) if args.command == "grade" else marks(args)


if __name__ == "__main__":
    sys.exit(main())
