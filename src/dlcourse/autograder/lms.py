"""Grade files a learning-management system imports.

With a roster (``--roster``, the LMS's own grade file; see :mod:`dlcourse.autograder.roster`) the
same file is written back, ready to upload, with only the assignment's grades filled in:

- **Canvas** (Grades > Import): every row of the gradebook export (``Points Possible`` and
  ``Manual Posting`` rows included), the student columns (``Student``, ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ..., ``Section``) and the assignment's ``Title (id)`` column, in the file's own
  separator, byte-order mark and decimal mark. The other assignments' columns and the totals are
  left out: Canvas's importer would compare them with the gradebook and offer to put back the
  export's values of grades changed since. ``ID`` (the Canvas user id) is what Canvas matches
  first; ``Title (id)`` makes it fill that assignment instead of creating one.
- **Moodle** (View all submissions > Upload grading worksheet): the whole worksheet, each student's
  ``Grade``, ``Last modified (grade)`` (now, with its UTC offset: Moodle skips a row whose grade was
  changed in Moodle after that time, and reads it with PHP's ``strtotime``) and ``Feedback
  comments`` filled in.

Without a roster, ``--lms-export`` writes a file keyed by the LMS's ids where the submissions came
from that LMS (Canvas ``ID`` and the ``--lms-assignment`` header, else the assignment's name, which
Canvas makes a new column of; Moodle ``Participant N`` with ``Grade``, ``Last modified (grade)``
and ``Feedback comments``), and says that a roster gives a complete one. For submissions keyed by
a login name (a folder per student, JupyterHub), Canvas gets it in ``SIS Login ID`` and Moodle a
grade-import CSV (Grades > Import > CSV file; map ``Identifier`` to the user field it is).

The score is the total (auto-graded plus written, less any late penalty) once written marks are
merged, else the auto-graded score less any late penalty; a student who sent nothing gets 0.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from dlcourse.autograder.intake import LAYOUTS
from dlcourse.autograder.roster import Roster
from dlcourse.autograder.tables import Table

FORMATS = LAYOUTS   # the LMSs whose downloads are read are the ones whose grade files are written


def score_of(row: dict) -> tuple[float, float]:
    """A grades.csv row's final score and maximum: the total once written marks are merged."""
    if row.get("total") not in (None, ""):
        return float(row["total"]), float(row["total_max"])
    return float(row["score"]), float(row["max_score"])


def feedback_text(row: dict) -> str:
    """What the student reads next to the grade in the LMS."""
    if row["status"] == "missing":
        return "No submission was received."
    score, maximum = score_of(row)
    text = f"{score:g} of {maximum:g} points"
    text += " (graded automatically, written answers by hand)." if row.get("total") else " (graded automatically)."
    if row.get("late"):
        penalty = float(row.get("penalty_percent") or 0)
        text += f" Late: {row['late']}" + (f", -{penalty:g}% of the points." if penalty else ", not penalised.")
    if row["status"] != "graded" and row.get("reason"):
        text += f" Not graded normally ({row['status']}): {row['reason']}"
    return text + " The feedback page lists every part."


def write_import(roster: Roster, slug: str, rows: list[dict], out: Path, now: datetime | None = None) -> Path:
    """``out/<kind>-<slug>.csv``: the roster file with the assignment's grades of ``rows`` filled in."""
    by_id = {row["student_id"]: row for row in rows}
    table = roster.table
    filled = [row[:] for row in table.rows]
    for student, r in roster.students.items():
        row = by_id.get(student)
        if row is None or (student in roster.not_assigned and row["status"] == "missing"):
            continue
        filled[r][roster.grade_col] = table.number(score_of(row)[0])
        if roster.kind == "moodle":
            filled[r][roster.modified_col] = _moodle_time(now)
            if roster.feedback_col is not None:
                filled[r][roster.feedback_col] = feedback_text(row)
    path = out / f"{roster.kind}-{slug}.csv"
    return table.write(path, [[row[i] for i in roster.keep] for row in filled])


def _moodle_time(now: datetime | None) -> str:
    return (now or datetime.now()).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def write_export(kind: str, slug: str, rows: list[dict], out: Path, lms_ids: bool, column: str | None = None,
                 now: datetime | None = None) -> tuple[Path, list[str]]:
    """``out/<kind>-<slug>.csv`` without a roster, from grades.csv ``rows``; return its path and what
    the instructor should know about it.

    ``lms_ids``: the student ids are the LMS's own (the submissions came from its download);
    ``column``: Canvas's ``Title (id)`` header of the assignment, when known."""
    if kind not in FORMATS:
        raise ValueError(f"unknown LMS {kind!r}: choose one of {', '.join(FORMATS)}")
    notes = []
    table = Table(rows=[])
    maximum = score_of(rows[0])[1] if rows else 0.0
    if kind == "canvas":
        header = column or slug
        lines = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", header],
                 ["Points Possible", "", "", "", "", table.number(maximum)]]
        for row in rows:
            student, score = row["student_id"], table.number(score_of(row)[0])
            if not lms_ids:
                lines.append([student, "", "", student, "", score])
            elif student.startswith("anon_"):
                notes.append(f"{student}: an anonymous id, which Canvas's gradebook import cannot match to a student: "
                             "left out (enter it in SpeedGrader, which shows the same anonymous ids)")
            else:
                lines.append([row.get("name") or student, student, "", "", "", score])
        if lms_ids and not column:
            notes.append(f"the grade column is headed {slug!r}, so Canvas will create a new assignment: pass "
                         "--lms-assignment 'Title (id)' (a header of the gradebook export) to fill the existing one")
    elif lms_ids:
        lines = [["Identifier", "Full name", "Grade", "Last modified (grade)", "Feedback comments"]]
        lines += [[f"Participant {row['student_id']}", row.get("name", ""), table.number(score_of(row)[0]),
                   _moodle_time(now), feedback_text(row)] for row in rows]
    else:
        lines = [["Identifier", slug, f"{slug} feedback"]]
        lines += [[row["student_id"], table.number(score_of(row)[0]),
                   row["status"] + (f": {row['reason']}" if row.get("reason") else "")] for row in rows]
    if lms_ids:
        notes.append(f"written without a roster: only the students who sent something are in it; --roster "
                     f"(the {'gradebook export' if kind == 'canvas' else 'grading worksheet'}) gives the complete "
                     "file, every student in the LMS's own columns")
    path = out / f"{kind}-{slug}.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(lines)
    return path, notes
