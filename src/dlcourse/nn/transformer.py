"""The Transformer encoder, with PyTorch's names and parameter layout.

``TransformerEncoderLayer`` is self-attention then a two-layer feed-forward network, each wrapped in
a residual connection and a ``LayerNorm``: after the sum (``norm_first=False``, the 2017 paper's
"post-norm") or before the sub-layer (``norm_first=True``, "pre-norm", which trains deep stacks
without warm-up). ``TransformerEncoder`` stacks copies of one layer. Parameter names and shapes are
torch's (``layers.0.self_attn.in_proj_weight``, ...), so the weights move to the same torch module by
name: ``dlcourse.torch.load_dlcourse_state(torch_encoder, encoder)``, or torch's ``load_state_dict``
given the values as torch tensors.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np

from ..autograd.tensor import Tensor
from . import functional as F
from .attention import MultiheadAttention
from .layers import Dropout, Linear
from .module import Module, ModuleList
from .normalization import LayerNorm

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(Module):
    """One Transformer encoder block: self-attention and a feed-forward network, each with a residual
    connection, dropout and layer normalisation.

    Post-norm (default): x = norm1(x + SA(x)); x = norm2(x + FF(x)).
    Pre-norm (norm_first=True): x = x + SA(norm1(x)); x = x + FF(norm2(x)).
    FF(x) = linear2(dropout(activation(linear1(x)))).

    Args: as ``torch.nn.TransformerEncoderLayer``: d_model, nhead, dim_feedforward=2048, dropout=0.1,
        activation=F.relu ("relu", "gelu" or a callable), layer_norm_eps=1e-5, batch_first=False, norm_first=False,
        bias=True.
    Shape: src (S, N, d_model), or (N, S, d_model) with batch_first; src_mask (S, S) boolean (True = may
        not attend) or additive; src_key_padding_mask (N, S) boolean (True = padding). Output like src.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = F.relu, layer_norm_eps: float = 1e-5,
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
        """The block applied to ``src``. ``is_causal`` is torch's hint that ``src_mask`` is the causal
        mask (:func:`causal_mask`); as in torch it needs the mask itself.
        """
        if is_causal and src_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use "
                               "dlcourse.nn.transformer.causal_mask to create this mask.")
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


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (each with its own parameters, all starting
    equal, as torch's deep copies do), then ``norm`` if given.

    Args:
        encoder_layer: a :class:`TransformerEncoderLayer`, copied ``num_layers`` times.
        num_layers: the number of layers.
        norm: applied to the last layer's output (e.g. a ``LayerNorm`` after pre-norm layers).
        enable_nested_tensor, mask_check: accepted for torch's signature. They only choose torch's
            inference fast path, which with a ``src_key_padding_mask`` returns 0 at the padded
            positions; the course's engine computes those positions like every other.
    Shape: as the layer's. Parameters ``layers.{k}.…`` and ``norm.…``, as in torch.
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """Each layer applied in turn with the same ``mask`` (``src_mask``) and ``src_key_padding_mask``,
        then ``norm``. ``is_causal`` is passed on as the layers' hint (it needs ``mask``)."""
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=bool(is_causal))
        return output if self.norm is None else self.norm(output)


def causal_mask(size):
    """The (size, size) boolean mask that stops position i attending to any j > i (True = blocked),
    the form ``torch.nn.Transformer.generate_square_subsequent_mask`` gives as -inf/0: the ``attn_mask``
    of :class:`~dlcourse.nn.MultiheadAttention` and the ``src_mask`` of :class:`TransformerEncoderLayer`.
    ``scaled_dot_product_attention`` counts the other way (True = takes part): give it ``~causal_mask(size)``,
    or ``is_causal=True``."""
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
