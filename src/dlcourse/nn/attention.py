"""Multi-head attention with PyTorch's parameter names (in_proj_weight, in_proj_bias, out_proj).

Scaled dot-product attention itself is :func:`dlcourse.nn.functional.scaled_dot_product_attention`,
as in torch; :func:`attention_weights` shows the weights it averages with (torch returns only the
output).
"""

from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor, unwrap
from . import functional as F
from . import init
from .layers import Linear
from .module import Module, Parameter


def attention_weights(query: Tensor, key: Tensor, attn_mask: Tensor | np.ndarray | None = None,
                      is_causal: bool = False, scale: float | None = None) -> Tensor:
    """softmax(Q K^T scale + mask): the weights with which
    :func:`~dlcourse.nn.functional.scaled_dot_product_attention` averages the values (same arguments,
    same mask convention: a boolean True = the pair takes part). Shape: (..., L, S); each row sums to
    1 (0 for a query whose keys are all masked).
    """
    values = Tensor(np.zeros(key.shape[:-1] + (1,), dtype=key.dtype))  # the weights need no values
    return F._attention(query, key, values, attn_mask, 0.0, is_causal, scale)[1]


def _additive(mask):
    """A mask in MultiheadAttention's convention (boolean True = may not attend, or added) as a float array."""
    mask = np.asarray(unwrap(mask))
    return np.where(mask, -np.inf, 0.0) if mask.dtype == bool else mask


class MultiheadAttention(Module):
    """Attention(Q, K, V) with ``num_heads`` heads of size embed_dim / num_heads.

    Shape: query (L, N, E), key/value (S, N, E) — or (N, L, E) with batch_first.
    Returns the output (like query) and, if need_weights, the weights (N, L, S) averaged over heads.
    The parameters have torch's names and shapes, so weights move to ``torch.nn.MultiheadAttention`` by
    name (``dlcourse.torch.load_dlcourse_state``).

    Args (torch's order):
        embed_dim: E, the size of queries, keys, values and output.
        num_heads: heads; each attends with E / num_heads dimensions.
        dropout: dropout on the attention weights while training.
        bias: learn the projections' biases.
        add_bias_kv, add_zero_attn, kdim, vdim: torch's; only their defaults (keys and values of size
            E, nothing appended) are part of the course's engine.
        batch_first: tensors are (N, L, E) instead of (L, N, E).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        for name, value, default in (("add_bias_kv", add_bias_kv, False), ("add_zero_attn", add_zero_attn, False),
                                     ("kdim", kdim, embed_dim), ("vdim", vdim, embed_dim)):
            if value not in (default, None if name in ("kdim", "vdim") else default):
                raise NotImplementedError(f"MultiheadAttention({name}={value!r}) (torch.nn.MultiheadAttention) is not "
                                          "part of the course's engine")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.in_proj_weight = Parameter(np.zeros((3 * embed_dim, embed_dim), dtype=np.float32))
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=np.float32)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        init.xavier_uniform_(self.in_proj_weight)
        if bias:
            init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """Attend from ``query`` to ``key``/``value``; returns (output, weights or None).

        Args:
            key_padding_mask: (N, S), boolean (True = a key to ignore, e.g. padding) or added to the scores.
            need_weights: also return the attention weights.
            attn_mask: (L, S) or (N * num_heads, L, S), boolean (True = may not attend, the opposite of
                ``scaled_dot_product_attention``'s) or added to the scores.
            average_attn_weights: average the returned weights over the heads, else (N, heads, L, S).
            is_causal: a hint, as in torch, that ``attn_mask`` is the causal mask; it needs ``attn_mask``.
        """
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use "
                               "dlcourse.nn.transformer.causal_mask to create this mask.")
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
            mask = _additive(attn_mask)
            if mask.ndim == 3:  # (N * heads, L, S)
                mask = mask.reshape(n, heads, *mask.shape[1:])
        if key_padding_mask is not None:
            pad = _additive(key_padding_mask)[:, None, None, :]
            mask = pad if mask is None else mask + pad
        dropout_p = self.dropout if self.training else 0.0
        # torch gives NaN for a query with no key left when it returns the weights, 0 when it does not
        out, weights = F._attention(q, k, v, mask, dropout_p, empty_rows_give_zero=not need_weights)
        out = self.out_proj(out.transpose(1, 2).reshape(n, length, e))
        if not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        return out, (weights.mean(1) if average_attn_weights else weights)
