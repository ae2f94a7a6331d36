"""Every public name of the package has a docstring: the functions and classes of each module, and the
methods and properties of each public class (``__init__`` and other dunders excepted: a class's
docstring describes its constructor's arguments).

The files are read with ``ast``, not imported, so modules that need PyTorch or matplotlib are
checked without them. A name is public when it does not start with an underscore; a property's
setter or deleter shares the property's docstring.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "dlcourse"
SUBPACKAGES = ["autograd", "nn", "optim", "models", "data", "grading", "autograder", "course", "torch", "utils"]
TOP_LEVEL = ["metrics", "distributions", "training", "viz", "gradcheck", "compgraph", "_rng"]


def _files(group: str) -> list[Path]:
    if group == "top-level":
        return [PACKAGE / f"{name}.py" for name in TOP_LEVEL]
    return sorted((PACKAGE / group).rglob("*.py"))


def _statements(body):
    """The statements of a module or class body, looking inside ``if`` and ``try`` blocks."""
    for node in body:
        if isinstance(node, ast.If | ast.Try):
            for block in (node.body, node.orelse, getattr(node, "finalbody", [])):
                yield from _statements(block)
            for handler in getattr(node, "handlers", []):
                yield from _statements(handler.body)
        else:
            yield node


def _is_accessor(node) -> bool:
    """``@name.setter`` or ``@name.deleter``."""
    return any(isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter") for d in node.decorator_list)


def public_definitions(scope: ast.Module | ast.ClassDef, in_class: str = ""):
    """(qualified name, node) for every public function, class, method and property of ``scope``."""
    for node in _statements(scope.body):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if node.name.startswith("_") or (in_class and _is_accessor(node)):
            continue
        name = f"{in_class}.{node.name}" if in_class else node.name
        yield name, node
        if isinstance(node, ast.ClassDef):
            yield from public_definitions(node, name)


def undocumented(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [f"{path.relative_to(PACKAGE)}:{name}" for name, node in public_definitions(tree)
            if not ast.get_docstring(node)]


@pytest.mark.parametrize("group", SUBPACKAGES + ["top-level"])
def test_every_public_name_has_a_docstring(group):
    files = _files(group)
    assert files and all(f.is_file() for f in files), f"{group}: missing files among {files}"
    missing = [name for f in files for name in undocumented(f)]
    assert not missing, f"{len(missing)} public names in {group} without a docstring:\n" + "\n".join(missing)


def test_the_rule_finds_what_it_should():
    source = '''
def shown(): pass
def _hidden(): pass
class Shown:
    """Documented."""
    def __init__(self): pass
    def method(self): pass
    @property
    def value(self):
        """Documented."""
    @value.setter
    def value(self, v): pass
    class Inner:
        def deep(self): pass
class _Hidden:
    def method(self): pass
'''
    names = [name for name, node in public_definitions(ast.parse(source)) if not ast.get_docstring(node)]
    assert names == ["shown", "Shown.method", "Shown.Inner", "Shown.Inner.deep"]
