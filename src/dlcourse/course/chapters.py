"""The course's chapters and where its files live: the one place the tools and the tests read them from.

A chapter with an exercise is a slug ``NN-slug`` with a solution notebook
``solutions/NN-slug/NN-slug.ipynb`` (nbgrader's source; the slug is its assignment id). nbgrader
writes the student version to ``exercises/NN-slug/NN-slug.ipynb`` from ``autograder/``, where its
configuration lives; the tests keep wrong answers in ``tests/fixtures/NN-slug/`` and the mutation
pass writes its results to ``benchmarks/results/``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


def find_course_root(start: Path | None = None) -> Path:
    """The repository folder holding ``autograder/nbgrader_config.py`` and ``solutions/``, searched
    upwards from ``start`` (default: the current folder)."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "autograder" / "nbgrader_config.py").is_file() and (folder / "solutions").is_dir():
            return folder
    raise SystemExit(f"no course repository (autograder/nbgrader_config.py) found above {start}")


@dataclass(frozen=True)
class Layout:
    """The folders and files of the course repository at ``root``."""

    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Layout:
        """The layout of the course repository above ``start`` (default: the current folder)."""
        return cls(find_course_root(start))

    @property
    def solutions(self) -> Path:
        """nbgrader's source folder: the instructor's notebooks, hidden tests included."""
        return self.root / "solutions"

    @property
    def exercises(self) -> Path:
        """nbgrader's release folder: what students get."""
        return self.root / "exercises"

    @property
    def autograder(self) -> Path:
        """The folder of nbgrader's configuration, where nbgrader runs."""
        return self.root / "autograder"

    @property
    def nbgrader_config(self) -> Path:
        """nbgrader's configuration of the course (source, release and exchange folders, markers)."""
        return self.autograder / "nbgrader_config.py"

    @property
    def fixtures(self) -> Path:
        """The wrong answers of the tests, one folder per chapter."""
        return self.root / "tests" / "fixtures"

    @property
    def results(self) -> Path:
        """Where the mutation pass writes its JSON."""
        return self.root / "benchmarks" / "results"

    def chapter_slugs(self) -> list[str]:
        """Every chapter with a solution notebook ``solutions/SLUG/SLUG.ipynb``, in order."""
        return sorted(p.parent.name for p in self.solutions.glob("*/*.ipynb") if p.stem == p.parent.name)

    def scratch_course(self, course: Path, slug: str, env: dict | None = None) -> Path:
        """A throw-away nbgrader course at ``course`` for one chapter: the course's configuration with
        its own folders and gradebook, the chapter's source, and its release generated. Returns ``course``."""
        (course / "source").mkdir(parents=True)
        (course / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"load_subconfig({str(self.nbgrader_config)!r})\n"
            f"c.CourseDirectory.root = {str(course)!r}\n"
            "c.CourseDirectory.source_directory = 'source'\n"
            "c.CourseDirectory.release_directory = 'release'\n"
            "c.CourseDirectory.submitted_directory = 'submitted'\n"
            "c.CourseDirectory.autograded_directory = 'autograded'\n"
            f"c.CourseDirectory.db_url = 'sqlite:///{course / 'gradebook.db'}'\n")
        shutil.copytree(self.solutions / slug, course / "source" / slug)
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", slug, "--log-level=ERROR"],
                       cwd=course, check=True, capture_output=True, env=env)
        return course

    def solution(self, slug: str) -> Path:
        """``solutions/SLUG/SLUG.ipynb``."""
        return self.solutions / slug / f"{slug}.ipynb"

    def exercise(self, slug: str) -> Path:
        """``exercises/SLUG/SLUG.ipynb``."""
        return self.exercises / slug / f"{slug}.ipynb"

    def fixture_files(self, slug: str) -> list[Path]:
        """The wrong-answer fixtures of a chapter, ``tests/fixtures/SLUG/*.py``."""
        return sorted((self.fixtures / slug).glob("*.py"))
