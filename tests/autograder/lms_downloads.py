"""Builders of Canvas's and Moodle's own files, named and laid out exactly as the LMSs make them.

- Canvas's "Download Submissions" zip: ``lib/content_zipper.rb`` (instructure/canvas-lms) names
  each file ``[sortable name][_LATE]_<user id>_<file id>_<file name>`` after lower-casing the
  sortable name, collapsing ``_<digits>_`` in it, and removing every character that is not a Ruby
  ``[[:word:]]``; anonymous grading puts ``anon_<anonymous id>`` in place of name and user id.
- Canvas's gradebook export: ``lib/gradebook_exporter.rb``: ``Student, ID, SIS User ID, SIS Login
  ID, Section``, one ``Title (id)`` column per assignment, the totals, an optional ``Manual
  Posting`` row and the ``    Points Possible`` row.
- Moodle's "Download all submissions": ``mod/assign/classes/downloader.php`` (moodle/moodle):
  ``<full name>_<participant number>_assignsubmission_file/<file>`` (folders, the default) or
  ``..._assignsubmission_file_<file>`` (flat); ``Participant`` in place of the name under blind marking.
- Moodle's grading worksheet: the download columns of ``mod/assign/gradingtable.php``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from pathlib import Path

ASSIGNMENT_COLUMN = "02-neuron (123456)"
ATTACHMENT_UNSAFE = re.compile(r'[\x00/\\:*?"<>|]+')   # sanitize_attachment_filename
WORKSHEET_COLUMNS = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                     "Grade can be changed", "Last modified (submission)", "Online text", "Last modified (grade)",
                     "Feedback comments"]


def _ruby_word(c: str) -> bool:
    return unicodedata.category(c)[0] in "LM" or unicodedata.category(c) in ("Nd", "Pc")


def canvas_name(sortable_name: str | None, user_id: int | str, file_id: int, filename: str, late: bool = False,
                anonymous_id: str | None = None) -> str:
    """The name Canvas gives one uploaded file in its submissions zip."""
    name = None
    if anonymous_id is None:
        name = re.sub(r"_(\d+)_", r"\1", sortable_name).lower()
    ident = f"anon_{anonymous_id}" if anonymous_id is not None else str(user_id)
    prefix = "_".join(part for part in (name, "LATE" if late else None, ident) if part is not None)
    prefix = "".join(c for c in prefix if _ruby_word(c))
    return f"{prefix}_{file_id}_{ATTACHMENT_UNSAFE.sub('_', filename)}"


def moodle_path(full_name: str, participant: int, filename: str, folders: bool = True, blind: bool = False,
                plugin: str = "file") -> str:
    """The path Moodle gives one submitted file in "Download all submissions"."""
    prefix = ("Participant" if blind else full_name.replace("_", " ")) + f"_{participant}"
    return (f"{prefix}_assignsubmission_{plugin}/{filename}" if folders
            else f"{prefix}_assignsubmission_{plugin}_{filename}")


def make_zip(path: Path, entries: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [info.filename for info in zf.infolist() if not info.is_dir()]


def canvas_gradebook(path: Path, students: list[tuple[str, str, str]], points: str = "21",
                     other: str = "03-mlp (123457)", manual_posting: bool = False, separator: str = ",",
                     bom: bool = False) -> Path:
    """A gradebook export: ``students`` are (sortable name, Canvas user id, SIS login id)."""
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT_COLUMN, other,
              "Current Score", "Unposted Current Score", "Final Score", "Unposted Final Score"]
    rows = [header]
    if manual_posting:
        rows.append(["", "", "", "", "", "Manual Posting", "", "", "", "", ""])
    rows.append(["    Points Possible", "", "", "", "", points, "10", "(read only)", "(read only)", "(read only)",
                 "(read only)"])
    for name, user_id, login in students:
        rows.append([name, user_id, f"S{user_id}", login, "Section A", "", "7", "70", "70", "35", "35"])
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator).writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode())
    return path


def moodle_worksheet(path: Path, students: list[tuple[int, str, str, str]], maximum: str = "21.00") -> Path:
    """A grading worksheet: ``students`` are (participant number, full name, status, last modified
    (submission)); Moodle writes times as ``Tuesday, 4 March 2025, 11:30 PM``."""
    rows = [WORKSHEET_COLUMNS]
    for number, name, status, submitted in students:
        email = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace(" ", ".")
        rows.append([f"Participant {number}", name, f"{email}@example.edu", status, "", maximum, "Yes", submitted,
                     "", "-", ""])
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def read_csv(path: Path, separator: str = ",") -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle, delimiter=separator))
