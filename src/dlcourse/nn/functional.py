"""Stateless forms of the layers and losses (``torch.nn.functional``'s names)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from .. import _rng
from ..autograd import conv_ops, ops
from ..autograd.conv_ops import conv_output_size
from ..autograd.function import no_grad
from ..autograd.tensor import Tensor, check_same_float_dtype, unwrap, where

_Size2 = int | tuple[int, int]  # a kernel size, stride, ...: one number, or (height, width)


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
def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise."""
    return x.relu()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x), numerically stable: a relative error of a few ulp for every finite x, also
    where the result is tiny (sigmoid(-50) = 1.93e-22, not 0), and no overflow warning for any x
    (sigmoid(-1000) = 0, sigmoid(1000) = 1). See :func:`dlcourse.autograd.ops.sigmoid`."""
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise."""
    return x.tanh()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """max(x, 0) + slope * min(x, 0)."""
    return x.relu() - (-x).relu() * negative_slope


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """leaky_relu with a learned slope per channel (dimension 1)."""
    if x.ndim >= 2 and weight.numel() > 1:
        weight = weight.reshape((-1,) + (1,) * (x.ndim - 2))
    return x.relu() - (-x).relu() * weight


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise."""
    return where(x.data > 0, x, (x.clamp(max=0).exp() - 1) * alpha)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/beta) ln(1 + e^(beta x)), and x itself where beta x > threshold."""
    return ops.Softplus.apply(x, beta=beta, threshold=threshold)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """e^(x_i) / sum_j e^(x_j) along ``dim`` (fused and stable: the maximum is subtracted first)."""
    return ops.Softmax.apply(x, axis=dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """x_i - ln sum_j e^(x_j) along ``dim`` (fused, stable for logits of any size)."""
    return ops.LogSoftmax.apply(x, axis=dim)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b."""
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear: input has {x.shape[-1]} features (shape {x.shape}) but weight expects "
                         f"{weight.shape[-1]} (weight shape {weight.shape})")
    check_same_float_dtype("linear", x, weight, bias)
    return ops.Linear.apply(x, weight) if bias is None else ops.Linear.apply(x, weight, bias)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
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
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """(x - y)^2, averaged or summed."""
    _check_same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """|x - y|, averaged or summed."""
    _check_same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | np.ndarray | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
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


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """-[y ln p + (1-y) ln(1-p)] on probabilities p; logs are clamped at -100 like PyTorch."""
    _check_same_shape("binary_cross_entropy", input, target)
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean") -> Tensor:
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


def nll_loss(input: Tensor, target: Tensor | np.ndarray, weight: Tensor | np.ndarray | None = None,
             reduction: str = "mean", ignore_index: int = -100) -> Tensor:
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


def cross_entropy(input: Tensor, target: Tensor | np.ndarray, weight: Tensor | np.ndarray | None = None,
                  reduction: str = "mean", ignore_index: int = -100) -> Tensor:
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


def gelu(x: Tensor) -> Tensor:
    """GELU(x) = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, the exact form (torch's approximate='none')."""
    return x * 0.5 * (ops.Erf.apply(x * (1.0 / math.sqrt(2.0))) + 1.0)



def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions of each sample with the sample's own
    mean and (biased) variance, then scale by ``weight`` and shift by ``bias`` elementwise."""
    normalized_shape = tuple(normalized_shape)
    if tuple(input.shape[-len(normalized_shape):]) != normalized_shape:
        raise ValueError(f"layer_norm: the input's last dimensions {tuple(input.shape)} do not end in "
                         f"normalized_shape {normalized_shape}")
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    centred = input - input.mean(dims, keepdim=True)
    variance = (centred * centred).mean(dims, keepdim=True)
    out = centred / (variance + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out



# --- convolution, pooling, upsampling, normalisation, embedding ---------------------------------------
def _check_4d(name, x, channels=None):
    if x.ndim != 4:
        raise ValueError(f"{name}: expected input shaped (N, C, H, W), got shape {x.shape}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name}: input has {x.shape[1]} channels (shape {x.shape}) but the weight expects {channels}")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: _Size2 = 1, padding: _Size2 = 0,
           dilation: _Size2 = 1) -> Tensor:
    """2-D cross-correlation. Shape: input (N, C, H, W), weight (O, C, KH, KW) -> (N, O, OH, OW)."""
    _check_4d("conv2d", input, weight.shape[1])
    check_same_float_dtype("conv2d", input, weight, bias)
    args = (input, weight) if bias is None else (input, weight, bias)
    return conv_ops.Conv2d.apply(*args, stride=stride, padding=padding, dilation=dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: _Size2 = 1,
                     padding: _Size2 = 0, output_padding: _Size2 = 0, dilation: _Size2 = 1) -> Tensor:
    """Transposed convolution. Shape: input (N, Cin, H, W), weight (Cin, Cout, KH, KW)."""
    _check_4d("conv_transpose2d", input, weight.shape[0])
    check_same_float_dtype("conv_transpose2d", input, weight, bias)
    args = (input, weight) if bias is None else (input, weight, bias)
    return conv_ops.ConvTranspose2d.apply(*args, stride=stride, padding=padding,
                                          output_padding=output_padding, dilation=dilation)


def max_pool2d(input: Tensor, kernel_size: _Size2, stride: _Size2 | None = None, padding: _Size2 = 0,
               dilation: _Size2 = 1) -> Tensor:
    """The maximum of each window. Shape: (N, C, H, W) -> (N, C, OH, OW); ``stride`` defaults to
    ``kernel_size`` and padding counts as -inf.
    """
    _check_4d("max_pool2d", input)
    return conv_ops.MaxPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)


def avg_pool2d(input: Tensor, kernel_size: _Size2, stride: _Size2 | None = None, padding: _Size2 = 0) -> Tensor:
    """The mean of each window (padding counts as zeros). Shape: (N, C, H, W) -> (N, C, OH, OW);
    ``stride`` defaults to ``kernel_size``.
    """
    _check_4d("avg_pool2d", input)
    return conv_ops.AvgPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding)


def pad(input: Tensor, pad: Sequence[int], value: float = 0.0) -> Tensor:
    """Constant padding; ``pad`` = (left, right, top, bottom, ...) starting from the last dim."""
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return conv_ops.Pad.apply(input, widths=tuple(widths), value=value)


def _source_positions(out_size, in_size, scale, mode):
    dst = np.arange(out_size, dtype=np.float64)
    if mode == "nearest":
        return np.minimum(np.floor(dst * scale).astype(np.int64), in_size - 1)
    src = np.maximum((dst + 0.5) * scale - 0.5, 0)  # align_corners=False
    low = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    high = np.minimum(low + 1, in_size - 1)
    return low, high, src - low


def interpolate(input: Tensor, size: int | tuple[int, int] | None = None,
                scale_factor: float | tuple[float, float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None) -> Tensor:
    """Upsample (N, C, H, W) by ``scale_factor`` or to ``size``; 'nearest' or 'bilinear'
    (align_corners=False). Built from indexing, so the gradient comes for free."""
    _check_4d("interpolate", input)
    if align_corners:
        raise ValueError("interpolate: only align_corners=False is implemented")
    h, w = input.shape[2:]
    if size is not None:
        out_h, out_w = (size, size) if isinstance(size, int) else size
        scale_h, scale_w = h / out_h, w / out_w
    else:
        sf_h, sf_w = scale_factor if isinstance(scale_factor, tuple | list) else (scale_factor, scale_factor)
        out_h, out_w = int(np.floor(h * sf_h)), int(np.floor(w * sf_w))
        scale_h, scale_w = 1 / sf_h, 1 / sf_w
    if mode == "nearest":
        rows = _source_positions(out_h, h, scale_h, mode)
        cols = _source_positions(out_w, w, scale_w, mode)
        return input[:, :, rows[:, None], cols[None, :]]
    if mode != "bilinear":
        raise ValueError(f"interpolate: mode must be 'nearest' or 'bilinear', got {mode!r}")
    r0, r1, ry = _source_positions(out_h, h, scale_h, mode)
    c0, c1, cx = _source_positions(out_w, w, scale_w, mode)
    ry = Tensor(ry.astype(input.dtype)[:, None])
    cx = Tensor(cx.astype(input.dtype))
    rows = input[:, :, r0, :] * (1 - ry) + input[:, :, r1, :] * ry
    return rows[:, :, :, c0] * (1 - cx) + rows[:, :, :, c1] * cx


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * weight + bias, per channel (dimension 1).

    In training the batch statistics are used and the running ones updated in place:
    running = (1 - momentum) running + momentum * batch (the running variance is unbiased).
    """
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(f"batch_norm: need more than one value per channel in training, "
                             f"got input shape {input.shape}")
        mean = input.mean(axes, keepdim=True)
        var = input.var(axes, keepdim=True, unbiased=False)
        if running_mean is not None:
            with no_grad():
                running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * mean.data.reshape(-1)
                running_var.data[...] = ((1 - momentum) * running_var.data
                                         + momentum * var.data.reshape(-1) * count / (count - 1))
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = (input - mean) / (var + eps) ** 0.5
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def embedding(input: Tensor | np.ndarray, weight: Tensor) -> Tensor:
    """Rows of ``weight`` picked by the integer indices in ``input``; shape input.shape + (D,)."""
    index = np.asarray(unwrap(input))
    if not np.issubdtype(index.dtype, np.integer):
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}")
    if index.size and (index.min() < 0 or index.max() >= weight.shape[0]):
        raise IndexError(f"embedding: index {index.max()} out of range for {weight.shape[0]} embeddings")
    return weight[index]


def max_pool2d_with_indices(input: Tensor | np.ndarray, kernel_size: int,
                            stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Max-pooling of (N, C, H, W) without padding, and where each maximum came from.

    Returns ``(values, indices)`` with indices into the flattened H x W plane of each channel, as
    ``torch.nn.functional.max_pool2d(..., return_indices=True)`` gives them (ties: the first
    maximum in row-major order).
    """
    x = np.asarray(unwrap(input))
    stride = stride or kernel_size
    n, c, h, w = x.shape
    oh, ow = conv_output_size(h, kernel_size, stride), conv_output_size(w, kernel_size, stride)
    values = np.empty((n, c, oh, ow), dtype=x.dtype)
    indices = np.empty((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, i * stride: i * stride + kernel_size, j * stride: j * stride + kernel_size]
            flat = window.reshape(n, c, -1)
            best = flat.argmax(axis=2)
            values[:, :, i, j] = np.take_along_axis(flat, best[..., None], axis=2)[..., 0]
            rows, columns = i * stride + best // kernel_size, j * stride + best % kernel_size
            indices[:, :, i, j] = rows * w + columns
    return values, indices



def max_unpool2d(input: np.ndarray | Tensor, indices: np.ndarray | Tensor, kernel_size: _Size2,
                 stride: _Size2 | None = None, padding: _Size2 = 0,
                 output_size: Sequence[int] | None = None) -> np.ndarray:
    """Put each pooled value back where its maximum was (``indices`` from :func:`max_pool2d_with_indices`),
    zeros elsewhere: the upsampling of SegNet. NumPy arrays in and out (no gradient).

    Shape: input and indices (N, C, OH, OW) -> (N, C, H, W), with (H, W) = ``output_size`` or, without
    it, ``(OH - 1) * stride - 2 * padding + kernel_size`` along each axis (torch's default).
    """
    values, indices = np.asarray(unwrap(input)), np.asarray(unwrap(indices))
    if values.shape != indices.shape:
        raise ValueError(f"max_unpool2d: input {values.shape} and indices {indices.shape} must have the same shape")
    n, c, oh, ow = values.shape
    if output_size is None:
        (kh, kw), (sh, sw), (ph, pw) = conv_ops.pair(kernel_size), conv_ops.pair(stride or kernel_size), \
            conv_ops.pair(padding)
        output_size = ((oh - 1) * sh - 2 * ph + kh, (ow - 1) * sw - 2 * pw + kw)
    h, w = tuple(output_size)[-2:]
    out = np.zeros((n, c, h * w), dtype=values.dtype)
    np.put_along_axis(out, indices.reshape(n, c, -1), values.reshape(n, c, -1), axis=2)
    return out.reshape(n, c, h, w)


def bed_of_nails(x: Tensor | np.ndarray, scale: int = 2) -> np.ndarray:
    """Upsample (N, C, H, W) by ``scale``: each value at the top-left of its scale x scale cell, zeros elsewhere."""
    x = np.asarray(unwrap(x))
    n, c, h, w = x.shape
    out = np.zeros((n, c, h * scale, w * scale), dtype=x.dtype)
    out[:, :, ::scale, ::scale] = x
    return out



# --- size arithmetic -----------------------------------------------------------------------------
def receptive_field(layers: Iterable[Sequence[int]]) -> list[tuple[int, int]]:
    """Receptive field size and jump after each layer of a stack.

    Args:
        layers: one ``(kernel_size, stride)`` or ``(kernel_size, stride, dilation)`` per layer.
    Returns:
        a list of ``(size, jump)``: ``size`` input pixels (along one axis) influence one output
        pixel of that layer, and ``jump`` input pixels separate neighbouring output pixels.
        With ``r_0 = j_0 = 1``: ``r_l = r_{l-1} + dilation (kernel_size - 1) j_{l-1}``, ``j_l = j_{l-1} stride``.
    """
    size, jump, out = 1, 1, []
    for layer in layers:
        kernel_size, stride, dilation = (tuple(layer) + (1,))[:3]
        size += dilation * (kernel_size - 1) * jump
        jump *= stride
        out.append((size, jump))
    return out

