"""Convolution and pooling as fused ops.

Fused for speed: a convolution built from primitive ops would create one graph node per kernel
position. ``im2col`` copies every receptive field into a column, so a convolution is one matrix
product; ``col2im`` adds gradients back. Pooling uses ``windows``, a strided view of every
receptive field, and ``scatter_windows`` for its gradient.
"""

import numpy as np

from .function import Function


def pair(v) -> tuple:
    """A size given as one number or as (height, width): always (height, width)."""
    return tuple(v) if isinstance(v, tuple | list) else (v, v)


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis.

    ``floor((size + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1``: the padded input
    has ``size + 2 padding`` positions, a dilated kernel spans ``dilation (kernel_size - 1) + 1`` of
    them, and the kernel moves ``stride`` positions at a time.
    """
    span = dilation * (kernel_size - 1) + 1
    if size + 2 * padding < span:
        raise ValueError(f"a kernel spanning {span} positions does not fit an input of {size} padded by {padding}")
    return (size + 2 * padding - span) // stride + 1



def windows(x, kernel, stride, padding, dilation, pad_value=0.0):
    """View (N, C, OH, OW, KH, KW) of every receptive field of x (N, C, H, W); no copy if unpadded."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    n, c, h, w = x.shape
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    if oh <= 0 or ow <= 0:
        raise ValueError(f"kernel {kernel} (dilation {dilation}) is larger than the padded input {h}x{w}")
    s = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, c, oh, ow, kh, kw), (s[0], s[1], s[2] * sh, s[3] * sw, s[2] * dh, s[3] * dw), writeable=False)


