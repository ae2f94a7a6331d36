"""Convolution and pooling as fused ops.

Fused for speed: a convolution built from primitive ops would create one graph node per kernel
position. ``im2col`` copies every receptive field into a column, so a convolution is one matrix
product; ``col2im`` adds gradients back. Pooling loops over the kernel offsets, each step one
vectorised pass over the whole output.

Memory layout. Arrays have torch's shape (N, C, H, W), but these ops store them batch-last: the
memory is ordered (C, H, W, N), so ``x.transpose(1, 2, 3, 0)`` is contiguous (the layout of
cuda-convnet). Every step above reads a shifted window ``x[:, :, i:i + OH, j:j + OW]``; batch-last,
that window is a few long runs of OW * N values in a row, where (N, C, H, W) order would give
N * C * OH short rows of OW values. On small images NumPy's cost per row, not the arithmetic, is
what dominates, so this layout makes the ops several times faster. Inputs may have any layout (a
convolution copies its input once anyway, to pad it); outputs are batch-last views shaped
(N, C, H, W), which every NumPy operation accepts.
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


def _batch_last(x, padding=(0, 0), value=0.0):
    """x (N, C, H, W) as a contiguous (C, H + 2 PH, W + 2 PW, N) array, padded with ``value``
    (``padding`` is (PH, PW)); no copy when x is already batch-last and needs no padding."""
    ph, pw = padding
    x = x.transpose(1, 2, 3, 0)
    if ph or pw:
        return np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=value)
    return np.ascontiguousarray(x)


def _batch_first(x):
    """The (N, C, H, W) view of a batch-last (C, H, W, N) array (no copy)."""
    return x.transpose(3, 0, 1, 2)


def _unpad(x, padding):
    """The inverse of :func:`_batch_last`'s padding: the centre of a batch-last x (a view)."""
    ph, pw = padding
    return x[:, ph: x.shape[1] - ph, pw: x.shape[2] - pw]


def _kernel_offsets(kernel, padded_hw, stride, dilation, out_hw=None):
    """(OH, OW) and, for every kernel offset (i, j) in row-major order, the rows and columns of the
    padded input that it reads: ``x[:, rows, columns]`` of a batch-last x is (C, OH, OW, N), one
    value per window. ``out_hw`` keeps only the first OH x OW windows (the transposed
    convolution's output padding)."""
    (kh, kw), (h, w), (dh, dw) = kernel, padded_hw, dilation
    if h < dh * (kh - 1) + 1 or w < dw * (kw - 1) + 1:
        raise ValueError(f"kernel {tuple(kernel)} (dilation {dilation}) is larger than the padded input {h}x{w}")
    if out_hw is None:
        out_hw = (conv_output_size(h, kh, stride[0], 0, dh), conv_output_size(w, kw, stride[1], 0, dw))
    return tuple(out_hw), [_offset_slices(i, j, out_hw, stride, dilation) for i in range(kh) for j in range(kw)]


def _offset_slices(i, j, out_hw, stride, dilation):
    """Rows and columns of the padded input that kernel offset (i, j) reads, one per output pixel."""
    (oh, ow), (sh, sw), (dh, dw) = out_hw, stride, dilation
    return slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)


def im2col(x, kernel, stride, dilation, out_hw=None):
    """Columns (C*KH*KW, OH*OW*N) of a padded batch-last x (C, H, W, N): row (c, i, j) holds, for
    every output pixel of every image, the input value that kernel offset (i, j) of channel c
    meets. Built with one copy per kernel offset. Returns the columns and (OH, OW)."""
    c, h, w, n = x.shape
    out_hw, offsets = _kernel_offsets(kernel, (h, w), stride, dilation, out_hw)
    cols = np.empty((c, len(offsets)) + out_hw + (n,), dtype=x.dtype)
    for k, (rows, columns) in enumerate(offsets):
        cols[:, k] = x[:, rows, columns]
    return cols.reshape(c * len(offsets), -1), out_hw


