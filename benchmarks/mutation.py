"""Mutation pass: how many small, behaviour-changing edits of each solution do the hidden tests catch?

For a chapter, every answer cell's solution code (between ``### BEGIN SOLUTION`` and ``### END
SOLUTION`` of solutions/SLUG/SLUG.ipynb) is mutated the way a hurried student's code differs from
the right one: swapped operators and comparisons, dropped terms, changed constants, in-place
variants (``x = x - m`` becomes ``x -= m``, a copy removed), ignored parameters (a parameter
replaced by its default), removed ``axis=``/``keepdims=``, swapped arguments, ``sum``/``mean`` and
``max``/``min`` confused, a statement left out.

Each mutant is first compared with the solution by a differential check that does not use the
hidden tests: the calls the chapter's test cells make to the answer cell's functions and methods
are recorded while the solution runs, then replayed on the solution and on the mutant with those
inputs and with seeded variants of them (random values of the same shapes, integer and float32
inputs, rows of very different scales, a single row, a fresh generator). A mutant whose outputs,
inputs after the call and object state all agree (rtol 1e-9) is *equivalent*; one that differs
only below any test's precision (rtol 1e-6, e.g. a tolerance 1e-8 made 1e-7) is *negligible*; the
others are *behaviour-changing*. Each behaviour-changing mutant becomes a student submission (the released
exercise with every answer cell filled from the solution except the mutated one) and the whole
class is graded with the instructor's command ``dlcourse grade``. A mutant is *killed* when it
loses points; the others *survive* and are listed.

    python benchmarks/mutation.py 05-outputs-activations          # at most 25 mutants per answer cell
    python benchmarks/mutation.py --all 04-mlp                    # every mutant
    python benchmarks/mutation.py                                 # every chapter with an exercise

Prints a table per chapter and writes benchmarks/results/mutation-SLUG.json. Not a test: a full
chapter takes minutes to tens of minutes on two cores (every submission runs the hidden tests).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import functools
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from course import chapters_with_exercises, nbgrader_meta, read, submission_from_release  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


# ---------------------------------------------------------------------------------------------
# Generating mutants
# ---------------------------------------------------------------------------------------------

@dataclass
class Mutant:
    """One edited answer cell."""

    grade_id: str
    kind: str          # operator, comparison, dropped term, constant, in-place, ignored parameter, ...
    description: str   # "a - b  ->  a + b"
    line: int          # line in the answer cell (1-based)
    source: str        # the whole answer cell as the student would submit it


def solution_line_ranges(source: str) -> list[tuple[int, int]]:
    """1-based (first, last) line numbers of the code between each BEGIN/END SOLUTION pair."""
    ranges, start = [], None
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() == BEGIN:
            start = number + 1
        elif line.strip() == END and start is not None:
            ranges.append((start, number - 1))
            start = None
    return ranges


def _inside(node: ast.AST, ranges) -> bool:
    line = getattr(node, "lineno", None)
    return line is not None and any(a <= line <= b for a, b in ranges)


def _short(node) -> str:
    text = ast.unparse(node) if isinstance(node, ast.AST) else str(node)
    text = " ".join(text.split())
    return text if len(text) <= 70 else text[:67] + "..."


OPERATOR_SWAPS = {ast.Add: [ast.Sub, ast.Mult], ast.Sub: [ast.Add], ast.Mult: [ast.Div, ast.Add],
                  ast.Div: [ast.Mult, ast.FloorDiv], ast.Pow: [ast.Mult], ast.FloorDiv: [ast.Div],
                  ast.MatMult: [ast.Mult], ast.Mod: [ast.FloorDiv]}
COMPARISON_SWAPS = {ast.Gt: [ast.GtE, ast.Lt], ast.GtE: [ast.Gt, ast.Lt], ast.Lt: [ast.LtE, ast.Gt],
                    ast.LtE: [ast.Lt, ast.Gt], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq],
                    ast.Is: [ast.IsNot], ast.IsNot: [ast.Is], ast.In: [ast.NotIn], ast.NotIn: [ast.In]}
AUG_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
NAME_SWAPS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "amax": "amin", "amin": "amax",
              "argmax": "argmin", "argmin": "argmax", "maximum": "minimum", "minimum": "maximum",
              "log1p": "log", "expm1": "exp", "std": "var", "var": "std"}
DROPPED_KEYWORDS = ("axis", "keepdims", "dtype", "ddof", "replace", "size")
COPYING_CALLS = ("array", "copy")          # np.array(x, ...) / np.copy(x) / x.copy()


def _constant_variants(value) -> list:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [not value] if isinstance(value, bool) else []
    out = []
    if value == 0:
        out.append(1 if isinstance(value, int) else 1.0)
    elif value == 1:
        out.append(0 if isinstance(value, int) else 0.0)
    out += [value + 1, value * 2, -value]
    if isinstance(value, float) and 0 < abs(value) < 1e-2:
        out += [value * 10, value / 10]
    return [v for v in dict.fromkeys(out) if v != value]


class _Sites(ast.NodeVisitor):
    """Lists (node id, kind, replacement maker) for every mutation site inside the solution lines."""

    def __init__(self, ranges):
        self.ranges, self.sites = ranges, []
        self.functions: list[ast.FunctionDef] = []

    def add(self, node, kind, make):
        self.sites.append((node._mutation_id, kind, make))

    def visit_BinOp(self, node):
        if _inside(node, self.ranges):
            for new in OPERATOR_SWAPS.get(type(node.op), []):
                self.add(node, "operator", lambda n, new=new: ast.BinOp(n.left, new(), n.right))
            self.add(node, "dropped term", lambda n: n.left)
            self.add(node, "dropped term", lambda n: n.right)
            if isinstance(node.op, (ast.Sub, ast.Div, ast.MatMult, ast.Pow)):
                self.add(node, "swapped operands", lambda n: ast.BinOp(n.right, n.op, n.left))
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if _inside(node, self.ranges) and isinstance(node.op, (ast.USub, ast.Not)):
            self.add(node, "operator", lambda n: n.operand)
        self.generic_visit(node)

    def visit_Compare(self, node):
        if _inside(node, self.ranges) and len(node.ops) == 1:
            for new in COMPARISON_SWAPS.get(type(node.ops[0]), []):
                self.add(node, "comparison", lambda n, new=new: ast.Compare(n.left, [new()], n.comparators))
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        if _inside(node, self.ranges):
            other = ast.Or if isinstance(node.op, ast.And) else ast.And
            self.add(node, "operator", lambda n, other=other: ast.BoolOp(other(), n.values))
        self.generic_visit(node)

    def visit_Constant(self, node):
        if _inside(node, self.ranges):
            for value in _constant_variants(node.value):
                self.add(node, "constant", lambda n, value=value: ast.Constant(value))

    def visit_Call(self, node):
        if _inside(node, self.ranges):
            for index, keyword in enumerate(node.keywords):
                if keyword.arg in DROPPED_KEYWORDS:
                    self.add(node, "removed keyword", lambda n, index=index: ast.Call(
                        n.func, n.args, n.keywords[:index] + n.keywords[index + 1:]))
            if len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2]):
                self.add(node, "swapped arguments",
                         lambda n: ast.Call(n.func, [n.args[1], n.args[0], *n.args[2:]], n.keywords))
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in NAME_SWAPS:
                def rename(n, new=NAME_SWAPS[name]):
                    func = copy.deepcopy(n.func)
                    if isinstance(func, ast.Attribute):
                        func.attr = new
                    else:
                        func.id = new
                    return ast.Call(func, n.args, n.keywords)
                self.add(node, "function", rename)
            # a copy removed: np.array(x, ...) -> x ; np.copy(x) -> x ; x.copy() -> x ; np.array -> np.asarray
            if name in COPYING_CALLS and isinstance(node.func, ast.Attribute):
                if name == "copy" and not node.args:
                    self.add(node, "in-place", lambda n: n.func.value)
                elif node.args:
                    self.add(node, "in-place", lambda n: n.args[0])
                    if name == "array":
                        self.add(node, "in-place", lambda n: ast.Call(
                            ast.Attribute(n.func.value, "asarray", ast.Load()), n.args, n.keywords))
        self.generic_visit(node)

    def visit_Assign(self, node):
        if _inside(node, self.ranges):
            target = node.targets[0] if len(node.targets) == 1 else None
            value = node.value
            # x = x - m  ->  x -= m   (edits the caller's array when x is an argument)
            if (isinstance(target, ast.Name) and isinstance(value, ast.BinOp) and isinstance(value.op, AUG_OPERATORS)
                    and isinstance(value.left, ast.Name) and value.left.id == target.id):
                self.add(node, "in-place", lambda n: ast.AugAssign(ast.Name(n.targets[0].id, ast.Store()),
                                                                   n.value.op, n.value.right))
            # y = x - m  where x is a parameter  ->  x -= m; y = x
            elif (isinstance(target, ast.Name) and isinstance(value, ast.BinOp)
                  and isinstance(value.op, AUG_OPERATORS) and isinstance(value.left, ast.Name)
                  and any(value.left.id in _parameters(f) for f in self.functions)):
                self.add(node, "in-place", lambda n: [
                    ast.AugAssign(ast.Name(n.value.left.id, ast.Store()), n.value.op, n.value.right),
                    ast.Assign([n.targets[0]], ast.Name(n.value.left.id, ast.Load()))])
            if isinstance(target, ast.Attribute) or isinstance(target, ast.Subscript):
                self.add(node, "statement removed", lambda n: ast.Pass())
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        if _inside(node, self.ranges):
            self.add(node, "statement removed", lambda n: ast.Pass())
            for new in OPERATOR_SWAPS.get(type(node.op), [])[:1]:
                self.add(node, "operator", lambda n, new=new: ast.AugAssign(n.target, new(), n.value))
        self.generic_visit(node)

    def visit_Expr(self, node):
        if _inside(node, self.ranges) and isinstance(node.value, ast.Call):
            self.add(node, "statement removed", lambda n: ast.Pass())
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        self.functions.append(node)
        # an ignored parameter: every use of it in the body replaced by its default
        arguments = node.args.posonlyargs + node.args.args
        defaults = dict(zip([a.arg for a in arguments][::-1], node.args.defaults[::-1]))
        defaults.update({a.arg: d for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None})
        for name, default in defaults.items():
            uses = [n for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == name
                    and isinstance(n.ctx, ast.Load) and _inside(n, self.ranges)]
            if uses:
                self.sites.append((node._mutation_id, "ignored parameter",
                                   lambda n, name=name, default=default: _replace_uses(n, name, default)))
                self.sites[-1] = self.sites[-1] + (f"{name} replaced by its default {_short(default)}", uses[0].lineno)
        self.generic_visit(node)
        self.functions.pop()


def _parameters(function: ast.FunctionDef) -> set[str]:
    a = function.args
    return {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs} - {"self"}


def _replace_uses(function: ast.FunctionDef, name: str, default: ast.AST) -> ast.FunctionDef:
    class Replace(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id == name and isinstance(node.ctx, ast.Load):
                return copy.deepcopy(default)
            return node
    new = copy.deepcopy(function)
    new.body = [Replace().visit(statement) for statement in new.body]
    return new


class _Apply(ast.NodeTransformer):
    def __init__(self, target: int, make):
        self.target, self.make, self.before, self.after = target, make, None, None

    def generic_visit(self, node):
        if getattr(node, "_mutation_id", None) == self.target:
            self.before = node
            replacement = self.make(copy.deepcopy(node))
            self.after = replacement
            if isinstance(replacement, list):
                for item in replacement:
                    ast.copy_location(item, node)
                return replacement
            return ast.copy_location(replacement, node)
        return super().generic_visit(node)


def mutants_of_cell(grade_id: str, source: str) -> list[Mutant]:
    """Every distinct mutant of one answer cell (mutations only inside its solution lines)."""
    ranges = solution_line_ranges(source)
    tree = ast.parse(source)
    for index, node in enumerate(ast.walk(tree)):
        node._mutation_id = index
    finder = _Sites(ranges)
    finder.visit(tree)
    original = ast.unparse(tree)
    seen, mutants = {original}, []
    for site in finder.sites:
        target, kind, make = site[:3]
        new_tree = copy.deepcopy(tree)
        applier = _Apply(target, make)
        new_tree = ast.fix_missing_locations(applier.visit(new_tree))
        try:
            code = ast.unparse(new_tree)
            compile(code, "<mutant>", "exec")
        except (SyntaxError, ValueError, TypeError, AttributeError, RecursionError):
            continue
        if code in seen:
            continue
        seen.add(code)
        if len(site) > 3:
            description, line = site[3], site[4]
        else:
            after = applier.after
            after_text = "; ".join(_short(a) for a in after) if isinstance(after, list) else _short(after)
            description, line = f"{_short(applier.before)}  ->  {after_text}", applier.before.lineno
        mutants.append(Mutant(grade_id, kind, description, line, code + "\n"))
    return mutants


def generate_mutants(solution, per_cell: int | None, seed: int) -> list[Mutant]:
    """Mutants of every answer cell of a solution notebook, at most ``per_cell`` each (seeded sample)."""
    out = []
    for cell in solution.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or not meta.get("solution") or BEGIN not in cell.source:
            continue
        mutants = mutants_of_cell(meta["grade_id"], cell.source)
        if per_cell is not None and len(mutants) > per_cell:
            chosen = sorted(random.Random(f"{seed}-{meta['grade_id']}").sample(range(len(mutants)), per_cell))
            mutants = [mutants[i] for i in chosen]
        out += mutants
    return out


# ---------------------------------------------------------------------------------------------
# The differential check: record the test cells' calls on the solution, replay them on a mutant
# ---------------------------------------------------------------------------------------------

@dataclass
class Call:
    owner: str            # function name, or class name for a method
    method: str | None    # None for a plain function, "__init__", "forward", ...
    state: dict | None    # the instance's __dict__ before the call (methods only)
    args: tuple
    kwargs: dict


def defined_names(source: str) -> dict[str, str]:
    """Top-level functions and classes an answer cell defines: name -> "function" | "class"."""
    names = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names[node.name] = "function"
        elif isinstance(node, ast.ClassDef):
            names[node.name] = "class"
    return names


def _snapshot(value):
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - an uncopyable argument is replayed as it is
        return value


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float):
    def handler(signum, frame):
        raise _Timeout(f"ran longer than {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _exec(code: str, label: str, namespace: dict):
    """Run a cell's code the way a kernel does, its lines kept in linecache so that
    ``inspect.getsource`` (and the graders' source scans) can read the functions it defines.
    Returns the value of the cell's last line when it is an expression (the cell's result, e.g. a
    test cell's ``checks.score()``), else None."""
    import linecache
    filename = f"<cell {label} {abs(hash(code)):x}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    tree = ast.parse(code, filename)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, filename, "exec"), namespace)
    if last is not None:
        return eval(compile(ast.Expression(last.value), filename, "eval"), namespace)  # noqa: S307 - the cell's own code
    return None


def _program_cells(solution) -> list[tuple[str | None, str]]:
    """(grade_id or None, source) of the code cells a student's program consists of, in order:
    set-up cells and answer cells up to the last answer cell (test cells and later plots left out)."""
    cells = [(nbgrader_meta(c).get("grade_id") if nbgrader_meta(c).get("solution") else None, c.source)
             for c in solution.cells if c.cell_type == "code" and not nbgrader_meta(c).get("grade")]
    last = max(i for i, (grade_id, _) in enumerate(cells) if grade_id)
    return cells[:last + 1]


def build_namespace(solution, replace: dict[str, str] | None = None) -> dict:
    namespace = {"__name__": "__mutation__"}
    for grade_id, source in _program_cells(solution):
        if source.lstrip().startswith(("%", "!")):
            continue
        _exec((replace or {}).get(grade_id, source), str(grade_id), namespace)
    return namespace


def record_calls(solution, max_calls: int = 16) -> dict[str, list[Call]]:
    """Run the solution notebook's code and test cells; record the calls made to each answer cell's
    functions and methods (at most ``max_calls`` per function or method, spread over the run)."""
    namespace = {"__name__": "__mutation__"}
    owners = {}
    for cell in solution.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            owners.update({name: meta["grade_id"] for name in defined_names(cell.source)})
    calls: dict[str, list[Call]] = {}

    def wrap_function(name, function):
        @functools.wraps(function)
        def recorder(*args, **kwargs):
            calls.setdefault(name, []).append(Call(name, None, None, _snapshot(args), _snapshot(kwargs)))
            return function(*args, **kwargs)
        return recorder

    def wrap_method(cls, name, method):
        @functools.wraps(method)
        def recorder(self, *args, **kwargs):
            state = _snapshot(getattr(self, "__dict__", {})) if name != "__init__" else None
            calls.setdefault(f"{cls.__name__}.{name}", []).append(
                Call(cls.__name__, name, state, _snapshot(args), _snapshot(kwargs)))
            return method(self, *args, **kwargs)
        return recorder

    for cell in solution.cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith(("%", "!")):
            continue
        meta = nbgrader_meta(cell)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            _exec(cell.source, str(meta.get("grade_id")), namespace)
        if meta.get("solution"):
            for name, what in defined_names(cell.source).items():
                if what == "function":
                    namespace[name] = wrap_function(name, namespace[name])
                else:
                    cls = namespace[name]
                    for attribute, value in list(vars(cls).items()):
                        if isinstance(value, types.FunctionType):
                            setattr(cls, attribute, wrap_method(cls, attribute, value))
        if meta.get("grade"):
            import matplotlib.pyplot as plt
            plt.close("all")
    return {key: _diverse(recorded, max_calls) for key, recorded in list(calls.items())}


def _signature(call: Call) -> str:
    """What distinguishes calls: shapes and dtypes of arrays, values of other arguments."""
    def describe(value):
        if isinstance(value, np.ndarray):
            return f"array{value.shape}{value.dtype}"
        if isinstance(value, (tuple, list)):
            return "[" + ",".join(describe(v) for v in value) + "]"
        if isinstance(value, dict):
            return "{" + ",".join(f"{k}:{describe(v)}" for k, v in value.items()) + "}"
        return repr(value)[:40]
    return describe((call.method, call.args, call.kwargs))


def _diverse(recorded: list[Call], max_calls: int) -> list[Call]:
    """At most ``max_calls`` calls: the first of each distinct signature, then others spread over the run."""
    firsts = list({_signature(c): i for i, c in reversed(list(enumerate(recorded)))}.values())
    chosen = sorted(firsts)[:max_calls]
    rest = [i for i in range(len(recorded)) if i not in set(chosen)]
    room = max_calls - len(chosen)
    if room > 0 and rest:
        chosen += [rest[int(i)] for i in np.unique(np.linspace(0, len(rest) - 1, room).round().astype(int))]
    return [recorded[i] for i in sorted(chosen)]


NEGLIGIBLE = (1e-6, 1e-9)   # rtol, atol: differences below these are below any test's precision
BIG = 200_000            # a call whose arrays hold more numbers than this is replayed on a subset of rows


def _map_arrays(value, function):
    if isinstance(value, np.ndarray):
        return function(value)
    if isinstance(value, tuple):
        return tuple(_map_arrays(v, function) for v in value)
    if isinstance(value, list):
        return [_map_arrays(v, function) for v in value]
    if isinstance(value, dict):
        return {k: _map_arrays(v, function) for k, v in value.items()}
    return value


def _size(value) -> int:
    total = [0]
    _map_arrays(value, lambda a: total.__setitem__(0, total[0] + a.size) or a)
    return total[0]


def variants(call: Call, seed: int) -> list[tuple[str, Call]]:
    """The recorded call and seeded variants of it (same shapes, other values and kinds of input)."""
    payload = (call.args, call.kwargs, call.state)
    if _size((call.args, call.kwargs)) > BIG:
        rows = {a.shape[0] for a in _leaves(payload) if a.ndim >= 1 and a.size > 10_000}
        if len(rows) == 1:
            n = rows.pop()
            keep = np.random.default_rng(seed).choice(n, size=512, replace=False)
            payload = _map_arrays(payload, lambda a: a[keep] if a.ndim >= 1 and a.shape[0] == n else a)
        else:
            return [("recorded", call)]
    rng = np.random.default_rng(seed)
    args, kwargs, state = payload

    def remake(function, rescale_rng=False):
        def each(value):
            if isinstance(value, np.random.Generator) and rescale_rng:
                return np.random.default_rng(seed + 1)
            if isinstance(value, np.ndarray):
                return function(value)
            if isinstance(value, (tuple, list)):
                return type(value)(each(v) for v in value)
            if isinstance(value, dict):
                return {k: each(v) for k, v in value.items()}
            return value
        return Call(call.owner, call.method, state, each(args), each(kwargs))

    def random_values(a):
        if a.dtype == bool:
            return rng.random(a.shape) < 0.5
        if np.issubdtype(a.dtype, np.integer):
            low, high = (int(a.min()), int(a.max()) + 1) if a.size else (0, 2)
            return rng.integers(low, max(high, low + 1), size=a.shape).astype(a.dtype)
        if np.issubdtype(a.dtype, np.floating):
            scale = float(np.std(a)) if a.size > 1 and np.std(a) > 0 else 1.0
            return (float(np.mean(a)) + scale * rng.standard_normal(a.shape)).astype(a.dtype)
        return a

    def integers(a):
        return np.rint(random_values(a) * 2).astype(np.int64) if np.issubdtype(a.dtype, np.floating) else a

    def float32(a):
        return random_values(a).astype(np.float32) if np.issubdtype(a.dtype, np.floating) else a

    def mixed_scales(a):
        if np.issubdtype(a.dtype, np.floating) and a.ndim >= 2:
            scales = 10.0 ** rng.uniform(-3, 3, size=(a.shape[0],) + (1,) * (a.ndim - 1))
            return random_values(a) * scales
        return a

    def one_row(a):
        return a[:1] if a.ndim >= 2 and a.shape[0] > 1 else a

    out = [("recorded", Call(call.owner, call.method, state, args, kwargs)),
           ("random values", remake(random_values, rescale_rng=True)),
           ("integer inputs", remake(integers)),
           ("float32 inputs", remake(float32)),
           ("rows of mixed scales", remake(mixed_scales)),
           ("a single row", remake(one_row))]
    # integers arguments nudged (a parameter that is ignored must show)
    numbers = [i for i, a in enumerate(args) if isinstance(a, int) and not isinstance(a, bool)]
    for i in numbers:
        nudged = list(args)
        nudged[i] = args[i] + 1
        out.append((f"argument {i + 1} plus one", Call(call.owner, call.method, state, tuple(nudged), kwargs)))
    for key, value in kwargs.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            nudged = dict(kwargs, **{key: value * 2 if value else 1})
            out.append((f"{key} doubled", Call(call.owner, call.method, state, args, nudged)))
    return out


def _leaves(value) -> list[np.ndarray]:
    found = []
    _map_arrays(value, lambda a: found.append(a) or a)
    return found


def _run(namespace: dict, call: Call, seconds: float):
    """Outcome of one call: ("ok", result, args after, state after) or ("raised", exception type)."""
    args, kwargs = _snapshot(call.args), _snapshot(call.kwargs)
    try:
        with time_limit(seconds), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if call.method is None:
                result = namespace[call.owner](*args, **kwargs)
                return ("ok", result, (args, kwargs), None)
            cls = namespace[call.owner]
            obj = object.__new__(cls)
            if call.state:
                obj.__dict__.update(_snapshot(call.state))
            result = getattr(obj, call.method)(*args, **kwargs)
            return ("ok", result, (args, kwargs), dict(vars(obj)))
    except _Timeout:
        return ("timeout",)
    except Exception as error:  # noqa: BLE001 - the mutant may raise anything
        return ("raised", type(error).__name__)


def same(a, b, depth: int = 0, rtol: float = 1e-9, atol: float = 1e-12, dtypes: bool = True) -> bool:
    """Do two outcomes agree (numbers within ``rtol``/``atol``, float dtypes alike when ``dtypes``,
    objects by their attributes)?"""
    if depth > 6:
        return True
    if isinstance(a, (np.ndarray, np.generic, int, float, complex)) and not isinstance(a, bool) \
            or isinstance(b, (np.ndarray, np.generic)):
        try:
            x, y = np.asarray(a), np.asarray(b)
            if x.shape != y.shape:
                return False
            if dtypes and x.dtype.kind == "f" and y.dtype.kind == "f" and x.dtype != y.dtype:
                return False                 # float32 where float64 is returned, or the reverse
            if x.dtype.kind in "biufc" and y.dtype.kind in "biufc":
                tolerance = max(rtol, 1e-5) if np.float32 in (x.dtype, y.dtype) else rtol
                return bool(np.allclose(x.astype(complex), y.astype(complex), rtol=tolerance, atol=atol,
                                        equal_nan=True))
            return bool(np.all(x == y))
        except Exception:  # noqa: BLE001
            return False
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y, depth + 1, rtol, atol, dtypes) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], depth + 1, rtol, atol, dtypes) for k in a)
    if isinstance(a, np.random.Generator) and isinstance(b, np.random.Generator):
        return a.bit_generator.state == b.bit_generator.state
    if hasattr(a, "__dict__") and hasattr(b, "__dict__") and not isinstance(a, type):
        return type(a).__name__ == type(b).__name__ and same(vars(a), vars(b), depth + 1, rtol, atol, dtypes)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return a is b


