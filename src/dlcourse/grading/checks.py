"""Checks with messages that teach, for the test cells of exercise notebooks.

Everything a student returns is first coerced to a plain float64 NumPy array of the expected
shape, so an object that claims to equal everything (``__eq__`` returning True) or a value of the
wrong type earns no points: it fails with a message saying what was expected.
"""

from __future__ import annotations

import numbers

import numpy as np


def _describe(value) -> str:
    """A short description of a value for error messages (type and, for arrays, shape)."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def as_array(value, name: str = "the result", shape: tuple | None = None) -> np.ndarray:
    """Coerce ``value`` to a float64 NumPy array, or fail with a clear message.

    Accepts NumPy arrays and scalars, Python numbers, (nested) lists and tuples of numbers, and
    tensors with a ``.detach().cpu().numpy()`` or ``.numpy()`` method. Anything else — a string,
    None, an object pretending to be a number — is rejected.

    Args:
        value: what the student's code returned.
        name: how to call it in a message, e.g. ``"neuron(x, w, b)"``.
        shape: the expected shape, or None to accept any shape.
    """
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # torch and dlcourse tensors
        value = value.detach()
        value = (value.cpu() if hasattr(value, "cpu") else value).numpy()
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, bytes)):
        raise AssertionError(f"{name} should be a number or an array of numbers, got {_describe(value)}")
    if isinstance(value, (list, tuple)):
        if not all(isinstance(v, (numbers.Number, list, tuple, np.ndarray, np.generic)) for v in value):
            raise AssertionError(f"{name} should contain only numbers, got {value!r:.200}")
    elif not isinstance(value, (numbers.Number, np.ndarray, np.generic)):
        raise AssertionError(f"{name} should be a number or a NumPy array, got {_describe(value)}")
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"{name} could not be read as numbers ({error})") from None
    if shape is not None and array.shape != tuple(shape):
        raise AssertionError(f"{name} should have shape {tuple(shape)}, got shape {array.shape}")
    return array


def assert_shape(value, shape: tuple, name: str = "the result") -> np.ndarray:
    """Fail unless ``value`` is numeric with exactly ``shape``; return it as a float64 array."""
    return as_array(value, name, shape=shape)


def assert_finite(value, name: str = "the result") -> np.ndarray:
    """Fail if ``value`` holds NaN or infinity (typically an overflow); return it as an array."""
    array = as_array(value, name)
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))
        where = f" at index {tuple(bad[0])}" if array.ndim else ""
        raise AssertionError(
            f"{name} contains NaN or infinity{where}; this usually means an overflow "
            "(e.g. exp of a large number): rewrite the computation in a numerically stable form"
        )
    return array


def assert_close(actual, expected, name: str = "the result", rtol: float = 1e-6, atol: float = 1e-8,
                 hint: str = "") -> np.ndarray:
    """Fail unless ``actual`` equals ``expected`` within tolerance, element by element.

    The shape must match exactly (no broadcasting), values must be finite where the expected
    values are, and the message names the worst element and both values.

    Args:
        actual: what the student's code returned.
        expected: the reference value (number or array).
        name: how to call ``actual`` in a message.
        rtol, atol: tolerances as in ``numpy.isclose``.
        hint: a sentence added to the message, e.g. the usual cause of this mistake.
    Returns:
        ``actual`` as a float64 array.
    """
    expected = np.asarray(expected, dtype=np.float64)
    actual = as_array(actual, name, shape=expected.shape)
    close = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=False)
    if not np.all(close):
        extra = f" {hint}" if hint else ""
        if expected.ndim == 0:
            raise AssertionError(f"{name}: expected {float(expected):.10g}, got {float(actual):.10g}.{extra}")
        error = np.where(close, 0.0, np.abs(actual - expected))
        error = np.where(np.isnan(error), np.inf, error)
        worst = np.unravel_index(np.argmax(error), expected.shape)
        raise AssertionError(
            f"{name}: {int((~close).sum())} of {close.size} values differ; at index {tuple(int(i) for i in worst)}"
            f" expected {expected[worst]:.10g}, got {actual[worst]:.10g}.{extra}"
        )
    return actual
