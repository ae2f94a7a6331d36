"""Stateless forms of the layers and losses (``torch.nn.functional``'s names)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from .. import _rng
from ..autograd import conv_ops, ops
from ..autograd.conv_ops import conv_output_size
from ..autograd.function import no_grad
from ..autograd.tensor import Tensor, cat, check_same_float_dtype, unwrap, where

_Size2 = int | tuple[int, int]  # a kernel size, stride, ...: one number, or (height, width)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """torch's deprecated ``size_average``/``reduce`` arguments turned into a ``reduction``, as torch does."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=3)
    return reduction


def _weighted_reduce(loss: Tensor, weight, reduction: str, name: str) -> Tensor:
    """loss * weight reduced; the mean divides by the sum of the weights (torch's mse_loss and l1_loss)."""
    if weight is None:
        return _reduce(loss, reduction)
    weight = weight if isinstance(weight, Tensor) else Tensor(np.asarray(weight, dtype=loss.dtype))
    if weight.shape != loss.shape:
        raise ValueError(f"{name}: weights and input must have the same size, got {weight.shape} and {loss.shape}")
    if reduction == "mean":
        return (loss * weight).sum() / weight.sum()
    return _reduce(loss * weight, reduction)


def _check_same_shape(name, input, target):
    if input.shape != target.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {target.shape} differ")


# --- activations ---------------------------------------------------------------------------------
# ``inplace=True`` is accepted wherever torch takes it. The engine always computes out of place: the
# result is returned and is the same as torch's, but the input tensor itself is left unchanged (torch
# overwrites it). A network that uses the returned value, as every torch model does, sees no difference.
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), elementwise. ``inplace`` is accepted and computed out of place (the input is kept)."""
    return input.relu()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x), numerically stable: a relative error of a few ulp for every finite x, also
    where the result is tiny (sigmoid(-50) = 1.93e-22, not 0), and no overflow warning for any x
    (sigmoid(-1000) = 0, sigmoid(1000) = 1). See :func:`dlcourse.autograd.ops.sigmoid`."""
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise."""
    return x.tanh()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """max(x, 0) + slope * min(x, 0). ``inplace`` is accepted and computed out of place."""
    return input.relu() - (-input).relu() * negative_slope


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """leaky_relu with a learned slope per channel (dimension 1)."""
    if x.ndim >= 2 and weight.numel() > 1:
        weight = weight.reshape((-1,) + (1,) * (x.ndim - 2))
    return x.relu() - (-x).relu() * weight


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise. ``inplace`` is accepted and computed out of place."""
    return where(input.data > 0, input, (input.clamp(max=0).exp() - 1) * alpha)


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


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout).

    ``inplace`` is accepted and computed out of place (the input is kept).
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    keep = _rng.generator().random(input.shape) >= p
    return input * Tensor((keep / (1 - p)).astype(input.dtype))


# --- losses --------------------------------------------------------------------------------------
def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """(x - y)^2, averaged or summed; with ``weight`` (shaped like the input) each square is weighted and
    the mean divides by the summed weights. ``size_average`` and ``reduce`` are torch's deprecated
    forms of ``reduction``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_shape("mse_loss", input, target)
    diff = input - target
    return _weighted_reduce(diff * diff, weight, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """|x - y|, averaged or summed (``weight``, ``size_average`` and ``reduce`` as in :func:`mse_loss`)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_shape("l1_loss", input, target)
    return _weighted_reduce((input - target).abs(), weight, reduction, "l1_loss")


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
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-[y ln p + (1-y) ln(1-p)] on probabilities p; logs are clamped at -100 like PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_shape("binary_cross_entropy", input, target)
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(x), y), computed stably from the logits x.

    ``pos_weight`` (one per class, broadcast along the last dimension) multiplies the positive term:
    -[pos_weight y ln sigmoid(x) + (1-y) ln(1 - sigmoid(x))], to weigh rare positives up.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    if pos_weight is None:
        loss = ops.BCEWithLogits.apply(input, target)
    else:
        # -ln sigmoid(x) = ln(1 + e^-|x|) + max(-x, 0), and -ln(1 - sigmoid(x)) = that + x
        log_one_plus = ((-input.abs()).exp() + 1).log() + (-input).relu()
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * log_one_plus
    return _reduce(loss if weight is None else loss * weight, reduction)


