"""The shared defences of hidden tests: each catches the kind of wrong answer it is built for,
and lets a correct answer through."""

import functools
import linecache

import numpy as np
import numpy.linalg as la
import pytest
import scipy.special
import torch

import dlcourse
from dlcourse.grading import (ReferenceLockedError, array_cases, assert_argument_changes_result,
                              assert_each_argument_matters, assert_same_steps, assert_source_avoids,
                              call_unchanged, constant_feature, forbid, huge_logits, integer_array,
                              locked_modules, logit_cases, mixed_scale_rows, scalar_cases, source_problems)
from dlcourse.grading.lock import FAMILIES, expand


def cell(source: str, name: str, namespace: dict | None = None):
    """Define ``name`` the way a notebook cell does: compiled from a file that only linecache knows."""
    filename = f"<cell-{abs(hash(source))}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np, "torch": torch, "scipy": scipy, "__name__": "__main__", **(namespace or {})}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


# ---- locks that cannot be walked around -------------------------------------------------------

EYE, ONES = np.eye(2), np.ones(2)
alias_lstsq = np.linalg.lstsq
partial_lstsq = functools.partial(np.linalg.lstsq, rcond=None)
lambda_lstsq = lambda a, b: alias_lstsq(a, b)  # noqa: E731  (made before the lock)

# What a notebook defines lives in __main__: wrappers of C functions made there before the lock.
NOTEBOOK = """
import functools, torch
partial_softmax = functools.partial(torch.softmax, dim=-1)
def closure_over(function):
    return lambda *args: function(*args)
closed_softmax = closure_over(torch.softmax)
def default_softmax(z, function=torch.softmax):
    return function(z, -1)
"""


@pytest.fixture
def notebook():
    import __main__

    before = dict(vars(__main__))
    exec(NOTEBOOK, vars(__main__))
    yield __main__
    for name in set(vars(__main__)) - set(before):
        delattr(__main__, name)


WALKAROUNDS = {
    "module alias": lambda: la.lstsq(EYE, ONES),
    "getattr with a built name": lambda: getattr(np.linalg, "ls" + "tsq")(EYE, ONES),
    "functools.partial made before the lock": lambda: partial_lstsq(EYE, ONES),
    "lambda made before the lock": lambda: lambda_lstsq(EYE, ONES),
    "a wrapper inside NumPy (polyfit)": lambda: np.polyfit([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], 1),
    "sibling function (scipy log_softmax)": lambda: scipy.special.log_softmax(np.ones(3)),
    "torch method": lambda: torch.ones(3).softmax(-1),
    "torch method of a sibling": lambda: torch.ones(3).logsumexp(0),
    "partial of a C function": lambda: __import__("__main__").partial_softmax(torch.ones(3)),
    "closure over a C function": lambda: __import__("__main__").closed_softmax(torch.ones(3), -1),
    "default argument holding a C function": lambda: __import__("__main__").default_softmax(torch.ones(3)),
    "torch.special": lambda: torch.special.log_softmax(torch.ones(3), -1),
    "dlcourse": lambda: dlcourse.nn.functional.softmax(dlcourse.Tensor(np.ones((1, 3)))),
}


@pytest.mark.parametrize("walkaround", list(WALKAROUNDS))
def test_a_locked_function_cannot_be_reached_another_way(walkaround, notebook):
    with forbid("family:least-squares", "family:softmax"):
        with pytest.raises(ReferenceLockedError, match="is locked"):
            WALKAROUNDS[walkaround]()
    WALKAROUNDS[walkaround]()  # and everything works again afterwards


def test_forbid_locks_names_the_notebook_imported_and_restores_them():
    import __main__

    __main__.borrowed_lstsq = np.linalg.lstsq
    __main__.borrowed_softmax = torch.softmax
    try:
        with forbid("numpy.linalg.lstsq", "torch.softmax", "no_such_package.function"):
            with pytest.raises(ReferenceLockedError, match="numpy.linalg.lstsq is locked"):
                __main__.borrowed_lstsq(EYE, ONES)
            with pytest.raises(ReferenceLockedError, match="torch.softmax is locked"):
                __main__.borrowed_softmax(torch.ones(2), 0)
            np.linalg.solve(EYE, ONES)  # what is not locked still works
        assert __main__.borrowed_lstsq is np.linalg.lstsq and __main__.borrowed_softmax is torch.softmax
        np.testing.assert_array_equal(np.linalg.lstsq(EYE, ONES, rcond=None)[0], [1.0, 1.0])
    finally:
        del __main__.borrowed_lstsq, __main__.borrowed_softmax


