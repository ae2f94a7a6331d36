"""Seeded edge-case inputs for hidden tests: the corners of a contract that typical inputs miss.

A function that takes "an array of numbers" must work for integer arrays (``x -= x.max()`` on an
int array truncates; ``x / 2`` and ``x // 2`` differ), float32, a batch whose rows differ in scale
by a factor of a million, a single sample, 1-D as well as 2-D input where the contract allows both,
zeros, a constant feature, and empty input where that is meaningful. Each generator is small and
seeded, so a failing case can be reproduced from the message::

    for description, logits in logit_cases(seed=25):
        assert_close(call_unchanged(softmax, logits), reference_softmax(logits), f"softmax of {description}")
"""

from __future__ import annotations

import numpy as np


def integer_array(shape, low: int = -5, high: int = 6, seed: int = 0) -> np.ndarray:
    """Integers in ``[low, high)`` of dtype int64 (results must still be floats where the maths says so)."""
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(np.int64)


def float32_array(shape, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """Normal float32 values (a function may compute in float64 but must accept float32)."""
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


def mixed_scale_rows(rows: int = 4, columns: int = 3, seed: int = 0, scales=(1e-3, 1.0, 1e3)) -> np.ndarray:
    """Rows of very different magnitude in one batch: row i is scaled by ``scales[i % len(scales)]``.

    Catches a max or a normaliser taken over the whole batch instead of per row, and absolute
    tolerances that only hold for numbers near 1.
    """
    values = np.random.default_rng(seed).normal(size=(rows, columns))
    return values * np.resize(np.asarray(scales, dtype=float), rows)[:, None]


def huge_logits(rows: int = 3, columns: int = 4, magnitude: float = 1e3, seed: int = 0) -> np.ndarray:
    """Logits of size about ``±magnitude`` next to ordinary ones, in one batch.

    Row 0 is huge and positive, row 1 huge and negative, row 2 mixes both signs, later rows are
    ordinary: ``exp`` of any of the huge ones overflows or underflows unless the code is stable.
    """
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(rows, columns))
    offsets = [magnitude, -magnitude]
    for row in range(min(rows, 2)):
        logits[row] += offsets[row]
    if rows > 2:
        logits[2] *= magnitude
    return logits


def constant_feature(rows: int = 6, columns: int = 3, value: float = 0.1, column: int = 0, seed: int = 0) -> np.ndarray:
    """A data matrix whose column ``column`` is the constant ``value`` (its floating-point spread is
    about 1e-17, not exactly 0, for values such as 0.1)."""
    data = np.random.default_rng(seed).normal(size=(rows, columns))
    data[:, column] = value
    return data


def single_sample(array) -> np.ndarray:
    """The first row of a batch, kept as a batch of one: shape (1, ...)."""
    return np.asarray(array)[:1]


def one_and_two_dimensional(vector) -> list[tuple[str, np.ndarray]]:
    """The same values as shape (D,) and as a batch of shape (1, D)."""
    vector = np.asarray(vector)
    return [(f"a 1-D array of shape {vector.shape}", vector), (f"a batch of shape {(1, *vector.shape)}", vector[None])]


def array_cases(shape, seed: int = 0, scale: float = 1.0, integers: bool = True, zeros: bool = True,
                empty: bool = False) -> list[tuple[str, np.ndarray]]:
    """(description, array) pairs covering the kinds of numeric input a contract on arrays admits.

    Ordinary floats, integers, float32, a Python list, mixed-scale rows (for 2-D shapes), a single
    row, zeros, and (if ``empty``) an array with no rows.
    """
    shape = tuple(shape)
    rng = np.random.default_rng(seed)
    cases = [(f"random floats of shape {shape}", rng.normal(size=shape) * scale)]
    if integers:
        cases.append((f"an integer array of shape {shape}", integer_array(shape, seed=seed + 1)))
    cases.append((f"a float32 array of shape {shape}", float32_array(shape, scale, seed=seed + 2)))
    cases.append((f"a Python list of shape {shape}", (rng.normal(size=shape) * scale).tolist()))
    if len(shape) == 2:
        cases.append((f"rows of scale 1e-3, 1 and 1e3 in one batch of shape {shape}",
                      mixed_scale_rows(shape[0], shape[1], seed=seed + 3) * scale))
        cases.append((f"a single row, shape {(1, shape[1])}", single_sample(rng.normal(size=shape) * scale)))
    if zeros:
        cases.append((f"zeros of shape {shape}", np.zeros(shape)))
    if empty:
        cases.append((f"an empty array of shape {(0, *shape[1:])}", np.zeros((0, *shape[1:]))))
    return cases


def logit_cases(rows: int = 4, classes: int = 5, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """(description, logits) pairs for softmax-like functions: ordinary, integer, float32, huge
    (±1e3), mixed-scale rows, one row, one class, equal logits."""
    rng = np.random.default_rng(seed)
    return [
        (f"random logits of shape {(rows, classes)}", rng.normal(scale=3, size=(rows, classes))),
        (f"integer logits of shape {(rows, classes)}", integer_array((rows, classes), -20, 21, seed=seed + 1)),
        (f"float32 logits of shape {(rows, classes)}", float32_array((rows, classes), 3.0, seed=seed + 2)),
        (f"logits of size 1e3 (positive, negative, mixed) in one batch of shape {(rows, classes)}",
         huge_logits(rows, classes, seed=seed + 3)),
        (f"rows of scale 1e-3, 1 and 1e3 in one batch of shape {(rows, classes)}",
         mixed_scale_rows(rows, classes, seed=seed + 4)),
        (f"a single row of shape {(1, classes)}", rng.normal(size=(1, classes))),
        (f"a single class, shape {(rows, 1)}", rng.normal(size=(rows, 1))),
        (f"equal logits of shape {(rows, classes)}", np.full((rows, classes), 7.0)),
    ]


def scalar_cases(seed: int = 0) -> list[tuple[str, object]]:
    """(description, value) pairs for functions of a number: Python int and float, NumPy scalars,
    0-d arrays, large and tiny magnitudes of both signs."""
    rng = np.random.default_rng(seed)
    value = float(rng.normal())
    return [("a Python float", value), ("a Python int", 3), ("a negative Python int", -2),
            ("a NumPy float64", np.float64(value)), ("a 0-d array", np.array(value)),
            ("zero", 0.0), ("a large positive number (50)", 50.0), ("a large negative number (-50)", -50.0),
            ("a huge positive number (1e3)", 1e3), ("a huge negative number (-1e3)", -1e3)]
