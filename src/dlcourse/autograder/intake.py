"""Find the submissions: one folder per student, a zip of that layout, or an LMS's download zip.

Layouts (``--lms``, else guessed from the file names and announced):

- **folders**: ``<student_id>/NN-slug.ipynb`` (deeper is fine), as ``nbgrader collect`` makes
  ``submitted/<student>/NN-slug/`` with nbgrader's ``timestamp.txt`` beside the notebook.
- **canvas**: "Download Submissions" (``lib/content_zipper.rb`` of instructure/canvas-lms) names
  each uploaded file ``<sortable name>[_LATE]_<user id>_<file id>_<file name>``: the sortable name
  lower-cased with every non-word character removed (Unicode letters and marks kept), ``_LATE``
  when Canvas counts the submission late, and the student's own file name, which Canvas renames
  ``name-1.ipynb``, ``name-2.ipynb`` when a file of the same name is uploaded again. Anonymous
  grading writes ``[LATE_]anon_<anonymous id>_<file id>_<file name>``; text entries and URLs
  become ``..._<user id>_text.html`` and ``..._link.html``. A student is keyed by the Canvas user
  id (or ``anon_<id>``), never by the name: two Jane Does are two students. Where a name itself
  ends in digits the file name can be read more than one way; Canvas reads its own names by the
  first pair of numbers (``infer_comment_context_from_filename`` in ``app/models/assignment.rb``),
  and so does this unless a roster has only one of the readings' user ids.
- **moodle**: "Download all submissions" (``mod/assign/classes/downloader.php`` of moodle/moodle)
  makes one folder per student and plugin, ``<full name>_<participant number>_assignsubmission_file/``
  holding the files as uploaded (the default since Moodle 3.1), ``Participant_<number>_...`` under
  blind marking, or, with "Download submissions in folders" off, flat names
  ``<full name>_<participant number>_assignsubmission_file_<file name>``. A student is keyed by the
  participant number (the number in the grading worksheet's ``Participant 48213``).
- **regex**: ``--lms 'REGEX'`` with ``(?P<student_id>...)`` and ``(?P<file_id>...)`` groups (and
  optionally ``(?P<timestamp>...)``), applied to each file's path in the zip by nbgrader's
  :class:`~nbgrader.plugins.zipcollect.FileNameCollectorPlugin`.

Nothing is lost and nothing is merged: in an LMS layout every file of the zip ends in exactly one
student's row (graded, or named there as not graded) or in the problems, with the reason. When a
student has two notebooks for the assignment, the LMS's own rule picks one (Canvas: the highest
``-N``, which is also the newest file id; a regex with timestamps: the newest, as nbgrader's
``zip_collect`` keeps); when no rule decides, the row says so and names both files.

Zips are extracted defensively: entries with absolute paths, ``..`` components or symbolic links
are never written, and extraction stops at a total size limit (checked on the bytes actually
decompressed, not on the sizes the archive claims). File names stored as UTF-8 without the zip's
UTF-8 flag (which some zip writers leave out) are read as UTF-8, so accented names stay whole.

Each student's notebook is then parsed here, outside the sandbox, without following symbolic
links; what cannot be graded gets a status and a reason instead of an exception.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath

import nbformat

from dlcourse.autograder.status import Status

LAYOUTS = ("canvas", "moodle")
LAYOUT_NAMES = {"folders": "one folder per student", "canvas": "Canvas", "moodle": "Moodle",
                "regex": "--lms regular expression"}
FORMS = {"canvas": "<name>[_LATE]_<user id>_<file id>_<file>, or anon_<id>_<file id>_<file>",
         "moodle": "<full name>_<participant number>_assignsubmission_<plugin>/<file> or ..._<plugin>_<file>",
         "regex": "the --lms pattern"}
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_ZIP_BYTES = 1024 * 1024 * 1024
MAX_ZIP_ENTRIES = 20_000
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+\-]{0,99}$")
JUNK = re.compile(r"(^|/)(__MACOSX(/|$)|\._|\.DS_Store$|Thumbs\.db$|desktop\.ini$)")

CANVAS_TAIL = re.compile(r"(?P<late>_LATE)?_(?P<user>\d+)"
                         r"(?:_(?P<file>\d+)_(?P<filename>.+)|_(?P<page>text|link)\.html)", re.S)
CANVAS_ANON = re.compile(r"(?P<late>LATE_)?anon_(?P<anon>[A-Za-z0-9]+)"
                         r"(?:_(?P<file>\d+)_(?P<filename>.+)|_(?P<page>text|link)\.html)", re.S)
MOODLE = re.compile(r"(?P<name>[^_/]*)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+?)"
                    r"(?:/(?P<path>.+)|_(?P<flat>[^/]+))", re.S)


class UnsafeArchive(Exception):
    """The archive as a whole cannot be extracted safely (size or entry limits)."""


@dataclass
class Submission:
    """One student's submission, before grading."""

    student_id: str
    folder: Path | None
    notebook: dict | None = None
    status: Status = Status.PENDING
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    name: str = ""                      # the student's name as the LMS wrote it ("" when it did not)
    submitted: datetime | None = None   # when it came in, where recorded (timestamp.txt, file name)
    late_flag: bool = False             # Canvas's _LATE: late, time not given


