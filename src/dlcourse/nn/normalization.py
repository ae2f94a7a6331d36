"""Normalisation layers (``torch.nn``'s names and parameter layout): batch norm over the batch and
spatial positions of each channel, layer norm over the features of each sample."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from ..autograd.tensor import Tensor
from . import functional as F
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class _BatchNorm(Module):
    """Normalise each channel with the batch's mean and variance (running averages in eval mode)."""

    expected_dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True,
                 track_running_stats: bool = True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, dtype=np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=np.float32)) if affine else None
        self.track_running_stats = track_running_stats
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=np.float32)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=np.float32)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.running_mean = self.running_var = None

    def forward(self, x):
        if x.ndim not in self.expected_dims or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}): expected input with "
                             f"{' or '.join(map(str, self.expected_dims))} dims and {self.num_features} channels, "
                             f"got shape {x.shape}")
        use_batch = self.training or not self.track_running_stats
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch, self.momentum, self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"



class BatchNorm1d(_BatchNorm):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel, with the statistics of the batch
    (and of the positions L) while training and their running averages in evaluation.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for stability.
        momentum: running = (1 - momentum) running + momentum * batch statistic.
        affine: learn ``weight`` (init 1) and ``bias`` (init 0) per channel.
        track_running_stats: keep the running averages; without them evaluation uses the batch's own.
    Shape: (N, C) or (N, C, L).
    """
    expected_dims = (2, 3)



class BatchNorm2d(_BatchNorm):
    """:class:`BatchNorm1d` for images: statistics over the batch and every position of each channel.

    Args: as :class:`BatchNorm1d`.
    Shape: (N, C, H, W).
    """
    expected_dims = (4,)



class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last dimensions of each sample.

    Unlike batch norm it needs no batch and behaves the same in training and evaluation, which is
    why sequence models use it: every position of every sequence is normalised on its own.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for the last dimension).
        eps: added to the variance for stability.
        elementwise_affine: learn ``weight`` (init 1) and ``bias`` (init 0) of shape normalized_shape.
        bias: learn the bias too (only with elementwise_affine).
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape, self.eps, self.elementwise_affine = tuple(normalized_shape), eps, elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=np.float32)) if elementwise_affine else None
        affine_bias = elementwise_affine and bias
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=np.float32)) if affine_bias else None

    def forward(self, input):
        """``input`` normalised over its trailing ``normalized_shape`` dimensions, then scaled and shifted."""
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        """The normalised shape, eps and whether it is affine."""
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

