"""Grade files a learning-management system imports.

``canvas``: a Canvas gradebook CSV (Grades > Import). Canvas matches rows by ``ID``, ``SIS User
ID`` or ``SIS Login ID``; the student ids of a Canvas submission export are login names, so they go
in ``SIS Login ID``. The second row, ``Points Possible``, sets the maximum of a new assignment
column. Example::

    Student,ID,SIS User ID,SIS Login ID,Section,02-neuron
    Points Possible,,,,,19
    doejane,,,doejane,,17

``moodle``: a CSV for Moodle's grade import (Grades > Import > CSV file). On import, map the
``Identifier`` column to the user field the student ids are (e.g. "ID number" or "username") and
the assignment column to the grade item; the feedback column may be mapped to that item's
feedback. Example::

    Identifier,02-neuron,02-neuron feedback
    12345,17,graded

The score is the total (auto-graded plus written) when the written marks have been merged, else
the auto-graded score; a submission that could not be graded gets 0 and its reason as feedback.
"""

from __future__ import annotations

import csv
from pathlib import Path

FORMATS = ("canvas", "moodle")


def write_export(kind: str, slug: str, rows: list[dict], out: Path) -> Path:
    """Write ``out/<kind>-<slug>.csv`` from grades.csv ``rows``; return its path."""
    if kind not in FORMATS:
        raise ValueError(f"unknown LMS {kind!r}: choose one of {', '.join(FORMATS)}")
    total = "total" if rows and rows[0].get("total") not in (None, "") else "score"
    maximum = rows[0][f"{total}_max" if total == "total" else "max_score"] if rows else ""
    path = out / f"{kind}-{slug}.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        if kind == "canvas":
            writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", slug])
            writer.writerow(["Points Possible", "", "", "", "", maximum])
            for row in rows:
                writer.writerow([row["student_id"], "", "", row["student_id"], "", row[total]])
        else:
            writer.writerow(["Identifier", slug, f"{slug} feedback"])
            for row in rows:
                feedback = row["status"] + (f": {row['reason']}" if row.get("reason") else "")
                writer.writerow([row["student_id"], row[total], feedback])
    return path
