"""The first cell of every notebook: install ``dlcourse`` from the course's repository when missing.

On Colab, Binder or a fresh Jupyter the package is not installed, so every lesson and exercise
starts with a cell that pip-installs it from the repository named in ``_config.yml``
(``repository.url`` and ``repository.branch``: the one setting a fork changes). This module writes
that cell into every notebook of ``book/``, ``solutions/`` and ``exercises/`` (``make install-cells``;
then ``make exercises``), and the tests check that no notebook disagrees with ``_config.yml``.

Usage: ``dlcourse install-cells [--check]`` (``make install-cells`` runs it, then ``make exercises``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat

from dlcourse.course.chapters import find_course_root

MARK = "# On Colab, Binder or a fresh Jupyter: install the course package `dlcourse` when it is missing."


def repository(root: Path) -> tuple[str, str]:
    """(url, branch) of the course repository, from ``_config.yml``."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text()) or {}
    repo = config.get("repository") or {}
    if not repo.get("url"):
        raise SystemExit(f"{root / '_config.yml'} has no repository.url")
    return repo["url"].rstrip("/"), repo.get("branch") or "main"


def install_cell_source(root: Path) -> str:
    """The first cell of every notebook: install ``dlcourse`` from the course's repository where it is missing."""
    url, branch = repository(root)
    return (f"{MARK}\n"
            "# Where it is already installed (the course's own environment) this cell does nothing.\n"
            "import importlib.util, subprocess, sys\n"
            'if importlib.util.find_spec("dlcourse") is None:\n'
            '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",\n'
            f'                    "dlcourse @ git+{url}@{branch}"], check=True)')


def notebooks(root: Path) -> list[Path]:
    """Lessons, solutions and exercises (the student edition rewrites its exercises' cells too)."""
    return sorted([*root.glob("book/*/*.ipynb"), *root.glob("solutions/*/*.ipynb"), *root.glob("exercises/*/*.ipynb")])


def stale(root: Path) -> list[str]:
    """Notebooks whose install cell is missing or differs from the one ``_config.yml`` gives."""
    expected, problems = install_cell_source(root), []
    for path in notebooks(root):
        cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        if not cells or not cells[0].source.startswith(MARK):
            problems.append(f"{path.relative_to(root)}: its first code cell is not the install cell")
        elif cells[0].source != expected:
            problems.append(f"{path.relative_to(root)}: its install cell differs from _config.yml's repository")
    return problems


def sync(root: Path) -> list[Path]:
    """Rewrite the install cell of every notebook whose first code cell is one; return those changed."""
    expected, changed = install_cell_source(root), []
    for path in notebooks(root):
        notebook = nbformat.read(path, as_version=4)
        cell = next((c for c in notebook.cells if c.cell_type == "code"), None)
        if cell is not None and cell.source.startswith(MARK) and cell.source != expected:
            cell.source = expected
            nbformat.write(notebook, path)
            changed.append(path)
    return changed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``dlcourse install-cells``."""
    parser.add_argument("--check", action="store_true", help="only list notebooks that disagree; exit 1 if any")


def run(args: argparse.Namespace) -> int:
    """Rewrite (or with ``--check`` only list) the stale install cells of the course above the current folder."""
    root = find_course_root()
    if args.check:
        problems = stale(root)
        print("\n".join(problems) or "every install cell matches _config.yml")
        return 1 if problems else 0
    for path in sync(root):
        print(f"updated {path.relative_to(root)}")
    return 0

