"""Defences of hidden tests against answers that pass typical inputs but break the contract.

Three mistakes slip through a test that only compares one output with the reference:

* **editing the caller's data in place** (a softmax that shifts the logits it was given, a
  gradient checker that perturbs ``x`` and never puts it back): :func:`call_unchanged` runs the
  student's function on deep copies and fails, naming the argument, if the copies changed;
* **ignoring an argument** (a training loop that never shuffles, a ridge fit that drops ``lam``
  for one branch): :func:`assert_each_argument_matters` changes one argument at a time and asks
  that the result follow the reference, which does change;
* **training that only ends in the right place by luck or by a different route**:
  :func:`assert_same_steps` compares a training run with a reference run under the same seed,
  step by step, and names the first step that differs.

Typical use in a test cell::

    probabilities = call_unchanged(softmax, logits)        # fails if softmax edited logits
    assert_each_argument_matters(gradient_descent, reference_gradient_descent,
                                 dict(X=X, y=y, w0=w0, b0=0.0, lr=0.05, num_steps=20),
                                 {"lr": [0.01], "num_steps": [5], "b0": [1.0]})
"""

from __future__ import annotations

import copy
import inspect
import numbers
import types

import numpy as np

from dlcourse.grading.checks import as_array, assert_close
from dlcourse.grading.lock import forbid


def _argument_names(function, args, kwargs) -> list[str]:
    """Names of the positional arguments (``x``, ``w``, ...), or "argument 1", ... when unknown."""
    try:
        bound = inspect.signature(function).bind_partial(*args, **kwargs)
        names = list(bound.arguments)
        return names[: len(args)]
    except (TypeError, ValueError):
        return [f"argument {i + 1}" for i in range(len(args))]


