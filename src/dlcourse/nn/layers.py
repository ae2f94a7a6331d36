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
# ``inplace`` is accepted where torch takes it; the engine computes out of place (see
# :mod:`dlcourse.nn.functional`): the output is torch's, and the input tensor is left unchanged.
class ReLU(Module):
    """ReLU(x) = max(x, 0), elementwise.

    Args:
        inplace: accepted for torch's signature; computed out of place (the input is left unchanged).
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        """max(x, 0)."""
        return F.relu(x)

    def extra_repr(self):
        """``inplace=True`` when set."""
        return "inplace=True" if self.inplace else ""


class GELU(Module):
    """GELU(x) = x Phi(x), Phi the standard normal CDF: a smooth ReLU (BERT, GPT, ViT).

    Args:
        approximate: 'none' (the exact form, with erf) or 'tanh' (GPT-2's approximation).
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        """x Phi(x)."""
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self):
        """The approximation."""
        return f"approximate={self.approximate!r}"


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
        inplace: accepted for torch's signature; computed out of place (the input is left unchanged).
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        """max(x, 0) + negative_slope * min(x, 0)."""
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        """The slope, and ``inplace=True`` when set."""
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


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
        inplace: accepted for torch's signature; computed out of place (the input is left unchanged).
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def extra_repr(self):
        """alpha, and ``inplace=True`` when set."""
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")

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

    Args:
        p: the probability of zeroing each element.
        inplace: accepted for torch's signature; computed out of place (the input is left unchanged).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, x):
        """x with dropout applied while training; x itself in evaluation mode."""
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        """p, and whether ``inplace`` was asked for."""
        return f"p={self.p}, inplace={self.inplace}"








# --- convolution and pooling ---------------------------------------------------------------------------
def _conv_checks(name, in_channels, out_channels, stride, padding, groups, padding_mode):
    """torch's checks of a convolution's settings, made when the layer is built."""
    if groups < 1 or in_channels % groups:
        raise ValueError(f"{name}: in_channels must be divisible by groups, got {in_channels} and {groups}")
    if out_channels % groups:
        raise ValueError(f"{name}: out_channels must be divisible by groups, got {out_channels} and {groups}")
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
        if padding == "same" and any(s != 1 for s in np.atleast_1d(stride)):
            raise ValueError("padding='same' is not supported for strided convolutions")
    if padding_mode != "zeros":
        raise NotImplementedError(f"{name}(padding_mode={padding_mode!r}) is not part of the course's engine: it pads "
                                  "with zeros only ('zeros'); pad the input with another rule first")


class Conv2d(Module):
    """2-D convolution (cross-correlation) with stride, zero padding, dilation and groups.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, padding, dilation: one number, or (height, width); ``padding`` may also
            be 'valid' (none) or 'same' (the output as large as the input; stride 1 only).
        groups: split the channels into this many groups, each convolved with its own filters
            (``groups=in_channels``: a depthwise convolution); both channel counts must divide by it.
        bias: learn one additive bias per output channel.
        padding_mode: 'zeros' (torch's other modes are not part of the course's engine).
    Shape: (N, in_channels, H, W) or (in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = floor((H + 2 padding - dilation (kernel - 1) - 1) / stride) + 1;
    weight (out_channels, in_channels / groups, KH, KW).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _Size2, stride: _Size2 = 1,
                 padding: _Size2 | str = 0, dilation: _Size2 = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros"):
        super().__init__()
        _conv_checks("Conv2d", in_channels, out_channels, stride, padding, groups, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = pair(kernel_size), stride
        self.padding, self.dilation, self.groups, self.padding_mode = padding, dilation, groups, padding_mode
        self.weight = Parameter(_empty(out_channels, in_channels // groups, *self.kernel_size))
        self.bias = Parameter(_empty(out_channels)) if bias else None
        _pytorch_default_init(self.weight, self.bias, in_channels // groups * int(np.prod(self.kernel_size)))

    def forward(self, x):
        """The convolution of x (N, in_channels, H, W) with the weight, plus the bias."""
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        """The channels, kernel size, stride, padding, dilation and groups (when not 1)."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}"
                + (f", groups={self.groups}" if self.groups != 1 else ""))


class Conv1d(Module):
    """1-D convolution (cross-correlation) over a sequence of feature vectors, e.g. audio or text.

    Args: as :class:`Conv2d`, each size one number (or a 1-tuple).
    Shape: (N, in_channels, L) or (in_channels, L) -> (N, out_channels, L_out),
    L_out = floor((L + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1;
    weight (out_channels, in_channels / groups, kernel_size).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int], stride: int | tuple[int] = 1,
                 padding: int | tuple[int] | str = 0, dilation: int | tuple[int] = 1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros"):
        super().__init__()
        _conv_checks("Conv1d", in_channels, out_channels, stride, padding, groups, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = tuple(kernel_size) if isinstance(kernel_size, tuple | list) else (kernel_size,)
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.padding_mode = padding_mode
        self.weight = Parameter(_empty(out_channels, in_channels // groups, *self.kernel_size))
        self.bias = Parameter(_empty(out_channels)) if bias else None
        _pytorch_default_init(self.weight, self.bias, in_channels // groups * self.kernel_size[0])

    def forward(self, x):
        """The convolution of x (N, in_channels, L) with the weight, plus the bias."""
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        """The channels, kernel size, stride, padding, dilation and groups (when not 1)."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}"
                + (f", groups={self.groups}" if self.groups != 1 else ""))