def _classes_last(input):
    """(N, C, d1, ...) -> (N * d1 * ..., C) so every loss sees one row per prediction."""
    if input.ndim <= 2:
        return input
    axes = (0,) + tuple(range(2, input.ndim)) + (1,)
    return input.permute(axes).reshape(-1, input.shape[1])


def nll_loss(input: Tensor, target: Tensor | np.ndarray, weight: Tensor | np.ndarray | None = None,
             size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
             reduction: str = "mean") -> Tensor:
    """-w_y log p_y: the negative log-probability of each target class.

    Shape: input (N, C) or (N, C, d1, ...) of log-probabilities, or (C,) for one sample; target (N,)
    or (N, d1, ...) of class indices. The mean divides by the summed weights of the targets, as in
    PyTorch. ``size_average`` and ``reduce`` are torch's deprecated forms of ``reduction``.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
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
                  size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """nll_loss(log_softmax(x)): stable for logits of any size (log_softmax is fused).

    ``target`` holds class indices, or class probabilities shaped like ``input``.
    ``label_smoothing`` = eps mixes the target with the uniform distribution over the C classes:
    the loss is (1 - eps) nll + eps/C sum_c -w_c log p_c (torch's rule; with indices, the second term
    is reduced like the first: ignored targets add nothing, and the mean divides by the same
    summed weights), so the model is not pushed towards infinitely confident logits.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if input.ndim >= 2 else 0
    classes = input.shape[class_dim]
    log_probs = log_softmax(input, dim=class_dim)
    target_data = np.asarray(unwrap(target))
    w = None if weight is None else np.asarray(unwrap(weight))
    class_shape = (-1,) + (1,) * (input.ndim - 2) if input.ndim >= 2 else (-1,)
    if np.issubdtype(target_data.dtype, np.floating):
        _check_same_shape("cross_entropy (probability targets)", input, target)
        target = target if isinstance(target, Tensor) else Tensor(target_data)
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        per_class = -(log_probs * target)
        if w is not None:
            per_class = per_class * Tensor(w.reshape(class_shape))
        return _reduce(per_class.sum(class_dim), reduction)
    loss = nll_loss(log_probs, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return loss
    weighted = log_probs if w is None else log_probs * Tensor(w.reshape(class_shape).astype(input.dtype))
    kept = target_data != ignore_index
    smooth = -weighted.sum(class_dim) * Tensor(kept.astype(input.dtype))
    if reduction == "mean":
        denominator = kept.sum() if w is None else w[target_data[kept]].sum()
        smooth = smooth.sum() / float(denominator)
    elif reduction == "sum":
        smooth = smooth.sum()
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU(x) = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2 (``approximate='none'``), or its tanh form
    x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2 (``approximate='tanh'``, GPT-2's)."""
    if approximate == "none":
        return input * 0.5 * (ops.Erf.apply(input * (1.0 / math.sqrt(2.0))) + 1.0)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (inner.tanh() + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


# --- attention -----------------------------------------------------------------------------------
def _attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None, dropout_p: float = 0.0,
               is_causal: bool = False, scale: float | None = None, enable_gqa: bool = False,
               empty_rows_give_zero: bool = True) -> tuple[Tensor, Tensor]:
    """(output, attention weights) of scaled dot-product attention; see :func:`scaled_dot_product_attention`.

    A query that may attend to no key at all (its whole row masked) gets weights 0 and output 0 when
    ``empty_rows_give_zero``, as torch's ``scaled_dot_product_attention`` gives; otherwise NaN, as
    torch's ``MultiheadAttention`` gives when it returns the weights.
    """
    length, source = query.shape[-2], key.shape[-2]
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(f"scaled_dot_product_attention: query {query.shape} and key {key.shape} need the "
                         "same last dimension (the size each query is compared in)")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if heads % kv_heads:
            raise ValueError(f"scaled_dot_product_attention: with enable_gqa, the {heads} query heads must be a "
                             f"multiple of the {kv_heads} key/value heads")
        repeat = np.arange(heads) // (heads // kv_heads)  # each key/value head serves heads // kv_heads queries
        key, value = key[..., repeat, :, :], value[..., repeat, :, :]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("scaled_dot_product_attention: explicit attn_mask should not be set when is_causal=True")
        attn_mask = np.tril(np.ones((length, source), dtype=bool))  # query i sees keys 0..i
    if attn_mask is not None:
        mask = np.asarray(unwrap(attn_mask))
        if mask.dtype == bool:  # True = takes part
            mask = np.where(mask, 0.0, -np.inf)
        scores = scores + Tensor(mask.astype(scores.dtype))
    blocked = np.isneginf(scores.data).all(axis=-1, keepdims=True)
    if not blocked.any():
        weights = softmax(scores, dim=-1)
    elif empty_rows_give_zero:
        weights = softmax(where(blocked, 0.0, scores), dim=-1) * Tensor((~blocked).astype(scores.dtype))
    else:
        with np.errstate(invalid="ignore"):  # NaN rows, as torch gives them here
            weights = softmax(scores, dim=-1)
    weights = dropout(weights, dropout_p)  # the weights returned are those used, as torch's MultiheadAttention's
    return weights @ value, weights


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | np.ndarray | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T scale + mask) V, with scale = 1 / sqrt(E) unless given: each query's output is the
    average of the values, weighted by how well the query matches each key.

    Args:
        query, key, value: (N, ..., L, E), (N, ..., S, E) and (N, ..., S, Ev).
        attn_mask: broadcastable to (N, ..., L, S); boolean (True = the pair takes part, as in torch;
            note that :class:`~dlcourse.nn.MultiheadAttention`'s ``attn_mask`` uses the opposite sign)
            or float (added to the scores, e.g. -inf to block).
        dropout_p: dropout on the attention weights; applied whenever it is above 0, as in torch
            (pass ``dropout_p if training else 0.0``).
        is_causal: query i attends to keys 0..i only (the mask ``tril(ones(L, S))``); no ``attn_mask`` then.
        scale: the factor on the scores.
        enable_gqa: grouped-query attention: the key/value heads (dimension -3) are shared by groups of
            query heads.
    A query whose keys are all masked gets output 0. Shape: output (N, ..., L, Ev).
    Use :func:`dlcourse.nn.attention.attention_weights` to see the weights (torch returns only the output).
    """
    return _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)[0]


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


def _batched(name, input, dims):
    """(input with a batch dimension, whether one was added): torch takes one unbatched sample too."""
    if input.ndim == dims - 1:
        return input.unsqueeze(0), True
    if input.ndim != dims:
        layout = "(N, C, H, W) or (C, H, W)" if dims == 4 else "(N, C, L) or (C, L)"
        raise ValueError(f"{name}: expected input shaped {layout}, got shape {input.shape}")
    return input, False


def _same_padding(name, kernel, stride, dilation):
    """torch's padding='same': dilation (kernel - 1) zeros per axis, the odd one at the end (bottom, right).
    Returns the symmetric padding and the extra (bottom, right) rows and columns."""
    if any(s != 1 for s in stride):
        raise RuntimeError(f"{name}: padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple(t // 2 for t in total), tuple(t - t // 2 - t // 2 for t in total)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: _Size2 = 1,
           padding: _Size2 | str = 0, dilation: _Size2 = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation. Shape: input (N, C, H, W) or (C, H, W), weight (O, C / groups, KH, KW)
    -> (N, O, OH, OW).

    ``padding`` is a number, (height, width), ``'valid'`` (none) or ``'same'`` (output as large as the
    input; stride 1 only; an even kernel puts the extra zero at the bottom and right, as torch does).
    ``groups`` splits the channels into that many groups, each convolved with its own filters:
    output channels [g O / groups, (g + 1) O / groups) see only input channels [g C / groups, ...);
    ``groups = C`` is a depthwise convolution.
    """
    input, unbatched = _batched("conv2d", input, 4)
    check_same_float_dtype("conv2d", input, weight, bias)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: expected a weight shaped (O, C / groups, KH, KW), got shape {weight.shape}")
    if groups < 1 or weight.shape[0] % groups:
        raise ValueError(f"conv2d: groups={groups} must be positive and divide the {weight.shape[0]} output channels")
    if input.shape[1] != weight.shape[1] * groups:
        raise ValueError(f"conv2d: input has {input.shape[1]} channels (shape {input.shape}) but the weight "
                         f"{weight.shape} with groups={groups} expects {weight.shape[1] * groups}")
    stride, dilation = conv_ops.pair(stride), conv_ops.pair(dilation)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            padding, extra = _same_padding("conv2d", weight.shape[2:], stride, dilation)
            if any(extra):
                input = pad(input, (0, extra[1], 0, extra[0]))
        else:
            raise ValueError(f"conv2d: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    per_group_in, per_group_out = weight.shape[1], weight.shape[0] // groups
    outputs = []
    for g in range(groups):  # one convolution per group (a single one when groups == 1)
        x = input if groups == 1 else input[:, g * per_group_in:(g + 1) * per_group_in]
        w = weight if groups == 1 else weight[g * per_group_out:(g + 1) * per_group_out]
        b = bias if groups == 1 or bias is None else bias[g * per_group_out:(g + 1) * per_group_out]
        args = (x, w) if b is None else (x, w, b)
        outputs.append(conv_ops.Conv2d.apply(*args, stride=stride, padding=padding, dilation=dilation))
    out = outputs[0] if groups == 1 else cat(outputs, 1)
    return out.reshape(out.shape[1:]) if unbatched else out


def _single(value, name):
    """A 1-D size given as a number or a 1-tuple (torch accepts both): the number."""
    if isinstance(value, tuple | list):
        if len(value) != 1:
            raise ValueError(f"conv1d: {name} must be one number or a 1-tuple, got {value!r}")
        return value[0]
    return value


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | tuple[int] = 1,
           padding: int | tuple[int] | str = 0, dilation: int | tuple[int] = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation over a sequence: :func:`conv2d` on an image of height 1.

    Shape: input (N, C, L) or (C, L), weight (O, C / groups, K) -> (N, O, L_out),
    L_out = floor((L + 2 padding - dilation (K - 1) - 1) / stride) + 1; ``padding`` may be 'valid' or 'same'.
    """
    input, unbatched = _batched("conv1d", input, 3)
    if weight.ndim != 3:
        raise ValueError(f"conv1d: expected a weight shaped (O, C / groups, K), got shape {weight.shape}")
    stride, dilation = (1, _single(stride, "stride")), (1, _single(dilation, "dilation"))
    padding = padding if isinstance(padding, str) else (0, _single(padding, "padding"))
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, stride, padding, dilation, groups)
    out = out.reshape(out.shape[:2] + out.shape[3:])
    return out.reshape(out.shape[1:]) if unbatched else out


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: _Size2 = 1,
                     padding: _Size2 = 0, output_padding: _Size2 = 0, groups: int = 1, dilation: _Size2 = 1) -> Tensor:
    """Transposed convolution. Shape: input (N, Cin, H, W) or (Cin, H, W), weight (Cin, Cout / groups, KH, KW)
    -> (N, Cout, OH, OW); ``groups`` as for :func:`conv2d` (each group of input channels feeds its own
    group of output channels)."""
    input, unbatched = _batched("conv_transpose2d", input, 4)
    _check_4d("conv_transpose2d", input, weight.shape[0])
    check_same_float_dtype("conv_transpose2d", input, weight, bias)
    if groups < 1 or weight.shape[0] % groups:
        raise ValueError(f"conv_transpose2d: groups={groups} must be positive and divide the {weight.shape[0]} "
                         "input channels")
    per_group_in, per_group_out = weight.shape[0] // groups, weight.shape[1]
    outputs = []
    for g in range(groups):  # one transposed convolution per group (a single one when groups == 1)
        x = input if groups == 1 else input[:, g * per_group_in:(g + 1) * per_group_in]
        w = weight if groups == 1 else weight[g * per_group_in:(g + 1) * per_group_in]
        b = bias if groups == 1 or bias is None else bias[g * per_group_out:(g + 1) * per_group_out]
        args = (x, w) if b is None else (x, w, b)
        outputs.append(conv_ops.ConvTranspose2d.apply(*args, stride=stride, padding=padding,
                                                      output_padding=output_padding, dilation=dilation))
    out = outputs[0] if groups == 1 else cat(outputs, 1)
    return out.reshape(out.shape[1:]) if unbatched else out


def _pool_output_size(size: int, kernel_size: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """torch's pooling size: floor (or ceil, with ``ceil_mode``) of (size + 2 padding - dilation (kernel - 1) - 1)
    / stride, plus 1; with ``ceil_mode`` the last window must still start inside the input or its left padding."""
    span = size + 2 * padding - dilation * (kernel_size - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    if out < 1:
        raise ValueError(f"a pooling window spanning {dilation * (kernel_size - 1) + 1} positions does not fit "
                         f"an input of {size} padded by {padding}")
    return out


def _pool_setup(name, input, kernel_size, stride, padding, dilation, ceil_mode):
    """Pairs of (kernel, stride, padding, dilation), the output size, and how many rows and columns a
    ceil_mode output needs beyond the padded input (its last windows hang over the edge)."""
    kernel, padding, dilation = conv_ops.pair(kernel_size), conv_ops.pair(padding), conv_ops.pair(dilation)
    stride = conv_ops.pair(stride) if stride is not None and stride != [] else kernel
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise ValueError(f"{name}: pad should be at most half of effective kernel size, but got pad={p}, "
                             f"kernel_size={k} and dilation={d}")
    sizes = input.shape[-2:]
    out = tuple(_pool_output_size(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation))
    extra = tuple(max((o - 1) * s + d * (k - 1) + 1 - (n + 2 * p), 0)
                  for o, n, k, s, p, d in zip(out, sizes, kernel, stride, padding, dilation))
    return kernel, stride, padding, dilation, out, extra


def max_pool2d(input: Tensor, kernel_size: _Size2, stride: _Size2 | None = None, padding: _Size2 = 0,
               dilation: _Size2 = 1, ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """The maximum of each window. Shape: (N, C, H, W) or (C, H, W) -> (N, C, OH, OW); ``stride``
    defaults to ``kernel_size`` and padding counts as -inf. ``ceil_mode`` rounds the output size up,
    so the last windows may hang over the bottom and right edges (only their part inside counts).
    """
    if return_indices:
        raise NotImplementedError("max_pool2d(return_indices=True) is not part of the course's engine; "
                                  "dlcourse.nn.functional.max_pool2d_with_indices gives NumPy values and indices")
    input, unbatched = _batched("max_pool2d", input, 4)
    kernel, stride, padding, dilation, _, extra = _pool_setup("max_pool2d", input, kernel_size, stride, padding,
                                                              dilation, ceil_mode)
    if any(extra):  # ceil_mode: pad the overhang with -inf ourselves
        input = pad(input, (padding[1], padding[1] + extra[1], padding[0], padding[0] + extra[0]), value=-np.inf)
        padding = (0, 0)
    out = conv_ops.MaxPool2d.apply(input, kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    return out.reshape(out.shape[1:]) if unbatched else out


def _average_divisors(size, out, kernel_size, stride, padding, count_include_pad):
    """How many positions each window along one axis averages over, as torch counts them: the window
    clipped to the padded input, and also to the input itself without ``count_include_pad``."""
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel_size, size + padding)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d(input: Tensor, kernel_size: _Size2, stride: _Size2 | None = None, padding: _Size2 = 0,
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """The mean of each window. Shape: (N, C, H, W) or (C, H, W) -> (N, C, OH, OW); ``stride``
    defaults to ``kernel_size``.

    The zero padding counts in the mean (``count_include_pad``), or not; ``ceil_mode`` as for
    :func:`max_pool2d` (a window hanging over the edge averages over its part inside the padded
    input); ``divisor_override`` divides every window's sum by that number instead.
    """
    input, unbatched = _batched("avg_pool2d", input, 4)
    kernel, stride, padding, _, out_hw, extra = _pool_setup("avg_pool2d", input, kernel_size, stride, padding,
                                                             1, ceil_mode)
    sizes = input.shape[-2:]
    if any(extra):
        input = pad(input, (padding[1], padding[1] + extra[1], padding[0], padding[0] + extra[0]))
        op_padding = (0, 0)
    else:
        op_padding = padding
    out = conv_ops.AvgPool2d.apply(input, kernel_size=kernel, stride=stride, padding=op_padding)
    window = kernel[0] * kernel[1]
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor must be not zero")
        divisor = np.full(out_hw, divisor_override)
    else:
        rows, columns = (_average_divisors(n, o, k, s, p, count_include_pad)
                         for n, o, k, s, p in zip(sizes, out_hw, kernel, stride, padding))
        divisor = np.outer(rows, columns)
    if (divisor != window).any():  # the op divided each sum by KH KW
        out = out * Tensor((window / divisor).astype(out.dtype))
    return out.reshape(out.shape[1:]) if unbatched else out


def adaptive_avg_pool2d(input: Tensor, output_size: int | tuple[int | None, int | None]) -> Tensor:
    """Average pooling to a given output size, whatever the input's: output pixel (i, j) is the mean of
    rows floor(i H / OH) to ceil((i + 1) H / OH) - 1 and the matching columns (torch's windows).

    ``output_size`` is OH = OW, or (OH, OW) where None keeps that input size; (1, 1) is global average
    pooling. Shape: (N, C, H, W) or (C, H, W) -> (N, C, OH, OW).
    """
    input, unbatched = _batched("adaptive_avg_pool2d", input, 4)
    height, width = input.shape[-2:]
    sizes = conv_ops.pair(output_size)
    out_h, out_w = (height if sizes[0] is None else sizes[0]), (width if sizes[1] is None else sizes[1])
    if out_h < 1 or out_w < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {output_size!r}")
    if (out_h, out_w) == (1, 1):
        out = input.mean((2, 3), keepdim=True)
    elif height % out_h == 0 and width % out_w == 0:  # windows tile the input
        n, c = input.shape[:2]
        out = input.reshape(n, c, out_h, height // out_h, out_w, width // out_w).mean((3, 5))
    else:  # windows of different sizes, which may overlap: a matrix that averages each one, per axis
        out = input @ Tensor(_adaptive_average_matrix(width, out_w).T.astype(input.dtype))
        out = (out.transpose(2, 3) @ Tensor(_adaptive_average_matrix(height, out_h).T.astype(input.dtype)))
        out = out.transpose(2, 3)
    return out.reshape(out.shape[1:]) if unbatched else out


def _adaptive_average_matrix(size, out):
    """(out, size) matrix whose row i averages positions floor(i size / out) .. ceil((i + 1) size / out) - 1."""
    matrix = np.zeros((out, size))
    for i in range(out):
        start, end = (i * size) // out, -(-(i + 1) * size // out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Constant padding; ``pad`` = (left, right, top, bottom, ...) starting from the last dim, ``value``
    (default 0) the number put there. torch's other modes (reflect, replicate, circular) are not part
    of the course's engine."""
    if mode != "constant":
        raise NotImplementedError(f"pad(mode={mode!r}) is not part of the course's engine: it pads with a constant")
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return conv_ops.Pad.apply(input, widths=tuple(widths), value=0.0 if value is None else value)


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


def embedding(input: Tensor | np.ndarray, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer indices in ``input``; shape input.shape + (D,).

    The row ``padding_idx`` (negative counts from the end) is returned as it is but gets no gradient:
    a padding token's vector stays what it was. torch's ``max_norm``, ``scale_grad_by_freq`` and
    ``sparse`` gradients are not part of the course's engine (an error says so).
    """
    index = np.asarray(unwrap(input))
    if not np.issubdtype(index.dtype, np.integer):
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}")
    if index.size and (index.min() < 0 or index.max() >= weight.shape[0]):
        raise IndexError(f"embedding: index {index.max()} out of range for {weight.shape[0]} embeddings")
    for name, value, default in (("max_norm", max_norm, None), ("scale_grad_by_freq", scale_grad_by_freq, False),
                                 ("sparse", sparse, False)):
        if value != default:
            raise NotImplementedError(f"embedding({name}={value!r}) (torch.nn.functional.embedding) is not part of "
                                      "the course's engine")
    rows = weight[index]
    if padding_idx is None:
        return rows
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    keep = (index != padding_idx)[..., None]
    return rows if keep.all() else where(keep, rows, rows.detach())


def _padding_index(padding_idx: int, num_embeddings: int) -> int:
    """``padding_idx`` checked and made non-negative (-1 is the last row), as torch does."""
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx {padding_idx} must be within num_embeddings ({num_embeddings})")
    return padding_idx % num_embeddings


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