def _as_numpy(value):
    """A NumPy copy of a torch or dlcourse tensor, else None."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        value = value.detach()
        return np.array((value.cpu() if hasattr(value, "cpu") else value).numpy())
    return None


def _difference(before, after, path: str, depth: int = 0, seen=None) -> str | None:
    """Where ``after`` differs from ``before`` (a sentence), or None when they are the same."""
    seen = set() if seen is None else seen
    if depth > 6 or id(after) in seen:
        return None
    seen.add(id(after))
    tensor_before, tensor_after = _as_numpy(before), _as_numpy(after)
    if tensor_before is not None and tensor_after is not None:
        before, after = tensor_before, tensor_after
    if isinstance(before, np.ndarray) and isinstance(after, np.ndarray):
        if before.shape != after.shape or before.dtype != after.dtype:
            return f"{path} changed from shape {before.shape} ({before.dtype}) to shape {after.shape} ({after.dtype})"
        if before.dtype == object:
            for index in np.ndindex(before.shape):
                found = _difference(before[index], after[index], f"{path}[{index}]", depth + 1, seen)
                if found:
                    return found
            return None
        if not np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"):
            changed = np.argwhere(~((before == after) | (np.isnan(before) & np.isnan(after))
                                    if before.dtype.kind in "fc" else before == after))
            index = tuple(int(i) for i in changed[0]) if before.ndim else ()
            return (f"{path} was changed in place ({len(changed)} of {before.size} entries; at index {index}"
                    f" it was {before[index]!r}, now {after[index]!r})")
        return None
    if isinstance(before, (list, tuple)) and isinstance(after, (list, tuple)):
        if len(before) != len(after):
            return f"{path} changed length from {len(before)} to {len(after)}"
        for i, (a, b) in enumerate(zip(before, after)):
            found = _difference(a, b, f"{path}[{i}]", depth + 1, seen)
            if found:
                return found
        return None
    if isinstance(before, dict) and isinstance(after, dict):
        if set(before) != set(after):
            return f"{path} changed its keys from {sorted(map(str, before))} to {sorted(map(str, after))}"
        for key in before:
            found = _difference(before[key], after[key], f"{path}[{key!r}]", depth + 1, seen)
            if found:
                return found
        return None
    if isinstance(before, (numbers.Number, str, bytes, type(None))):
        same = before is after or before == after or (before != before and after != after)  # NaN stays NaN
        return None if same else f"{path} changed from {before!r:.60} to {after!r:.60}"
    if isinstance(before, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, types.ModuleType)):
        return None  # deepcopy shares functions, classes and modules: nothing of the caller's to protect
    if hasattr(before, "__dict__") and hasattr(after, "__dict__") and type(before) is type(after):
        return _difference(vars(before), vars(after), f"{path} (its attributes)", depth + 1, seen)
    return None


def call_unchanged(function, *args, name: str | None = None, **kwargs):
    """Call ``function(*args, **kwargs)`` on deep copies and fail if it changed any of them.

    The caller's own objects are never handed to the student's code, so a test can go on using
    them even when the check fails. Arrays, lists, dicts, torch and dlcourse tensors and objects
    holding arrays are compared entry by entry (NaN equals NaN; dtype and shape must stay).

    Args:
        function: the student's function.
        args, kwargs: its arguments.
        name: how to call the function in a message (default: its ``__name__``).
    Returns:
        what the function returned.
    """
    name = name or getattr(function, "__name__", "the function")
    try:
        working_args, working_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    except Exception as error:  # an argument that cannot be copied is a mistake in the test
        raise TypeError(f"call_unchanged could not copy the arguments of {name}: {error}") from error
    result = function(*working_args, **working_kwargs)
    positional = _argument_names(function, args, kwargs)
    for label, before, after in [*zip(positional, args, working_args),
                                 *((key, kwargs[key], working_kwargs[key]) for key in kwargs)]:
        found = _difference(before, after, f"the argument `{label}`")
        if found:
            raise AssertionError(
                f"{name} modified its input: {found}. A function must leave the caller's data as it "
                "was: work on a copy (np.array(x, dtype=float)) or write x = x - m instead of x -= m."
            )
    return result


def _summary(result) -> list[np.ndarray]:
    """A result as a list of float arrays (tuples and lists of results are flattened one level)."""
    parts = result if isinstance(result, (tuple, list)) and not all(
        isinstance(v, numbers.Number) for v in result) else [result]
    return [as_array(part, "the result") for part in parts]


def _same(a: list[np.ndarray], b: list[np.ndarray], rtol: float, atol: float) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
                                    for x, y in zip(a, b))


def assert_each_argument_matters(function, reference, arguments: dict, variations: dict, name: str | None = None,
                                 rtol: float = 1e-6, atol: float = 1e-9, compare=None, locked=()) -> None:
    """Change one argument at a time and check that the student's result follows the reference.

    For every ``argument -> [new values]`` in ``variations`` the reference is called with that one
    argument changed; the reference's result must differ from the one with ``arguments`` as given
    (else the variation proves nothing and the test itself is wrong: ``ValueError``). The student's
    result must then match the reference; if it did not change at all, the message says that the
    argument seems to be ignored.

    Args:
        function: the student's function, called with keyword arguments (on copies).
        reference: the reference implementation with the same signature.
        arguments: the base keyword arguments.
        variations: argument name -> list of other values to try.
        name: how to call the function in messages.
        rtol, atol: tolerances of the comparison.
        compare: ``compare(actual, expected, what)`` to use instead of comparing every number.
        locked: targets of :func:`dlcourse.grading.forbid` locked while the student's function
            runs (never while the reference runs; so do not call this inside a ``forbid`` block).
    """
    name = name or getattr(function, "__name__", "the function")
    base_expected = _summary(reference(**copy.deepcopy(arguments)))
    def student(**kwargs):
        with forbid(*locked):
            return call_unchanged(function, **kwargs, name=name)

    base_actual = _summary(student(**arguments))
    for argument, values in variations.items():
        if argument not in arguments:
            raise ValueError(f"{argument!r} is not one of the base arguments {sorted(arguments)}")
        for value in values:
            changed = {**arguments, argument: value}
            expected = reference(**copy.deepcopy(changed))
            if _same(_summary(expected), base_expected, rtol, atol):
                raise ValueError(f"changing {argument} to {value!r:.40} does not change the reference's result: "
                                 "choose a variation that matters")
            actual = student(**changed)
            shown = f"{value!r:.40}" if not isinstance(value, np.ndarray) else f"an array of shape {value.shape}"
            what = f"{name} with {argument}={shown} (other arguments unchanged)"
            if _same(_summary(actual), base_actual, rtol, atol):
                raise AssertionError(f"{what} returned the same as with {argument}={arguments[argument]!r:.40}: "
                                     f"the argument `{argument}` seems to be ignored, but the result must depend on it")
            if compare is not None:
                compare(actual, expected, what)
                continue
            for index, (got, want) in enumerate(zip(_summary(actual), _summary(expected))):
                assert_close(got, want, what if len(base_expected) == 1 else f"{what}, returned value {index + 1}",
                             rtol=rtol, atol=atol)


def assert_argument_changes_result(function, arguments: dict, argument: str, value, name: str | None = None,
                                   why: str = "", locked=()) -> None:
    """Fail if changing ``argument`` to ``value`` leaves ``function``'s result unchanged.

    For arguments whose effect has no single right answer to compare with (a different seed, a
    shuffle flag): the contract only says the result must change.
    """
    name = name or getattr(function, "__name__", "the function")
    with forbid(*locked):
        before = _summary(call_unchanged(function, **arguments, name=name))
        after = _summary(call_unchanged(function, **{**arguments, argument: value}, name=name))
    if _same(before, after, 0.0, 0.0):
        extra = f" {why}" if why else ""
        raise AssertionError(f"{name} returned exactly the same with {argument}={value!r:.40} as with "
                             f"{argument}={arguments[argument]!r:.40}: the argument `{argument}` seems to be "
                             f"ignored.{extra}")


def assert_same_steps(actual_steps, expected_steps, name: str = "training", rtol: float = 1e-6,
                      atol: float = 1e-9, what: str = "step") -> None:
    """Compare a training run with a reference run (same seed) step by step.

    Both are sequences with one entry per step (a loss, a parameter array, or a tuple of them). The
    number of steps must match, and the first step that differs is named, so a student sees *when*
    their run left the reference (step 0: the initialisation or the first gradient; later: an
    update rule, a shuffle, a schedule).
    """
    actual_steps, expected_steps = list(actual_steps), list(expected_steps)
    if len(actual_steps) != len(expected_steps):
        raise AssertionError(f"{name}: expected {len(expected_steps)} {what}s, got {len(actual_steps)}")
    for step, (actual, expected) in enumerate(zip(actual_steps, expected_steps)):
        expected_parts = expected if isinstance(expected, (tuple, list)) else (expected,)
        both_tuples = isinstance(actual, (tuple, list)) and isinstance(expected, (tuple, list))
        actual_parts = actual if both_tuples else (actual,)
        if len(actual_parts) != len(expected_parts):
            raise AssertionError(f"{name}, {what} {step}: expected {len(expected_parts)} values, "
                                 f"got {len(actual_parts)}")
        for index, (got, want) in enumerate(zip(actual_parts, expected_parts)):
            label = f"{name}, {what} {step}" + (f" (value {index + 1})" if len(expected_parts) > 1 else "")
            try:
                assert_close(got, want, label, rtol=rtol, atol=atol)
            except AssertionError as error:
                matched = f"the first {step} {what}s match the reference; " if step else ""
                raise AssertionError(f"{matched}{error}") from None
