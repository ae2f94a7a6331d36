"""Every public function, class and method of the course's packages says what it is for.

The source files are parsed with ``ast``, never imported (some modules need PyTorch). Public means a
name without a leading underscore: module-level functions and classes, and the methods (properties
included) of public classes. ``__init__`` and the other dunder methods need no docstring, nor does a
property's setter (the property's docstring covers it).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

#: Modules of dlcourse.autograder that are moving to a package of their own; their docstrings are
#: looked after there, so this check leaves them out (by file name, relative to the package).
MOVING = {"release.py", "install_cells.py", "book.py", "publish.py", "cli.py"}
STILL_BEING_WRITTEN = pytest.mark.xfail(strict=True, reason="docstrings still being written")


def _source_files(package: str) -> tuple[Path, list[Path]]:
    """The folder of ``package`` and its Python files, found without importing the package itself."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, f"{package} is not a package"
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder, sorted(folder.rglob("*.py"))


def _public(node: ast.AST) -> bool:
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_")


def _accessor(node: ast.AST) -> bool:
    """A property's setter or deleter (``@name.setter``)."""
    return any(isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter") for d in node.decorator_list)


def undocumented(package: str, exclude: set[str] = frozenset()) -> list[str]:
    """``path:line name`` of every public function, class and method of ``package`` without a docstring."""
    folder, files = _source_files(package)
    missing = []
    for path in files:
        where = path.relative_to(folder).as_posix()
        if where in exclude:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
            if not _public(node):
                continue
            if ast.get_docstring(node) is None:
                missing.append(f"{where}:{node.lineno} {node.name}")
            if isinstance(node, ast.ClassDef):
                missing += [f"{where}:{member.lineno} {node.name}.{member.name}" for member in node.body
                            if _public(member) and not _accessor(member) and ast.get_docstring(member) is None]
    return missing


@pytest.mark.parametrize("package", [
    "dlcourse.autograder",
    "dlcourse.grading",
    pytest.param("dlcourse.nn", marks=STILL_BEING_WRITTEN),
    pytest.param("dlcourse.optim", marks=STILL_BEING_WRITTEN),
    pytest.param("dlcourse.autograd", marks=STILL_BEING_WRITTEN),
])
def test_every_public_function_class_and_method_has_a_docstring(package):
    missing = undocumented(package, MOVING if package == "dlcourse.autograder" else set())
    assert not missing, f"{len(missing)} public names of {package} without a docstring:\n  " + "\n  ".join(missing)


def test_the_check_finds_what_lacks_a_docstring(tmp_path, monkeypatch):
    package = tmp_path / "sample"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text('''
def public(): pass
def _private(): pass
def documented():
    """Yes."""
class Thing:
    """A thing."""
    def __init__(self): pass
    def method(self): pass
    @property
    def size(self): return 1
    @size.setter
    def size(self, value): pass
    def _helper(self): pass
class _Hidden:
    def method(self): pass
''')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert undocumented("sample") == ["mod.py:2 public", "mod.py:9 Thing.method", "mod.py:11 Thing.size"]
    assert undocumented("sample", {"mod.py"}) == []
