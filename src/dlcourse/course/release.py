"""Regenerate the student versions in exercises/ from the solutions in solutions/ with nbgrader.

Usage (from the repository): ``make exercises``, or ``dlcourse release [SLUG ...]`` for some
chapters only. Each chapter slug is an nbgrader assignment id; nbgrader removes the
solutions, the hidden tests and the mark schemes, and locks the test cells.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from dlcourse.course.chapters import Layout


def release(layout: Layout, slugs: list[str]) -> None:
    """Run ``nbgrader generate_assignment --force`` for each slug, from the autograder folder."""
    for slug in slugs:
        if not layout.solution(slug).is_file():
            raise SystemExit(f"solutions/{slug}/{slug}.ipynb does not exist")
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", slug, "--force", "--log-level=WARN"]
        subprocess.run(command, cwd=layout.autograder, check=True)
        print(f"exercises/{slug}/{slug}.ipynb regenerated from solutions/{slug}/")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``dlcourse release`` and ``make exercises``."""
    parser.add_argument("slugs", nargs="*", help="chapter slugs (default: every chapter with a solution)")


def run(args: argparse.Namespace) -> int:
    """Release the chapters ``args`` name, from the course repository above the current folder."""
    layout = Layout.find()
    release(layout, args.slugs or layout.chapter_slugs())
    return 0

