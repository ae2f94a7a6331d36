"""The grader's outputs: grades.csv, parts.csv, checks.csv, one HTML feedback page per student,
and report.html.

Feedback names each test cell, its points and, when it failed, the first error message (capped);
for a test cell made of named checks (:class:`dlcourse.grading.Checks`) it lists every check with
its points, passed or failed, and a failed check's message. It never shows test code. A message
that quotes a hidden test's code (a student's function can raise an error holding the caller's
source) is withheld.
"""

from __future__ import annotations

import csv
import html
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from dlcourse.autograder.assemble import Assignment
from dlcourse.autograder.status import PartState, Status
from dlcourse.grading.partial import CheckResult


@dataclass
class Part:
    """One test cell's result for one student."""

    grade_id: str
    points: float
    max_points: float
    state: PartState
    message: str = ""
    checks: list[CheckResult] = field(default_factory=list)  # the cell's named checks, if it has any


@dataclass
class Grade:
    """One row of grades.csv, with what the feedback page and the report need."""

    student_id: str
    score: float
    max_score: float
    status: Status
    reason: str
    seconds: float = 0.0
    parts: list[Part] = field(default_factory=list)
    name: str = ""                        # as the LMS or its roster has it
    submitted: str = ""                   # when it came in (ISO 8601), when known
    late: str = ""                        # how late ("" on time or not known)
    penalty_percent: float = 0.0          # late penalty, in percent of the maximum points
    score_before_penalty: float | None = None

    @property
    def normal(self) -> bool:
        """Graded normally: every cell ran (a row the report need not list among the problems)."""
        return self.status == Status.GRADED


#: grades.csv's columns: ``score`` is after the late penalty, ``score_before_penalty`` before it.
GRADES_COLUMNS = ["student_id", "name", "score", "max_score", "status", "reason", "submitted", "late",
                  "penalty_percent", "score_before_penalty"]


def safe_message(message: str, secret_lines: set[str]) -> str:
    """``message`` unless it quotes hidden test code."""
    if any(line in message for line in secret_lines):
        return "(message withheld: it quoted the hidden test's code)"
    return message


def readable_message(message: str) -> str:
    """A failed part's message as the student reads it: a part still as handed out says so in words
    (its bare ``NotImplementedError:`` says nothing to a beginner)."""
    if re.fullmatch(r"NotImplementedError:?\s*", message):
        return ("NotImplementedError: this part is not answered yet (replace "
                "raise NotImplementedError() in its answer cell with your code)")
    return message


def write_csv(grades: list[Grade], path: Path) -> None:
    """grades.csv: one row per student (columns GRADES_COLUMNS)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(GRADES_COLUMNS)
        for g in grades:
            before = g.score if g.score_before_penalty is None else g.score_before_penalty
            writer.writerow([g.student_id, g.name, f"{g.score:g}", f"{g.max_score:g}", g.status, g.reason,
                             g.submitted, g.late, f"{g.penalty_percent:g}", f"{before:g}"])


def write_parts_csv(grades: list[Grade], path: Path) -> None:
    """parts.csv: one row per student and test cell (points and state), for analysis and tests."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "test", "points", "max_points", "state"])
        for g in grades:
            for p in g.parts:
                writer.writerow([g.student_id, p.grade_id, f"{p.points:g}", f"{p.max_points:g}", p.state])


