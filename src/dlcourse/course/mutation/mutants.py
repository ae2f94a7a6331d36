"""The mutants: an answer cell's solution code edited the way a hurried student's code differs from
the right one (swapped operators and comparisons, dropped terms, changed constants, in-place
variants, ignored parameters, removed keywords, swapped arguments, confused functions, a statement
left out). Only the lines between the solution markers are edited."""

from __future__ import annotations

import ast
import copy
import random
import warnings
from dataclasses import dataclass

from dlcourse.course.notebooks import nbgrader_meta

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


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
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)   # e.g. a constant called: it raises when run
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
