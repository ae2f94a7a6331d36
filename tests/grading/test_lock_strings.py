"""Every lock an exercise names still resolves to something that exists.

``forbid`` and ``assert_source_avoids`` skip a name that cannot be imported (what is not installed
cannot be called), so a lock whose target moved or was renamed would silently lock nothing. This
test reads every string literal of the solution notebooks' code that names a library object
(``"dlcourse.nn.functional.softmax"``, ``"scipy.special.*"``, ``"family:softmax"``) and every member
of the lock families, and checks that each one resolves here, where every library is installed.
"""

from __future__ import annotations

import ast
import re

import pytest
from course import ROOT, chapters_with_exercises, read

from dlcourse.grading.lock import FAMILIES, expand, import_or_none, resolve

LIBRARIES = ("dlcourse", "torch", "numpy", "scipy", "sklearn", "networkx", "collections", "math", "statistics")
LOCK_STRING = re.compile(rf"(?:{'|'.join(LIBRARIES)})(?:\.\w+)+(?:\.\*)?|family:[\w-]+")


def lock_strings(slug: str) -> list[str]:
    """The string literals of a solution notebook's code cells that name a library object or a family."""
    found = []
    for cell in read(ROOT / "solutions" / slug / f"{slug}.ipynb").cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # an answer cell with nbgrader's markers: plain Python all the same
            continue
        found += [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                  and isinstance(node.value, str) and LOCK_STRING.fullmatch(node.value)]
    return list(dict.fromkeys(found))


def problem(target: str) -> str | None:
    """Why ``target`` locks nothing, or None when it resolves."""
    if target.startswith("family:"):
        return None if target.removeprefix("family:") in FAMILIES else "no such family"
    if target.endswith(".*"):
        if import_or_none(target[:-2]) is None:
            return "module not importable"
        return None if expand([target]) else "module has no public callables"
    return None if resolve(target) is not None else "does not resolve"


@pytest.mark.parametrize("slug", chapters_with_exercises())
def test_every_lock_string_of_the_exercise_resolves(slug):
    targets = lock_strings(slug)
    assert targets, f"{slug}: no lock strings found (the pattern no longer matches how locks are written?)"
    broken = {target: why for target in targets if (why := problem(target))}
    assert not broken, f"{slug}: locks that lock nothing: {broken}"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_member_of_a_lock_family_resolves(family):
    broken = {target: why for target in FAMILIES[family] if (why := problem(target))}
    assert not broken, f"family:{family}: members that lock nothing: {broken}"