def differential(solution_ns: dict, mutant_ns: dict, calls: list[Call], seed: int,
                 seconds: float = 20.0, rtol: float = 1e-9, atol: float = 1e-12) -> str | None:
    """None when the mutant agrees with the solution on every call and variant; else what differed.

    Float32 inputs may give float32 results (their dtype is not compared); elsewhere a float32
    result where the solution returns float64 (or the reverse) is a difference.
    """
    for number, call in enumerate(calls):
        for label, variant in variants(call, seed + number):
            expected = _run(solution_ns, variant, seconds)
            if expected[0] == "timeout":
                continue
            got = _run(mutant_ns, variant, seconds)
            name = call.owner + (f".{call.method}" if call.method else "")
            if got[0] != expected[0]:
                what = {"timeout": "ran too long", "raised": f"raised {got[-1]}"}.get(got[0], "returned")
                solution = "raised " + expected[1] if expected[0] == "raised" else "returned"
                return f"{name} ({label}): {what} where the solution {solution}"
            if got[0] == "raised":
                if got[1] != expected[1]:
                    return f"{name} ({label}): raised {got[1]}, the solution {expected[1]}"
                continue
            tolerances = dict(rtol=rtol, atol=atol, dtypes=label != "float32 inputs")
            if not same(got[1], expected[1], **tolerances):
                return f"{name} ({label}): a different result"
            if not same(got[2], expected[2], **tolerances):
                return f"{name} ({label}): changed its inputs differently"
            if not same(got[3], expected[3], **tolerances):
                return f"{name} ({label}): left the object in a different state"
    return None


