"""Layers: linear, activations, dropout, normalisation, convolution, pooling, embedding."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.conv_ops import pair
from . import functional as F
from . import init
from .functional import _Size2
from .module import Module, Parameter


def _empty(*shape):
    return np.zeros(shape, dtype=np.float32)


def _pytorch_default_init(weight, bias, fan_in):
    """PyTorch's default for Linear and Conv: kaiming_uniform(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in)),
    and the bias U(+-1/sqrt(fan_in))."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Identity(Module):
    """Returns its input unchanged: a placeholder (e.g. a residual shortcut that needs no projection)."""

    def forward(self, x):
        """x itself."""
        return x


class Linear(Module):
    """y = x W^T + b.

    Args:
        in_features, out_features: sizes of each input and output sample.
        bias: learn an additive bias.
    Shape: (*, in_features) -> (*, out_features); weight is (out_features, in_features).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(_empty(out_features, in_features))
        self.bias = Parameter(_empty(out_features)) if bias else None
        _pytorch_default_init(self.weight, self.bias, in_features)

    def forward(self, x):
        """x W^T + b."""
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        """The sizes and whether there is a bias."""
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# --- activations ---------------------------------------------------------------------------------
class ReLU(Module):
    """ReLU(x) = max(x, 0), elementwise."""

    def forward(self, x):
        """max(x, 0)."""
        return x.relu()


class Sigmoid(Module):
    """sigma(x) = 1 / (1 + e^-x), elementwise (stable for every x)."""

    def forward(self, x):
        """sigma(x)."""
        return x.sigmoid()


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x):
        """tanh(x)."""
        return x.tanh()


class LeakyReLU(Module):
    """max(x, 0) + negative_slope * min(x, 0): a small slope below 0, so no unit stops learning.

    Args:
        negative_slope: the slope for x < 0.
    """

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        """max(x, 0) + negative_slope * min(x, 0)."""
        return F.leaky_relu(x, self.negative_slope)


class PReLU(Module):
    """LeakyReLU whose slope is learned (one per channel, or one shared).

    Args:
        num_parameters: 1 (one slope for every channel) or the number of channels (dimension 1).
        init: the initial slope.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25):
        super().__init__()
        self.weight = Parameter(np.full(num_parameters, init, dtype=np.float32))

    def forward(self, x):
        """max(x, 0) + a * min(x, 0) with the learned slopes a (one per channel, dimension 1)."""
        return F.prelu(x, self.weight)


class ELU(Module):
    """x for x > 0, alpha (e^x - 1) otherwise: smooth, and negative outputs pull the mean towards 0.

    Args:
        alpha: ELU tends to -alpha as x -> -inf.
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        """x for x > 0, alpha (e^x - 1) otherwise."""
        return F.elu(x, self.alpha)


class Softplus(Module):
    """(1/beta) ln(1 + e^(beta x)): a smooth ReLU (its derivative is sigmoid(beta x)).

    Args:
        beta: sharpness; large beta approaches ReLU.
        threshold: where beta x > threshold the output is x itself (ln(1 + e^t) = t to float precision).
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        """(1/beta) ln(1 + e^(beta x))."""
        return F.softplus(x, self.beta, self.threshold)


class Softmax(Module):
    """softmax(x)_i = e^(x_i) / sum_j e^(x_j) along ``dim``: positive values that sum to 1."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        """softmax(x) along ``dim``."""
        return F.softmax(x, self.dim)


class LogSoftmax(Softmax):
    """log softmax(x) along ``dim``, computed stably; pair it with :class:`NLLLoss`."""

    def forward(self, x):
        """log softmax(x) along ``dim``."""
        return F.log_softmax(x, self.dim)


class Maxout(Module):
    """Maxout unit (Goodfellow et al., 2013): the maximum of ``pieces`` affine maps.

    Args:
        in_features, out_features: sizes of each input and output sample.
        pieces: the number of affine maps each output is the maximum of.
    Shape: (N, in_features) -> (N, out_features); the linear layer has out_features * pieces outputs.
    """

    def __init__(self, in_features: int, out_features: int, pieces: int = 2):
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        self.linear = Linear(in_features, out_features * pieces)

    def forward(self, x):
        """The maximum over the ``pieces`` affine maps of each output."""
        z = self.linear(x)
        return z.reshape(z.shape[:-1] + (self.out_features, self.pieces)).max(dim=-1).values


class Flatten(Module):
    """Dimensions ``start_dim`` to ``end_dim`` merged into one; the default keeps the batch dimension.

    Shape: (N, d1, d2, ...) -> (N, d1 * d2 * ...).
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        """x flattened from ``start_dim`` to ``end_dim``."""
        return x.flatten(self.start_dim, self.end_dim)


