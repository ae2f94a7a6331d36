"""Layers: linear, activations, dropout, normalisation, convolution, pooling, embedding."""

import math

import numpy as np

from ..autograd.conv_ops import pair
from . import functional as F
from . import init
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
    def forward(self, x):
        return x


class Linear(Module):
    """y = x W^T + b.

    Args:
        in_features, out_features: sizes of each input and output sample.
        bias: learn an additive bias.
    Shape: (*, in_features) -> (*, out_features); weight is (out_features, in_features).
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(_empty(out_features, in_features))
        self.bias = Parameter(_empty(out_features)) if bias else None
        _pytorch_default_init(self.weight, self.bias, in_features)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# --- activations ---------------------------------------------------------------------------------
class ReLU(Module):
    def forward(self, x):
        return x.relu()


class Sigmoid(Module):
    def forward(self, x):
        return x.sigmoid()


class Tanh(Module):
    def forward(self, x):
        return x.tanh()


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)


class PReLU(Module):
    """LeakyReLU whose slope is learned (one per channel, or one shared)."""

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.weight = Parameter(np.full(num_parameters, init, dtype=np.float32))

    def forward(self, x):
        return F.prelu(x, self.weight)


class ELU(Module):
    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)


class Softmax(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)


class LogSoftmax(Softmax):
    def forward(self, x):
        return F.log_softmax(x, self.dim)


class Maxout(Module):
    """Maxout unit (Goodfellow et al., 2013): the maximum of ``pieces`` affine maps.

    Shape: (N, in_features) -> (N, out_features); the linear layer has out_features * pieces outputs.
    """

    def __init__(self, in_features, out_features, pieces=2):
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        self.linear = Linear(in_features, out_features * pieces)

    def forward(self, x):
        z = self.linear(x)
        return z.reshape(z.shape[:-1] + (self.out_features, self.pieces)).max(dim=-1).values


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)


class Dropout(Module):
    """Zero activations with probability p while training (inverted dropout); identity in eval."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)








# --- convolution and pooling ---------------------------------------------------------------------------
class Conv2d(Module):
    """2-D convolution (cross-correlation) with stride, zero padding and dilation.

    Shape: (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = floor((H + 2 padding - dilation (kernel - 1) - 1) / stride) + 1.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = pair(kernel_size), stride
        self.padding, self.dilation = padding, dilation
        self.weight = Parameter(_empty(out_channels, in_channels, *self.kernel_size))
        self.bias = Parameter(_empty(out_channels)) if bias else None
        _pytorch_default_init(self.weight, self.bias, in_channels * int(np.prod(self.kernel_size)))

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}")


class ConvTranspose2d(Module):
    """Transposed convolution (learned upsampling). Weight shape (in_channels, out_channels, KH, KW).

    OH = (H - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 bias=True, dilation=1):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size)
        self.stride, self.padding, self.output_padding, self.dilation = stride, padding, output_padding, dilation
        self.weight = Parameter(_empty(in_channels, out_channels, *self.kernel_size))
        self.bias = Parameter(_empty(out_channels)) if bias else None
        _pytorch_default_init(self.weight, self.bias, out_channels * int(np.prod(self.kernel_size)))

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.dilation)


class MaxPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)


class AvgPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class Upsample(Module):
    """Upsampling by ``scale_factor`` or to ``size``: mode 'nearest' or 'bilinear' (align_corners=False)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None):
        super().__init__()
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x):
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)


class Embedding(Module):
    """A lookup table: index i -> row i of ``weight`` (num_embeddings, embedding_dim), init N(0, 1)."""

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(_empty(num_embeddings, embedding_dim))
        init.normal_(self.weight)

    def forward(self, input):
        return F.embedding(input, self.weight)