# ---------------------------------------------------------------------------------------------
# Grading with the instructor's command
# ---------------------------------------------------------------------------------------------

def _environment() -> dict:
    """One BLAS thread per grading process, and the virtual environment's programs on PATH (nbgrader runs alembic)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return dict(os.environ, PATH=path, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def grade(slug: str, submissions: dict[str, nbformat.NotebookNode], work: Path, jobs: int) -> dict[str, dict]:
    """Grade submissions with ``dlcourse grade``: student -> {score, max_score, status, lost: [test ids]}."""
    folder, out = work / "submissions", work / "graded"
    for student, notebook in submissions.items():
        (folder / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, folder / student / f"{slug}.ipynb")
    command = [str(Path(sys.executable).parent / "dlcourse"), "grade", slug, str(folder), "--out", str(out),
               "--course", str(ROOT), "--jobs", str(jobs)]
    if shutil.which("bwrap") is None:
        command.append("--no-sandbox")       # our own mutants: trusted code; the sandbox needs bubblewrap
    environment = _environment()
    run = subprocess.run(command, capture_output=True, text=True, env=environment)
    grades_csv = out / "grades.csv"
    if not grades_csv.exists():
        raise RuntimeError(f"`{' '.join(command)}` wrote no grades.csv (exit status {run.returncode}):\n"
                           f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}\n"
                           "Where the instructor's grader cannot run, --grader nbgrader grades with plain nbgrader.")
    import csv
    lost: dict[str, list[str]] = {}
    with open(out / "parts.csv") as handle:        # one row per student and test cell
        for part in csv.DictReader(handle):
            if float(part["points"]) < float(part["max_points"]):
                lost.setdefault(part["student_id"], []).append(part["test"])
    results = {}
    with open(grades_csv) as handle:
        for row in csv.DictReader(handle):
            results[row["student_id"]] = {"score": float(row["score"]), "max_score": float(row["max_score"]),
                                          "status": row["status"], "reason": row["reason"],
                                          "lost": lost.get(row["student_id"], [])}
    return results


def grade_with_nbgrader(slug: str, submissions: dict[str, nbformat.NotebookNode], work: Path,
                        jobs: int) -> dict[str, dict]:
    """The same, graded by plain ``nbgrader autograde`` (``jobs`` course copies side by side)."""
    from nbgrader.api import Gradebook

    shards = []
    for index in range(max(1, jobs)):
        course = work / f"course-{index}"
        (course / "source").mkdir(parents=True)
        (course / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"load_subconfig({str(ROOT / 'autograder' / 'nbgrader_config.py')!r})\n"
            f"c.CourseDirectory.root = {str(course)!r}\n"
            "c.CourseDirectory.source_directory = 'source'\n"
            "c.CourseDirectory.release_directory = 'release'\n"
            "c.CourseDirectory.submitted_directory = 'submitted'\n"
            "c.CourseDirectory.autograded_directory = 'autograded'\n"
            f"c.CourseDirectory.db_url = 'sqlite:///{course / 'gradebook.db'}'\n")
        shutil.copytree(ROOT / "solutions" / slug, course / "source" / slug)
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", slug, "--log-level=ERROR"],
                       cwd=course, check=True, capture_output=True, env=_environment())
        shards.append(course)
    students = list(submissions)
    for index, student in enumerate(students):
        folder = shards[index % len(shards)] / "submitted" / student / slug
        folder.mkdir(parents=True)
        nbformat.write(submissions[student], folder / f"{slug}.ipynb")
    environment = _environment()
    runs = [subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", slug, "--force", "--log-level=ERROR"],
                             cwd=course, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for course in shards]
    for run in runs:
        run.wait()
    results = {}
    for index, student in enumerate(students):
        with Gradebook(f"sqlite:///{shards[index % len(shards)] / 'gradebook.db'}") as gradebook:
            try:
                notebook = gradebook.find_submission_notebook(slug, slug, student)
            except Exception:  # noqa: BLE001 - not graded at all
                continue
            lost = [g.name for g in notebook.grades if g.max_score and g.cell_type == "code"
                    and (g.score or 0) < g.max_score]
            results[student] = {"score": notebook.code_score, "max_score": notebook.max_code_score,
                                "status": "graded", "reason": "", "lost": lost}
    return results


def _direct_one(task):
    """Run a solution notebook with one answer cell replaced, in this (forked) process: a test cell
    whose code raised lost its points; one that returned a number as its result (partial credit,
    ``checks.score()``) earned that number, by nbgrader's rule as ``dlcourse grade`` applies it."""
    from dlcourse.autograder.scoring import cell_score

    solution, grade_id, source, seconds = task
    lost, messages, score, maximum = [], [], 0.0, 0.0
    saved, notebook = sys.modules["__main__"], types.ModuleType("__main__")
    sys.modules["__main__"] = notebook     # forbid() also locks names the notebook imported into __main__
    namespace = vars(notebook)
    try:
        for cell in solution.cells:
            meta = nbgrader_meta(cell)
            if cell.cell_type != "code" or cell.source.lstrip().startswith(("%", "!")):
                continue
            code = source if grade_id is not None and meta.get("grade_id") == grade_id else cell.source
            points = float(meta.get("points", 0)) if meta.get("grade") else 0.0
            maximum += points
            try:
                with time_limit(seconds), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                    warnings.simplefilter("ignore")
                    value = _exec(code, str(meta.get("grade_id")), namespace)
                if points:
                    result = [] if value is None else [{"output_type": "execute_result", "execution_count": None,
                                                        "metadata": {}, "data": {"text/plain": repr(value)}}]
                    earned = cell_score(code, result, points)
                    score += earned
                    if earned < points:
                        lost.append(meta["grade_id"])
                        messages.append(f"{meta['grade_id']}: {earned:g} of {points:g} points")
            except BaseException as error:  # noqa: BLE001 - whatever the cell raised, it lost its points
                if points:
                    lost.append(meta["grade_id"])
                messages.append(f"{meta.get('grade_id', 'a cell')}: {type(error).__name__}: {str(error)[:300]}")
    finally:
        sys.modules["__main__"] = saved
    return {"score": score, "max_score": maximum, "status": "graded", "reason": " | ".join(messages), "lost": lost}