def test_a_lock_is_lifted_even_when_the_student_code_raises():
    with pytest.raises(ZeroDivisionError), forbid("family:softmax"):
        _ = 1 / 0
    assert "softmax" not in torch.Tensor.__dict__
    torch.ones(3).softmax(0)


def test_module_wildcards_lock_every_public_function_of_the_module_but_not_what_it_imported():
    names = expand(["dlcourse.gradcheck.*"])
    assert "dlcourse.gradcheck.numerical_grad" in names and "dlcourse.gradcheck.dataclass" not in names
    with forbid("scipy.special.*"):
        with pytest.raises(ReferenceLockedError):
            scipy.special.logsumexp(np.ones(3))


def test_families_are_checked_and_their_modules_listed_for_the_grader():
    with pytest.raises(ValueError, match="unknown family"):
        expand(["family:no-such-family"])
    assert "numpy.linalg" in locked_modules(["family:solvers"])
    assert {"softmax", "sigmoid", "solvers", "least-squares", "autograd"} <= set(FAMILIES)


# ---- the source scan --------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "return np.linalg.lstsq(X, y, rcond=None)[0]",
    "import numpy.linalg as la\n    return la.lstsq(X, y)[0]",
    "from numpy.linalg import lstsq as solve_it\n    return solve_it(X, y)[0]",
    "return getattr(np.linalg, 'ls' + 'tsq')(X, y)[0]",
    "return getattr(np.linalg, ''.join(['ls', 'tsq']))(X, y)[0]",
    "return np.linalg.pinv(X) @ y",
    "return eval('np.linalg.solve')(X.T @ X, X.T @ y)",
])
def test_the_source_scan_finds_a_locked_function_however_it_is_spelled(body):
    answer = cell(f"def least_squares(X, y):\n    {body}\n", "least_squares")
    with pytest.raises(ReferenceLockedError, match="least_squares"):
        assert_source_avoids(answer, "family:least-squares")


def test_the_source_scan_reads_helpers_and_names_bound_before_the_answer():
    source = ("from scipy.special import softmax as s\n"
              "def helper(z):\n    return s(z, axis=-1)\n"
              "def softmax(z):\n    return helper(z)\n")
    problems = source_problems(cell(source, "softmax"), "family:softmax")
    assert any("helper" in problem and "s(z" in problem for problem in problems), problems


def test_the_source_scan_flags_methods_that_a_runtime_lock_cannot_replace():
    answer = cell("def total(x):\n    return x.sum()\n", "total")
    with pytest.raises(ReferenceLockedError, match=r"\.sum"):
        assert_source_avoids(answer, "numpy.ndarray.sum")


def test_the_source_scan_reads_classes_of_a_notebook_and_locks_whole_packages():
    source = ("class Value:\n    def __init__(self, data):\n        self.data, self.grad = data, 0.0\n"
              "    def backward(self):\n        import torch\n        return torch.autograd.grad\n")
    with pytest.raises(ReferenceLockedError, match="imports torch"):
        assert_source_avoids(cell(source, "Value"), "torch.*")


def test_a_correct_answer_passes_the_source_scan():
    source = ("def softmax(z):\n    '''Softmax, not scipy's softmax.'''\n    z = np.asarray(z, dtype=float)\n"
              "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)\n"
              "def cross_entropy(logits, labels):\n    p = softmax(logits)\n"
              "    return -np.mean(np.log(p[np.arange(len(labels)), labels]))\n")
    assert source_problems(cell(source, "cross_entropy"), "family:softmax") == []
    ridge = cell("def ridge(X, y, lam):\n    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)\n",
                 "ridge")
    assert source_problems(ridge, "family:least-squares") == []
    assert source_problems(ridge, "family:solvers")


# ---- inputs left unchanged ---------------------------------------------------------------------

