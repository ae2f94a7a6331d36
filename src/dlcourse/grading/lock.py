"""Lock reference implementations while a student's code runs, so that the locks cannot be walked around.

A hidden test of "implement softmax" calls the student's function inside ``forbid(...)``; any call
to a locked function then raises :class:`ReferenceLockedError` with a message that says which
function is off limits, instead of quietly earning points::

    with forbid("family:softmax", "scipy.special.*"):
        probabilities = softmax(logits)

Targets are string literals (the instructor's grader reads them to import the modules before a
student's code runs), of three kinds:

``"numpy.linalg.lstsq"``
    one function, class or method (``"torch.Tensor.softmax"``);
``"scipy.special.*"``
    every public callable of a module;
``"family:softmax"``
    a named group of siblings (see :data:`FAMILIES`): locking softmax alone would leave
    ``scipy.special.log_softmax``, ``torch.Tensor.softmax`` or ``torch.logsumexp`` open.

A function is locked by *identity*, not by name, so that every way of reaching it fails:

* a Python function (``scipy.special.softmax``, ``torch.nn.functional.softmax``, the Python body
  behind a NumPy function such as ``np.linalg.lstsq``) has its code swapped for one that raises,
  so aliases (``import numpy.linalg as la``), ``getattr(np.linalg, "ls" + "tsq")``,
  ``functools.partial`` objects and lambdas or closures made before the lock all fail too;
* a function written in C (``torch.softmax``, NumPy ufuncs) cannot be changed itself, so every
  reference to it is replaced: attributes of every loaded module, names in the student's
  namespace, closure cells and ``functools.partial`` objects;
* a method is replaced on its class where the class allows it (``torch.Tensor.softmax``,
  ``torch.Tensor.backward``). NumPy's ``ndarray`` is a built-in type whose methods cannot be
  replaced (``x.sum()`` when ``np.sum`` is locked): :func:`dlcourse.grading.assert_source_avoids`
  closes that gap by reading the student's source.

Everything is restored when the block ends, also when the student's code raised.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
import types


class ReferenceLockedError(RuntimeError):
    """Raised when an exercise calls a library function it was asked to implement itself."""


_AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward", "torch.func.*",
             "torch.autograd.functional.*", "torch.autograd.forward_ad.make_dual", "dlcourse.autograd.Value",
             "dlcourse.autograd.Tensor", "dlcourse.gradcheck.*")

#: Named groups of sibling functions, locked together with ``forbid("family:NAME")``.
FAMILIES: dict[str, tuple[str, ...]] = {
    "softmax": (
        "torch.softmax", "torch.log_softmax", "torch.logsumexp", "torch.special.softmax",
        "torch.special.log_softmax", "torch.special.logsumexp", "torch.nn.functional.softmax",
        "torch.nn.functional.log_softmax", "torch.nn.functional.softmin", "torch.nn.functional.cross_entropy",
        "torch.nn.functional.nll_loss", "torch.Tensor.softmax", "torch.Tensor.log_softmax", "torch.Tensor.logsumexp",
        "torch.nn.Softmax", "torch.nn.LogSoftmax", "torch.nn.CrossEntropyLoss",
        "scipy.special.softmax", "scipy.special.log_softmax", "scipy.special.logsumexp",
        "sklearn.utils.extmath.softmax", "sklearn.metrics.log_loss",
        "dlcourse.nn.functional.softmax", "dlcourse.nn.functional.log_softmax",
        "dlcourse.nn.functional.cross_entropy", "dlcourse.nn.functional.nll_loss", "dlcourse.softmax",
        "dlcourse.Tensor.softmax", "dlcourse.Tensor.log_softmax",
    ),
    "sigmoid": (
        "torch.sigmoid", "torch.special.expit", "torch.nn.functional.sigmoid", "torch.nn.functional.logsigmoid",
        "torch.Tensor.sigmoid", "torch.nn.Sigmoid", "torch.nn.functional.binary_cross_entropy",
        "torch.nn.functional.binary_cross_entropy_with_logits", "scipy.special.expit", "scipy.special.log_expit",
        "sklearn.metrics.log_loss", "dlcourse.nn.functional.sigmoid",
        "dlcourse.nn.functional.binary_cross_entropy", "dlcourse.nn.functional.binary_cross_entropy_with_logits",
        "dlcourse.sigmoid", "dlcourse.Tensor.sigmoid",
    ),
    "least-squares": (
        "numpy.linalg.lstsq", "numpy.linalg.pinv", "numpy.polyfit", "numpy.polynomial.polynomial.polyfit",
        "numpy.polynomial.Polynomial.fit", "scipy.linalg.lstsq", "scipy.linalg.pinv", "scipy.linalg.pinvh",
        "scipy.optimize.lsq_linear", "scipy.optimize.least_squares", "scipy.optimize.curve_fit",
        "torch.linalg.lstsq", "torch.linalg.pinv", "torch.pinverse", "sklearn.linear_model.*",
    ),
    "polynomial-features": (
        "numpy.vander", "numpy.polynomial.polynomial.polyvander", "numpy.polynomial.polynomial.polyval",
        "numpy.polyval", "torch.vander", "torch.linalg.vander", "sklearn.preprocessing.PolynomialFeatures",
    ),
    "autograd": _AUTOGRAD,
    "numerical-gradient": (
        "numpy.gradient", "scipy.optimize.approx_fprime", "scipy.optimize.check_grad", "scipy.differentiate.*",
        "torch.autograd.gradcheck", "torch.autograd.functional.*", *_AUTOGRAD,
    ),
    "optimizers": ("torch.optim.*", "dlcourse.optim.*"),
    "gaussian-likelihood": (
        "torch.nn.functional.gaussian_nll_loss", "torch.nn.GaussianNLLLoss", "torch.distributions.Normal.log_prob",
        "scipy.stats.rv_continuous.logpdf", "scipy.stats.rv_continuous.pdf", "scipy.stats.multivariate_normal.logpdf",
    ),
}
#: Method and function names a source scan flags wherever they appear (``x.softmax()``), per family;
#: other members of a family are flagged only where the name resolves to the locked object.
FAMILY_NAMES: dict[str, tuple[str, ...]] = {
    "softmax": ("softmax", "log_softmax", "logsumexp", "softmin", "log_loss"),
    "sigmoid": ("sigmoid", "expit", "log_expit", "logsigmoid", "binary_cross_entropy_with_logits", "log_loss"),
    "least-squares": ("lstsq", "pinv", "pinvh", "pinverse", "polyfit", "lsq_linear", "least_squares", "curve_fit"),
    "polynomial-features": ("vander", "polyvander", "PolynomialFeatures"),
    "autograd": ("jvp", "vjp", "jacrev", "jacfwd", "make_dual"),
    "numerical-gradient": ("gradient", "approx_fprime", "check_grad", "gradcheck", "numerical_grad", "jacobian"),
    "optimizers": ("SGD", "Adam"),
    "gaussian-likelihood": ("gaussian_nll_loss", "GaussianNLLLoss", "logpdf", "log_prob"),
}
FAMILY_NAMES["solvers"] = FAMILY_NAMES["least-squares"] + ("solve", "inv", "inverse", "tensorsolve", "cho_solve")
FAMILIES["solvers"] = FAMILIES["least-squares"] + (
    "numpy.linalg.solve", "numpy.linalg.inv", "numpy.linalg.tensorsolve", "numpy.linalg.tensorinv",
    "scipy.linalg.solve", "scipy.linalg.inv", "scipy.linalg.cho_solve", "scipy.linalg.lu_solve",
    "torch.linalg.solve", "torch.linalg.inv", "torch.inverse", "torch.cholesky_solve",
)


def expand(targets, only_loaded: bool = False) -> list[str]:
    """Dotted names of everything ``targets`` lock: families and ``module.*`` written out.

    A ``module.*`` entry whose module is not installed (or, with ``only_loaded``, whose top-level
    package was not imported yet) is dropped; a family that does not exist is an error of the
    test, reported at once.
    """
    names = []
    for target in targets:
        if target.startswith("family:"):
            family = target.removeprefix("family:")
            if family not in FAMILIES:
                raise ValueError(f"unknown family {family!r} in forbid(); known: {', '.join(sorted(FAMILIES))}")
            names += expand(FAMILIES[family], only_loaded)
        elif target.endswith(".*"):
            module = import_or_none(target[:-2], only_loaded)
            if module is None:
                continue
            for attribute in getattr(module, "__all__", None) or dir(module):
                value = getattr(module, attribute, None)
                home = getattr(value, "__module__", None)  # skip what the module merely imported
                if not attribute.startswith("_") and callable(value) and not isinstance(value, types.ModuleType) \
                        and (not isinstance(home, str) or home.split(".")[0] == target.split(".")[0]):
                    names.append(f"{target[:-2]}.{attribute}")
        else:
            names.append(target)
    return list(dict.fromkeys(names))


def locked_modules(targets) -> list[str]:
    """The modules ``targets`` live in, for a grader that imports them before the student's code runs."""
    modules = []
    for name in expand(targets):
        parts = name.split(".")
        for split in range(len(parts) - 1, 0, -1):
            if import_or_none(".".join(parts[:split])) is not None:
                modules.append(".".join(parts[:split]))
                break
    return list(dict.fromkeys(modules))


