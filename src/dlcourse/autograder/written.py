"""Written answers: a marking sheet per assignment, and the filled sheet merged into the grades.

``dlcourse grade`` writes ``written/<slug>.csv`` (one row per student and question, with an empty
``points`` column to fill in) and ``written/<slug>.html`` (each question, its mark scheme and every
student's answer, rendered). ``dlcourse marks`` checks a filled sheet and adds a ``written``
column and a ``total`` to ``grades.csv``.

Students' answers are Markdown with maths. They are rendered with raw HTML switched off (a
``<script>`` in an answer is shown as text), link targets limited to http(s) and mail, maths turned
into MathML on the server, and a content security policy that forbids every script: opening the
page runs nothing a student wrote.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

from dlcourse.autograder.assemble import Assignment

SHEET_COLUMNS = ["student_id", "question", "max_points", "points", "answer"]
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class MarksError(ValueError):
    """A filled marking sheet that cannot be merged; the message lists every problem."""


#: The MathML that answers may contain (latex2mathml copies ``\text{...}`` and ``\href`` through
#: unescaped, so its output is cleaned with bleach down to these elements and attributes).
MATHML_TAGS = frozenset(
    "math mrow mi mo mn ms mtext mfrac msup msub msubsup msqrt mroot mover munder munderover mtable "
    "mtr mtd mspace mstyle menclose mpadded mphantom mfenced merror semantics annotation".split())
MATHML_ATTRIBUTES = [
    "display", "mathvariant", "xmlns", "stretchy", "fence", "separator", "lspace", "rspace", "columnalign",
    "rowspacing", "columnspacing", "accent", "accentunder", "minsize", "maxsize", "width", "height", "depth",
    "linethickness", "form", "movablelimits", "symmetric", "largeop", "notation", "open", "close",
    "separators", "scriptlevel", "displaystyle", "rowalign", "columnlines", "rowlines", "frame"]


def _math(tex: str, display: bool) -> str:
    import bleach
    from latex2mathml.converter import convert

    try:
        mathml = convert(tex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - TeX the converter cannot read is shown as it was typed
        return f"<code>{html.escape(tex)}</code>"
    return bleach.clean(mathml, tags=MATHML_TAGS, attributes={"*": MATHML_ATTRIBUTES})


def render_markdown(text: str) -> str:
    """Safe HTML for a student's Markdown: no raw HTML, no scripts, maths as MathML."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False}).use(
        dollarmath_plugin, allow_space=True, double_inline=True,
        renderer=lambda content, options: _math(content, options.get("display_mode", False)))
    md.validateLink = lambda url: url.strip().lower().startswith(("http://", "https://", "mailto:", "#"))
    return md.render(text)


def write_sheets(assignment: Assignment, answers: dict[str, dict[str, str]], folder: Path) -> list[Path]:
    """``folder/<slug>.csv`` and ``folder/<slug>.html`` for ``answers`` (student -> grade_id -> text).

    Returns the paths written (none when the assignment has no written question)."""
    if not assignment.written:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    sheet = folder / f"{assignment.slug}.csv"
    with open(sheet, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(SHEET_COLUMNS)
        for question in assignment.written:
            for student in sorted(answers):
                writer.writerow([student, question.grade_id, f"{question.points:g}", "",
                                 answers[student].get(question.grade_id, "")])
    e = html.escape
    body = [f"<p>{len(answers)} students, {len(assignment.written)} written question(s). Fill in the "
            f"<code>points</code> column of <code>{e(sheet.name)}</code>, then run "
            f"<code>dlcourse marks {e(assignment.slug)} --out RESULTS --written {e(sheet.name)}</code>.</p>"]
    for question in assignment.written:
        body.append(f"<section><h2>{e(question.grade_id)} ({question.points:g} points)</h2>"
                    f"<div class='question'>{render_markdown(question.question)}</div>"
                    f"<h3>Mark scheme</h3><div class='scheme'>{render_markdown(question.mark_scheme)}</div>"
                    "<table><tr><th>student</th><th>answer</th><th>points</th></tr>")
        for student in sorted(answers):
            text = answers[student].get(question.grade_id, "")
            rendered = render_markdown(text) if text else "<p><i>no answer</i></p>"
            body.append(f"<tr><td>{e(student)}</td><td>{rendered}</td><td></td></tr>")
        body.append("</table></section>")
    page = folder / f"{assignment.slug}.html"
    page.write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        f"<title>Written answers: {e(assignment.slug)}</title><style>body{{font-family:system-ui,sans-serif;"
        "max-width:70rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #ccc;padding:.4rem;vertical-align:top;text-align:left}"
        ".scheme{background:#f4f4f4;padding:.2rem .8rem}</style></head><body>"
        f"<h1>Written answers: {e(assignment.slug)}</h1>{''.join(body)}</body></html>\n")
    return [sheet, page]


def read_marks(path: Path, assignment: Assignment, students: list[str],
               blank_is_zero: bool = False) -> dict[str, float]:
    """Check the filled sheet ``path`` and return each student's written points.

    The sheet may come back from any spreadsheet: Excel's UTF-8 with a byte-order mark, ``;`` as
    the separator and decimal commas (``1,5``) are read as such. Every student of ``students``
    needs one row per written question with a number between 0 and the question's maximum; a
    blank mark is an error (``blank_is_zero``: 0 points). Unknown students or questions,
    duplicates and missing rows are errors. Raises MarksError listing every problem (with the
    sheet's line numbers).
    """
    from dlcourse.autograder.tables import parse_number, read_table

    maxima = {q.grade_id: q.points for q in assignment.written}
    problems, points, seen = [], {}, set()
    try:
        table = read_table(path)
    except OSError as error:
        raise MarksError(f"cannot read the marking sheet {path}: {error}") from None
    header = [cell.strip() for cell in table.rows[0]] if table.rows else []
    missing_columns = {"student_id", "question", "points"} - set(header)
    if missing_columns:
        raise MarksError(f"{path} needs the columns student_id, question and points "
                         f"(missing: {', '.join(sorted(missing_columns))}; its first row is {', '.join(header)!r})")
    index = {name: header.index(name) for name in ("student_id", "question", "points")}
    for line, cells in zip(table.lines[1:], table.rows[1:]):
        student, question, raw = (cells[i].strip() if i < len(cells) else "" for i in index.values())
        where = f"line {line}"
        if student not in students:
            problems.append(f"{where}: unknown student {student!r} (not in grades.csv)")
            continue
        if question not in maxima:
            problems.append(f"{where}: unknown question {question!r} (written questions: {', '.join(maxima)})")
            continue
        if (student, question) in seen:
            problems.append(f"{where}: a second row for {student} / {question}")
            continue
        seen.add((student, question))
        if not raw and blank_is_zero:
            raw = "0"
        try:
            value = parse_number(raw)
        except ValueError:
            problems.append(f"{where}: points {raw!r} for {student} / {question} is not a number"
                            if raw else f"{where}: no points for {student} / {question} "
                                        "(fill it in, or pass --blank-is-zero)")
            continue
        if not 0 <= value <= maxima[question]:
            problems.append(f"{where}: {value:g} points for {student} / {question}, but the question is "
                            f"worth 0 to {maxima[question]:g}")
            continue
        points[student] = points.get(student, 0.0) + value
    for student in students:
        for question in maxima:
            if (student, question) not in seen:
                problems.append(f"missing row: {student} / {question}")
    if problems:
        raise MarksError(f"{path}: {len(problems)} problem(s), nothing was merged:\n  " + "\n  ".join(problems))
    return points
