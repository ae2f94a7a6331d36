"""Stateless forms of the layers and losses (``torch.nn.functional``'s names)."""

import math

import numpy as np

from .. import _rng
from ..autograd import ops
from ..autograd.tensor import Tensor, check_same_float_dtype, unwrap, where


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_same_shape(name, input, target):
    if input.shape != target.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {target.shape} differ")


# --- activations ---------------------------------------------------------------------------------
def relu(x):
    return x.relu()


def sigmoid(x):
    """1 / (1 + e^-x), numerically stable: a relative error of a few ulp for every finite x, also
    where the result is tiny (sigmoid(-50) = 1.93e-22, not 0), and no overflow warning for any x
    (sigmoid(-1000) = 0, sigmoid(1000) = 1). See :func:`dlcourse.autograd.ops.sigmoid`."""
    return x.sigmoid()


def tanh(x):
    return x.tanh()


def leaky_relu(x, negative_slope=0.01):
    """max(x, 0) + slope * min(x, 0)."""
    return x.relu() - (-x).relu() * negative_slope


def prelu(x, weight):
    """leaky_relu with a learned slope per channel (dimension 1)."""
    if x.ndim >= 2 and weight.numel() > 1:
        weight = weight.reshape((-1,) + (1,) * (x.ndim - 2))
    return x.relu() - (-x).relu() * weight


def elu(x, alpha=1.0):
    """x for x > 0, alpha (e^x - 1) otherwise."""
    return where(x.data > 0, x, (x.clamp(max=0).exp() - 1) * alpha)


def softplus(x, beta=1.0, threshold=20.0):
    return ops.Softplus.apply(x, beta=beta, threshold=threshold)


def softmax(x, dim=-1):
    return ops.Softmax.apply(x, axis=dim)


def log_softmax(x, dim=-1):
    return ops.LogSoftmax.apply(x, axis=dim)


def linear(x, weight, bias=None):
    """x W^T + b."""
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear: input has {x.shape[-1]} features (shape {x.shape}) but weight expects "
                         f"{weight.shape[-1]} (weight shape {weight.shape})")
    check_same_float_dtype("linear", x, weight, bias)
    return ops.Linear.apply(x, weight) if bias is None else ops.Linear.apply(x, weight, bias)


