"""The Transformer encoder block, with PyTorch's names and parameter layout.

``TransformerEncoderLayer`` is self-attention then a two-layer feed-forward network, each wrapped in
a residual connection and a ``LayerNorm``: after the sum (``norm_first=False``, the 2017 paper's
"post-norm") or before the sub-layer (``norm_first=True``, "pre-norm", which trains deep stacks
without warm-up). Its ``state_dict`` loads into ``torch.nn.TransformerEncoderLayer`` unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..autograd.tensor import Tensor
from .attention import MultiheadAttention
from . import functional as F
from .layers import Dropout, Linear
from .module import Module
from .normalization import LayerNorm










_ACTIVATIONS = {"relu": lambda x: x.relu(), "gelu": F.gelu}


class TransformerEncoderLayer(Module):
    """One Transformer encoder block: self-attention and a feed-forward network, each with a residual
    connection, dropout and layer normalisation.

    Post-norm (default): x = norm1(x + SA(x)); x = norm2(x + FF(x)).
    Pre-norm (norm_first=True): x = x + SA(norm1(x)); x = x + FF(norm2(x)).
    FF(x) = linear2(dropout(activation(linear1(x)))).

    Args: as ``torch.nn.TransformerEncoderLayer``: d_model, nhead, dim_feedforward=2048, dropout=0.1,
        activation ("relu", "gelu" or a callable), layer_norm_eps=1e-5, batch_first=False, norm_first=False,
        bias=True.
    Shape: src (S, N, d_model), or (N, S, d_model) with batch_first; src_mask (S, S) boolean (True = may
        not attend) or additive; src_key_padding_mask (N, S) boolean (True = padding). Output like src.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True):
        super().__init__()
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"activation should be 'relu' or 'gelu' (or a callable), got {activation!r}")
            activation = _ACTIVATIONS[activation]
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)
        self.activation = activation
        self.batch_first = batch_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """The block applied to ``src``; ``is_causal`` without a ``src_mask`` builds the
        causal mask (no position attends to a later one).
        """
        if is_causal and src_mask is None:
            length = src.shape[1] if self.batch_first else src.shape[0]
            src_mask = np.triu(np.ones((length, length), dtype=bool), 1)
        x = src
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), src_mask, src_key_padding_mask)
            return x + self._feed_forward(self.norm2(x))
        x = self.norm1(x + self._self_attention(x, src_mask, src_key_padding_mask))
        return self.norm2(x + self._feed_forward(x))

    def _self_attention(self, x, attn_mask, key_padding_mask):
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False)
        return self.dropout1(out)

    def _feed_forward(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def causal_mask(size):
    """The (size, size) boolean mask that stops position i attending to any j > i (True = blocked),
    the form ``torch.nn.Transformer.generate_square_subsequent_mask`` gives as -inf/0."""
    return np.triu(np.ones((size, size), dtype=bool), 1)


def sinusoidal_positional_encoding(length, d_model):
    """The Transformer paper's fixed position codes, (length, d_model): PE[t, 2i] = sin(t / 10000^(2i/d)),
    PE[t, 2i+1] = cos(t / 10000^(2i/d)); nearby positions get similar codes, and PE[t + k] is a linear
    function of PE[t] for every offset k."""
    positions = np.arange(length)[:, None]
    frequencies = np.exp(-math.log(10000.0) * np.arange(0, d_model, 2) / d_model)
    code = np.zeros((length, d_model))
    code[:, 0::2] = np.sin(positions * frequencies)
    code[:, 1::2] = np.cos(positions * frequencies[: d_model // 2])
    return Tensor(code.astype(np.float32))
