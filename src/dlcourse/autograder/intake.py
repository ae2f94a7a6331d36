"""Find the submissions: one folder per student, a zip of that layout, or an LMS export zip.

Zips are extracted defensively: entries with absolute paths, ``..`` components or symbolic links
are never written, and extraction stops at a total size limit (checked on the bytes actually
decompressed, not on the sizes the archive claims). A flat zip whose file names follow an LMS's
pattern (Canvas, Moodle, or a regular expression of your own) is sorted into student folders with
nbgrader's :class:`~nbgrader.plugins.zipcollect.FileNameCollectorPlugin`.

Each student's notebook is then located and parsed here, outside the sandbox, without following
symbolic links; what cannot be graded gets a status and a reason instead of an exception.
"""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from dlcourse.autograder.status import Status

#: File-name patterns of LMS exports (named groups as nbgrader's FileNameCollectorPlugin wants).
LMS_PATTERNS = {
    # Canvas: "doejane_12345_6789012_02-neuron.ipynb", "doejane_LATE_12345_6789012_02-neuron-1.ipynb"
    "canvas": r"^(?P<student_id>[A-Za-z0-9.\-]+)_(?:LATE_)?\d+_\d+_(?P<file_id>.+?)(?:-\d+)?\.ipynb$",
    # Moodle: "Jane Doe_12345_assignsubmission_file_02-neuron.ipynb" (the participant id is the student id)
    "moodle": r"^(?P<first_name>[^_]*?)_(?P<student_id>\d+)_assignsubmission_file_(?P<file_id>.+?)\.ipynb$",
}
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_ZIP_BYTES = 1024 * 1024 * 1024
MAX_ZIP_ENTRIES = 20_000
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+\-]{0,99}$")


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


@dataclass
class Intake:
    """All students found, plus problems that belong to no student."""

    submissions: list[Submission]
    problems: list[str] = field(default_factory=list)


def _safe_member(name: str) -> PurePosixPath | None:
    """The relative path of a zip entry, or None when it is absolute or climbs with ``..``."""
    name = name.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in path.parts or not path.parts:
        return None
    return path


def extract_zip(archive: Path, target: Path, max_bytes: int = MAX_ZIP_BYTES) -> tuple[list[str], set[str]]:
    """Extract ``archive`` into ``target`` safely.

    Returns the problems found (skipped entries) and the top-level folder names whose entries were
    skipped as unsafe (those students' submissions are then rejected). Raises UnsafeArchive when
    the archive is not a zip, has too many entries or decompresses to more than ``max_bytes``.
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
            path = _safe_member(info.filename)
            mode = info.external_attr >> 16
            if path is None:
                first = PurePosixPath(info.filename.replace("\\", "/").lstrip("/")).parts[:1]
                problems.append(f"skipped unsafe zip entry {info.filename!r} (absolute path or '..')")
                if first and first[0] not in ("..", "") and not info.filename.startswith("/"):
                    tainted.add(first[0])
                continue
            if stat.S_ISLNK(mode):
                problems.append(f"skipped symbolic link {info.filename!r} in the zip")
                tainted.add(path.parts[0])
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


def sort_lms_files(folder: Path, pattern: str) -> list[str]:
    """Move flat LMS-named files in ``folder`` into ``folder/<student_id>/<file_id>.ipynb``."""
    from nbgrader.plugins.zipcollect import FileNameCollectorPlugin

    collector = FileNameCollectorPlugin(named_regexp=pattern)
    problems = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        found = collector.collect(path.name) if path.suffix == ".ipynb" else None
        if not found or not found.get("student_id"):
            problems.append(f"{path.name}: file name does not match the LMS pattern; skipped")
            continue
        file_id = found["file_id"]
        file_id = file_id if file_id.endswith(".ipynb") else file_id + ".ipynb"
        student = folder / found["student_id"]
        student.mkdir(exist_ok=True)
        path.rename(student / Path(file_id).name)
    return problems


def _lms_pattern(lms: str | None) -> str | None:
    if lms is None:
        return None
    return LMS_PATTERNS.get(lms, lms)


def collect(submissions: Path, slug: str, workdir: Path, lms: str | None = None,
            max_zip_bytes: int = MAX_ZIP_BYTES) -> Intake:
    """Every student's submission under ``submissions`` (a folder or a zip), notebook loaded."""
    problems: list[str] = []
    tainted: set[str] = set()
    if submissions.is_file():
        root = workdir / "extracted"
        root.mkdir(parents=True)
        found, tainted = extract_zip(submissions, root, max_zip_bytes)
        problems += found
        folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("__MACOSX", "."))]
        files = [p for p in root.iterdir() if p.is_file()]
        if len(folders) == 1 and not files and not _looks_like_student(folders[0], slug):
            root = folders[0]           # a zip of one folder holding the student folders
            files = [p for p in root.iterdir() if p.is_file()]
        if files:
            pattern = _lms_pattern(lms) or _guess_lms(files)
            if pattern is None:
                problems += [f"{p.name}: a file outside any student folder; skipped" for p in files]
            else:
                problems += sort_lms_files(root, pattern)
    elif submissions.is_dir():
        root = submissions
        problems += [f"{p.name}: a file outside any student folder; skipped"
                     for p in sorted(root.iterdir()) if p.is_file() and not p.name.startswith(".")]
    else:
        raise FileNotFoundError(f"{submissions} is neither a folder nor a zip file")
    result = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        if folder.name.startswith((".", "__MACOSX")):
            continue
        result.append(load_submission(folder, slug, unsafe=folder.name in tainted))
    seen = {sub.student_id for sub in result}
    for name in sorted(tainted - seen):
        result.append(Submission(name, None, status=Status.UNGRADABLE,
                                 reason="the upload contained unsafe paths or symbolic links; refused"))
    for link in sorted(p for p in root.iterdir() if p.is_symlink()):
        result.append(Submission(link.name, None, status=Status.UNGRADABLE,
                                 reason="the student folder is a symbolic link; refused"))
    return Intake(result, problems)


def _looks_like_student(folder: Path, slug: str) -> bool:
    return any(p.name == f"{slug}.ipynb" for p in folder.iterdir())


def _guess_lms(files: list[Path]) -> str | None:
    for pattern in LMS_PATTERNS.values():
        if all(re.match(pattern, p.name) for p in files if p.suffix == ".ipynb"):
            return pattern
    return None


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
    sub = Submission(student, folder)
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
    return sub


def _fail(sub: Submission, status: Status, reason: str) -> Submission:
    sub.status, sub.reason = status, reason
    return sub
