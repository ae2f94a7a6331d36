"""Functional convolution, pooling, upsampling, padding, batch norm and embedding."""

import numpy as np

from ..autograd import conv_ops
from ..autograd.function import no_grad
from ..autograd.tensor import Tensor, check_same_float_dtype, unwrap


def _check_4d(name, x, channels=None):
    if x.ndim != 4:
        raise ValueError(f"{name}: expected input shaped (N, C, H, W), got shape {x.shape}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name}: input has {x.shape[1]} channels (shape {x.shape}) but the weight expects {channels}")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D cross-correlation. Shape: input (N, C, H, W), weight (O, C, KH, KW) -> (N, O, OH, OW)."""
    _check_4d("conv2d", input, weight.shape[1])
    check_same_float_dtype("conv2d", input, weight, bias)
    args = (input, weight) if bias is None else (input, weight, bias)
    return conv_ops.Conv2d.apply(*args, stride=stride, padding=padding, dilation=dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution. Shape: input (N, Cin, H, W), weight (Cin, Cout, KH, KW)."""
    _check_4d("conv_transpose2d", input, weight.shape[0])
    check_same_float_dtype("conv_transpose2d", input, weight, bias)
    args = (input, weight) if bias is None else (input, weight, bias)
    return conv_ops.ConvTranspose2d.apply(*args, stride=stride, padding=padding,
                                          output_padding=output_padding, dilation=dilation)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1):
    _check_4d("max_pool2d", input)
    return conv_ops.MaxPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    _check_4d("avg_pool2d", input)
    return conv_ops.AvgPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding)


def pad(input, pad, value=0.0):
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


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
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


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
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


def embedding(input, weight):
    """Rows of ``weight`` picked by the integer indices in ``input``; shape input.shape + (D,)."""
    index = np.asarray(unwrap(input))
    if not np.issubdtype(index.dtype, np.integer):
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}")
    if index.size and (index.min() < 0 or index.max() >= weight.shape[0]):
        raise IndexError(f"embedding: index {index.max()} out of range for {weight.shape[0]} embeddings")
    return weight[index]
