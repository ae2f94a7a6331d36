"""Canvas's and Moodle's own files, without a kernel: the submissions zips (every layout, every
awkward name), the grade files read as rosters and written back, late work, and a marking sheet
saved by Excel. The zips and grade files are built as the LMSs build them (lms_downloads.py)."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta, timezone

import pytest

from classroom import SLUG
from course import ROOT
from dlcourse.autograder import cli
from dlcourse.autograder.assemble import load_assignment
from dlcourse.autograder.intake import collect, parse_canvas
from dlcourse.autograder.late import (LatePolicy, assess, describe, parse_due, parse_lms_time, parse_percent,
                                      parse_policy, penalised)
from dlcourse.autograder.lms import write_export, write_import
from dlcourse.autograder.roster import RosterError, merge, read_roster
from dlcourse.autograder.status import Status
from lms_downloads import (ASSIGNMENT_COLUMN, WORKSHEET_COLUMNS, canvas_gradebook, canvas_name, make_zip, moodle_path,
                           moodle_worksheet, read_csv, zip_names)


ASSIGNMENT = load_assignment(ROOT, SLUG)


def notebook(who: str) -> str:
    """A notebook the intake accepts, marked so a test can tell which file was taken."""
    return json.dumps({"cells": [], "metadata": {"who": who}, "nbformat": 4, "nbformat_minor": 5})


def who(sub) -> str:
    return sub.notebook["metadata"]["who"]


def intake_of(tmp_path, archive, **options):
    work = tmp_path / f"work-{len(list(tmp_path.iterdir()))}"
    work.mkdir()
    return collect(archive, SLUG, work, **options)


def assert_every_file_accounted_for(intake, archive):
    """Each file of the zip is in exactly one student's row, or named in the problems."""
    assert set(intake.files) == set(zip_names(archive))
    students = {sub.student_id for sub in intake.submissions}
    for path, (student, _) in intake.files.items():
        if student:
            assert student in students, path
        else:
            assert any(path in problem for problem in intake.problems), path


# --- Canvas ---------------------------------------------------------------------------------------

CANVAS_CLASS = {
    canvas_name("Doe, Jane", 104211, 5001, f"{SLUG}.ipynb"): notebook("jane 104211"),
    canvas_name("Doe, Jane", 104299, 5002, f"{SLUG}.ipynb"): notebook("jane 104299"),
    canvas_name("Müller, Zoë", 104213, 5003, f"{SLUG}.ipynb", late=True): notebook("zoë"),
    canvas_name("Nguyễn, An", 104216, 5006, f"{SLUG}.ipynb"): notebook("an, first upload"),
    canvas_name("Nguyễn, An", 104216, 5007, f"{SLUG}-1.ipynb"): notebook("an, re-uploaded"),
    canvas_name("Smith, Jo", 104220, 5008, f"{SLUG}.ipynb"): '{"cells": [',
    canvas_name("Roe, Max", 104230, 5009, "notes.pdf"): b"%PDF-1.4",
    canvas_name("Lee, Ann", 104240, 5010, f"{SLUG}.ipynb"): notebook("ann"),
    canvas_name("Lee, Ann", 104240, 5011, "report.pdf"): b"%PDF-1.4",
    canvas_name("Park, Kim", 104260, 6002, f"{SLUG}.ipynb"): notebook("kim a"),
    canvas_name("Park, Kim", 104260, 6001, f"{SLUG}-1.ipynb"): notebook("kim b"),
    "readme.txt": "what the instructor added",
    "__MACOSX/._doejane_104211_5001_02-neuron.ipynb": b"\x00\x05",
}


def test_canvas_names_are_built_as_canvas_builds_them():
    assert canvas_name("Doe, Jane", 104211, 5001, f"{SLUG}.ipynb") == "doejane_104211_5001_02-neuron.ipynb"
    assert canvas_name("Müller, Zoë", 104213, 5003, "a.ipynb", late=True) == "müllerzoë_LATE_104213_5003_a.ipynb"
    assert canvas_name(None, None, 5550001, "a.ipynb", anonymous_id="Xy3kP") == "anon_Xy3kP_5550001_a.ipynb"