def grade_directly(slug: str, tasks: dict[str, tuple[str | None, str | None]], jobs: int,
                   seconds: float = 120.0) -> dict[str, dict]:
    """A quick stand-in for the graders while hidden tests are being written: every mutant runs the
    solution notebook's cells (its hidden tests included) in a fresh process forked from a clean
    one, no kernel, no sandbox. Not the instructor's path: confirm final numbers with ``dlcourse grade``."""
    import multiprocessing

    solution = read(ROOT / "solutions" / slug / f"{slug}.ipynb")
    # A fork server: children forked from a fresh process that has imported NumPy and torch but
    # started no threads (forking this process, whose torch thread pools have run, can deadlock).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["numpy", "torch", "sklearn", "scipy.optimize", "matplotlib.pyplot",
                                    "dlcourse.grading"])
    names = list(tasks)
    with context.Pool(max(1, jobs), maxtasksperchild=1) as pool:
        results = pool.map(_direct_one, [(solution, *tasks[n], seconds) for n in names], chunksize=1)
    return dict(zip(names, results))


# ---------------------------------------------------------------------------------------------
# One chapter
# ---------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    mutant: Mutant
    verdict: str     # equivalent, negligible (differs by < rtol 1e-6), killed, survived, broken (not graded)
    difference: str | None = None
    score: float | None = None
    max_score: float | None = None
    lost: list[str] = field(default_factory=list)