def write_checks_csv(grades: list[Grade], path: Path) -> None:
    """checks.csv: one row per student, test cell and named check (points, passed, message)."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "test", "check", "points", "passed", "message"])
        for g in grades:
            for p in g.parts:
                for c in p.checks:
                    writer.writerow([g.student_id, p.grade_id, c.name, f"{c.points:g}", c.passed, c.message])


def _checks_list(part: Part) -> str:
    """The part's named checks as an HTML list: passed or failed, points, a failed check's message."""
    e = html.escape
    items = []
    for c in part.checks:
        state = "passed" if c.passed else "failed"
        message = "" if c.passed else f": <code>{e(c.message)}</code>"
        items.append(f"<li class='{state}'>{state}, {c.points if c.passed else 0:g} / {c.points:g}: "
                     f"{e(c.name)}{message}</li>")
    return "<ul class='checks'>" + "".join(items) + "</ul>" if items else ""


STYLE = """<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
.passed{color:#176b2c}.failed{color:#a4161a}.bar{background:#3b6ea8;height:1rem;display:inline-block}
code{white-space:pre-wrap}</style>"""


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"{STYLE}</head><body><h1>{html.escape(title)}</h1>{body}</body></html>\n")


def lesson_link(lesson, site_url: str | None) -> str:
    """HTML naming the lesson section a part comes from, linked to the published page when the
    site is known (a ``.../blob/...`` repository address links the notebook itself instead)."""
    e = html.escape
    if lesson is None:
        return ""
    where = lesson.path.removeprefix("book/").removesuffix(".ipynb").removesuffix(".md")
    text = f"Revise \u201c{e(lesson.title)}\u201d in the lesson {e(where)}"
    if not site_url:
        return text + "."
    if "/blob/" in site_url:
        url = site_url.rstrip("/") + "/" + lesson.path
    else:
        url = site_url.rstrip("/") + "/" + re.sub(r"\.(ipynb|md)$", ".html", lesson.path) + lesson.anchor
    return f"<a href='{e(url)}'>{text}</a>."


def write_feedback(grade: Grade, assignment: Assignment, folder: Path, site_url: str | None = None) -> Path:
    """``folder/<student_id>/<slug>.html``: the score, the status and every part's result.

    A failed part shows what was checked (the assertion's message, never the test's code) and the
    lesson that teaches it."""
    e = html.escape
    rows = []
    for p in grade.parts:
        title = assignment.titles.get(p.grade_id) or p.grade_id
        detail = _checks_list(p)       # a cell of named checks: each check, passed or failed
        if p.state != PartState.PASSED:
            if not p.checks:           # the error that stopped the cell (or why it lost points)
                detail = f"<code>{e(readable_message(p.message))}</code>"
            revise = lesson_link(assignment.lessons.get(p.grade_id), site_url)
            detail += f"<br>{revise}" if revise else ""
        rows.append(f"<tr><td>{e(title)}<br><small>{e(p.grade_id)}</small></td>"
                    f"<td class='{p.state.replace(' ', '-')}'>{e(p.state)}</td>"
                    f"<td>{p.points:g} / {p.max_points:g}</td><td>{detail}</td></tr>")
    body = (f"<p>Student <b>{e(grade.student_id)}</b>: <b>{grade.score:g} / {grade.max_score:g}</b> points "
            f"for the automatically graded parts.</p>")
    if grade.late:
        before = grade.score if grade.score_before_penalty is None else grade.score_before_penalty
        body += (f"<p>Late: {e(grade.late)}. " + (f"Penalty: {grade.penalty_percent:g}% of the points, "
                 f"{before:g} before it." if grade.penalty_percent else "Not penalised.") + "</p>")
    if grade.status != Status.GRADED or grade.reason:
        body += f"<p>Status: <b>{e(grade.status)}</b>. {e(grade.reason)}</p>"
    if grade.parts:
        body += ("<table><tr><th>part</th><th>result</th><th>points</th><th>what was checked</th></tr>"
                 + "".join(rows) + "</table><p>The tests' code is not shown; the messages say what was checked.</p>")
    if assignment.manual:
        body += "<p>Written answers are graded by hand and are not included in this score.</p>"
    out = folder / grade.student_id / f"{assignment.slug}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_page(f"Feedback on {assignment.slug}", body))
    return out


def _histogram(scores: list[float], maximum: float) -> str:
    if not scores:
        return "<p>No submission was graded.</p>"
    bins = [0] * 11
    for s in scores:
        bins[min(10, int(10 * s / maximum)) if maximum else 0] += 1
    top = max(bins)
    rows = "".join(f"<tr><td>{10 * i}–{10 * i + 9 if i < 10 else 100}%</td><td>{n}</td>"
                   f"<td><span class='bar' style='width:{20 * n / top:.1f}rem'></span></td></tr>"
                   for i, n in enumerate(bins))
    return ("<table aria-label='score histogram'><tr><th>score</th><th>students</th><th></th></tr>"
            + rows + "</table>")


def _check_rates(scored: list[Grade], assignment: Assignment) -> str:
    """The pass rate of every named check, per part: which edge case trips the class."""
    e = html.escape
    rows = ""
    for test in assignment.tests:
        counts: dict[str, list] = {}   # check name -> [points, passed, ran]
        for g in scored:
            for p in g.parts:
                if p.grade_id == test.grade_id:
                    for c in p.checks:
                        entry = counts.setdefault(c.name, [c.points, 0, 0])
                        entry[1] += c.passed
                        entry[2] += 1
        for name, (points, passed, ran) in counts.items():
            rows += (f"<tr><td>{e(test.grade_id)}</td><td>{e(name)}</td><td>{points:g}</td>"
                     f"<td>{passed} / {ran}</td><td>{100 * passed / ran:.0f}%</td></tr>")
    if not rows:
        return ""
    return ("<h2>Pass rate per check</h2><p>Counted over the submissions whose test cell reached its checks "
            "(a cell that failed its visible check first runs none).</p><table><tr><th>test</th><th>check</th>"
            "<th>points</th><th>passed</th><th>rate</th></tr>" + rows + "</table>")


def write_report(grades: list[Grade], assignment: Assignment, path: Path, protections: list,
                 problems: list[str], settings: str) -> None:
    """report.html: histogram, pass rate per part, slowest submissions, problems, protections."""
    e = html.escape
    scored = [g for g in grades if g.status.ran]
    mean = f"{statistics.mean(g.score for g in scored):.2f}" if scored else "–"
    body = (f"<p>{len(grades)} submissions; {sum(g.normal for g in grades)} graded normally; "
            f"mean score {mean} / {assignment.max_score:g}. {e(settings)}</p><h2>Scores</h2>"
            + _histogram([g.score for g in scored], assignment.max_score))
    body += ("<h2>Pass rate per part</h2><table><tr><th>test</th><th>points</th><th>mean points</th>"
             "<th>passed (all points)</th><th>rate</th></tr>")
    for test in assignment.tests:
        ran = [p for g in scored for p in g.parts if p.grade_id == test.grade_id]
        passed = sum(p.state == PartState.PASSED for p in ran)
        rate = f"{100 * passed / len(ran):.0f}%" if ran else "–"
        mean_points = f"{statistics.mean(p.points for p in ran):.2f}" if ran else "–"
        body += (f"<tr><td>{e(test.grade_id)}</td><td>{test.points:g}</td><td>{mean_points}</td>"
                 f"<td>{passed} / {len(ran)}</td>"
                 f"<td>{rate}</td></tr>")
    body += "</table>" + _check_rates(scored, assignment)
    body += "<h2>Slowest submissions</h2><table><tr><th>student</th><th>seconds</th><th>status</th></tr>"
    for g in sorted(grades, key=lambda g: -g.seconds)[:10]:
        body += f"<tr><td>{e(g.student_id)}</td><td>{g.seconds:.1f}</td><td>{e(g.status)}</td></tr>"
    body += "</table><h2>Problems</h2>"
    issues = [g for g in grades if not g.normal or g.reason]
    if issues or problems:
        body += "<ul>" + "".join(f"<li><b>{e(g.student_id)}</b> ({e(g.status)}): {e(g.reason)}</li>" for g in issues)
        body += "".join(f"<li>{e(p)}</li>" for p in problems) + "</ul>"
    else:
        body += "<p>None.</p>"
    body += "<h2>Sandbox protections</h2><table><tr><th>protection</th><th>active</th><th>how</th></tr>"
    for name, active, how in protections:
        body += f"<tr><td>{e(name)}</td><td>{'yes' if active else '<b>NO</b>'}</td><td>{e(how)}</td></tr>"
    body += "</table>"
    path.write_text(_page(f"Grading report: {assignment.slug}", body))
