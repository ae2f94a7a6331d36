"""The class list from the LMS's own grade file (the "roster"), matched to the submissions.

``--roster FILE`` is the file the LMS gives and takes back:

- **Canvas**: the gradebook export (Grades > Export > Export Entire Gradebook; written by
  ``lib/gradebook_exporter.rb`` of instructure/canvas-lms): a header ``Student, ID, [SIS User ID,]
  SIS Login ID, [Integration ID, Root Account,] Section``, then custom columns, one column per
  assignment headed ``Title (assignment id)``, and total columns (``Current Score``, ...); a
  ``Points Possible`` row (its first cell padded with spaces); before it, when an assignment is
  posted manually, a row whose cells are empty or ``Manual Posting`` (``Manual Posting (scores
  hidden from instructors)`` for an anonymous one whose grades are not posted). ``ID`` is the
  Canvas user id, the number in every file name of the submissions zip. Canvas's importer
  (``app/models/gradebook_importer.rb``) reads either separator, ``,`` or ``;``, and decimal commas.
- **Moodle**: the assignment's grading worksheet (View all submissions > Download grading
  worksheet; the columns of ``mod/assign/gradingtable.php``): ``Identifier`` (``Participant
  48213``), ``Full name``, the identity fields (``Email address``, ...), ``Status``, ``Grade``,
  ``Maximum Grade``, ``Grade can be changed``, ``Last modified (submission)``, the submission
  plugins' text fields (``Online text``), ``Last modified (grade)``, the feedback plugins' text
  fields (``Feedback comments``). Moodle's upload (``mod/assign/feedback/offline/importgradeslib.php``)
  needs ``Identifier``, ``Grade`` and ``Last modified (grade)``.

Students are keyed by the LMS's id (Canvas user id, Moodle participant number), never by a name.
Every student on the roster gets a row: one without a submission is ``missing`` with 0 points; a
submission whose id is not on the roster is graded, reported, and left out of the import file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from dlcourse.autograder.intake import LAYOUTS, Submission
from dlcourse.autograder.status import Status
from dlcourse.autograder.tables import Table, parse_number, read_table

CANVAS_INFO = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Integration ID",
               "Root Account", "Section")
CANVAS_TOTALS = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
                           "Override Score|Override Grade|Override Status")
TITLE_AND_ID = re.compile(r"(?P<title>.*)\s\((?P<id>\d+)\)", re.S)
POSTING_ROW = re.compile(r"\s*(Muted|Manual Posting.*)?\s*", re.I | re.S)
MOODLE_NEEDS = ("Identifier", "Grade", "Last modified (grade)")
MOODLE_SUBMITTED = re.compile(r"Submitted for grading", re.I)


class RosterError(ValueError):
    """A roster that cannot be used: the message says what is wrong and what to do (exit 2)."""


@dataclass(frozen=True)
class Column:
    """A Canvas assignment column: its position, header ``Title (id)``, title and assignment id."""

    index: int
    header: str
    title: str
    lms_id: str


@dataclass
class Roster:
    """The LMS's grade file: every student by their LMS id, and where their grade goes."""

    kind: str
    path: Path
    table: Table
    students: dict[str, int]                # LMS id -> its row in table.rows
    names: dict[str, str]
    grade_col: int                          # Canvas: the assignment's column; Moodle: "Grade"
    keep: list[int]                         # the columns written back, in order
    column: Column | None = None            # Canvas: the assignment's column
    maximum: float | None = None            # Canvas "Points Possible", Moodle "Maximum Grade"
    modified_col: int | None = None         # Moodle: "Last modified (grade)"
    feedback_col: int | None = None         # Moodle: "Feedback comments"
    submitted: dict[str, str] = field(default_factory=dict)  # Moodle: "Last modified (submission)"
    statuses: dict[str, str] = field(default_factory=dict)   # Moodle: "Status"
    locked: set[str] = field(default_factory=set)            # Moodle: "Grade can be changed" is No
    not_assigned: set[str] = field(default_factory=set)      # Canvas: N/A (not assigned to them)
    problems: list[str] = field(default_factory=list)

    @property
    def assignment(self) -> str:
        """The assignment's column as the LMS heads it (Canvas ``Title (id)``; Moodle: the worksheet's)."""
        return self.column.header if self.column else self.table.rows[0][self.grade_col]