def run_chapter(slug: str, per_cell: int | None, seed: int, jobs: int, grade_equivalent: bool,
                only: list[str] | None = None, grader: str = "dlcourse", log=print) -> dict:
    solution = read(ROOT / "solutions" / slug / f"{slug}.ipynb")
    release = read(ROOT / "exercises" / slug / f"{slug}.ipynb")
    start = time.perf_counter()
    mutants = generate_mutants(solution, per_cell, seed)
    if only:
        mutants = [m for m in mutants if m.grade_id in only]
    log(f"{slug}: {len(mutants)} mutants; recording the test cells' calls on the solution ...")
    calls = record_calls(solution)
    solution_ns = build_namespace(solution)
    answer_sources = {nbgrader_meta(c)["grade_id"]: c.source for c in solution.cells
                      if nbgrader_meta(c).get("solution") and c.cell_type == "code"}
    outcomes = []
    for number, mutant in enumerate(mutants):
        names = defined_names(answer_sources[mutant.grade_id])
        cell_calls = [c for key, recorded in calls.items() for c in recorded
                      if key.split(".")[0] in names]
        try:
            with time_limit(60):
                mutant_ns = build_namespace(solution, {mutant.grade_id: mutant.source})
            difference = differential(solution_ns, mutant_ns, cell_calls, seed)
        except _Timeout:
            difference = "defining the cell ran too long"
        except Exception as error:  # noqa: BLE001 - a mutant that breaks at definition time
            difference = f"defining the cell raised {type(error).__name__}"
        if difference is not None and not difference.startswith("defining") and differential(
                solution_ns, mutant_ns, cell_calls, seed, rtol=NEGLIGIBLE[0], atol=NEGLIGIBLE[1]) is None:
            outcomes.append(Outcome(mutant, "negligible", difference))    # differs only below the contract's precision
            continue
        if difference is None and not cell_calls:
            difference = "no recorded calls to compare (treated as behaviour-changing)"
        outcomes.append(Outcome(mutant, "equivalent" if difference is None else "pending", difference))
        if (number + 1) % 25 == 0:
            log(f"  differential check: {number + 1}/{len(mutants)}")
    to_grade = {f"m{i:04d}": o for i, o in enumerate(outcomes) if o.verdict == "pending" or grade_equivalent}
    log(f"{slug}: grading {len(to_grade)} submissions with {grader} ...")
    submissions = {student: submission_from_release(release, solution, {o.mutant.grade_id: o.mutant.source})
                   for student, o in to_grade.items()} if grader != "direct" else {}
    submissions["solution"] = submission_from_release(release, solution)
    if grader == "direct":
        tasks = {student: (o.mutant.grade_id, o.mutant.source) for student, o in to_grade.items()}
        results = grade_directly(slug, {**tasks, "solution": (None, None)}, jobs)
    else:
        with tempfile.TemporaryDirectory(prefix=f"mutation-{slug}-") as work:
            results = (grade if grader == "dlcourse" else grade_with_nbgrader)(slug, submissions, Path(work), jobs)
    reference = results["solution"]
    if reference["score"] < reference["max_score"]:
        raise RuntimeError(f"{slug}: the solution itself scored {reference['score']}/{reference['max_score']} "
                           f"({reference['status']}: {reference['reason']}; lost {reference['lost']})")
    for student, outcome in to_grade.items():
        result = results.get(student)
        if result is None:
            outcome.verdict = "broken"
            continue
        outcome.score, outcome.max_score, outcome.lost = result["score"], result["max_score"], result["lost"]
        killed = result["score"] < result["max_score"]
        if outcome.verdict == "equivalent":
            if killed:       # it lost points, so it was not equivalent: the battery missed a difference
                outcome.verdict = "killed"
                outcome.difference = "lost points although the differential check found no difference"
        else:
            outcome.verdict = "killed" if killed else "survived"
    changing = [o for o in outcomes if o.verdict in ("killed", "survived")]
    killed = [o for o in changing if o.verdict == "killed"]
    summary = {
        "slug": slug, "grader": grader, "seed": seed, "per_cell": per_cell,
        "seconds": round(time.perf_counter() - start, 1),
        "generated": len(outcomes), "equivalent": sum(o.verdict == "equivalent" for o in outcomes),
        "negligible": sum(o.verdict == "negligible" for o in outcomes),
        "behaviour_changing": len(changing), "killed": len(killed),
        "kill_rate": round(len(killed) / len(changing), 4) if changing else None,
        "per_cell_counts": {},
        "survivors": [{"cell": o.mutant.grade_id, "kind": o.mutant.kind, "mutation": o.mutant.description,
                       "line": o.mutant.line, "difference": o.difference} for o in outcomes if o.verdict == "survived"],
        "mutants": [dict(asdict(o.mutant), verdict=o.verdict, difference=o.difference, score=o.score,
                         max_score=o.max_score, lost=o.lost) for o in outcomes],
    }
    for o in outcomes:
        counts = summary["per_cell_counts"].setdefault(o.mutant.grade_id, {"generated": 0, "equivalent": 0,
                                                                            "negligible": 0, "killed": 0, "survived": 0,
                                                                            "broken": 0})
        counts["generated"] += 1
        counts[o.verdict] += 1
    return summary