@dataclass
class Intake:
    """All students found, problems that belong to no student, and where every file went."""

    submissions: list[Submission]
    problems: list[str] = field(default_factory=list)
    layout: str = "folders"
    guessed: bool = False
    files: dict[str, tuple[str, bool]] = field(default_factory=dict)  # LMS layouts: path -> (student, graded)

    def summary(self) -> str:
        """How many files were found, graded and set aside (an LMS zip), or how many folders."""
        if self.layout == "folders":
            return f"{len(self.submissions)} student folders"
        graded = sum(is_graded for _, is_graded in self.files.values())
        how = f"guessed from the file names; --lms {self.layout} names it" if self.guessed else "--lms"
        aside = len(self.files) - graded
        return (f"{len(self.files)} files in the {LAYOUT_NAMES[self.layout]} layout ({how}): {graded} notebook"
                f"{'s' * (graded != 1)} to grade, {aside} file{'s' * (aside != 1)} set aside (each named in its "
                "student's row or in the report's problems)")


@dataclass(frozen=True)
class LmsFile:
    """One file of an LMS download, and what its name says."""

    path: str                 # where it is in the zip
    student_id: str           # the LMS's id of the student
    filename: str             # the student's own file name (the LMS's prefix taken off)
    name: str = ""            # the student's name as the LMS wrote it
    late: bool = False        # Canvas's _LATE
    file_id: int = 0          # Canvas's attachment id (larger: uploaded later)
    timestamp: str = ""       # a --lms REGEX's timestamp group
    note: str = ""            # how an ambiguous name was read


def _word(text: str) -> bool:
    """Only "word" characters as Ruby's ``[[:word:]]`` has them (letters, marks, decimal digits,
    connector punctuation): what Canvas leaves of a name."""
    return all(unicodedata.category(c)[0] in "LM" or unicodedata.category(c) in ("Nd", "Pc") for c in text)


def _canvas_file(path: str, student_id: str, name: str, match: re.Match) -> LmsFile:
    filename = match["filename"] or f"{match['page']}.html"
    return LmsFile(path=path, student_id=student_id, filename=filename, name=name, late=bool(match["late"]),
                   file_id=int(match["file"] or 0))


def parse_canvas(path: str, known: set[str] | None = None) -> LmsFile | None:
    """What a Canvas download's file name says, or None when it is not named as Canvas names files.

    ``known`` (the roster's user ids) settles a name that reads more than one way."""
    if "/" in path:
        return None
    match = CANVAS_ANON.fullmatch(path)
    if match:
        return _canvas_file(path, f"anon_{match['anon']}", "", match)
    readings = [(i, m) for i, c in enumerate(path) if c == "_"
                and (m := CANVAS_TAIL.fullmatch(path, i)) and _word(path[:i])]
    if not readings:
        return None
    on_roster = [r for r in readings if known and r[1]["user"] in known]
    at, match = (on_roster or readings)[0]
    found = _canvas_file(path, match["user"], path[:at], match)
    others = sorted({m["user"] for _, m in readings} - {found.student_id})
    if others:
        why = "the one on the roster" if on_roster else "the first pair of numbers, as Canvas reads its own names"
        found = replace(found, note=f"{path} was read as user {found.student_id} ({why}); it could also be read as "
                                    f"user {', '.join(others)}")
    return found


def parse_moodle(path: str) -> LmsFile | None:
    """What a Moodle download's path says (folder or flat layout), or None."""
    match = MOODLE.fullmatch(path)
    if not match:
        return None
    name = match["name"].strip()
    return LmsFile(path=path, student_id=match["id"], filename=match["path"] or match["flat"],
                   name="" if name == "Participant" else name)


