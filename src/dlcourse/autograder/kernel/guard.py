"""Runs inside the student's kernel: undo tampering before every hidden-test cell.

At kernel start (before any student code) :func:`snapshot` imports the modules the tests use and
records the attributes of every module of those packages (``numpy``, ``math``, ``builtins``,
``torch``, ``dlcourse``, ...), the attributes of the classes the course's own package defines
(``dlcourse.grading.Checks``, whose ``score()`` is a test cell's result), ``sys.excepthook`` and
friends. Before each test cell :func:`restore` puts back every recorded attribute a student
replaced (``numpy.testing.assert_allclose = lambda *a: None``, ``math.isclose = ...``,
``Checks.score = lambda self: self.points``, a fake ``sys.modules['numpy']``), removes names in the
notebook's namespace that shadow builtins (``range = lambda n: []``), resets IPython's input
transformers, hooks and ``showtraceback``, and re-runs the instructor's import lines, so the test
helpers (``assert_close``, ``np``) are the genuine ones again.

This defends against the classic tricks; the student's code still runs in the same interpreter as
the tests, so it is one layer of several (tests rebuilt from the source, pass/fail taken from the
kernel's execute reply, the sandbox).
"""

from __future__ import annotations

import builtins
import importlib
import sys
from types import FunctionType

_saved_modules: dict = {}
_saved_dicts: dict = {}
_saved_sys: dict = {}
_saved_classes: dict = {}
_saved_code: dict = {}
#: Always protected, whatever the notebook imports: the helpers that compute a test cell's score.
ALWAYS = ("dlcourse.grading", "dlcourse.grading.partial")
#: Packages whose classes are recorded too (their methods are the tests' helpers).
CLASSES_OF = ("dlcourse",)
_builtin_names: frozenset = frozenset()
SYS_ATTRIBUTES = ("excepthook", "displayhook", "stdout", "stderr", "breakpointhook", "settrace", "setprofile",
                  "exit", "modules", "meta_path", "path_hooks")


def snapshot(packages: list[str]) -> None:
    """Import ``packages`` and remember the state of all their modules."""
    global _builtin_names
    for name in (*packages, *ALWAYS):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing optional package is simply not protected
            pass
    tops = {p.split(".")[0] for p in packages} | {"builtins", "math", "cmath", "operator", "functools", "numbers"}
    for name, module in list(sys.modules.items()):
        if module is not None and name.split(".")[0] in tops:
            _saved_modules[name] = module
            try:
                _saved_dicts[name] = dict(vars(module))
            except TypeError:
                pass
            _save_code(_saved_dicts.get(name, {}).values())
            if name.split(".")[0] in CLASSES_OF:
                for value in list(vars(module).values()):
                    if isinstance(value, type) and value.__module__ == name:
                        _saved_classes[value] = dict(vars(value))
                        _save_code(vars(value).values())
    _saved_sys.update({a: getattr(sys, a) for a in SYS_ATTRIBUTES if hasattr(sys, a)})
    _builtin_names = frozenset(vars(builtins))


def restore(namespace: dict, import_code: str) -> None:
    """Undo tampering with the recorded modules, ``sys``, IPython and ``namespace``, then run
    the instructor's ``import_code`` in ``namespace``."""
    for attribute, value in _saved_sys.items():
        if getattr(sys, attribute, None) is not value:
            setattr(sys, attribute, value)
    for name, module in _saved_modules.items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
        saved = _saved_dicts.get(name)
        if saved is None:
            continue
        current = vars(module)
        for key, value in saved.items():
            if current.get(key, _MISSING) is not value:
                try:
                    current[key] = value
                except TypeError:
                    pass
    for cls, saved in _saved_classes.items():
        _restore_class(cls, saved)
    for function, (code, defaults, kwdefaults) in _saved_code.items():
        if function.__code__ is not code:  # a student swapped the body of a genuine function
            function.__code__ = code
        function.__defaults__, function.__kwdefaults__ = defaults, kwdefaults
    for key in [k for k in namespace if k in _builtin_names and not k.startswith("__")]:
        del namespace[key]
    namespace["__builtins__"] = builtins
    _reset_ipython()
    exec(compile(import_code, "<grader imports>", "exec"), namespace)  # noqa: S102 - the instructor's imports


def _save_code(values) -> None:
    """Record the body and defaults of every Python function among ``values`` (methods of classes
    included): ``f.__code__ = ...`` changes a function without replacing it."""
    for value in values:
        kind = type(value)  # not isinstance: some modules hold lazy objects that act on any attribute access
        if kind in (staticmethod, classmethod):
            value, kind = value.__func__, type(value.__func__)
        if kind is property:
            _save_code([value.fget, value.fset, value.fdel])
        elif kind is FunctionType and value not in _saved_code:
            _saved_code[value] = (value.__code__, value.__defaults__, value.__kwdefaults__)


def _restore_class(cls: type, saved: dict) -> None:
    """Put back the class attributes a student replaced or deleted; remove those they added."""
    current = vars(cls)
    for key in [k for k in current if k not in saved]:
        try:
            delattr(cls, key)
        except (AttributeError, TypeError):
            pass
    for key, value in saved.items():
        if current.get(key, _MISSING) is not value and key not in ("__dict__", "__weakref__"):
            try:
                setattr(cls, key, value)
            except (AttributeError, TypeError):
                pass


def _reset_ipython() -> None:
    """Remove input/AST transformers, event callbacks and instance-level overrides a student added."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    for attribute in ("showtraceback", "_showtraceback", "run_cell", "run_code", "run_ast_nodes", "showsyntaxerror",
                      "CustomTB"):
        shell.__dict__.pop(attribute, None)
    def ours(item):
        return getattr(item, "__module__", "").startswith(("IPython", "ipykernel", "matplotlib_inline"))

    shell.input_transformers_cleanup[:] = [t for t in shell.input_transformers_cleanup if ours(t)]
    shell.input_transformers_post[:] = [t for t in shell.input_transformers_post if ours(t)]
    shell.ast_transformers.clear()
    shell.custom_exceptions = ()
    for callbacks in shell.events.callbacks.values():
        callbacks[:] = [c for c in callbacks if ours(c)]


class _Missing:
    pass


_MISSING = _Missing()
