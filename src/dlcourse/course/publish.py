"""Write the student edition of the course: everything a student gets, and nothing they must not.

This repository is the instructor's source. It holds ``solutions/`` (answers, hidden tests, mark
schemes), ``tests/fixtures/`` (wrong answers) and the grading configuration, so it stays private.
Students get the student edition, written by ``make publish DEST=folder`` (or ``dlcourse publish
DEST``): the book, ``exercises/``, the package, the data manifests, a README for students, an
environment Binder and repo2docker understand (``binder/``) and a GitHub Actions workflow that
publishes its website to GitHub Pages. Every launch button, install cell and
nbgitpuller link points at the student edition: ``repository.url`` of ``_config.yml`` is its
address (``--repository`` and ``--branch`` override it, ``--jupyterhub-url`` turns the JupyterHub
button on).

What goes in is a list of folders and files, not "everything but": a new folder in the source stays
private until it is named here. Before it finishes, the command searches what it wrote for
nbgrader's markers and for the text of every hidden test and mark scheme, and refuses (exit 2,
naming the file) if it finds one.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from dlcourse.autograder.markers import Markers
from dlcourse.course.chapters import find_course_root

#: What the student edition copies from the source, as it is.
COPIED = ("book", "exercises", "src/dlcourse", "_config.yml", "_toc.yml", "pyproject.toml", "requirements.in",
          "requirements.lock", "Makefile", ".gitignore")
#: Files only the student edition has (its README, its Binder environment, its website workflow).
TEMPLATE = Path("autograder") / "student-edition"
#: Never copied from inside the copied folders (build products, caches).
IGNORED = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints", "*.pyc", "_build")
#: The file that marks a folder as a student edition, so that publishing again may replace it.
STAMP = ".student-edition"
#: PyTorch's wheel index for its CPU build (Binder and most hubs have no GPU).
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


class PublishError(Exception):
    """The edition cannot be written, or what was written holds something students must not see."""


def _set_key(text: str, section: str, key: str, value: str) -> str:
    """Set ``section.key`` of a YAML file to ``value``, keeping every comment and the layout."""
    block = re.search(rf"(?m)^{section}:\n((?:[ \t]+.*\n|[ \t]*#.*\n|\n)*)", text)
    if block is None:
        raise PublishError(f"_config.yml has no '{section}:' section")
    body, count = re.subn(rf"(?m)^([ \t]+{key}:)[^\n#]*?(\s*#.*)?$", lambda m: f'{m[1]} "{value}"{m[2] or ""}',
                          block[1], count=1)
    if not count:
        raise PublishError(f"_config.yml has no '{section}.{key}' setting")
    return text[:block.start(1)] + body + text[block.end(1):]


def check_hub_url(url: str) -> None:
    """A JupyterHub address must be a real hub: https, and not a documentation placeholder."""
    if not url:
        return
    host = re.match(r"^https://([^/]+)", url)
    if host is None:
        raise PublishError(f"--jupyterhub-url {url!r}: give the hub's https:// address")
    if re.search(r"(^|\.)(example\.(com|org|net|edu)|example|invalid|test|localhost)$", host[1]):
        raise PublishError(f"--jupyterhub-url {url!r} is a placeholder, not a hub (leave it empty for no button)")


def binder_requirements(lock: str) -> str:
    """``binder/requirements.txt``: every pin of the lock, with PyTorch's CPU build."""
    pins = [line for line in lock.splitlines() if re.match(r"^[A-Za-z0-9]", line)]
    lines = ["# The student edition's environment on Binder and in a JupyterHub image built with repo2docker:",
             "# the course's locked versions (requirements.lock), with PyTorch's CPU build. Written by `make publish`.",
             f"--extra-index-url {TORCH_CPU_INDEX}"]
    for pin in pins:
        lines.append(re.sub(r"^torch==([^+\s;]+)$", r"torch==\1+cpu", pin))
    return "\n".join(lines) + "\n"


def _prepare(dest: Path, source: Path) -> None:
    """Empty ``dest`` (keeping its ``.git``) if it is a previous edition; refuse anything else."""
    dest, source = dest.resolve(), source.resolve()
    if dest == source or source in dest.parents or dest in source.parents:
        raise PublishError(f"{dest} overlaps the course source {source}: publish into a folder of its own")
    if dest.exists():
        if not dest.is_dir():
            raise PublishError(f"{dest} is a file, not a folder")
        entries = [p for p in dest.iterdir() if p.name != ".git"]
        if entries and not (dest / STAMP).is_file():
            raise PublishError(f"{dest} is not empty and is not a student edition (no {STAMP}); "
                               "publish into an empty folder or a clone of the student repository")
        for entry in entries:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    dest.mkdir(parents=True, exist_ok=True)


def _configure(dest: Path, repository: str | None, branch: str | None, jupyterhub_url: str | None) -> None:
    """Point the edition's ``_config.yml`` and every install cell at the student repository."""
    import yaml

    from dlcourse.course.install_cells import sync

    config = dest / "_config.yml"
    text = config.read_text()
    for section, key, value in (("repository", "url", repository), ("repository", "branch", branch),
                                ("launch_buttons", "jupyterhub_url", jupyterhub_url)):
        if value is not None:
            text = _set_key(text, section, key, value)
    config.write_text(text)
    settings = yaml.safe_load(text)
    check_hub_url((settings.get("launch_buttons") or {}).get("jupyterhub_url") or "")
    sync(dest)


