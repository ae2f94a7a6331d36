"""Read a student's answer for forbidden names: the part of a lock that runs before the code does.

Runtime locks (:func:`dlcourse.grading.forbid`) only see what the hidden tests execute, and they
cannot replace the methods of NumPy's built-in ``ndarray``. So a test cell also reads the source of
the student's function or class (``inspect.getsource`` works for code defined in notebook cells)
and walks its syntax tree::

    assert_source_avoids(softmax, "family:softmax", "torch.*")

It reports, with the line, any use of a locked function however it is spelled:

* an attribute chain ending in a locked name (``np.linalg.lstsq``, ``la.lstsq``, ``x.softmax()``);
* a name bound to a locked object (``from scipy.special import softmax as s`` ... ``s(z)``) or to a
  locked module (``"torch.*"`` locks every use of ``torch``);
* an import of a locked module or name;
* a string that spells a locked name, also when built from pieces (``getattr(np.linalg, "ls" +
  "tsq")``), and ``eval`` / ``exec`` / ``__import__`` / ``importlib`` (names computed at run time
  cannot be checked, so they are not allowed in an answer).

Functions and classes of the student's own notebook that the answer calls are read as well, so a
helper cannot hide the call.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import textwrap
import types

from dlcourse.grading.lock import FAMILIES, FAMILY_NAMES, ReferenceLockedError, expand, import_or_none, resolve

_DYNAMIC = {"eval", "exec", "compile", "__import__", "import_module", "globals", "vars", "__dict__",
            "__getattribute__", "attrgetter", "methodcaller"}


class _Forbidden:
    """What a set of targets forbids: objects by identity, attribute names, and module prefixes."""

    def __init__(self, targets):
        self.objects, self.names, self.modules = [], set(), set()
        for target in targets:
            if target.startswith("family:"):
                self.__init_more(expand([target], only_loaded=True), by_name=False)
                self.names.update(FAMILY_NAMES.get(target.removeprefix("family:"), ()))
                self.modules.update(member[:-2] for member in FAMILIES[target.removeprefix("family:")]
                                    if member.endswith(".*"))
            elif target.endswith(".*"):
                self.modules.add(target[:-2])
            else:  # the notebook's own functions (``__main__.ridge``) are matched by identity only
                self.__init_more([target], by_name=not target.startswith("__main__."))

    def __init_more(self, names, by_name=True):
        for name in names:
            if by_name:
                self.names.add(name.rsplit(".", 1)[-1])
            found = resolve(name, only_loaded=True)
            if found is not None:
                value = getattr(*found)
                self.objects.append(getattr(value, "__func__", value))

    def module(self, name: str | None) -> str | None:
        """The locked module prefix that module ``name`` falls under, or None."""
        for prefix in self.modules:
            if name and (name == prefix or name.startswith(prefix + ".")):
                return prefix
        return None

    def object(self, value) -> bool:
        value = getattr(value, "__func__", value)
        if isinstance(value, types.ModuleType):
            return self.module(value.__name__) is not None
        if any(value is locked for locked in self.objects):
            return True
        owner = getattr(value, "__module__", None)
        return isinstance(owner, str) and callable(value) and self.module(owner) is not None


def answer_source(answer) -> tuple[str, str]:
    """(source, where) of a function or class, also when it was defined in a notebook cell."""
    if isinstance(answer, str):
        return textwrap.dedent(answer), "the answer"
    target = inspect.unwrap(answer) if callable(answer) and not isinstance(answer, type) else answer
    try:
        return textwrap.dedent(inspect.getsource(target)), getattr(answer, "__name__", "the answer")
    except (OSError, TypeError):
        pass
    if isinstance(target, type):  # classes of a notebook: find their definition in the cell's lines
        for member in vars(target).values():
            member = getattr(member, "__func__", member)
            code = getattr(member, "__code__", None)
            if code is None:
                continue
            lines = linecache.getlines(code.co_filename)
            tree = ast.parse("".join(lines))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name == target.__name__ and \
                        node.lineno <= code.co_firstlineno <= node.end_lineno:
                    return "".join(lines[node.lineno - 1:node.end_lineno]), target.__name__
    raise AssertionError(f"the source of {getattr(answer, '__name__', answer)!r} could not be read: "
                         "define it with def or class in the answer cell")


def _fold(node):
    """The string an expression builds from constants (``"ls" + "tsq"``, ``"".join([...])``), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        left, right = _fold(node.left), _fold(node.right)
        return left + right if left is not None and right is not None and isinstance(node.op, ast.Add) else None
    if isinstance(node, ast.JoinedStr):
        parts = [_fold(value) for value in node.values]
        return "".join(parts) if all(p is not None for p in parts) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join" and node.args:
        separator = _fold(node.func.value)
        items = node.args[0]
        if separator is not None and isinstance(items, (ast.List, ast.Tuple)):
            parts = [_fold(item) for item in items.elts]
            return separator.join(parts) if all(p is not None for p in parts) else None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):  # "tsqls"[::-1] and the like
        text = _fold(node.value)
        if text is not None:
            try:
                # constants only, no builtins: folds "ls" + "tsq" into the name it spells
                return eval(compile(ast.Expression(node), "<fold>", "eval"), {"__builtins__": {}})  # noqa: S307
            except Exception:  # noqa: BLE001 - an expression that does not fold is not a name
                return None
    return None