def import_or_none(name: str, only_loaded: bool = False):
    """The module ``name``, importing it if needed; None if it cannot be imported. With
    ``only_loaded``, None as well when its top-level package has not been imported yet: what the
    student's code has not imported it cannot call, and an ``import`` inside the answer is what
    :func:`dlcourse.grading.assert_source_avoids` reports."""
    if only_loaded and name.split(".")[0] not in sys.modules:
        return None
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - not installed, or a package that fails to import here: nothing to lock
        return None


def resolve(target: str, only_loaded: bool = False):
    """Split ``"package.module.attr"`` into (owner object, attribute name), importing as needed.

    Returns None when the package is not installed (what cannot be imported cannot be called), or
    with ``only_loaded`` when its top-level package was not imported yet.
    """
    parts = target.split(".")
    for split in range(len(parts) - 1, 0, -1):
        owner = import_or_none(".".join(parts[:split]), only_loaded)
        if owner is None:
            continue
        for attribute in parts[split:-1]:
            owner = getattr(owner, attribute, None)
            if owner is None:
                return None
        if hasattr(owner, parts[-1]):
            return owner, parts[-1]
        return None
    return None


def _refuse(target: str):
    """What every locked function does instead of its work."""
    raise ReferenceLockedError(
        f"{target} is locked in this exercise: implement this part yourself with NumPy operations "
        "instead of calling a library's version (also not through another name, a method, a sibling "
        "function or a wrapper)"
    )


