"""The differential check: record the calls the test cells make to an answer cell's functions and
methods while the solution runs, then replay them, and seeded variants of them, on the solution and
on a mutant. No hidden test decides here: a mutant that agrees on every call is equivalent."""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import signal
import types
import warnings
from dataclasses import dataclass

import numpy as np

from dlcourse.course.notebooks import nbgrader_meta


@dataclass
class Call:
    """One recorded call of an answer's function or method, replayed on the solution and on a mutant."""
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


class Timeout(Exception):
    """A call or a cell ran past the seconds of ``time_limit``."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise Timeout in this (main) thread after ``seconds`` (SIGALRM)."""
    def handler(signum, frame):
        raise Timeout(f"ran longer than {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def exec_cell(code: str, label: str, namespace: dict):
    """Run a cell's code the way a kernel does, its lines kept in linecache so that
    ``inspect.getsource`` (and the graders' source scans) can read the functions it defines.
    Returns the value of the cell's last line when it is an expression (the cell's result, e.g. a
    test cell's ``checks.score()``), else None."""
    import linecache
    filename = f"<cell {label} {abs(hash(code)):x}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    tree = ast.parse(code, filename)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, filename, "exec"), namespace)  # noqa: S102 - the cell's own code
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
    """Run a solution's program cells (with some answer cells replaced) and return their namespace."""
    namespace = {"__name__": "__mutation__"}
    for grade_id, source in _program_cells(solution):
        if source.lstrip().startswith(("%", "!")):
            continue
        exec_cell((replace or {}).get(grade_id, source), str(grade_id), namespace)
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
            exec_cell(cell.source, str(meta.get("grade_id")), namespace)
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
    except Timeout:
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
