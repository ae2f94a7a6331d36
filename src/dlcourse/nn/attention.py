"""Multi-head attention with PyTorch's parameter names (in_proj_weight, in_proj_bias, out_proj)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.tensor import Tensor, unwrap
from . import functional as F
from . import init
from .layers import Linear
from .module import Module, Parameter


def scaled_dot_product_attention(q, k, v, mask=None, dropout_p=0.0, training=True):
    """softmax(q k^T / sqrt(d) + mask) v.  Shape: q (..., L, d), k and v (..., S, d); mask (..., L, S)
    is boolean (True = not allowed) or additive. Returns (output, attention weights)."""
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    if mask is not None:
        scores = scores + Tensor(mask.astype(scores.dtype) if mask.dtype != bool
                                 else np.where(mask, -np.inf, 0).astype(scores.dtype))
    weights = F.softmax(scores, dim=-1)
    return F.dropout(weights, dropout_p, training) @ v, weights


class MultiheadAttention(Module):
    """Attention(Q, K, V) with ``num_heads`` heads of size embed_dim / num_heads.

    Shape: query (L, N, E), key/value (S, N, E) — or (N, L, E) with batch_first.
    Returns the output (like query) and, if need_weights, the weights (N, L, S) averaged over heads.

    Args:
        embed_dim: E, the size of queries, keys, values and output.
        num_heads: heads; each attends with E / num_heads dimensions.
        dropout: dropout on the attention weights while training.
        bias: learn the projections' biases.
        batch_first: tensors are (N, L, E) instead of (L, N, E).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.in_proj_weight = Parameter(np.zeros((3 * embed_dim, embed_dim), dtype=np.float32))
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=np.float32)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        init.xavier_uniform_(self.in_proj_weight)
        if bias:
            init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True):
        """Attend from ``query`` to ``key``/``value``; returns (output, weights or None).

        Args:
            key_padding_mask: (N, S), boolean (True = a key to ignore, e.g. padding) or added to the scores.
            need_weights: also return the attention weights.
            attn_mask: (L, S), boolean (True = may not attend) or added to the scores.
            average_attn_weights: average the returned weights over the heads, else (N, heads, L, S).
        """
        if not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        n, length, e = query.shape
        heads, d = self.num_heads, e // self.num_heads
        w, b = self.in_proj_weight, self.in_proj_bias
        q, k, v = (F.linear(x, w[i * e:(i + 1) * e], None if b is None else b[i * e:(i + 1) * e])
                   for i, x in enumerate((query, key, value)))
        q, k, v = (t.reshape(n, t.shape[1], heads, d).transpose(1, 2) for t in (q, k, v))  # (N, heads, ., d)
        mask = None
        if attn_mask is not None:
            mask = np.asarray(unwrap(attn_mask))
            mask = np.where(mask, -np.inf, 0.0) if mask.dtype == bool else mask
        if key_padding_mask is not None:
            pad = np.asarray(unwrap(key_padding_mask))
            pad = np.where(pad, -np.inf, 0.0)[:, None, None, :] if pad.dtype == bool else pad[:, None, None, :]
            mask = pad if mask is None else mask + pad
        out, weights = scaled_dot_product_attention(q, k, v, mask, self.dropout, self.training)
        out = self.out_proj(out.transpose(1, 2).reshape(n, length, e))
        if not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        return out, (weights.mean(1) if average_attn_weights else weights)
