"""Utilities on parameters and models, as ``torch.nn.utils`` has them: gradient clipping by the global
norm or by value, L1 and L2 penalties, parameter counts, layer-by-layer shapes and a measured receptive field.

Recurrent networks multiply the gradient by the same Jacobian at every time step, so one long
sequence can produce a gradient thousands of times larger than usual (chapter 9). Clipping rescales
all gradients together, which keeps their direction and only shortens the step.

The penalties return a differentiable tensor, so that they sit in the graph next to the data loss
and ``backward()`` adds their gradients: ``loss = criterion(model(x), y) + l2_penalty(model.parameters(),
1e-3)`` (for plain SGD the same as ``SGD(..., weight_decay=1e-3)``: its gradient is ``weight_decay * w``).
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "count_parameters", "l1_penalty", "l2_penalty", "layer_shapes",
           "measured_receptive_field"]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale the gradients of ``parameters`` in place so that their global norm is at most ``max_norm``.

    The global norm is the norm of all gradients concatenated into one vector, so every gradient is
    multiplied by the same factor ``max_norm / (total_norm + 1e-6)`` when that factor is below 1 and
    left alone otherwise (PyTorch's rule, including its 1e-6 that avoids dividing by zero).

    Args:
        parameters: a tensor or an iterable of tensors; those without a gradient are skipped.
        max_norm: the largest norm allowed, > 0.
        norm_type: the p of the p-norm (``float("inf")`` for the largest absolute entry).
        error_if_nonfinite: raise when the total norm is nan or inf instead of scaling by it.
        foreach: accepted for torch's signature (torch's choice of a faster kernel; the result is the same).
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


def clip_grad_value_(parameters, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient entry of ``parameters`` to [-clip_value, clip_value], in place.

    Unlike :func:`clip_grad_norm_` this changes the gradient's direction: each entry is cut on its own.

    Args:
        parameters: a tensor or an iterable of tensors; those without a gradient are skipped.
        clip_value: the largest absolute value a gradient entry keeps.
        foreach: accepted for torch's signature (torch's choice of a faster kernel; the result is the same).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    for p in parameters:
        if p.grad is not None:
            np.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)


def l2_penalty(parameters, weight_decay: float):
    """(weight_decay / 2) * sum of w^2 over all parameters; its gradient is weight_decay * w."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("l2_penalty needs at least one parameter")
    return sum((p * p).sum() for p in parameters) * (weight_decay / 2)



def l1_penalty(parameters, strength: float):
    """strength * sum of |w| over all parameters; its (sub)gradient is strength * sign(w)."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("l1_penalty needs at least one parameter")
    return sum(p.abs().sum() for p in parameters) * strength



def count_parameters(model) -> int:
    """Number of trainable numbers in a ``dlcourse`` or ``torch`` model."""
    return int(sum(np.prod(p.shape) for p in model.parameters()))



def layer_shapes(model, x) -> list[tuple[str, str, tuple, int]]:
    """Run ``x`` through the top-level children of a sequential ``model`` (dlcourse or torch).

    Returns one ``(name, layer type, output shape, parameters)`` per child: the table that
    architecture diagrams show.
    """
    rows = []
    for name, child in model.named_children():
        x = child(x)
        rows.append((name, type(child).__name__, tuple(x.shape), count_parameters(child)))
    return rows



def measured_receptive_field(model, input_shape) -> tuple[int, int]:
    """Height and width of the input region that the centre output pixel of ``model`` depends on.

    Backpropagates a one-hot gradient (1 at the centre pixel of the first output channel) through a
    ``dlcourse`` model and measures the bounding box of the non-zero input gradient. Use a model
    without ReLUs or max-pooling (or with positive weights): those can zero a gradient that a pixel
    of the receptive field would otherwise receive.
    """
    x = Tensor(np.zeros(input_shape, dtype=np.float32), requires_grad=True)
    out = model(x)
    one_hot = np.zeros(out.shape, dtype=np.float32)
    one_hot[0, 0, out.shape[2] // 2, out.shape[3] // 2] = 1.0
    (out * Tensor(one_hot)).sum().backward()
    gradient = np.asarray(getattr(x.grad, "data", x.grad))
    rows, columns = np.nonzero(np.abs(gradient[0]).sum(axis=0))
    return int(rows.max() - rows.min() + 1), int(columns.max() - columns.min() + 1)