def read_roster(kind: str, path: Path, slug: str, wanted: str | None = None) -> Roster:
    """Read the LMS grade file ``path`` (``kind`` canvas or moodle) for assignment ``slug``.

    ``wanted`` (``--lms-assignment``) names the Canvas column: ``Title (id)``, the title or the id.
    Raises RosterError saying what is wrong (and, for the column, the choices)."""
    if kind not in LAYOUTS:
        raise RosterError(f"--roster needs --lms canvas or --lms moodle (the roster's format), not {kind!r}")
    try:
        table = read_table(path)
    except OSError as error:
        raise RosterError(f"cannot read the roster {path}: {error}") from None
    if not table.rows:
        raise RosterError(f"the roster {path} is empty")
    width = max(len(row) for row in table.rows)
    table.rows = [row + [""] * (width - len(row)) for row in table.rows]
    return _canvas(table, path, slug, wanted) if kind == "canvas" else _moodle(table, path)


def _canvas(table: Table, path: Path, slug: str, wanted: str | None) -> Roster:
    header = [cell.strip() for cell in table.rows[0]]
    last_first = header[:2] == ["LastName", "FirstName"]
    if not ((len(header) > 3 and "Student" in header[0] and header[1] == "ID")
            or (last_first and header[2] == "ID")):
        raise RosterError(f"{path.name} is not a Canvas gradebook export: its first row should start "
                          "Student, ID, ... (Grades > Export > Export Entire Gradebook); it starts "
                          f"{', '.join(header[:3])}")
    id_col = 2 if last_first else 1
    info = [i for i, h in enumerate(header) if h in CANVAS_INFO]
    columns = [Column(index=i, header=h, title=m["title"], lms_id=m["id"]) for i, h in enumerate(header)
               if i not in info and not CANVAS_TOTALS.search(h) and (m := TITLE_AND_ID.fullmatch(h))]
    column = _choose_column(columns, slug, wanted, path)
    roster = Roster(kind="canvas", path=path, table=table, students={}, names={}, grade_col=column.index,
                    keep=info + [column.index], column=column)
    points = posting = None
    for r, row in enumerate(table.rows[1:], start=1):
        if "Points Possible" in row[0]:
            points = row
        elif all(POSTING_ROW.fullmatch(cell) for cell in row):
            posting = row
        elif not row[id_col].strip():
            roster.problems.append(f"{path.name} line {table.lines[r]} ({row[0]!r}) has no Canvas ID: left as it is")
        elif row[id_col].strip() in roster.students:
            raise RosterError(f"{path.name}: the Canvas ID {row[id_col].strip()} is on two rows; export the "
                              "gradebook again")
        else:
            student = row[id_col].strip()
            roster.students[student] = r
            roster.names[student] = f"{row[1]} {row[0]}".strip() if last_first else row[0].strip()
            if row[column.index].strip().upper() == "N/A":
                roster.not_assigned.add(student)
    if posting is not None and "hidden from instructors" in posting[column.index]:
        raise RosterError(f"{path.name}: Canvas hides the scores of {column.header} from instructors (anonymous "
                          "grading, grades not posted), and its gradebook import cannot set them; post the grades "
                          "or enter them in SpeedGrader (grade without --roster for grades.csv)")
    try:
        roster.maximum = parse_number(points[column.index]) if points else None
    except ValueError:
        roster.maximum = None
    return roster


def _choose_column(columns: list[Column], slug: str, wanted: str | None, path: Path) -> Column:
    """The assignment's column: the one ``--lms-assignment`` names, else the one titled like the
    assignment (exactly, else containing its name); anything else is an error listing the choices."""
    if wanted:
        matches = [c for c in columns if wanted.strip() in (c.header, c.title.strip(), c.lms_id)]
    else:
        key = slug.casefold()
        matches = ([c for c in columns if c.title.strip().casefold() == key]
                   or [c for c in columns if key in c.title.casefold()])
    if len(matches) == 1:
        return matches[0]
    choices = "\n  ".join(c.header for c in (matches or columns)) or "(none: it has no assignment columns)"
    what = f"--lms-assignment {wanted!r}" if wanted else f"the assignment {slug}"
    count = "several assignment columns" if matches else "no assignment column"
    raise RosterError(f"{path.name}: {what} matches {count}; pass --lms-assignment with one of:\n  {choices}")