@pytest.mark.parametrize("lms", ["canvas", None])
def test_canvas_zip_keys_students_by_user_id_and_loses_no_file(tmp_path, lms):
    archive = make_zip(tmp_path / "canvas.zip", CANVAS_CLASS)
    intake = intake_of(tmp_path, archive, lms=lms)
    rows = {s.student_id: s for s in intake.submissions}
    assert {k: (s.status, s.name, s.late_flag) for k, s in rows.items()} == {
        "104211": (Status.PENDING, "doejane", False), "104299": (Status.PENDING, "doejane", False),
        "104213": (Status.PENDING, "müllerzoë", True), "104216": (Status.PENDING, "nguyễnan", False),
        "104220": (Status.UNGRADABLE, "smithjo", False), "104230": (Status.MISSING_NOTEBOOK, "roemax", False),
        "104240": (Status.PENDING, "leeann", False), "104260": (Status.UNGRADABLE, "parkkim", False)}
    assert (intake.layout, intake.guessed) == ("canvas", lms is None)
    assert ("guessed from the file names; --lms canvas names it" in intake.summary()) == (lms is None)
    assert (who(rows["104211"]), who(rows["104299"])) == ("jane 104211", "jane 104299"), "two Jane Does merged"
    assert who(rows["104216"]) == "an, re-uploaded"
    assert "graded 02-neuron-1.ipynb, the latest upload" in rows["104216"].notes[0]
    assert rows["104216"].notes[-1] == "not graded: 02-neuron.ipynb"
    assert "not valid JSON" in rows["104220"].reason
    assert rows["104230"].reason == "no notebook in the submission (expected 02-neuron.ipynb)"
    assert rows["104230"].notes == ["not graded: notes.pdf"]
    assert rows["104240"].notes == ["not graded: report.pdf"]
    assert "02-neuron.ipynb, 02-neuron-1.ipynb" in rows["104260"].reason and "(file ids 6002, 6001)" in rows[
        "104260"].reason, "two notebooks whose numbering and file ids disagree must be named, not picked"
    assert any(p.startswith("readme.txt: not named as Canvas names") for p in intake.problems)
    assert_every_file_accounted_for(intake, archive)
    graded = {path for path, (_, is_graded) in intake.files.items() if is_graded}
    assert graded == {canvas_name("Doe, Jane", 104211, 5001, f"{SLUG}.ipynb"),
                      canvas_name("Doe, Jane", 104299, 5002, f"{SLUG}.ipynb"),
                      canvas_name("Müller, Zoë", 104213, 5003, f"{SLUG}.ipynb", late=True),
                      canvas_name("Nguyễn, An", 104216, 5007, f"{SLUG}-1.ipynb"),
                      canvas_name("Lee, Ann", 104240, 5010, f"{SLUG}.ipynb")}
    assert "13 files in the Canvas layout" in intake.summary() and "5 notebooks to grade, 8 files set aside" in (
        intake.summary())


def test_canvas_anonymous_and_text_entry_names(tmp_path):
    archive = make_zip(tmp_path / "anonymous.zip", {
        canvas_name(None, None, 5550001, f"{SLUG}.ipynb", anonymous_id="Xy3kP"): notebook("x"),
        canvas_name(None, None, 5550002, f"{SLUG}.ipynb", late=True, anonymous_id="Qm9Zt"): notebook("q"),
        "anon_Ab12c_text.html": "<p>my answer</p>"})
    intake = intake_of(tmp_path, archive)
    rows = {s.student_id: (s.status, s.late_flag, s.name) for s in intake.submissions}
    assert rows == {"anon_Xy3kP": (Status.PENDING, False, ""), "anon_Qm9Zt": (Status.PENDING, True, ""),
                    "anon_Ab12c": (Status.MISSING_NOTEBOOK, False, "")}
    assert_every_file_accounted_for(intake, archive)


