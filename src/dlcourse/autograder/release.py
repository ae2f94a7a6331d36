"""Regenerate the student versions in exercises/ from the solutions in solutions/ with nbgrader.

Usage (from the repository): ``make exercises``, or ``python -m dlcourse.autograder.release [SLUG ...]``
for some chapters only. Each chapter slug is an nbgrader assignment id; nbgrader removes the
solutions, the hidden tests and the mark schemes, and locks the test cells.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def find_course_root(start: Path | None = None) -> Path:
    """The repository folder holding ``autograder/nbgrader_config.py``, searched upwards."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "autograder" / "nbgrader_config.py").is_file() and (folder / "solutions").is_dir():
            return folder
    raise SystemExit(f"no course repository (autograder/nbgrader_config.py) found above {start}")


def chapter_slugs(root: Path) -> list[str]:
    """Every chapter with a solution notebook ``solutions/SLUG/SLUG.ipynb``, in order."""
    return sorted(p.parent.name for p in root.glob("solutions/*/*.ipynb") if p.stem == p.parent.name)


def release(root: Path, slugs: list[str]) -> None:
    """Run ``nbgrader generate_assignment --force`` for each slug, from the autograder folder."""
    for slug in slugs:
        if not (root / "solutions" / slug / f"{slug}.ipynb").is_file():
            raise SystemExit(f"solutions/{slug}/{slug}.ipynb does not exist")
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", slug, "--force", "--log-level=WARN"]
        subprocess.run(command, cwd=root / "autograder", check=True)
        print(f"exercises/{slug}/{slug}.ipynb regenerated from solutions/{slug}/")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", nargs="*", help="chapter slugs (default: every chapter with a solution)")
    args = parser.parse_args(argv)
    root = find_course_root()
    release(root, args.slugs or chapter_slugs(root))


if __name__ == "__main__":
    main()