def _regex_parser(pattern: str) -> Callable[[str], LmsFile | None]:
    """nbgrader's FileNameCollectorPlugin with ``pattern``, as a parser of zip paths."""
    from nbgrader.plugins.zipcollect import FileNameCollectorPlugin

    try:
        groups = re.compile(pattern).groupindex
    except re.error as error:
        raise ValueError(f"--lms {pattern!r} is neither canvas, moodle nor a valid regular expression "
                         f"({error})") from None
    if not {"student_id", "file_id"} <= set(groups):
        raise ValueError(f"--lms {pattern!r} is neither canvas, moodle nor a regular expression with "
                         "(?P<student_id>...) and (?P<file_id>...) groups")
    collector = FileNameCollectorPlugin(named_regexp=pattern)

    def parse(path: str) -> LmsFile | None:
        found = collector.collect(path)
        if not found or not found.get("student_id") or not found.get("file_id"):
            return None
        filename = os.path.splitext(found["file_id"])[0] + os.path.splitext(path)[1]   # nbgrader's rule
        name = " ".join(found.get(k) or "" for k in ("first_name", "last_name")).strip()
        return LmsFile(path=path, student_id=found["student_id"], filename=filename, name=name,
                       timestamp=found.get("timestamp") or "")

    return parse


def _parser(layout: str, pattern: str | None, known: set[str] | None) -> Callable[[str], LmsFile | None]:
    if layout == "canvas":
        return lambda path: parse_canvas(path, known)
    if layout == "moodle":
        return parse_moodle
    return _regex_parser(pattern)


def _safe_member(name: str) -> PurePosixPath | None:
    """The relative path of a zip entry, or None when it is absolute or climbs with ``..``."""
    name = name.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in path.parts or not path.parts:
        return None
    return path


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name: UTF-8 when flagged so, or when its bytes are UTF-8 though the flag is
    missing (else the cp437 that zip files default to)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def extract_zip(archive: Path, target: Path, max_bytes: int = MAX_ZIP_BYTES) -> tuple[list[str], set[str]]:
    """Extract ``archive`` into ``target`` safely.

    Returns the problems found (skipped entries) and the paths of the entries skipped as unsafe
    (their students' submissions are then refused). Raises UnsafeArchive when the archive is not a
    zip, has too many entries or decompresses to more than ``max_bytes``.
    """
    problems, tainted = [], set()
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise UnsafeArchive(f"{archive.name} is not a readable zip file ({error})") from None
    with zf:
        entries = zf.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise UnsafeArchive(f"{archive.name} has {len(entries)} entries (limit {MAX_ZIP_ENTRIES})")
        total = 0
        for info in entries:
            name = _entry_name(info)
            path = _safe_member(name)
            mode = info.external_attr >> 16
            if path is None:
                problems.append(f"skipped unsafe zip entry {name!r} (absolute path or '..')")
                if not name.startswith("/"):
                    tainted.add(name.replace("\\", "/"))
                continue
            if stat.S_ISLNK(mode):
                problems.append(f"skipped symbolic link {name!r} in the zip")
                tainted.add(str(path))
                continue
            destination = target.joinpath(*path.parts)
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as source, open(destination, "wb") as sink:
                while chunk := source.read(1 << 20):
                    total += len(chunk)
                    if total > max_bytes:
                        raise UnsafeArchive(f"{archive.name} decompresses to more than {max_bytes // 2**20} MB: "
                                            "refused (a zip bomb, or raise --max-zip-mb)")
                    sink.write(chunk)
    return problems, tainted