def _chain(node) -> list[str] | None:
    """``np.linalg.lstsq`` -> ["np", "linalg", "lstsq"]; None when the chain does not start at a name."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(names)]
    return None


def _lookup(name: str, namespace: dict):
    if name in namespace:
        return True, namespace[name]
    builtins = namespace.get("__builtins__", {})
    builtins = builtins if isinstance(builtins, dict) else vars(builtins)
    return (True, builtins[name]) if name in builtins else (False, None)


def _namespace(answer) -> tuple[dict, str | None]:
    """The globals (and closure values) the answer's names refer to, and the module it lives in."""
    functions = []
    if isinstance(answer, type):
        for member in vars(answer).values():
            member = getattr(member, "__func__", member)
            if isinstance(member, types.FunctionType):
                functions.append(member)
    elif isinstance(answer, types.FunctionType):
        functions.append(inspect.unwrap(answer))
    namespace = {}
    for function in functions:
        namespace.update(function.__globals__)
    for function in functions:
        for name, cell in zip(function.__code__.co_freevars, function.__closure__ or ()):
            try:
                namespace[name] = cell.cell_contents
            except ValueError:
                pass
    module = functions[0].__module__ if functions else None
    return namespace, module


def _problems(answer, forbidden: _Forbidden, seen: set) -> list[str]:
    source, where = answer_source(answer)
    namespace, module = _namespace(answer) if not isinstance(answer, str) else ({}, None)
    tree = ast.parse(source)
    lines = source.splitlines()
    problems, helpers = [], []

    def report(node, what):
        line = lines[node.lineno - 1].strip() if 0 < node.lineno <= len(lines) else ""
        problems.append(f"{where}, line {node.lineno} (`{line}`): {what}")

    local_names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    local_names |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
                    for a in n.args + n.kwonlyargs + n.posonlyargs + [n.vararg, n.kwarg] if a is not None}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if forbidden.module(alias.name) or alias.name.rsplit(".", 1)[-1] in forbidden.names:
                    report(node, f"imports {alias.name}, which is locked in this part")
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                value = getattr(import_or_none(node.module), alias.name, None)
                if forbidden.module(node.module) or alias.name in forbidden.names or \
                        (value is not None and forbidden.object(value)):
                    report(node, f"imports {alias.name} from {node.module}, which is locked in this part")
        elif isinstance(node, ast.Attribute):
            if node.attr in forbidden.names:
                report(node, f"uses .{node.attr}, which is locked in this part: compute it yourself")
            elif node.attr in _DYNAMIC:
                report(node, f"uses .{node.attr}; names computed at run time are not allowed in this answer")
            chain = _chain(node)
            if chain and chain[0] not in local_names:
                found, value = _lookup(chain[0], namespace)
                for attribute in chain[1:]:
                    if not found or not isinstance(value, (types.ModuleType, type)):
                        break
                    value = getattr(value, attribute, None)
                    if value is not None and forbidden.object(value):
                        report(node, f"uses {'.'.join(chain)}, which is locked in this part")
                        break
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in _DYNAMIC:
                report(node, f"calls {node.id}; names computed at run time are not allowed in this answer")
                continue
            if node.id in local_names:
                continue
            found, value = _lookup(node.id, namespace)
            if not found:
                continue
            if forbidden.object(value):
                report(node, f"uses {node.id}, which is a locked {getattr(value, '__name__', 'object')}")
            elif isinstance(value, (types.FunctionType, type)) and getattr(value, "__module__", None) == module \
                    and module is not None and value is not answer and id(value) not in seen:
                helpers.append(value)
        elif isinstance(node, (ast.Constant, ast.BinOp, ast.JoinedStr, ast.Call, ast.Subscript)):
            text = _fold(node)
            if text is not None and (text in forbidden.names or forbidden.module(text)):
                if not (isinstance(node, ast.Constant) and _is_docstring(tree, node)):
                    report(node, f"spells out the locked name {text!r}")
    for helper in helpers:
        if id(helper) not in seen:
            seen.add(id(helper))
            try:
                problems += _problems(helper, forbidden, seen)
            except AssertionError:
                pass  # a helper whose source cannot be read (defined by exec): its calls are still locked at run time
    return problems


def _is_docstring(tree, constant) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and first.value is constant:
                return True
    return False


def source_problems(answer, *targets: str) -> list[str]:
    """Every place in ``answer`` (a function, class or source string) that uses one of ``targets``."""
    return _problems(answer, _Forbidden(targets), {id(answer)})


def assert_source_avoids(answer, *targets: str, what: str | None = None) -> None:
    """Fail with :class:`ReferenceLockedError` if the answer's source uses any of ``targets``.

    Args:
        answer: the student's function or class (or its source as a string).
        targets: as in :func:`dlcourse.grading.forbid`: dotted names, ``"module.*"``, ``"family:..."``.
        what: how to call the part in the message (default: the answer's name).
    """
    problems = source_problems(answer, *targets)
    if problems:
        name = what or getattr(answer, "__name__", "this answer")
        raise ReferenceLockedError(
            f"{name} must be written without the locked library functions of this part; found:\n  - "
            + "\n  - ".join(problems[:5])
        )