class Dropout(Module):
    """Zero activations with probability p while training (inverted dropout); identity in eval.

    The kept ones are scaled by 1/(1-p), so the expected activation is the same in both modes.
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        """x with dropout applied while training; x itself in evaluation mode."""
        return F.dropout(x, self.p, self.training)








# --- convolution and pooling ---------------------------------------------------------------------------
class Conv2d(Module):
    """2-D convolution (cross-correlation) with stride, zero padding and dilation.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, padding, dilation: one number, or (height, width).
        bias: learn one additive bias per output channel.
    Shape: (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = floor((H + 2 padding - dilation (kernel - 1) - 1) / stride) + 1;
    weight (out_channels, in_channels, KH, KW).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _Size2, stride: _Size2 = 1,
                 padding: _Size2 = 0, dilation: _Size2 = 1, bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = pair(kernel_size), stride
        self.padding, self.dilation = padding, dilation
        self.weight = Parameter(_empty(out_channels, in_channels, *self.kernel_size))
        self.bias = Parameter(_empty(out_channels)) if bias else None
        _pytorch_default_init(self.weight, self.bias, in_channels * int(np.prod(self.kernel_size)))

    def forward(self, x):
        """The convolution of x (N, in_channels, H, W) with the weight, plus the bias."""
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        """The channels, kernel size, stride, padding and dilation."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}")


class ConvTranspose2d(Module):
    """Transposed convolution (learned upsampling). Weight shape (in_channels, out_channels, KH, KW).

    Args:
        in_channels, out_channels, kernel_size, stride, dilation, bias: as for :class:`Conv2d`.
        padding: removed from each side of the output (undoes a convolution's padding).
        output_padding: added to one side of the output, to pick among the sizes a strided
            convolution maps to the same size.
    Shape: (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = (H - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _Size2, stride: _Size2 = 1,
                 padding: _Size2 = 0, output_padding: _Size2 = 0, bias: bool = True, dilation: _Size2 = 1):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size)
        self.stride, self.padding, self.output_padding, self.dilation = stride, padding, output_padding, dilation
        self.weight = Parameter(_empty(in_channels, out_channels, *self.kernel_size))
        self.bias = Parameter(_empty(out_channels)) if bias else None
        _pytorch_default_init(self.weight, self.bias, out_channels * int(np.prod(self.kernel_size)))

    def forward(self, x):
        """The transposed convolution of x (N, in_channels, H, W), plus the bias."""
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.dilation)


class MaxPool2d(Module):
    """The maximum of each ``kernel_size`` window (padding counts as -inf).

    Args:
        kernel_size, stride, padding, dilation: as for :class:`Conv2d`; ``stride`` defaults to
            ``kernel_size`` (windows side by side, no overlap).
    Shape: (N, C, H, W) -> (N, C, OH, OW), OH as for :class:`Conv2d`.
    """

    def __init__(self, kernel_size: _Size2, stride: _Size2 | None = None, padding: _Size2 = 0,
                 dilation: _Size2 = 1):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation

    def forward(self, x):
        """The maximum of each window."""
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)


class AvgPool2d(Module):
    """The mean of each ``kernel_size`` window (padding counts as zeros, torch's ``count_include_pad=True``).

    Args:
        kernel_size, stride, padding: as for :class:`MaxPool2d`; ``stride`` defaults to ``kernel_size``.
    Shape: (N, C, H, W) -> (N, C, OH, OW).
    """

    def __init__(self, kernel_size: _Size2, stride: _Size2 | None = None, padding: _Size2 = 0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        """The mean of each window."""
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class Upsample(Module):
    """Upsampling by ``scale_factor`` or to ``size``: mode 'nearest' or 'bilinear' (align_corners=False).

    Shape: (N, C, H, W) -> (N, C, OH, OW), OH = ``size`` or floor(H scale_factor).
    """

    def __init__(self, size: int | tuple[int, int] | None = None,
                 scale_factor: float | tuple[float, float] | None = None, mode: str = "nearest",
                 align_corners: bool | None = None):
        super().__init__()
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x):
        """x (N, C, H, W) resized as :func:`~dlcourse.nn.functional.interpolate` does it."""
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)


class Embedding(Module):
    """A lookup table: index i -> row i of ``weight`` (num_embeddings, embedding_dim), init N(0, 1)."""

    def __init__(self, num_embeddings: int, embedding_dim: int):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(_empty(num_embeddings, embedding_dim))
        init.normal_(self.weight)

    def forward(self, input):
        """The rows of ``weight`` for the integer indices in ``input``: shape input.shape + (embedding_dim,)."""
        return F.embedding(input, self.weight)