def col2im(cols, shape, kernel, out_hw, stride, padding, dilation):
    """The adjoint of ``im2col(_batch_last(x, padding), ...)``: add every column entry back onto the
    pixel of the batch-last x (C, H, W, N) = ``shape`` it came from (what fell on the padding is dropped)."""
    c, h, w, n = shape
    ph, pw = padding
    out = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
    out_hw, offsets = _kernel_offsets(kernel, out.shape[1:3], stride, dilation, out_hw)
    cols = cols.reshape((c, len(offsets)) + out_hw + (n,))
    for k, (rows, columns) in enumerate(offsets):
        out[:, rows, columns] += cols[:, k]
    return _unpad(out, padding)


class Conv2d(Function):
    """y[n,o] = b[o] + sum_{c,i,j} w[o,c,i,j] x[n, c, s*h + d*i - p, s*w + d*j - p].

    As matrices: Y = W X_cols (+ b), so dL/dW = G X_cols^T and dL/dX = col2im(W^T G).
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=1, padding=0, dilation=1):
        """y (N, O, OH, OW) from x (N, C, H, W) and weight (O, C, KH, KW): one matrix product with im2col's columns."""
        o = weight.shape[0]
        stride, padding, dilation = ctx.conf = (pair(stride), pair(padding), pair(dilation))
        padded = _batch_last(x, padding)
        cols, out_hw = im2col(padded, weight.shape[2:], stride, dilation)
        out = weight.reshape(o, -1) @ cols  # (O, OH*OW*N): all images in one product
        if bias is not None:
            out += bias[:, None]
        # keeps the padded input, not its columns (9 times larger for a 3x3 kernel): backward builds
        # them again, which costs less than holding them (fresh memory is slow: page faults)
        ctx.save_for_backward(padded, weight)
        ctx.x_shape, ctx.has_bias = x.shape, bias is not None
        return _batch_first(out.reshape((o,) + out_hw + (x.shape[0],)))

    @staticmethod
    def backward(ctx, grad):
        """(dL/dx, dL/dW[, dL/db]); dL/dx is skipped when x needs no gradient."""
        padded, weight = ctx.saved_tensors
        o, kernel, (stride, _, dilation) = weight.shape[0], weight.shape[2:], ctx.conf
        g = _batch_last(grad).reshape(o, -1)  # (O, OH*OW*N), like the forward's product
        grad_x = None
        if ctx.needs_input_grad[0]:  # skipped for a network's first layer
            n, c, h, w = ctx.x_shape
            grad_cols = weight.reshape(o, -1).T @ g
            grad_x = _batch_first(col2im(grad_cols, (c, h, w, n), kernel, grad.shape[2:], *ctx.conf))
            del grad_cols  # freed before the columns are built: the two never hold memory at once
        cols, _ = im2col(padded, kernel, stride, dilation)
        grad_weight = (g @ cols.T).reshape(weight.shape)
        return (grad_x, grad_weight, g.sum(axis=1)) if ctx.has_bias else (grad_x, grad_weight)