def test_a_name_that_reads_two_ways_is_settled_by_the_roster_and_otherwise_said():
    name = "smith_2_104211_5001_02-neuron.ipynb"     # a sortable name ending in "_2" ("Smith_2, ")
    plain = parse_canvas(name)
    assert (plain.student_id, plain.filename) == ("2", "104211_5001_02-neuron.ipynb".split("_", 1)[1])
    assert "could also be read as user 104211" in plain.note
    known = parse_canvas(name, {"104211"})
    assert (known.student_id, known.filename, known.file_id) == ("104211", "02-neuron.ipynb", 5001)
    assert "the one on the roster" in known.note


class _Utf8WithoutFlag(zipfile.ZipInfo):
    """An entry whose UTF-8 name is stored without the zip's UTF-8 flag, as some zip writers store it."""

    def _encodeFilenameFlags(self):  # zipfile's own method, overridden
        return self.filename.encode("utf-8"), self.flag_bits & ~0x800


def test_unicode_names_stored_without_the_utf8_flag_stay_whole(tmp_path):
    archive = tmp_path / "legacy.zip"
    names = [canvas_name("Müller, Zoë", 104213, 5003, f"{SLUG}.ipynb", late=True),
             canvas_name("Nguyễn, An", 104216, 5006, f"{SLUG}.ipynb")]
    with zipfile.ZipFile(archive, "w") as zf:
        for name in names:
            zf.writestr(_Utf8WithoutFlag(name), notebook(name))
    with zipfile.ZipFile(archive) as zf:
        assert all(not info.flag_bits & 0x800 for info in zf.infolist())
    intake = intake_of(tmp_path, archive)       # the layout guess too
    assert {s.student_id: s.status for s in intake.submissions} == {"104213": "pending", "104216": "pending"}
    assert intake.layout == "canvas" and not intake.problems


# --- Moodle ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("folders,blind", [(True, False), (False, False), (True, True)],
                         ids=["folders", "flat", "blind"])
def test_moodle_zip_keys_students_by_participant_number(tmp_path, folders, blind):
    entries = {
        moodle_path("Jane Doe", 48213, f"{SLUG}.ipynb", folders, blind): notebook("jane 48213"),
        moodle_path("Jane Doe", 48299, f"{SLUG}.ipynb", folders, blind): notebook("jane 48299"),
        moodle_path("Zoë Müller", 48214, f"{SLUG}.ipynb", folders, blind): notebook("zoë"),
        moodle_path("Zoë Müller", 48214, "onlinetext.html", folders, blind, plugin="onlinetext"): "<p>hi</p>",
        moodle_path("Nguyễn An", 48216, "Notebook.ipynb", folders, blind): notebook("an"),
    }
    archive = make_zip(tmp_path / "moodle.zip", entries)
    for lms in ("moodle", None):
        intake = intake_of(tmp_path, archive, lms=lms)
        rows = {s.student_id: s for s in intake.submissions}
        names = {"48213": "Jane Doe", "48299": "Jane Doe", "48214": "Zoë Müller", "48216": "Nguyễn An"}
        assert {k: (s.status, s.name) for k, s in rows.items()} == {
            k: (Status.MISSING_NOTEBOOK if k == "48216" else Status.PENDING, "" if blind else name)
            for k, name in names.items()}
        assert (who(rows["48213"]), who(rows["48299"]), who(rows["48214"])) == ("jane 48213", "jane 48299", "zoë")
        assert rows["48214"].notes == ["not graded: onlinetext.html"]
        assert "found Notebook.ipynb instead (renamed?" in rows["48216"].reason
        assert intake.layout == "moodle" and intake.guessed == (lms is None) and not intake.problems
        assert_every_file_accounted_for(intake, archive)


def test_moodle_two_notebooks_of_one_name_in_subfolders_are_named_not_picked(tmp_path):
    archive = make_zip(tmp_path / "moodle.zip", {
        moodle_path("Jane Doe", 48213, f"{SLUG}.ipynb"): notebook("a"),
        moodle_path("Jane Doe", 48213, f"old/{SLUG}.ipynb"): notebook("b")})
    [sub] = intake_of(tmp_path, archive).submissions
    assert sub.status == Status.UNGRADABLE
    assert "Jane Doe_48213_assignsubmission_file/02-neuron.ipynb" in sub.reason and "old/02-neuron.ipynb" in sub.reason