def scatter_windows(cols, shape, stride, padding, dilation):
    """col2im: add (N, C, OH, OW, KH, KW) window values back into an (N, C, H, W) array."""
    n, c, oh, ow, kh, kw = cols.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    if (sh, sw) == (kh, kw) and (dh, dw) == (1, 1) and not ph and not pw:
        # windows tile the input without overlap: one reshaped copy instead of KH*KW additions
        out = np.zeros(shape, dtype=cols.dtype)
        out[:, :, :oh * kh, :ow * kw] = cols.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh * kh, ow * kw)
        return out
    out = np.zeros((n, c, shape[2] + 2 * ph, shape[3] + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _offset_slices(i, j, (oh, ow), stride, dilation)
            out[:, :, rows, columns] += cols[:, :, :, :, i, j]
    return out[:, :, ph: ph + shape[2], pw: pw + shape[3]]


def _offset_slices(i, j, out_hw, stride, dilation):
    """Rows and columns of the padded input that kernel offset (i, j) reads, one per output pixel."""
    (oh, ow), (sh, sw), (dh, dw) = out_hw, stride, dilation
    return slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)


def im2col(x, kernel, stride, padding, dilation, out_hw=None):
    """Columns (C*KH*KW, N*OH*OW) of x (N, C, H, W): row (c, i, j) holds, for every output pixel,
    the input value that kernel offset (i, j) of channel c meets. Built with one contiguous copy
    per kernel offset. Returns the columns and (OH, OW)."""
    (kh, kw), (ph, pw) = kernel, padding
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, w = x.shape
    if h < dilation[0] * (kh - 1) + 1 or w < dilation[1] * (kw - 1) + 1:
        raise ValueError(f"kernel {kernel} (dilation {dilation}) is larger than the padded input {h}x{w}")
    if out_hw is None:
        out_hw = tuple(conv_output_size(size, k, s, 0, d) for size, k, s, d in zip((h, w), kernel, stride, dilation))
    cols = np.empty((c, kh, kw, n) + tuple(out_hw), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _offset_slices(i, j, out_hw, stride, dilation)
            cols[:, i, j] = x[:, :, rows, columns].transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, -1), out_hw


def col2im(cols, x_shape, kernel, out_hw, stride, padding, dilation):
    """The adjoint of :func:`im2col`: add every column entry back onto the input pixel it came from."""
    n, c, h, w = x_shape
    (kh, kw), (ph, pw) = kernel, padding
    cols = cols.reshape((c, kh, kw, n) + tuple(out_hw))
    out = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _offset_slices(i, j, out_hw, stride, dilation)
            out[:, :, rows, columns] += cols[:, i, j]
    return out[:, :, ph: ph + h, pw: pw + w].transpose(1, 0, 2, 3)


class Conv2d(Function):
    """y[n,o] = b[o] + sum_{c,i,j} w[o,c,i,j] x[n, c, s*h + d*i - p, s*w + d*j - p].

    As matrices: Y = W X_cols (+ b), so dL/dW = G X_cols^T and dL/dX = col2im(W^T G).
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=1, padding=0, dilation=1):
        """y (N, O, OH, OW) from x (N, C, H, W) and weight (O, C, KH, KW): one matrix product with im2col's columns."""
        o = weight.shape[0]
        ctx.conf = (pair(stride), pair(padding), pair(dilation))
        cols, out_hw = im2col(x, weight.shape[2:], *ctx.conf)
        out = weight.reshape(o, -1) @ cols
        if bias is not None:
            out += bias[:, None]
        ctx.save_for_backward(cols, weight)
        ctx.x_shape, ctx.out_hw, ctx.has_bias = x.shape, out_hw, bias is not None
        return out.reshape((o, x.shape[0]) + out_hw).transpose(1, 0, 2, 3)

    @staticmethod
    def backward(ctx, grad):
        """(dL/dx, dL/dW[, dL/db]); dL/dx is skipped when x needs no gradient."""
        cols, weight = ctx.saved_tensors
        o = weight.shape[0]
        g2 = grad.transpose(1, 0, 2, 3).reshape(o, -1)
        grad_weight = (g2 @ cols.T).reshape(weight.shape)
        grad_x = None
        if ctx.needs_input_grad[0]:  # skipped for a network's first layer
            grad_x = col2im(weight.reshape(o, -1).T @ g2, ctx.x_shape, weight.shape[2:], ctx.out_hw, *ctx.conf)
        return (grad_x, grad_weight, g2.sum(axis=1)) if ctx.has_bias else (grad_x, grad_weight)


class ConvTranspose2d(Function):
    """The adjoint of Conv2d: every input pixel adds ``weight`` (Cin, Cout, KH, KW) times its value
    into a window of the (larger) output.  Y = col2im(W^T X),  dL/dX = W im2col(G),  dL/dW = X im2col(G)^T."""

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
        """y (N, Cout, OH, OW) from x (N, Cin, H, W) and weight (Cin, Cout, KH, KW)."""
        cin, cout, kh, kw = weight.shape
        n, _, h, w = x.shape
        (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(pair, (stride, padding, output_padding, dilation))
        out_shape = (n, cout, (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1,
                     (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1)
        ctx.conf = ((sh, sw), (ph, pw), (dh, dw))
        x2 = x.transpose(1, 0, 2, 3).reshape(cin, -1)
        out = col2im(weight.reshape(cin, -1).T @ x2, out_shape, (kh, kw), (h, w), *ctx.conf)
        if bias is not None:
            out = out + bias.reshape(1, -1, 1, 1)
        ctx.save_for_backward(x2, weight)
        ctx.x_shape, ctx.has_bias = x.shape, bias is not None
        return out

    @staticmethod
    def backward(ctx, grad):
        """(dL/dx, dL/dW[, dL/db]): g is convolved with the weight for dL/dx, correlated with x for dL/dW."""
        x2, weight = ctx.saved_tensors
        cin = weight.shape[0]
        n, _, h, w = ctx.x_shape
        grad_cols, _ = im2col(grad, weight.shape[2:], *ctx.conf, out_hw=(h, w))
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = (weight.reshape(cin, -1) @ grad_cols).reshape(cin, n, h, w).transpose(1, 0, 2, 3)
        grad_weight = (x2 @ grad_cols.T).reshape(weight.shape)
        grads = (grad_x, grad_weight)
        return grads + (grad.sum(axis=(0, 2, 3)),) if ctx.has_bias else grads


class MaxPool2d(Function):
    """y = max over each window.   dL/dx = dL/dy at the (first) maximum of each window, 0 elsewhere.

    Both passes loop over the KH*KW kernel offsets (each step is one vectorised pass over the
    output), which is much faster than an argmax over tiny windows.
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation):
        """The maximum of each window; remembers which kernel offset held it."""
        kernel = pair(kernel_size)
        ctx.conf = (pair(stride or kernel_size), pair(padding), pair(dilation))
        win = windows(x, kernel, *ctx.conf, pad_value=-np.inf)
        best = win[:, :, :, :, 0, 0].copy()
        where = np.zeros(best.shape, dtype=np.int32)  # which kernel offset holds the maximum
        for k in range(1, kernel[0] * kernel[1]):
            candidate = win[:, :, :, :, k // kernel[1], k % kernel[1]]
            larger = candidate > best  # strict: ties keep the first maximum, as in PyTorch
            np.copyto(best, candidate, where=larger)
            np.copyto(where, k, where=larger)
        ctx.where, ctx.win_shape, ctx.x_shape = where, win.shape, x.shape
        return best

    @staticmethod
    def backward(ctx, grad):
        """g placed at each window's maximum (overlapping windows add up)."""
        kh, kw = ctx.win_shape[4:]
        cols = np.zeros(ctx.win_shape, dtype=grad.dtype)
        for k in range(kh * kw):
            np.copyto(cols[:, :, :, :, k // kw, k % kw], grad, where=ctx.where == k)
        return scatter_windows(cols, ctx.x_shape, *ctx.conf)


class AvgPool2d(Function):
    """y = mean over each window (padding counts as zeros).   dL/dx = dL/dy / (KH KW) over each window."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding):
        """The mean of each window."""
        kernel = pair(kernel_size)
        ctx.conf = (pair(stride or kernel_size), pair(padding), (1, 1))
        win = windows(x, kernel, *ctx.conf)
        ctx.win_shape, ctx.x_shape = win.shape, x.shape
        return win.mean(axis=(4, 5))

    @staticmethod
    def backward(ctx, grad):
        """g / (KH KW) spread over each window (overlapping windows add up)."""
        kh, kw = ctx.win_shape[4:]
        cols = np.broadcast_to((grad / (kh * kw))[..., None, None], ctx.win_shape)
        return scatter_windows(cols, ctx.x_shape, *ctx.conf)


class Pad(Function):
    """y = x surrounded by a constant.   dL/dx = the centre of dL/dy."""

    @staticmethod
    def forward(ctx, x, widths, value):
        """x padded with ``value``; ``widths`` holds (before, after) per axis."""
        ctx.centre = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return np.pad(x, widths, constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        """The centre of g: the part that came from x."""
        return grad[ctx.centre]