class ConvTranspose2d(Function):
    """The adjoint of Conv2d: every input pixel adds ``weight`` (Cin, Cout, KH, KW) times its value
    into a window of the (larger) output.  Y = col2im(W^T X),  dL/dX = W im2col(G),  dL/dW = X im2col(G)^T."""

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
        """y (N, Cout, OH, OW) from x (N, Cin, H, W) and weight (Cin, Cout, KH, KW)."""
        cin, cout, kh, kw = weight.shape
        n, _, h, w = x.shape
        (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(pair, (stride, padding, output_padding, dilation))
        out_shape = (cout, (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1,
                     (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1, n)
        ctx.conf = ((sh, sw), (ph, pw), (dh, dw))
        x2 = _batch_last(x).reshape(cin, -1)  # (Cin, H*W*N)
        out = col2im(weight.reshape(cin, -1).T @ x2, out_shape, (kh, kw), (h, w), *ctx.conf)
        if bias is not None:
            out += bias.reshape(-1, 1, 1, 1)
        ctx.save_for_backward(x2, weight)
        ctx.x_shape, ctx.has_bias = x.shape, bias is not None
        return _batch_first(out)

    @staticmethod
    def backward(ctx, grad):
        """(dL/dx, dL/dW[, dL/db]): g is convolved with the weight for dL/dx, correlated with x for dL/dW."""
        x2, weight = ctx.saved_tensors
        cin = weight.shape[0]
        n, _, h, w = ctx.x_shape
        stride, padding, dilation = ctx.conf
        grad_cols, _ = im2col(_batch_last(grad, padding), weight.shape[2:], stride, dilation, out_hw=(h, w))
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = _batch_first((weight.reshape(cin, -1) @ grad_cols).reshape(cin, h, w, n))
        grad_weight = (x2 @ grad_cols.T).reshape(weight.shape)
        grads = (grad_x, grad_weight)
        return grads + (grad.sum(axis=(0, 2, 3)),) if ctx.has_bias else grads


class MaxPool2d(Function):
    """y = max over each window.   dL/dx = dL/dy at the (first) maximum of each window, 0 elsewhere.

    Both passes loop over the KH*KW kernel offsets, each step one vectorised pass over the whole
    output: much faster than an argmax over many tiny windows.
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation):
        """The maximum of each window (padding counts as -inf)."""
        ctx.padding = pair(padding)
        padded = _batch_last(x, ctx.padding, -np.inf)
        _, ctx.offsets = _kernel_offsets(pair(kernel_size), padded.shape[1:3], pair(stride or kernel_size),
                                        pair(dilation))
        (rows, columns), *others = ctx.offsets
        best = padded[:, rows, columns].copy()
        for rows, columns in others:
            np.maximum(best, padded[:, rows, columns], out=best)
        ctx.padded, ctx.best = padded, best
        return _batch_first(best)

    @staticmethod
    def backward(ctx, grad):
        """g at each window's first maximum in row-major order, as in PyTorch (overlapping windows add up)."""
        padded, best = ctx.padded, ctx.best
        g = _batch_last(grad)
        grad_padded = np.zeros(padded.shape, dtype=g.dtype)
        unclaimed = np.ones(best.shape, dtype=bool)  # windows whose maximum no earlier offset held
        finite = np.isfinite(g).all()
        for rows, columns in ctx.offsets:
            first = (padded[:, rows, columns] == best) & unclaimed
            unclaimed ^= first
            # g * first, not np.where(first, g, 0): a product has no branch to mispredict on a
            # random mask, so it is several times faster; np.where only where inf * 0 would give NaN
            grad_padded[:, rows, columns] += g * first if finite else np.where(first, g, 0)
        return _batch_first(_unpad(grad_padded, ctx.padding))


class AvgPool2d(Function):
    """y = mean over each window (padding counts as zeros).   dL/dx = dL/dy / (KH KW) over each window."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding):
        """The mean of each window: the sum over the kernel offsets, divided by KH KW."""
        ctx.padding = pair(padding)
        padded = _batch_last(x, ctx.padding)
        _, ctx.offsets = _kernel_offsets(pair(kernel_size), padded.shape[1:3], pair(stride or kernel_size), (1, 1))
        (rows, columns), *others = ctx.offsets
        total = padded[:, rows, columns].copy()
        for rows, columns in others:
            total += padded[:, rows, columns]
        ctx.padded_shape = padded.shape
        return _batch_first(total / len(ctx.offsets))

    @staticmethod
    def backward(ctx, grad):
        """g / (KH KW) added to every position of each window (overlapping windows add up)."""
        share = _batch_last(grad) / len(ctx.offsets)
        grad_padded = np.zeros(ctx.padded_shape, dtype=share.dtype)
        for rows, columns in ctx.offsets:
            grad_padded[:, rows, columns] += share
        return _batch_first(_unpad(grad_padded, ctx.padding))


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