def _normalised(text: str) -> list[str]:
    """The non-blank lines of ``text``, each with its whitespace collapsed."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _line_pairs(text: str) -> set[str]:
    """Every pair of consecutive non-blank lines of ``text`` (whitespace collapsed); a text of one
    line gives that line."""
    lines = _normalised(text)
    return {f"{a}\n{b}" for a, b in zip(lines, lines[1:])} | ({lines[0]} if len(lines) == 1 else set())


def secrets(source: Path) -> set[str]:
    """The text students must never see: every pair of consecutive lines of the solution, hidden-test
    and mark-scheme regions of the solution notebooks, except the pairs the course shows anyway (in
    the lessons, the package, or the visible parts of the solution notebooks: a lesson may well
    teach ``import torch`` then ``import dlcourse``, and the package holds the reference
    implementations the tests lock). Single lines are too common to tell."""
    markers = Markers.for_course(source)
    hidden, public = set(), set()
    for path in sorted(source.glob("solutions/*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            public |= _line_pairs(markers.public_text(cell.source))
            for region in markers.secret_regions(cell.source):
                hidden |= _line_pairs(region)
    for path in sorted(source.glob("book/**/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            public |= _line_pairs(cell.source)
    for path in sorted([*source.glob("book/**/*.md"), *source.glob("src/dlcourse/**/*.py")]):
        public |= _line_pairs(path.read_text())
    return hidden - public


def leaks(dest: Path, source: Path) -> list[str]:
    """Every place in ``dest`` that holds a solution, a hidden test, a mark scheme or a fixture."""
    markers = Markers.for_course(source)
    words = [word for pair in markers.pairs() for word in pair]
    marker_line = re.compile(r"(?m)^\s*#+\s*(" + "|".join(map(re.escape, words)) + r")\s*$")
    texts = secrets(source)
    problems = [f"{p.relative_to(dest)}: an instructor-only folder" for p in dest.rglob("*")
                if p.is_dir() and p.name in ("solutions", "fixtures", "autograded", "submitted")]
    for path in sorted(p for p in dest.rglob("*") if p.is_file() and ".git" not in p.relative_to(dest).parts):
        try:
            raw = path.read_text()
        except UnicodeDecodeError:
            continue
        relative = path.relative_to(dest)
        if path.suffix == ".ipynb":
            cells = [cell.source for cell in nbformat.reads(raw, as_version=4).cells]
            problems += [f"{relative}: nbgrader marker {word!r}" for word in words if any(word in c for c in cells)]
        else:
            cells = [raw]
            problems += [f"{relative}: nbgrader marker line {m[0].strip()!r}" for m in marker_line.finditer(raw)]
        shown = set().union(*map(_line_pairs, cells)) & texts
        problems += [f"{relative}: text of a solution, hidden test or mark scheme: {text[:70]!r}"
                     for text in sorted(shown)]
    return problems


def publish(dest: Path, source: Path, repository: str | None = None, branch: str | None = None,
            jupyterhub_url: str | None = None) -> list[str]:
    """Write the student edition of ``source`` into ``dest``; return the files written (relative)."""
    if jupyterhub_url:
        check_hub_url(jupyterhub_url)
    _prepare(dest, source)
    for name in COPIED:
        origin, target = source / name, dest / name
        if not origin.exists():
            raise PublishError(f"the course source has no {name}")
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=IGNORED)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
    shutil.copytree(source / TEMPLATE, dest, dirs_exist_ok=True)
    (dest / "binder" / "requirements.txt").write_text(binder_requirements((source / "requirements.lock").read_text()))
    _configure(dest, repository, branch, jupyterhub_url)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=source, capture_output=True, text=True)
    (dest / STAMP).write_text("The student edition of the course, written by `make publish` from the instructor's "
                              f"source{' at ' + commit.stdout.strip() if commit.returncode == 0 else ''}.\n"
                              "Do not edit it here: change the source and publish again.\n")
    _check_install_cells(dest)
    found = leaks(dest, source)
    if found:
        raise PublishError("the student edition would hold instructor-only material:\n  " + "\n  ".join(found))
    written = (p.relative_to(dest) for p in dest.rglob("*") if p.is_file())
    return sorted(str(p) for p in written if ".git" not in p.parts)


def _check_install_cells(dest: Path) -> None:
    """Every lesson and exercise of the edition starts with the install cell of its own address."""
    from dlcourse.course.install_cells import stale

    problems = stale(dest)
    if problems:
        raise PublishError("the install cells do not install from the repository of _config.yml (run "
                           "`make install-cells` in the source):\n  " + "\n  ".join(problems))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``make publish`` and ``dlcourse publish``."""
    parser.add_argument("dest", type=Path, help="an empty folder, or a clone of the student repository")
    parser.add_argument("--repository",
                        help="the student repository's address (default: repository.url of _config.yml)")
    parser.add_argument("--branch", help="its branch (default: repository.branch of _config.yml)")
    parser.add_argument("--jupyterhub-url", help="your JupyterHub (https://...): adds the JupyterHub launch button")


def run(args: argparse.Namespace) -> int:
    """Publish as ``args`` say; exit status 0, or 2 with the reason on stderr."""
    try:
        written = publish(args.dest, find_course_root(), args.repository, args.branch, args.jupyterhub_url)
    except PublishError as error:
        print(f"publish: {error}", file=sys.stderr)
        return 2
    print(f"wrote the student edition ({len(written)} files) into {args.dest}; checked: no solution, hidden test, "
          "mark scheme or fixture. Commit it to the student repository and push.")
    return 0