def test_a_regex_layout_keeps_the_newest_by_timestamp_as_nbgrader_does(tmp_path):
    archive = make_zip(tmp_path / "other.zip", {
        f"ps_bitdiddle_attempt_20250301T100000_{SLUG}.ipynb": notebook("first"),
        f"ps_bitdiddle_attempt_20250302T090000_{SLUG}.ipynb": notebook("second")})
    pattern = r".*_(?P<student_id>\w+)_attempt_(?P<timestamp>[0-9T]+)_(?P<file_id>.+)"
    [sub] = intake_of(tmp_path, archive, lms=pattern).submissions
    assert (sub.student_id, who(sub)) == ("bitdiddle", "second")
    assert sub.submitted == datetime(2025, 3, 2, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match=r"with \(\?P<student_id>\.\.\.\) and \(\?P<file_id>\.\.\.\) groups"):
        intake_of(tmp_path, archive, lms=r"(?P<student>\w+)_(?P<file_id>.+)")


def test_nbgrader_timestamp_files_give_the_submission_time(tmp_path):
    for student, stamp in (("alice", "2025-03-02 10:15:00.000000 UTC"), ("bob", "2025-03-01 20:00:00"),
                           ("carol", "yesterday-ish")):
        folder = tmp_path / "submitted" / student / SLUG
        folder.mkdir(parents=True)
        (folder / f"{SLUG}.ipynb").write_text(notebook(student))
        (folder / "timestamp.txt").write_text(stamp)
    rows = {s.student_id: s for s in intake_of(tmp_path, tmp_path / "submitted").submissions}
    assert rows["alice"].submitted == datetime(2025, 3, 2, 10, 15, tzinfo=UTC)
    assert rows["bob"].submitted == datetime(2025, 3, 1, 20, 0, tzinfo=UTC)   # nbgrader: no zone is UTC
    assert rows["carol"].submitted is None and "lateness not checked" in rows["carol"].notes[0]


# --- rosters and import files ---------------------------------------------------------------------

GRADEBOOK = [("Doe, Jane", "104211", "jdoe"), ("Doe, Jane", "104299", "jdoe2"), ("Müller, Zoë", "104213", "zm"),
             ("Roe, Max", "104230", "mroe"), ("Student, Test", "104999", "")]


def _rows(**scores):
    """grades.csv rows: student -> (score, status)."""
    return [{"student_id": k, "name": "", "score": str(v[0]), "max_score": "21", "status": v[1], "reason": "",
             "late": v[2] if len(v) > 2 else "", "penalty_percent": v[3] if len(v) > 3 else "0"}
            for k, v in scores.items()]