class ConvTranspose2d(Module):
    """Transposed convolution (learned upsampling). Weight shape (in_channels, out_channels / groups, KH, KW).

    Args:
        in_channels, out_channels, kernel_size, stride, groups, bias, dilation: as for :class:`Conv2d`.
        padding: removed from each side of the output (undoes a convolution's padding).
        output_padding: added to one side of the output, to pick among the sizes a strided
            convolution maps to the same size.
        padding_mode: 'zeros' only, as in torch.
    Shape: (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = (H - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _Size2, stride: _Size2 = 1,
                 padding: _Size2 = 0, output_padding: _Size2 = 0, groups: int = 1, bias: bool = True,
                 dilation: _Size2 = 1, padding_mode: str = "zeros"):
        super().__init__()
        if isinstance(padding, str):
            raise ValueError(f"ConvTranspose2d: padding must be a number or a pair, got {padding!r}")
        _conv_checks("ConvTranspose2d", in_channels, out_channels, stride, padding, groups, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size)
        self.stride, self.padding, self.output_padding, self.dilation = stride, padding, output_padding, dilation
        self.groups, self.padding_mode = groups, padding_mode
        self.weight = Parameter(_empty(in_channels, out_channels // groups, *self.kernel_size))
        self.bias = Parameter(_empty(out_channels)) if bias else None
        _pytorch_default_init(self.weight, self.bias, out_channels // groups * int(np.prod(self.kernel_size)))

    def forward(self, x):
        """The transposed convolution of x (N, in_channels, H, W), plus the bias."""
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)


class MaxPool2d(Module):
    """The maximum of each ``kernel_size`` window (padding counts as -inf).

    Args:
        kernel_size, stride, padding, dilation: as for :class:`Conv2d`; ``stride`` defaults to
            ``kernel_size`` (windows side by side, no overlap).
        return_indices: must be False (see :func:`~dlcourse.nn.functional.max_pool2d_with_indices`).
        ceil_mode: round the output size up: the last windows may hang over the bottom and right edges.
    Shape: (N, C, H, W) -> (N, C, OH, OW), OH as for :class:`Conv2d` (rounded up with ``ceil_mode``).
    """

    def __init__(self, kernel_size: _Size2, stride: _Size2 | None = None, padding: _Size2 = 0,
                 dilation: _Size2 = 1, return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        if return_indices:
            raise NotImplementedError("MaxPool2d(return_indices=True) is not part of the course's engine; "
                                      "dlcourse.nn.functional.max_pool2d_with_indices gives NumPy values and indices")
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        """The maximum of each window."""
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def extra_repr(self):
        """The window, stride, padding, dilation and ceil_mode."""
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean of each ``kernel_size`` window.

    Args:
        kernel_size, stride, padding: as for :class:`MaxPool2d`; ``stride`` defaults to ``kernel_size``.
        ceil_mode: round the output size up (a window hanging over the edge averages its part inside).
        count_include_pad: the zero padding counts in the mean (torch's default), or not.
        divisor_override: divide every window's sum by this number instead.
    Shape: (N, C, H, W) -> (N, C, OH, OW).
    """

    def __init__(self, kernel_size: _Size2, stride: _Size2 | None = None, padding: _Size2 = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, x):
        """The mean of each window."""
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self):
        """The window, stride and padding."""
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input's (e.g. ``(1, 1)``: global average
    pooling before a classifier, so the network takes images of any size).

    Args:
        output_size: OH = OW, or (OH, OW); None keeps that input size.
    Shape: (N, C, H, W) or (C, H, W) -> (N, C, OH, OW); windows as
    :func:`~dlcourse.nn.functional.adaptive_avg_pool2d` chooses them.
    """

    def __init__(self, output_size: int | tuple[int | None, int | None]):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        """The mean of each of the OH x OW windows."""
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        """The output size."""
        return f"output_size={self.output_size}"


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
    """A lookup table: index i -> row i of ``weight`` (num_embeddings, embedding_dim), init N(0, 1).

    Args:
        num_embeddings, embedding_dim: rows and columns of the table.
        padding_idx: a row (negative counts from the end) that starts at zero and gets no gradient:
            the vector of a padding token stays zero while training.
        max_norm, norm_type, scale_grad_by_freq, sparse: torch's; only their defaults are part of
            the course's engine (other values raise an error).
    Shape: integer indices of any shape (*) -> (*, embedding_dim).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False):
        super().__init__()
        for name, value, default in (("max_norm", max_norm, None), ("scale_grad_by_freq", scale_grad_by_freq, False),
                                     ("sparse", sparse, False)):
            if value != default:
                raise NotImplementedError(f"Embedding({name}={value!r}) (torch.nn.Embedding) is not part of the "
                                          "course's engine")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = None if padding_idx is None else F._padding_index(padding_idx, num_embeddings)
        self.max_norm, self.norm_type, self.scale_grad_by_freq, self.sparse = max_norm, norm_type, False, False
        self.weight = Parameter(_empty(num_embeddings, embedding_dim))
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input):
        """The rows of ``weight`` for the integer indices in ``input``: shape input.shape + (embedding_dim,)."""
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        """The table's size, and padding_idx when set."""
        return f"{self.num_embeddings}, {self.embedding_dim}" + (
            f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