def _moodle(table: Table, path: Path) -> Roster:
    header = [cell.strip() for cell in table.rows[0]]
    absent = [name for name in MOODLE_NEEDS if name not in header]
    if absent:
        raise RosterError(f"{path.name} is not a Moodle grading worksheet: it has no {', '.join(absent)} column "
                          "(Moodle's upload needs Identifier, Grade and Last modified (grade); download the "
                          "worksheet from View all submissions > Download grading worksheet, with Moodle in English)")
    col = {name: i for i, name in enumerate(header)}
    if "Scale" in col and "Maximum Grade" not in col:
        raise RosterError(f"{path.name}: the assignment is graded on a scale, which points cannot be written into; "
                          "set its grade type to Point in Moodle")
    keep = list(range(len(header)))
    roster = Roster(kind="moodle", path=path, table=table, students={}, names={}, grade_col=col["Grade"], keep=keep,
                    modified_col=col["Last modified (grade)"], feedback_col=col.get("Feedback comments"))
    for r, row in enumerate(table.rows[1:], start=1):
        match = re.fullmatch(r"\D*?(\d+)\s*", row[col["Identifier"]])
        if not match:
            roster.problems.append(f"{path.name} line {table.lines[r]}: the identifier "
                                   f"{row[col['Identifier']]!r} is not 'Participant N': left as it is")
            continue
        student = match[1]
        roster.students[student] = r
        roster.names[student] = row[col["Full name"]].strip() if "Full name" in col else ""
        for name, into in (("Last modified (submission)", roster.submitted), ("Status", roster.statuses)):
            if name in col:
                into[student] = row[col[name]].strip()
        if "Grade can be changed" in col and row[col["Grade can be changed"]].strip().casefold() == "no":
            roster.locked.add(student)
        if roster.maximum is None and "Maximum Grade" in col:
            try:
                roster.maximum = parse_number(row[col["Maximum Grade"]])
            except ValueError:
                pass
    if roster.feedback_col is None:
        roster.problems.append(f"{path.name} has no Feedback comments column (feedback comments are off for the "
                               "assignment): the import file carries grades only")
    return roster


def merge(submissions: list[Submission], roster: Roster) -> list[str]:
    """Match ``submissions`` to ``roster`` in place: names from the roster, a ``missing`` row for
    every roster student without a submission. Returns the problems (ids not on the roster, grades
    the LMS will not take)."""
    problems = list(roster.problems)
    where = roster.path.name
    present = {sub.student_id for sub in submissions}
    for sub in submissions:
        student = sub.student_id
        if student not in roster.students:
            sub.notes.append(f"not on the roster {where}: left out of the import file")
            problems.append(f"{student}{f' ({sub.name})' if sub.name else ''} sent a submission but is not on the "
                            f"roster {where}: graded in grades.csv, left out of the import file")
            continue
        sub.name = roster.names.get(student) or sub.name
        if student in roster.locked:
            problems.append(f"{student} ({sub.name}): the worksheet says the grade cannot be changed (locked or "
                            "released): Moodle's upload will skip it")
        if student in roster.not_assigned:
            problems.append(f"{student} ({sub.name}): the gradebook shows N/A (the assignment is not assigned to "
                            "them in Canvas): Canvas's import will ignore the grade")
    for student in sorted(set(roster.students) - present):
        reason = "no submission in the download"
        status = roster.statuses.get(student, "")
        if MOODLE_SUBMITTED.search(status):
            reason += f", though the worksheet says {status!r} (was the zip downloaded before they submitted?)"
        if student in roster.not_assigned:
            reason += "; the gradebook shows N/A (the assignment is not assigned to them): left N/A"
        submissions.append(Submission(student_id=student, folder=None, status=Status.MISSING, reason=reason,
                                      name=roster.names.get(student, "")))
    return problems