@pytest.mark.parametrize("separator,bom", [(",", False), (";", True)], ids=["comma", "excel-semicolon-bom"])
def test_canvas_gradebook_is_read_and_written_back_with_only_the_assignment_filled(tmp_path, separator, bom):
    path = canvas_gradebook(tmp_path / "gradebook.csv", GRADEBOOK, manual_posting=True, separator=separator,
                            points="21" if separator == "," else "21,00", bom=bom)
    roster = read_roster("canvas", path, SLUG)
    assert roster.column.header == ASSIGNMENT_COLUMN and roster.maximum == 21
    assert roster.students == {"104211": 3, "104299": 4, "104213": 5, "104230": 6, "104999": 7}
    assert roster.names["104213"] == "Müller, Zoë"
    from dlcourse.autograder.intake import Submission

    subs = [Submission("104211", None, name="doejane"), Submission("104299", None, name="doejane"),
            Submission("104213", None), Submission("104250", None, name="strangerkim")]
    problems = merge(subs, roster)
    by_id = {s.student_id: s for s in subs}
    assert {k: (s.status, s.name) for k, s in by_id.items()} == {
        "104211": ("pending", "Doe, Jane"), "104299": ("pending", "Doe, Jane"), "104213": ("pending", "Müller, Zoë"),
        "104250": ("pending", "strangerkim"), "104230": ("missing", "Roe, Max"), "104999": ("missing", "Student, Test")}
    assert problems == ["104250 (strangerkim) sent a submission but is not on the roster gradebook.csv: graded in "
                        "grades.csv, left out of the import file"]
    rows = _rows(**{"104211": (19, "graded"), "104299": (0, "graded"), "104213": (17.1, "graded"),
                    "104250": (19, "graded"), "104230": (0, "missing"), "104999": (0, "missing")})
    written = write_import(roster, SLUG, rows, tmp_path)
    raw = written.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    decimal = "," if separator == ";" else "."
    assert read_csv(written, separator) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT_COLUMN],
        ["", "", "", "", "", "Manual Posting"],
        ["    Points Possible", "", "", "", "", "21" if separator == "," else "21,00"],
        ["Doe, Jane", "104211", "S104211", "jdoe", "Section A", "19"],
        ["Doe, Jane", "104299", "S104299", "jdoe2", "Section A", "0"],
        ["Müller, Zoë", "104213", "S104213", "zm", "Section A", f"17{decimal}1"],
        ["Roe, Max", "104230", "S104230", "mroe", "Section A", "0"],
        ["Student, Test", "104999", "S104999", "", "Section A", "0"]]


def test_the_canvas_column_is_matched_by_title_or_named_and_otherwise_refused(tmp_path):
    two = canvas_gradebook(tmp_path / "two.csv", GRADEBOOK, other="02-neuron (resubmission) (123999)")
    with pytest.raises(RosterError) as error:
        read_roster("canvas", two, SLUG.replace("02-", ""))   # "neuron" is in both titles
    assert "matches several assignment columns" in str(error.value)
    assert "02-neuron (123456)\n  02-neuron (resubmission) (123999)" in str(error.value)
    assert read_roster("canvas", two, SLUG).column.lms_id == "123456"          # the exact title wins
    assert read_roster("canvas", two, SLUG, "123999").column.title == "02-neuron (resubmission)"
    with pytest.raises(RosterError, match=r"matches no assignment column(.|\n)*02-neuron \(resubmission\) \(123999\)"):
        read_roster("canvas", two, "07-attention")
    with pytest.raises(RosterError, match="not a Canvas gradebook export"):
        read_roster("canvas", moodle_worksheet(tmp_path / "w.csv", []), SLUG)


