"""Numerical gradients by central differences, and a check of the engine's gradients against them.

Use float64: with eps = 1e-6 the central difference is accurate to about 1e-10, while float32
rounding alone would give errors near 1e-2.
"""

from dataclasses import dataclass

import numpy as np

from .autograd.function import no_grad
from .autograd.tensor import Tensor, unwrap


def numerical_grad(f, x, eps: float = 1e-6) -> np.ndarray:
    r"""df/dx by central differences: :math:`(f(x + \epsilon e_i) - f(x - \epsilon e_i)) / 2\epsilon`.

    Args:
        f: function of one array (or Tensor, if ``x`` is one) returning a scalar (float or Tensor).
        x: the point, a float64 array or Tensor. It is perturbed one element at a time and restored.
    Returns: an array shaped like ``x``.
    """
    array = np.asarray(unwrap(x))
    if array.dtype != np.float64:
        raise TypeError(f"numerical_grad needs float64 input for accurate differences, got {array.dtype}")

    def value():
        out = f(x)
        return float(out.item() if isinstance(out, Tensor) else out)

    grad = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        original = array[i]
        array[i] = original + eps
        plus = value()
        array[i] = original - eps
        minus = value()
        array[i] = original
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@dataclass
class GradcheckResult:
    """Outcome of :func:`gradcheck`: the worst relative error and where it happened."""

    passed: bool
    max_relative_error: float
    input_index: int | None
    element_index: tuple | None
    analytic: float | None
    numerical: float | None

    def __bool__(self):
        return self.passed

    def __str__(self):
        if self.input_index is None:
            return "gradcheck passed: no input requires grad"
        status = "passed" if self.passed else "FAILED"
        return (f"gradcheck {status}: worst relative error {self.max_relative_error:.3g} at input "
                f"{self.input_index}, index {self.element_index} (analytic {self.analytic:.10g}, "
                f"numerical {self.numerical:.10g})")


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when an analytic gradient differs from the numerical one."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0) -> GradcheckResult:
    """Compare the engine's gradients of ``fn(*inputs)`` with central differences.

    A non-scalar output y is reduced to L = sum(y * r) with a fixed random r, which checks the whole
    vector-Jacobian product. An element passes if |analytic - numerical| <= atol + rtol |numerical|.

    Args:
        fn: function of tensors returning a tensor.
        inputs: tensors (float64; those with requires_grad are checked) or a single tensor.
    Returns: a :class:`GradcheckResult` (truthy if passed). Raises :class:`GradcheckError` with the
    worst element named if it fails and ``raise_exception`` is True.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 tensors")
    out = fn(*inputs)
    projection = Tensor(np.random.default_rng(seed).standard_normal(out.shape))

    def loss(*_):
        with no_grad():
            return float((fn(*inputs).data * projection.data).sum())

    for i in checked:
        inputs[i].grad = None
    (out * projection).sum().backward()
    worst = GradcheckResult(True, 0.0, None, None, None, None)
    worst_violation = -np.inf
    for i in checked:
        analytic = inputs[i].grad.data if inputs[i].grad is not None else np.zeros_like(inputs[i].data)
        numeric = numerical_grad(loss, inputs[i], eps)
        diff = np.abs(analytic - numeric)
        violation = diff - (atol + rtol * np.abs(numeric))
        scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), 1e-12)
        k = np.unravel_index(np.argmax(violation), violation.shape) if violation.size else ()
        if violation.size and violation[k] > worst_violation:
            worst_violation = violation[k]
            worst = GradcheckResult(bool(violation.max() <= 0 and worst.passed), float((diff / scale)[k]), i,
                                    tuple(int(j) for j in k), float(analytic[k]), float(numeric[k]))
        elif violation.size and violation.max() > 0:
            worst.passed = False
    if not worst.passed and raise_exception:
        raise GradcheckError(str(worst))
    return worst
