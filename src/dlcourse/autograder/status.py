"""The states a submission and a test cell can end in (one place for the values the CSV shows)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A submission's status, as written in grades.csv."""

    PENDING = "pending"                    # found and parsed, not graded yet
    GRADED = "graded"                      # every cell ran; the score is final
    TIMEOUT = "timeout"                    # a cell or the notebook ran past its time limit
    RESOURCE_LIMIT = "resource_limit"      # memory, processes or file size limit hit
    KERNEL_DIED = "kernel_died"            # the kernel process exited
    MISSING_NOTEBOOK = "missing_notebook"  # no notebook with the assignment's name
    UNGRADABLE = "ungradable"              # unreadable, unsafe or broken: see the reason
    MISSING = "missing"                    # on the roster, nothing in the submissions: 0 points

    @property
    def ran(self) -> bool:
        """The submission's code ran, so its score counts in the statistics."""
        return self in (Status.GRADED, Status.TIMEOUT, Status.RESOURCE_LIMIT, Status.KERNEL_DIED)


class PartState(StrEnum):
    """What happened to one test cell."""

    PASSED = "passed"                      # all its points
    PARTIAL = "partial"                    # some of its points: some of its named checks failed
    FAILED = "failed"                      # no point: it raised, or every check failed
    NOT_RUN = "not run"