def _files(root: Path) -> tuple[list[str], list[str]]:
    """Every file under ``root`` (relative paths; symbolic links listed, not followed), and the
    operating systems' clutter among them (``__MACOSX/``, ``.DS_Store``)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in filenames + [d for d in dirnames if (base / d).is_symlink()]:
            found.append((base / name).relative_to(root).as_posix())
    found.sort()
    return [p for p in found if not JUNK.search(p)], [p for p in found if JUNK.search(p)]


def _unwrap(root: Path, slug: str, tainted: set[str]) -> tuple[Path, set[str]]:
    """A zip of one folder holding the student folders or files: that folder (and the unsafe paths
    relative to it)."""
    entries = [p for p in root.iterdir() if not JUNK.search(p.name)]
    if (len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink()
            and not MOODLE.fullmatch(entries[0].name + "/x") and not (entries[0] / f"{slug}.ipynb").exists()):
        prefix = entries[0].name + "/"
        return entries[0], {p.removeprefix(prefix) for p in tainted}
    return root, tainted


def _layout(files: list[str], lms: str | None) -> tuple[str, bool]:
    """The layout named by ``--lms``, else the one that accounts for the most files (and True)."""
    if lms:
        return (lms.lower() if lms.lower() in LAYOUTS else "regex"), False
    counts = {"moodle": sum(parse_moodle(p) is not None for p in files),
              "canvas": sum(parse_canvas(p) is not None for p in files),
              "folders": sum("/" in p for p in files)}
    best = max(counts, key=counts.get)   # a tie goes to the more specific layout (moodle, canvas, folders)
    return (best if counts[best] else "folders"), best != "folders" and counts[best] > 0


def collect(submissions: Path, slug: str, workdir: Path, lms: str | None = None,
            max_zip_bytes: int = MAX_ZIP_BYTES, known_ids: set[str] | None = None) -> Intake:
    """Every student's submission under ``submissions`` (a folder or a zip), notebook loaded.

    ``lms`` is the layout (canvas, moodle or a regular expression; None: guessed); ``known_ids``
    (a roster's) settles a Canvas file name that reads two ways. Raises UnsafeArchive,
    FileNotFoundError, or ValueError for a bad ``--lms`` pattern."""
    problems: list[str] = []
    tainted: set[str] = set()
    if submissions.is_file():
        root = workdir / "extracted"
        root.mkdir(parents=True)
        problems, tainted = extract_zip(submissions, root, max_zip_bytes)
    elif submissions.is_dir():
        root = submissions
    else:
        raise FileNotFoundError(f"{submissions} is neither a folder nor a zip file")
    if submissions.is_file():
        root, tainted = _unwrap(root, slug, tainted)
    files, junk = _files(root)
    layout, guessed = _layout(files, lms)
    if layout == "folders":
        intake = _collect_folders(root, slug, tainted)
    else:
        intake = _collect_lms(root, files, layout, lms, slug, workdir / "students", tainted, known_ids)
        intake.guessed = guessed
    if junk:
        problems.append(f"{len(junk)} files of the operating system's (macOS's __MACOSX/ copies, .DS_Store) "
                        f"set aside: {', '.join(junk[:3])}{', ...' if len(junk) > 3 else ''}")
        if layout != "folders":
            intake.files.update((path, ("", False)) for path in junk)
    intake.problems[:0] = problems
    return intake


def _collect_folders(root: Path, slug: str, tainted: set[str]) -> Intake:
    """One folder per student: the folder's name is the student id."""
    tops = {PurePosixPath(p).parts[0] for p in tainted if PurePosixPath(p).parts}
    problems = [f"{p.name}: a file outside any student folder; skipped"
                for p in sorted(root.iterdir()) if p.is_file() and not JUNK.search(p.name)]
    result = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        if folder.name.startswith(".") or JUNK.search(folder.name):
            continue
        result.append(load_submission(folder, slug, unsafe=folder.name in tops))
    seen = {sub.student_id for sub in result}
    for name in sorted(tops - seen):
        if STUDENT_ID.match(name):
            result.append(Submission(student_id=name, folder=None, status=Status.UNGRADABLE,
                                     reason="the upload contained unsafe paths or symbolic links; refused"))
    for link in sorted(p for p in root.iterdir() if p.is_symlink()):
        result.append(Submission(student_id=link.name, folder=None, status=Status.UNGRADABLE,
                                 reason="the student folder is a symbolic link; refused"))
    return Intake(submissions=result, problems=problems)


def _collect_lms(root: Path, files: list[str], layout: str, pattern: str | None, slug: str, students: Path,
                 tainted: set[str], known: set[str] | None) -> Intake:
    """An LMS download: each file's name says whose it is; one row per student id."""
    parse = _parser(layout, pattern, known)
    intake = Intake(submissions=[], problems=[], layout=layout)
    by_student: dict[str, list[LmsFile]] = {}
    for path in files:
        found = parse(path)
        if found is None or not STUDENT_ID.match(found.student_id):
            why = (f"the student id {found.student_id!r} it gives is not usable" if found else
                   f"not named as {LAYOUT_NAMES[layout]} names a submission's files ({FORMS[layout]})")
            intake.problems.append(f"{path}: {why}; set aside")
            intake.files[path] = ("", False)
            continue
        by_student.setdefault(found.student_id, []).append(found)
    unsafe = {found.student_id for path in tainted if (found := parse(path))}
    unsafe |= {f.student_id for fs in by_student.values() for f in fs if (root / f.path).is_symlink()}
    for student in sorted(set(by_student) | {s for s in unsafe if STUDENT_ID.match(s)}):
        own = by_student.get(student, [])
        sub, chosen = _lms_submission(student, own, root, slug, layout, students, student in unsafe)
        intake.submissions.append(sub)
        for f in own:
            intake.files[f.path] = (student, f is chosen and sub.status == Status.PENDING)
    return intake


def _lms_submission(student: str, files: list[LmsFile], root: Path, slug: str, layout: str, students: Path,
                    unsafe: bool) -> tuple[Submission, LmsFile | None]:
    """One student's submission from their files of an LMS download, and the file graded."""
    sub = Submission(student_id=student, folder=None, name=next((f.name for f in files if f.name), ""),
                     late_flag=any(f.late for f in files), notes=[f.note for f in files if f.note])
    chosen = None
    if unsafe:
        _fail(sub, Status.UNGRADABLE, "the upload contained unsafe paths or symbolic links; refused")
    else:
        chosen, outcome = _choose(files, slug, layout)
        if chosen is None:
            _fail(sub, *outcome)
        else:
            folder = students / student
            folder.mkdir(parents=True)
            shutil.copyfile(root / chosen.path, folder / f"{slug}.ipynb")
            loaded = load_submission(folder, slug)
            sub.folder, sub.notebook, sub.status, sub.reason = folder, loaded.notebook, loaded.status, loaded.reason
            sub.notes[:0] = [outcome] if outcome else []
            if chosen.timestamp:
                _set_time(sub, chosen.timestamp, f"the timestamp {chosen.timestamp!r} in {chosen.path}")
    rest = [f.filename for f in files if f is not chosen]
    if rest:
        sub.notes.append("not graded: " + ", ".join(rest))
    return sub, chosen


def _choose(files: list[LmsFile], slug: str, layout: str) -> tuple[LmsFile | None, object]:
    """The file to grade among one student's files, by the LMS's own rule, with a note (or "");
    or None with the (status, reason) of a row that cannot be graded."""
    expected = f"{slug}.ipynb"
    if layout == "canvas":   # Canvas renames a re-upload of a same-named file NAME-1.ipynb, NAME-2.ipynb
        numbered = re.compile(re.escape(slug) + r"-(\d+)\.ipynb")
        candidates = [(f, 0 if f.filename == expected else int(m[1]))
                      for f in files if f.filename == expected or (m := numbered.fullmatch(f.filename))]
    else:
        candidates = [(f, 0) for f in files if PurePosixPath(f.filename).name == expected]
    names = ", ".join(f.filename for f, _ in candidates)
    if len(candidates) == 1:
        f = candidates[0][0]
        return f, "" if f.filename == expected else f"graded {f.filename} as {expected}"
    if not candidates:
        notebooks = [f.filename for f in files if f.filename.endswith(".ipynb")]
        if notebooks:
            return None, (Status.MISSING_NOTEBOOK, f"no {expected}; found {', '.join(notebooks[:3])} instead "
                                                   f"(renamed? the notebook must keep the name {expected})")
        return None, (Status.MISSING_NOTEBOOK, f"no notebook in the submission (expected {expected})")
    if layout == "canvas":
        by_number = sorted(candidates, key=lambda c: c[1])
        numbers, ids = [n for _, n in by_number], [f.file_id for f, _ in by_number]
        if len(set(numbers)) == len(numbers) and ids == sorted(ids) and len(set(ids)) == len(ids):
            latest = by_number[-1][0]
            return latest, (f"graded {latest.filename}, the latest upload (Canvas numbers a re-uploaded file "
                            "-1, -2, ... and gives it a larger file id)")
        names = ", ".join(f.filename for f, _ in by_number)
        return None, (Status.UNGRADABLE, f"{len(candidates)} notebooks could each be the submission and Canvas's "
                                         f"numbering does not say which is the latest: {names} (file ids "
                                         f"{', '.join(str(i) for i in ids)}); grade one by hand or ask for one")
    stamped = [(f, _time_or_none(f.timestamp)) for f, _ in candidates]
    times = [t for _, t in stamped]
    if all(times) and len(set(times)) == len(times):
        newest = max(stamped, key=lambda s: s[1])[0]
        return newest, f"graded {newest.path}, the newest by its timestamp (as nbgrader's zip_collect keeps)"
    return None, (Status.UNGRADABLE, f"found {len(candidates)} notebooks named {expected} "
                                     f"({', '.join(f.path for f, _ in candidates)}) and nothing says which is "
                                     "the submission; submit one")


def _time_or_none(text: str) -> datetime | None:
    from dlcourse.autograder.late import parse_nbgrader_time

    try:
        return parse_nbgrader_time(text) if text else None
    except ValueError:
        return None


def _set_time(sub: Submission, text: str, where: str) -> None:
    """Record when ``sub`` came in, from nbgrader's timestamp text; an unreadable one is noted."""
    from dlcourse.autograder.late import parse_nbgrader_time

    try:
        sub.submitted = parse_nbgrader_time(text)
    except ValueError as error:
        sub.notes.append(f"{where} is unreadable ({error}): lateness not checked")


def _notebooks(folder: Path) -> tuple[list[Path], list[Path]]:
    """Notebooks under ``folder`` (no checkpoints, not following links), and symbolic links met."""
    found, links = [], []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != ".ipynb_checkpoints" and not d.startswith("__MACOSX")]
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                links.append(path)
        for name in filenames:
            path = Path(dirpath) / name
            if name.endswith(".ipynb") and not path.is_symlink():
                found.append(path)
    return sorted(found), links