def _raising_code(target: str, function: types.FunctionType) -> types.CodeType:
    """A code object that raises ReferenceLockedError and fits ``function``'s closure."""
    cells = [f"_cell{i}" for i in range(len(function.__code__.co_freevars))]
    source = (
        "def _outer():\n"
        + (f"    {' = '.join(cells)} = None\n" if cells else "")
        + "    def locked(*args, **kwargs):\n"
        + (f"        {', '.join(cells)}\n" if cells else "")
        + f"        return __import__('dlcourse.grading.lock', fromlist=['_refuse'])._refuse({target!r})\n"
        + "    return locked\n"
    )
    namespace: dict = {}
    exec(compile(source, f"<locked {target}>", "exec"), namespace)  # noqa: S102 - the lock's own stand-in
    return namespace["_outer"]().__code__.replace(co_name=function.__code__.co_name)


def _python_function(value):
    """The plain Python function behind ``value`` whose code can be swapped, or None."""
    for attribute in ("_implementation", "__func__"):  # NumPy's dispatchers, bound methods
        value = getattr(value, attribute, value)
    if isinstance(value, type):
        value = value.__dict__.get("__init__")
    return value if isinstance(value, types.FunctionType) else None


class _Locks:
    """The changes made while a ``forbid`` block runs, undone in reverse order."""

    def __init__(self):
        self.undo = []

    def swap_code(self, function, code):
        self.undo.append(functools.partial(setattr, function, "__code__", function.__code__))
        function.__code__ = code

    def set_attribute(self, owner, attribute, value) -> bool:
        had = isinstance(owner, type) and attribute in owner.__dict__ or not isinstance(owner, type)
        original = getattr(owner, attribute)
        try:
            setattr(owner, attribute, value)
        except (TypeError, AttributeError):  # built-in types (numpy.ndarray) refuse new attributes
            return False
        self.undo.append(functools.partial(setattr, owner, attribute, original) if had
                         else functools.partial(delattr, owner, attribute))
        return True

    def set_item(self, container, key, value):
        self.undo.append(functools.partial(container.__setitem__, key, container[key]))
        container[key] = value

    def restore(self):
        for undo in reversed(self.undo):
            undo()
        self.undo.clear()


_LOCATIONS: dict = {"modules": -1, "found": {}}


def _module_locations(originals: dict) -> list[tuple[dict, str]]:
    """(module dict, name) of every module attribute that holds one of ``originals``.

    Reading every module takes a while, so the answer is kept until another module is imported
    (the notebook's own namespace is read afresh by every lock).
    """
    if _LOCATIONS["modules"] != len(sys.modules):
        _LOCATIONS.update(modules=len(sys.modules), found={})
    found = _LOCATIONS["found"]
    missing = {id(original) for original in originals.values()} - set(found)
    if missing:
        for wanted in missing:
            found[wanted] = []
        for module in list(sys.modules.values()):
            namespace = getattr(module, "__dict__", None)
            if isinstance(namespace, dict) and namespace is not getattr(sys.modules.get("__main__"), "__dict__", None):
                for key, value in list(namespace.items()):
                    if id(value) in missing:
                        found[id(value)].append((namespace, key))
    main = getattr(sys.modules.get("__main__"), "__dict__", {})
    return [location for original in originals.values() for location in found[id(original)]] + \
        [(main, key) for key, value in list(main.items()) if any(value is o for o in originals.values())]


