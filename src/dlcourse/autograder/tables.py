"""CSV files as spreadsheets and LMSs write them, read and written back in their own dialect.

Excel saves "CSV UTF-8" with a byte-order mark, and in many locales (German, French, ...) separates
columns with ``;`` and writes decimal commas (``1,5``); plain "CSV" from Excel is Windows-1252.
Canvas's gradebook export can itself be ``;``-separated with a BOM (the user's CSV settings), and
its importer accepts both separators and decimal commas. A file read here remembers its encoding,
separator and decimal mark, so the file written back is the one the LMS gave, changed only where
it has to be.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

SEPARATORS = (",", ";", "\t")
NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)\s*$")


@dataclass
class Table:
    """The rows of a CSV file and how it was written."""

    rows: list[list[str]]
    lines: list[int] = field(default_factory=list)   # each row's line in the file (blank rows are dropped)
    separator: str = ","
    bom: bool = False
    encoding: str = "utf-8"
    decimal_comma: bool = False

    def write(self, path: Path, rows: list[list[str]] | None = None) -> Path:
        """Write ``rows`` (default: this table's) to ``path`` in this table's dialect."""
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=self.separator, lineterminator="\r\n").writerows(
            self.rows if rows is None else rows)
        data = buffer.getvalue().encode(self.encoding, errors="replace")
        path.write_bytes((codecs.BOM_UTF8 if self.bom else b"") + data)
        return path

    def number(self, value: float) -> str:
        """``value`` as this file writes numbers: at most two decimals (what Canvas and Moodle
        show and store by default), with this file's decimal mark."""
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if self.decimal_comma else text


def _separator(first_line: str) -> str:
    """The separator that splits the header line into the most columns (``,`` on a tie)."""
    counts = {sep: len(next(csv.reader([first_line], delimiter=sep), [])) for sep in SEPARATORS}
    return max(SEPARATORS, key=lambda sep: counts[sep])


def read_table(path: Path) -> Table:
    """Read ``path`` whatever the spreadsheet that saved it: BOM or not, UTF-8 or Windows-1252,
    ``,``, ``;`` or tab separated. Rows that are empty (or only separators) are dropped.

    Raises OSError when the file cannot be read."""
    raw = path.read_bytes()
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("cp1252", errors="replace"), "cp1252"
    first = text.split("\n", 1)[0]
    separator = _separator(first)
    rows, lines = [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    for row in reader:
        if any(cell.strip() for cell in row):
            rows.append(row)
            lines.append(reader.line_num)
    comma = separator != "," and any(re.fullmatch(r"\s*-?\d+,\d+\s*", c) for row in rows for c in row)
    return Table(rows=rows, lines=lines, separator=separator, bom=bom, encoding=encoding, decimal_comma=comma)


def parse_number(text: str) -> float:
    """A number as a person or a spreadsheet wrote it: ``1.5``, ``1,5``, `` 2 ``.

    Raises ValueError for anything else (blank, text, infinity, NaN)."""
    if not NUMBER.match(text or ""):
        raise ValueError(f"{text!r} is not a number")
    value = float(text.strip().replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value
