"""Late work: the due time, the penalty rule, and when each submission came in.

``--late-penalty RATE%/day`` (or ``/hour``), optionally ``,max=CAP%``: every started day (hour)
after ``--due`` costs RATE percent of the assignment's maximum points, at most CAP percent in all;
a score never goes below 0. Counting every started interval is Canvas's own late policy ("late by
one minute" is one day late), and so is a percentage of the points possible.

When a submission came in, from what the LMS or nbgrader recorded:

- nbgrader's ``timestamp.txt`` in the student's folder (written by ``nbgrader submit``/``collect``
  as ``2024-03-01 14:05:33.123456 UTC``, by ``nbgrader zip_collect`` as ``2024-03-01 14:05:33``;
  read with nbgrader's own ``parse_utc``: no zone means UTC);
- Moodle's grading worksheet, column ``Last modified (submission)`` (``Tuesday, 5 March 2024,
  2:30 PM``, in the time zone of whoever downloaded it: read in ``--due``'s zone);
- a ``--lms REGEX``'s ``(?P<timestamp>...)`` group (nbgrader's ``FileNameCollectorPlugin`` convention);
- Canvas's ``_LATE`` in a file name: a flag without a time. It is reported, and penalised by the flat
  ``--late-flag-penalty P%`` or not at all.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

POLICY = re.compile(r"(?P<rate>\d+(?:\.\d+)?)%/(?P<unit>day|hour)s?(?:,max=(?P<cap>\d+(?:\.\d+)?)%)?", re.I)
POLICY_HELP = "RATE%/day or RATE%/hour, optionally followed by ,max=CAP% (e.g. 10%/day,max=50%)"


@dataclass(frozen=True)
class LatePolicy:
    """``rate`` percent of the maximum points per started ``unit`` late, at most ``cap`` percent."""

    rate: float
    unit: str = "day"
    cap: float = 100.0

    def percent(self, late: timedelta) -> float:
        """The penalty, in percent of the maximum points, for a submission ``late`` after the due time."""
        if late <= timedelta(0):
            return 0.0
        units = math.ceil(late / timedelta(**{f"{self.unit}s": 1}))
        return min(self.cap, self.rate * units)

    def __str__(self) -> str:
        return f"{self.rate:g}% per started {self.unit} late, at most {self.cap:g}%"


def parse_policy(text: str) -> LatePolicy:
    """``10%/day,max=50%`` -> LatePolicy(rate=10, unit="day", cap=50). Raises ValueError saying the syntax."""
    match = POLICY.fullmatch(re.sub(r"\s+", "", text or ""))
    if not match:
        raise ValueError(f"--late-penalty {text!r}: expected {POLICY_HELP}")
    rate, cap = float(match["rate"]), float(match["cap"] or 100)
    if rate <= 0 or not 0 < cap <= 100:
        raise ValueError(f"--late-penalty {text!r}: the rate must be above 0% and the cap between 0% and 100%")
    return LatePolicy(rate=rate, unit=match["unit"].lower(), cap=cap)


def parse_percent(text: str, option: str = "--late-flag-penalty") -> float:
    """``20%`` -> 20.0, for a flat penalty. Raises ValueError."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", text or "")
    if not match or float(match[1]) > 100:
        raise ValueError(f"{option} {text!r}: expected a percentage of the maximum points between 0% and 100%, "
                         "e.g. 10%")
    return float(match[1])


def parse_due(text: str) -> datetime:
    """``--due``: an ISO 8601 date and time; without a UTC offset it is this computer's local time.

    Raises ValueError."""
    try:
        due = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--due {text!r}: expected an ISO 8601 date and time, e.g. 2025-03-01T23:59 or "
                         "2025-03-01T23:59+01:00") from None
    return due if due.tzinfo else due.astimezone()


def parse_nbgrader_time(text: str) -> datetime:
    """A time as nbgrader writes it (timestamp.txt, a file name's timestamp group), as UTC."""
    from nbgrader.utils import parse_utc

    try:
        naive_utc = parse_utc(text.strip())
    except (ValueError, OverflowError, TypeError):
        raise ValueError(f"{text.strip()[:60]!r} is not a time nbgrader can read") from None
    return naive_utc.replace(tzinfo=UTC)


def read_timestamp(path: Path) -> datetime:
    """nbgrader's ``timestamp.txt``. Raises ValueError (unreadable) or OSError."""
    return parse_nbgrader_time(path.read_text(errors="replace")[:200])


def parse_lms_time(text: str, zone: datetime | None) -> datetime | None:
    """A time as Moodle's worksheet shows it (``Tuesday, 5 March 2024, 2:30 PM``, or ``-`` for none),
    read in ``zone``'s time zone (the due time's; local time without one). Raises ValueError."""
    import dateutil.parser

    text = (text or "").strip()
    if text in ("", "-"):
        return None
    try:
        when = dateutil.parser.parse(text)
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is not a date and time this program can read (an English date is "
                         "needed, as Moodle writes it in English)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone.tzinfo) if zone is not None else when.astimezone()
    return when


def describe(late: timedelta) -> str:
    """``1 day 2 h 5 min`` (rounded up to the minute)."""
    minutes = math.ceil(late.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} day{'s' * (days != 1)}"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(
        minutes)
    return " ".join(parts) or "0 min"


@dataclass
class Lateness:
    """When one submission came in, how late, and the penalty (percent of the maximum points)."""

    submitted: str = ""   # ISO 8601, or "" when no time is known
    late: str = ""        # "" on time (or not known), else e.g. "1 day 2 h", or "flagged late by Canvas"
    percent: float = 0.0
    note: str = ""        # what the student's row says about it ("" when nothing needs saying)


def assess(submitted: datetime | None, flagged: bool, due: datetime | None, policy: LatePolicy | None,
           flag_percent: float | None) -> Lateness:
    """The lateness of one submission: by its time against ``due`` when both are known, else by the
    LMS's late flag (Canvas), penalised by ``flag_percent`` when given."""
    result = Lateness(submitted=submitted.isoformat(timespec="seconds") if submitted else "")
    if submitted is not None and due is not None:
        late = submitted - due
        if late > timedelta(0):
            result.late = describe(late)
            result.percent = policy.percent(late) if policy else 0.0
            result.note = (f"submitted {result.late} late: -{result.percent:g}% of the points ({policy})"
                           if policy else f"submitted {result.late} late (no --late-penalty: not penalised)")
        return result
    if flagged:
        result.late = "flagged late by Canvas"
        result.percent = flag_percent or 0.0
        result.note = ("Canvas marked the submission late (its file name says _LATE, without a time): "
                       + (f"-{result.percent:g}% of the points (--late-flag-penalty)" if flag_percent
                          else "not penalised (pass --late-flag-penalty to penalise it)"))
    return result


def penalised(score: float, maximum: float, percent: float) -> float:
    """``score`` less ``percent`` of ``maximum``, never below 0."""
    return max(0.0, score - percent / 100 * maximum)