def print_summary(summary: dict) -> None:
    rate = f"{100 * summary['kill_rate']:.1f} %" if summary["kill_rate"] is not None else "-"
    print(f"\n{summary['slug']} (graded with {summary['grader']}): {summary['generated']} mutants, "
          f"{summary['equivalent']} equivalent, "
          f"{summary['negligible']} negligible, "
          f"{summary['behaviour_changing']} behaviour-changing, {summary['killed']} killed ({rate}); "
          f"{summary['seconds']:.0f} s")
    print(f"  {'answer cell':28} {'mutants':>7} {'equiv.':>7} {'neglig.':>7} {'killed':>7} {'survived':>8}")
    for cell, c in summary["per_cell_counts"].items():
        print(f"  {cell:28} {c['generated']:7d} {c['equivalent']:7d} {c['negligible']:7d} {c['killed']:7d} "
              f"{c['survived']:8d}")
    for s in summary["survivors"]:
        print(f"  SURVIVES  {s['cell']}:{s['line']}  [{s['kind']}]  {s['mutation']}  ({s['difference']})")


def main(argv: list[str] | None = None) -> int:
    # Cells run in this process while calls are recorded: their plots must not look for a screen. (Set
    # here, not at import: the tests import this module, and every kernel they start would inherit it.)
    os.environ.setdefault("MPLBACKEND", "Agg")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", nargs="*", help="chapters (default: every chapter with an exercise)")
    parser.add_argument("--per-cell", type=int, default=25, help="mutants sampled per answer cell (default 25)")
    parser.add_argument("--all", action="store_true", help="every mutant (no sampling)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample and of the input variants")
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    parser.add_argument("--cell", action="append", help="only this answer cell (grade_id); repeatable")
    parser.add_argument("--grade-equivalent", action="store_true",
                        help="grade the mutants found equivalent too (a kill then shows a weak differential check)")
    parser.add_argument("--list", action="store_true", help="only list the mutants, grade nothing")
    parser.add_argument("--grader", choices=("dlcourse", "nbgrader", "direct"), default="dlcourse",
                        help="grade with the instructor's `dlcourse grade` (default), plain nbgrader autograde, "
                             "or directly: the solution's cells in forked processes (quick, for writing tests)")
    args = parser.parse_args(argv)
    slugs = args.slugs or chapters_with_exercises()
    per_cell = None if args.all else args.per_cell
    RESULTS.mkdir(parents=True, exist_ok=True)
    below = []
    for slug in slugs:
        if args.list:
            solution = read(ROOT / "solutions" / slug / f"{slug}.ipynb")
            for m in generate_mutants(solution, per_cell, args.seed):
                if not args.cell or m.grade_id in args.cell:
                    print(f"{slug} {m.grade_id}:{m.line} [{m.kind}] {m.description}")
            continue
        summary = run_chapter(slug, per_cell, args.seed, args.jobs, args.grade_equivalent, args.cell, args.grader,
                              log=lambda *a: print(*a, file=sys.stderr, flush=True))
        (RESULTS / f"mutation-{slug}.json").write_text(json.dumps(summary, indent=1))
        print_summary(summary)
        if summary["kill_rate"] is not None and summary["kill_rate"] < 0.9:
            below.append(slug)
    if not args.list:
        print(f"\nJSON in {RESULTS.relative_to(ROOT)}/; chapters below 90 %: {', '.join(below) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