def test_a_moodle_worksheet_is_read_and_written_back_filled_in(tmp_path):
    path = moodle_worksheet(tmp_path / "worksheet.csv", [
        (48213, "Jane Doe", "Submitted for grading", "Monday, 3 March 2025, 11:30 PM"),
        (48214, "Zoë Müller", "Submitted for grading", "Wednesday, 5 March 2025, 1:10 AM"),
        (48216, "Nguyễn An", "Submitted for grading", "Monday, 3 March 2025, 10:00 AM"),
        (48217, "Max Roe", "No submission", "-")])
    roster = read_roster("moodle", path, SLUG)
    assert roster.students == {"48213": 1, "48214": 2, "48216": 3, "48217": 4} and roster.maximum == 21
    from dlcourse.autograder.intake import Submission

    subs = [Submission("48213", None, name="Jane Doe"), Submission("48214", None, name="Zoë Müller")]
    assert merge(subs, roster) == []
    missing = {s.student_id: s.reason for s in subs if s.status == Status.MISSING}
    assert missing == {"48216": "no submission in the download, though the worksheet says 'Submitted for grading' "
                                "(was the zip downloaded before they submitted?)",
                       "48217": "no submission in the download"}
    rows = _rows(**{"48213": (19, "graded"), "48214": (15.2, "graded", "1 day 1 h 10 min", "20"),
                    "48216": (0, "missing"), "48217": (0, "missing")})
    now = datetime(2025, 3, 6, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    out = read_csv(write_import(roster, SLUG, rows, tmp_path, now=now))
    original = read_csv(path)
    assert out[0] == WORKSHEET_COLUMNS
    grade, modified, feedback = (WORKSHEET_COLUMNS.index(c) for c in ("Grade", "Last modified (grade)",
                                                                      "Feedback comments"))
    stamp = now.astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
    assert datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S %z") == now
    expected = {"48213": ("19", "19 of 21 points (graded automatically). The feedback page lists every part."),
                "48214": ("15.2", "15.2 of 21 points (graded automatically). Late: 1 day 1 h 10 min, -20% of the "
                                  "points. The feedback page lists every part."),
                "48216": ("0", "No submission was received."), "48217": ("0", "No submission was received.")}
    for line, before in zip(out[1:], original[1:]):
        student = line[0].removeprefix("Participant ")
        assert (line[grade], line[modified], line[feedback]) == (*expected[student][:1], stamp, expected[student][1])
        untouched = [i for i in range(len(WORKSHEET_COLUMNS)) if i not in (grade, modified, feedback)]
        assert [line[i] for i in untouched] == [before[i] for i in untouched]


def test_a_file_that_is_not_a_worksheet_or_uses_a_scale_is_refused(tmp_path):
    with pytest.raises(RosterError, match="not a Moodle grading worksheet: it has no Identifier"):
        read_roster("moodle", canvas_gradebook(tmp_path / "g.csv", GRADEBOOK), SLUG)
    scale = tmp_path / "scale.csv"
    scale.write_text("Identifier,Full name,Status,Grade,Scale,Last modified (grade)\nParticipant 1,A,-,,x,-\n")
    with pytest.raises(RosterError, match="graded on a scale"):
        read_roster("moodle", scale, SLUG)
    with pytest.raises(RosterError, match="needs --lms canvas or --lms moodle"):
        read_roster("blackboard", scale, SLUG)


def test_without_a_roster_the_import_file_is_keyed_by_the_lms_ids(tmp_path):
    rows = _rows(**{"104211": (19, "graded"), "anon_Xy3kP": (12, "graded")})
    rows[0]["name"] = "doejane"
    path, notes = write_export("canvas", SLUG, rows, tmp_path, lms_ids=True, column=ASSIGNMENT_COLUMN)
    assert read_csv(path) == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT_COLUMN],
                              ["Points Possible", "", "", "", "", "21"], ["doejane", "104211", "", "", "", "19"]]
    assert "anon_Xy3kP: an anonymous id" in notes[0] and "--roster" in notes[-1]
    _, notes = write_export("canvas", SLUG, rows[:1], tmp_path, lms_ids=True)
    assert any("Canvas will create a new assignment" in n for n in notes)
    now = datetime(2025, 3, 6, 9, 30, tzinfo=UTC)
    path, _ = write_export("moodle", SLUG, _rows(**{"48213": (19, "graded")}), tmp_path, lms_ids=True, now=now)
    assert read_csv(path) == [["Identifier", "Full name", "Grade", "Last modified (grade)", "Feedback comments"],
                              ["Participant 48213", "", "19", now.astimezone().strftime("%Y-%m-%d %H:%M:%S %z"),
                               "19 of 21 points (graded automatically). The feedback page lists every part."]]


def test_grade_refuses_a_bad_roster_column_or_an_anonymous_zip_with_a_roster_before_grading(tmp_path, capsys):
    gradebook = canvas_gradebook(tmp_path / "gradebook.csv", GRADEBOOK, other="02-neuron (123999)")  # a copy
    archive = make_zip(tmp_path / "anon.zip", {
        canvas_name(None, None, 5550001, f"{SLUG}.ipynb", anonymous_id="Xy3kP"): notebook("x")})
    base = ["grade", SLUG, str(archive), "--out", str(tmp_path / "out"), "--no-sandbox", "--lms", "canvas"]
    assert cli.main([*base, "--roster", str(gradebook)]) == 2
    assert "02-neuron matches several assignment columns; pass --lms-assignment with one of:\n  02-neuron (123456)\n" \
           "  02-neuron (123999)" in capsys.readouterr().err
    assert cli.main([*base, "--roster", str(gradebook), "--lms-assignment", "123999"]) == 2
    assert "anonymously graded assignment" in capsys.readouterr().err
    assert cli.main([*base, "--late-penalty", "10%/day"]) == 2
    assert "--late-penalty needs --due" in capsys.readouterr().err
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_the_help_of_both_commands_shows_the_new_options(capsys):
    for command, options in (("grade", ("--roster", "--lms-assignment", "--due", "--late-penalty",
                                        "--late-flag-penalty", "10%/day,max=50%")),
                             ("marks", ("--roster", "--blank-is-zero", "--lms-export"))):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        text = capsys.readouterr().out
        assert all(option in text for option in options), text