def _replace_references(originals: dict, locks: _Locks):
    """Replace every reference to a locked C function that a student could hold: attributes of
    every loaded module (the notebook's namespace included), and, reachable from the notebook's
    namespace in at most two steps, values of small lists and dicts, closure cells and default
    arguments of the notebook's functions and classes, and ``functools.partial`` objects."""
    def is_locked(value):
        return any(value is original for original in originals.values())

    for namespace, key in _module_locations(originals):
        if is_locked(namespace.get(key)):
            locks.set_item(namespace, key, originals_locked(originals, namespace[key]))
    main = getattr(sys.modules.get("__main__"), "__dict__", {})
    seen, stack = set(), [(value, 0) for value in list(main.values())]
    while stack:
        value, depth = stack.pop()
        if id(value) in seen or depth > 2 or isinstance(value, (types.ModuleType, str, bytes, int, float)):
            continue
        if isinstance(value, (dict, list)) and len(value) > 200:  # data, not a place to hide a function
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            for key, item in list(value.items()):
                if is_locked(item):
                    locks.set_item(value, key, originals_locked(originals, item))
                else:
                    stack.append((item, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if is_locked(item):
                    locks.set_item(value, index, originals_locked(originals, item))
                else:
                    stack.append((item, depth + 1))
        elif type(value) is functools.partial:
            if is_locked(value.func):
                state = value.__reduce__()[2]
                locks.undo.append(functools.partial(value.__setstate__, state))
                value.__setstate__((originals_locked(originals, value.func), *state[1:]))
            stack += [(item, depth + 1) for item in (*value.args, *value.keywords.values())]
        elif isinstance(value, types.FunctionType) and getattr(value, "__module__", None) == "__main__":
            for cell in value.__closure__ or ():
                try:
                    item = cell.cell_contents
                except ValueError:
                    continue
                if is_locked(item):
                    locks.undo.append(functools.partial(setattr, cell, "cell_contents", item))
                    cell.cell_contents = originals_locked(originals, item)
                else:
                    stack.append((item, depth + 1))
            for attribute in ("__defaults__", "__kwdefaults__"):
                defaults = getattr(value, attribute)
                items = defaults.values() if isinstance(defaults, dict) else defaults
                if defaults and any(is_locked(item) for item in items):
                    locks.undo.append(functools.partial(setattr, value, attribute, defaults))
                    replaced = ({k: originals_locked(originals, v) if is_locked(v) else v for k, v in defaults.items()}
                                if isinstance(defaults, dict) else
                                tuple(originals_locked(originals, v) if is_locked(v) else v for v in defaults))
                    setattr(value, attribute, replaced)
        elif isinstance(value, type) and getattr(value, "__module__", None) == "__main__":
            stack += [(item, depth + 1) for item in vars(value).values()]


def originals_locked(originals: dict, value):
    """The raising stand-in for the C function ``value``."""
    target = next(t for t, original in originals.items() if original is value)

    def locked(*args, **kwargs):
        _refuse(target)

    with contextlib.suppress(Exception):
        functools.update_wrapper(locked, value)
    return locked


@contextlib.contextmanager
def forbid(*targets: str):
    """Within the block, calling any of ``targets`` (or anything they expand to) raises
    :class:`ReferenceLockedError`, however the student's code reaches it.

    Args:
        targets: dotted names such as ``"numpy.linalg.lstsq"`` or ``"torch.Tensor.softmax"``,
            module wildcards such as ``"scipy.special.*"``, and families such as
            ``"family:softmax"`` (see :data:`FAMILIES`). Names whose package is not installed are
            skipped.
    """
    locks = _Locks()
    c_functions: dict[str, object] = {}
    swapped: set[int] = set()
    try:
        for target in expand(targets, only_loaded=True):
            found = resolve(target, only_loaded=True)
            if found is None:
                continue
            owner, attribute = found
            original = getattr(owner, attribute)
            function = _python_function(original)
            if function is not None:
                if id(function) not in swapped:
                    swapped.add(id(function))
                    locks.swap_code(function, _raising_code(target, function))
                continue
            if isinstance(owner, type):  # a method written in C: shadow it on its class where allowed
                stand_in = originals_locked({target: original}, original)
                if locks.set_attribute(owner, attribute, stand_in):
                    continue
            if callable(original) and not isinstance(original, (type, types.ModuleType)):
                c_functions.setdefault(target, original)
            elif isinstance(original, type):
                c_functions.setdefault(target, original)
        if c_functions:
            unique = {}
            for target, original in c_functions.items():
                if all(original is not seen for seen in unique.values()):
                    unique[target] = original
            _replace_references(unique, locks)
        yield
    finally:
        locks.restore()