def load_submission(folder: Path, slug: str, unsafe: bool = False) -> Submission:
    """Locate and parse ``folder``'s notebook ``SLUG.ipynb``; say why when it cannot be graded."""
    student = folder.name
    sub = Submission(student_id=student, folder=folder)
    if not STUDENT_ID.match(student):
        return _fail(sub, Status.UNGRADABLE, f"the folder name {student!r} is not a usable student id")
    if unsafe:
        return _fail(sub, Status.UNGRADABLE, "the upload contained unsafe paths or symbolic links; refused")
    notebooks, links = _notebooks(folder)
    expected = f"{slug}.ipynb"
    named = [p for p in notebooks if p.name == expected]
    if any(link.name == expected for link in links):
        return _fail(sub, Status.UNGRADABLE, f"{expected} is a symbolic link, not a file; refused")
    if len(named) > 1:
        where = ", ".join(str(p.relative_to(folder)) for p in named)
        return _fail(sub, Status.UNGRADABLE, f"found {len(named)} notebooks named {expected} ({where}); submit one")
    if not named:
        others = ", ".join(str(p.relative_to(folder)) for p in notebooks[:3])
        if others:
            return _fail(sub, Status.MISSING_NOTEBOOK, f"no {expected}; found {others} instead (renamed? "
                                                  f"the notebook must keep the name {expected})")
        return _fail(sub, Status.MISSING_NOTEBOOK, f"no notebook in the submission (expected {expected})")
    path = named[0]
    if len(notebooks) > 1:
        sub.notes.append("other notebooks ignored: " + ", ".join(p.name for p in notebooks if p != path))
    size = path.stat().st_size
    if size == 0:
        return _fail(sub, Status.UNGRADABLE, f"{expected} is an empty file")
    if size > MAX_NOTEBOOK_BYTES:
        return _fail(sub, Status.UNGRADABLE,
                     f"{expected} is {size // 2**20} MB (limit {MAX_NOTEBOOK_BYTES // 2**20} MB)")
    try:
        data = json.loads(path.read_bytes())
    except (UnicodeDecodeError, ValueError) as error:
        return _fail(sub, Status.UNGRADABLE, f"{expected} is not valid JSON ({str(error)[:120]}); "
                                        "was it saved from Jupyter?")
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return _fail(sub, Status.UNGRADABLE, f"{expected} is JSON but not a Jupyter notebook (no list of cells)")
    if data.get("nbformat") not in (4, None):
        try:
            data = nbformat.convert(nbformat.from_dict(data), 4)
        except Exception as error:  # noqa: BLE001 - any conversion failure makes it ungradable
            return _fail(sub, Status.UNGRADABLE, f"{expected} has an unsupported notebook format ({error})")
    sub.notebook = data
    stamp = next((p for p in (path.parent / "timestamp.txt", folder / "timestamp.txt") if p.is_file()), None)
    if stamp is not None and not stamp.is_symlink():
        _set_time(sub, stamp.read_text(errors="replace")[:200], str(stamp.relative_to(folder)))
    return sub


def _fail(sub: Submission, status: Status, reason: str) -> Submission:
    sub.status, sub.reason = status, reason
    return sub