def shifting_softmax(z):
    z -= z.max(axis=-1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


def test_an_in_place_edit_is_reported_with_the_argument_name_and_the_callers_data_are_kept():
    logits = np.array([[1.0, 2.0, 3.0]])
    with pytest.raises(AssertionError, match=r"modified its input: the argument `z` was changed in place"):
        call_unchanged(shifting_softmax, logits)
    np.testing.assert_array_equal(logits, [[1.0, 2.0, 3.0]])


@pytest.mark.parametrize("argument", [
    [1.0, 2.0], {"w": np.ones(2)}, torch.ones(2), dlcourse.Tensor(np.ones(2)), (np.ones(2), 3.0)])
def test_in_place_edits_of_lists_dicts_tensors_and_tuples_are_found(argument):
    def scale_in_place(value):
        if isinstance(value, dict):
            value["w"] *= 2
        elif isinstance(value, tuple):
            value[0][0] = 5.0
        elif isinstance(value, list):
            value.append(0.0)
        elif isinstance(value, torch.Tensor):
            value.mul_(2)
        else:
            value.data[0] = 7.0
        return 1.0

    with pytest.raises(AssertionError, match="value"):
        call_unchanged(scale_in_place, argument)


def test_objects_holding_arrays_are_compared_by_their_attributes():
    class Layer:
        def __init__(self):
            self.weight = np.zeros(3)

    def step(layer):
        layer.weight += 1.0

    with pytest.raises(AssertionError, match="weight"):
        call_unchanged(step, Layer())


def test_a_function_that_leaves_its_inputs_alone_passes_and_returns_its_result():
    z = np.array([1.0, np.nan])
    assert np.isnan(call_unchanged(lambda v, f=np.sum: f(v), z, name="sum"))
    assert call_unchanged(lambda f, x: f(x), lambda v: v * 2, 3.0) == 6.0


# ---- every argument matters ------------------------------------------------------------------

def reference_descent(w0, lr, num_steps, shuffle=True):
    w, path = float(w0), []
    for step in range(num_steps):
        w -= lr * (2 * w - (1.0 if shuffle and step % 2 else 0.0))
        path.append(w)
    return np.array(path)


def test_an_ignored_argument_is_named():
    def ignores_shuffle(w0, lr, num_steps, shuffle=True):
        return reference_descent(w0, lr, num_steps, shuffle=True)

    base = dict(w0=1.0, lr=0.1, num_steps=4, shuffle=True)
    assert_each_argument_matters(reference_descent, reference_descent, base, {"lr": [0.2], "shuffle": [False]})
    with pytest.raises(AssertionError, match="`shuffle` seems to be ignored"):
        assert_each_argument_matters(ignores_shuffle, reference_descent, base, {"lr": [0.2], "shuffle": [False]})
    with pytest.raises(AssertionError, match="`shuffle` seems to be ignored"):
        assert_argument_changes_result(ignores_shuffle, base, "shuffle", False)


def test_a_variation_that_changes_nothing_is_an_error_of_the_test():
    with pytest.raises(ValueError, match="does not change the reference"):
        assert_each_argument_matters(reference_descent, reference_descent,
                                     dict(w0=0.0, lr=0.1, num_steps=1, shuffle=True), {"shuffle": [False]})


def test_training_runs_are_compared_step_by_step_and_the_first_difference_is_named():
    expected = [(1.0, np.array([0.5])), (0.5, np.array([0.25])), (0.25, np.array([0.125]))]
    assert_same_steps([(1.0, [0.5]), (0.5, [0.25]), (0.25, [0.125])], expected, "gradient descent")
    message = r"first 1 steps match the reference; gradient descent, step 1 \(value 2\)"
    with pytest.raises(AssertionError, match=message):
        assert_same_steps([(1.0, [0.5]), (0.5, [0.3]), (0.25, [0.125])], expected, "gradient descent")
    with pytest.raises(AssertionError, match="expected 3 steps, got 2"):
        assert_same_steps(expected[:2], expected, "gradient descent")


# ---- edge cases -------------------------------------------------------------------------------

def test_edge_cases_are_seeded_and_cover_the_kinds_of_input():
    assert integer_array((3, 2), seed=1).dtype == np.int64
    np.testing.assert_array_equal(integer_array((3, 2), seed=1), integer_array((3, 2), seed=1))
    scales = np.abs(mixed_scale_rows(3, 50, seed=2)).max(axis=1)
    assert scales[0] < 1e-2 and 1 < scales[1] < 10 and scales[2] > 1e2
    logits = huge_logits(3, 4)
    assert logits[0].min() > 900 and logits[1].max() < -900 and np.abs(logits[2]).max() > 100
    assert 0 < constant_feature(value=0.1)[:, 0].std() < 1e-15 or constant_feature()[:, 0].std() == 0
    kinds = " ".join(description for description, _ in array_cases((4, 3), empty=True))
    for word in ("integer", "float32", "list", "scale", "single row", "zeros", "empty"):
        assert word in kinds
    assert len(logit_cases()) >= 7 and any("-50" in d for d, _ in scalar_cases())
