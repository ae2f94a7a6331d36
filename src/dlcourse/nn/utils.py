"""Utilities on parameters, as ``torch.nn.utils`` has them: gradient clipping by the global norm.

Recurrent networks multiply the gradient by the same Jacobian at every time step, so one long
sequence can produce a gradient thousands of times larger than usual (chapter 9). Clipping rescales
all gradients together, which keeps their direction and only shortens the step.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.tensor import Tensor

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients of ``parameters`` in place so that their global norm is at most ``max_norm``.

    The global norm is the norm of all gradients concatenated into one vector, so every gradient is
    multiplied by the same factor ``max_norm / (total_norm + 1e-6)`` when that factor is below 1 and
    left alone otherwise (PyTorch's rule, including its 1e-6 that avoids dividing by zero).

    Args:
        parameters: a tensor or an iterable of tensors; those without a gradient are skipped.
        max_norm: the largest norm allowed, > 0.
        norm_type: the p of the p-norm (``float("inf")`` for the largest absolute entry).
        error_if_nonfinite: raise when the total norm is nan or inf instead of scaling by it.
    Returns:
        The total norm of the gradients before clipping, as a 0-dimensional tensor.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be positive, got {max_norm}")
    if not grads:
        return Tensor(np.array(0.0))
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g.data))) if g.data.size else 0.0 for g in grads)
    else:
        total = float(sum(np.sum(np.abs(g.data.astype(np.float64)) ** norm_type) for g in grads) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
                           "pass error_if_nonfinite=False to scale by it anyway")
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1:
        for g in grads:
            g.data[...] = g.data * coefficient
    return Tensor(np.array(total, dtype=grads[0].data.dtype))