def dropout(x, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = _rng.generator().random(x.shape) >= p
    return x * Tensor((keep / (1 - p)).astype(x.dtype))


# --- losses --------------------------------------------------------------------------------------
def mse_loss(input, target, reduction="mean"):
    """(x - y)^2, averaged or summed."""
    _check_same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction="mean"):
    """|x - y|, averaged or summed."""
    _check_same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (ln v + (x - y)^2 / v), plus 0.5 ln(2 pi) if ``full``, with v = max(var, eps): the negative
    log-likelihood of the target y under N(x, var), for regression that also predicts its variance.

    Shape: ``var`` is shaped like ``input`` (one variance per prediction, heteroscedastic), or has
    one dimension of size 1 or lacks the last dimension (one variance shared along it), or is a
    non-negative number. As in PyTorch, the clamp at ``eps`` changes the value only: the gradient
    with respect to ``var`` passes through it unchanged (PyTorch clamps a copy in place under no_grad).
    """
    if isinstance(var, int | float):
        if var < 0:
            raise ValueError(f"gaussian_nll_loss: var must be non-negative, got {var}")
        var = Tensor(np.full(input.shape, var, dtype=input.dtype))
    elif not isinstance(var, Tensor):
        var = Tensor(np.asarray(var, dtype=input.dtype))
    if (var.data < 0).any():
        raise ValueError(f"gaussian_nll_loss: var has negative entries (smallest {var.data.min()})")
    if var.shape != input.shape:
        mismatched = [v for i, v in zip(input.shape, var.shape) if i != v] if var.ndim == input.ndim else None
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)              # one variance per row, shared along the last dimension
        elif mismatched != [1]:
            raise ValueError(f"gaussian_nll_loss: var has shape {var.shape}; for input shape {input.shape} it must "
                             f"be {input.shape}, {input.shape[:-1]}, or {input.shape} with one dimension set to 1")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    var = where(var.data < eps, var - var.detach() + eps, var)  # value eps there, gradient 1
    diff = input - target
    loss = 0.5 * (var.log() + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-[y ln p + (1-y) ln(1-p)] on probabilities p; logs are clamped at -100 like PyTorch."""
    _check_same_shape("binary_cross_entropy", input, target)
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean"):
    """binary_cross_entropy(sigmoid(x), y), computed stably from the logits x."""
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    loss = ops.BCEWithLogits.apply(input, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def _classes_last(input):
    """(N, C, d1, ...) -> (N * d1 * ..., C) so every loss sees one row per prediction."""
    if input.ndim <= 2:
        return input
    axes = (0,) + tuple(range(2, input.ndim)) + (1,)
    return input.permute(axes).reshape(-1, input.shape[1])


def nll_loss(input, target, weight=None, reduction="mean", ignore_index=-100):
    """-w_y log p_y: the negative log-probability of each target class.

    Shape: input (N, C) or (N, C, d1, ...) of log-probabilities; target (N,) or (N, d1, ...)
    of class indices. The mean divides by the summed weights of the targets, as in PyTorch.
    """
    target_data = np.asarray(unwrap(target))
    if not np.issubdtype(target_data.dtype, np.integer):
        raise TypeError(f"nll_loss: target must hold class indices (an integer tensor), got dtype {target_data.dtype}")
    expected = (input.shape[0],) + input.shape[2:] if input.ndim >= 2 else ()
    if target_data.shape != expected:
        raise ValueError(f"nll_loss: input shape {input.shape} needs target shape {expected}, got {target_data.shape}")
    flat_target = target_data.reshape(-1)
    rows = _classes_last(input) if input.ndim >= 2 else input.reshape(1, -1)
    valid = flat_target != ignore_index
    safe = np.where(valid, flat_target, 0)
    if valid.all() and (safe.min(initial=0) < 0 or safe.max(initial=0) >= rows.shape[1]):
        raise IndexError(f"nll_loss: target holds class {safe.max()} but input has {rows.shape[1]} classes")
    w = np.ones(rows.shape[1], dtype=input.dtype) if weight is None else np.asarray(unwrap(weight))
    sample_weight = (w[safe] * valid).astype(input.dtype)
    picked = rows[np.arange(rows.shape[0]), safe]
    loss = -picked * Tensor(sample_weight)
    if reduction == "mean":
        return loss.sum() / sample_weight.sum()
    return _reduce(loss.reshape(target_data.shape), reduction)


def cross_entropy(input, target, weight=None, reduction="mean", ignore_index=-100):
    """nll_loss(log_softmax(x)): stable for logits of any size (log_softmax is fused).

    ``target`` holds class indices, or class probabilities shaped like ``input``.
    """
    log_probs = log_softmax(input, dim=1 if input.ndim >= 2 else 0)
    target_data = np.asarray(unwrap(target))
    if np.issubdtype(target_data.dtype, np.floating):
        _check_same_shape("cross_entropy (probability targets)", input, target)
        target = target if isinstance(target, Tensor) else Tensor(target_data)
        per_class = -(log_probs * target)
        if weight is not None:
            w = np.asarray(unwrap(weight))
            per_class = per_class * Tensor(w.reshape((-1,) + (1,) * (input.ndim - 2)))
        loss = per_class.sum(1 if input.ndim >= 2 else 0)
        return _reduce(loss, reduction)
    return nll_loss(log_probs, target, weight=weight, reduction=reduction, ignore_index=ignore_index)


from .functional_conv import (  # noqa: E402,F401  (convolution, pooling, normalisation, embedding)
    avg_pool2d, batch_norm, conv2d, conv_transpose2d, embedding, interpolate, max_pool2d, pad,
)