# --- late work ------------------------------------------------------------------------------------

def test_late_policies_have_one_clear_syntax():
    assert parse_policy("10%/day,max=50%") == LatePolicy(10, "day", 50)
    assert parse_policy(" 2.5% / hour ") == LatePolicy(2.5, "hour", 100)
    for bad in ("10/day", "10%/week", "10%/day,max=150%", "0%/day", "ten percent"):
        with pytest.raises(ValueError, match="expected RATE%/day|the rate must"):
            parse_policy(bad)
    assert parse_percent("15%") == 15 and parse_due("2025-03-01T23:59+01:00").utcoffset() == timedelta(hours=1)
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_due("next friday")


def test_every_started_day_counts_up_to_the_cap():
    policy = parse_policy("10%/day,max=50%")
    due = datetime(2025, 3, 1, 23, 59, tzinfo=UTC)
    assert [policy.percent(d) for d in (timedelta(0), timedelta(minutes=1), timedelta(days=1, hours=2),
                                        timedelta(days=9))] == [0, 10, 20, 50]
    late = assess(due + timedelta(days=1, hours=2), False, due, policy, None)
    assert (late.late, late.percent, late.submitted) == ("1 day 2 h", 20, "2025-03-03T01:59:00+00:00")
    on_time = assess(due - timedelta(hours=1), False, due, policy, None)
    assert (on_time.late, on_time.percent, on_time.note) == ("", 0, "")
    flagged = assess(None, True, None, None, 10)
    assert (flagged.late, flagged.percent) == ("flagged late by Canvas", 10) and "--late-flag-penalty" in flagged.note
    unpenalised = assess(None, True, due, policy, None)
    assert unpenalised.percent == 0 and "not penalised" in unpenalised.note
    assert penalised(19, 19, 20) == pytest.approx(15.2) and penalised(1, 19, 50) == 0
    assert describe(timedelta(days=2, minutes=1)) == "2 days 1 min"


def test_moodle_times_are_read_in_the_due_times_zone():
    due = parse_due("2025-03-04T23:59+01:00")
    when = parse_lms_time("Wednesday, 5 March 2025, 1:10 AM", due)
    assert when == datetime(2025, 3, 5, 1, 10, tzinfo=timezone(timedelta(hours=1)))
    assert parse_lms_time("-", due) is None
    with pytest.raises(ValueError, match="English date"):
        parse_lms_time("mercredi 5 mars 2025, 01:10", due)


# --- a marking sheet from a spreadsheet -----------------------------------------------------------

def test_a_marking_sheet_saved_by_excel_is_read(tmp_path):
    from dlcourse.autograder.written import MarksError, read_marks

    q = ASSIGNMENT.written[0]
    sheet = tmp_path / "marks.csv"
    sheet.write_bytes("\ufeffstudent_id;question;max_points;points;answer\r\n"
                      f"104211;{q.grade_id};2;1,5;\"Zu groß; divergiert\"\r\n"
                      f"104213;{q.grade_id};2;2;\r\n"
                      f"104299;{q.grade_id};2;;\r\n;;;;\r\n".encode())
    with pytest.raises(MarksError, match="line 4: no points for 104299 .*--blank-is-zero"):
        read_marks(sheet, ASSIGNMENT, ["104211", "104213", "104299"])
    assert read_marks(sheet, ASSIGNMENT, ["104211", "104213", "104299"], blank_is_zero=True) == {
        "104211": 1.5, "104213": 2.0, "104299": 0.0}
