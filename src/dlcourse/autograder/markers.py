"""The nbgrader markers and stubs, read once from the course's nbgrader configuration.

nbgrader decides what a student sees: ``ClearSolutions`` replaces each region between the solution
delimiters with the code stub, ``ClearHiddenTests`` drops hidden-test regions and
``ClearMarkScheme`` drops mark schemes. The grader must cut notebooks exactly the same way, so the
delimiters and stubs come from those preprocessors as configured in
``autograder/nbgrader_config.py`` (one place), and a region without its end marker is an error, as
it is in nbgrader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


class MarkerError(ValueError):
    """A cell's markers are unbalanced (a BEGIN without END, or nested regions)."""


@dataclass(frozen=True)
class Markers:
    """nbgrader's delimiters (matched anywhere in a line, as nbgrader does) and stubs."""

    code_stub: str = "# YOUR CODE HERE\nraise NotImplementedError()"
    text_stub: str = "YOUR ANSWER HERE"
    begin_solution: str = "BEGIN SOLUTION"
    end_solution: str = "END SOLUTION"
    begin_hidden: str = "BEGIN HIDDEN TESTS"
    end_hidden: str = "END HIDDEN TESTS"
    begin_mark_scheme: str = "BEGIN MARK SCHEME"
    end_mark_scheme: str = "END MARK SCHEME"

    @classmethod
    def from_config(cls, config_file: Path) -> Markers:
        """The markers of the nbgrader configuration in ``config_file`` (nbgrader's defaults where
        it is silent)."""
        from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearSolutions
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader(config_file.name, str(config_file.parent)).load_config()
        solutions = ClearSolutions(config=config)
        hidden = ClearHiddenTests(config=config)
        scheme = ClearMarkScheme(config=config)
        return cls(code_stub=solutions.code_stub["python"], text_stub=solutions.text_stub,
                   begin_solution=solutions.begin_solution_delimeter, end_solution=solutions.end_solution_delimeter,
                   begin_hidden=hidden.begin_test_delimeter, end_hidden=hidden.end_test_delimeter,
                   begin_mark_scheme=scheme.begin_mark_scheme_delimeter,
                   end_mark_scheme=scheme.end_mark_scheme_delimeter)

    @classmethod
    def for_course(cls, course_root: Path) -> Markers:
        """The markers of the course at ``course_root`` (its ``autograder/nbgrader_config.py``)."""
        return cls.from_config(Path(course_root) / "autograder" / "nbgrader_config.py")

    def regions(self, source: str, begin: str, end: str) -> list[tuple[int, int]]:
        """Line numbers (begin, end) of every region of ``source``; raises MarkerError when a region
        is nested or never closed."""
        found, start = [], None
        for number, line in enumerate(source.splitlines()):
            if begin in line:
                if start is not None:
                    raise MarkerError(f"line {number + 1}: {begin!r} inside a region that is still open")
                start = number
            elif end in line:
                if start is None:
                    raise MarkerError(f"line {number + 1}: {end!r} without {begin!r}")
                found.append((start, number))
                start = None
        if start is not None:
            raise MarkerError(f"line {start + 1}: {begin!r} has no {end!r}")
        return found

    def _replace(self, source: str, begin: str, end: str, keep_body: bool, stub: str | None) -> str:
        lines = source.splitlines()
        out, last = [], 0
        for start, stop in self.regions(source, begin, end):
            out += lines[last:start]
            if keep_body:
                out += lines[start + 1:stop]
            elif stub is not None:
                indent = re.match(r"\s*", lines[start]).group()
                out += [indent + s for s in stub.split("\n")]
            last = stop + 1
        return "\n".join(out + lines[last:])

    def student_version(self, source: str, code: bool = True) -> str:
        """``source`` as nbgrader releases it: every solution region replaced by the stub."""
        return self._replace(source, self.begin_solution, self.end_solution, False,
                             self.code_stub if code else self.text_stub)

    def solution_text(self, source: str) -> str:
        """What a student who wrote the solution would have typed: markers and mark scheme removed."""
        source = self.without_mark_scheme(source)
        return self._replace(source, self.begin_solution, self.end_solution, True, None).strip() + "\n"

    def hidden_lines(self, source: str) -> list[str]:
        """The lines inside hidden-test regions."""
        lines = source.splitlines()
        return [line for a, b in self.regions(source, self.begin_hidden, self.end_hidden) for line in lines[a + 1:b]]

    def mark_scheme(self, source: str) -> str:
        """The text of the mark-scheme regions of ``source`` ('' when there is none)."""
        lines = source.splitlines()
        return "\n".join(line for a, b in self.regions(source, self.begin_mark_scheme, self.end_mark_scheme)
                         for line in lines[a + 1:b]).strip()

    def without_mark_scheme(self, source: str) -> str:
        """``source`` without its mark-scheme regions (markers included): what students see of it."""
        return self._replace(source, self.begin_mark_scheme, self.end_mark_scheme, False, None)

    def public_text(self, source: str) -> str:
        """``source`` without any region (solution, hidden tests, mark scheme) nor its markers."""
        for begin, end in self.pairs():
            source = self._replace(source, begin, end, False, None)
        return source

    def secret_regions(self, source: str) -> list[str]:
        """The text inside every solution, hidden-test and mark-scheme region of ``source``."""
        lines = source.splitlines()
        return ["\n".join(lines[a + 1:b]) for begin, end in self.pairs() for a, b in self.regions(source, begin, end)]

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """(begin, end) of each kind of region nbgrader removes from what students get."""
        return ((self.begin_hidden, self.end_hidden), (self.begin_mark_scheme, self.end_mark_scheme),
                (self.begin_solution, self.end_solution))
