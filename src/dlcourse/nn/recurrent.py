"""Recurrent layers with PyTorch's gate orders and parameter names (state dicts map to torch).

Cells take one time step; ``RNN``/``GRU``/``LSTM`` run a cell over a sequence (several layers,
``batch_first``). The input projections of all time steps are computed in one matrix product.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.tensor import Tensor, stack
from . import functional as F
from . import init
from .module import Module, Parameter

_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def _step(mode, x_proj, h, c, w_hh, b_hh, nonlinearity="tanh"):
    """One time step given the input projection x W_ih^T + b_ih. Returns (h', c')."""
    h_proj = F.linear(h, w_hh, b_hh)
    if mode == "RNN":
        z = x_proj + h_proj
        return (z.tanh() if nonlinearity == "tanh" else z.relu()), None
    size = h.shape[-1]
    if mode == "GRU":  # gates r, z, n
        r = (x_proj[..., :size] + h_proj[..., :size]).sigmoid()
        z = (x_proj[..., size:2 * size] + h_proj[..., size:2 * size]).sigmoid()
        n = (x_proj[..., 2 * size:] + r * h_proj[..., 2 * size:]).tanh()
        return (1 - z) * n + z * h, None
    gates = x_proj + h_proj  # LSTM gates i, f, g, o
    i, f = gates[..., :size].sigmoid(), gates[..., size:2 * size].sigmoid()
    g, o = gates[..., 2 * size:3 * size].tanh(), gates[..., 3 * size:].sigmoid()
    c = f * c + i * g
    return o * c.tanh(), c


def _uniform_init(module, hidden_size):
    bound = 1 / math.sqrt(hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


class _CellBase(Module):
    mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"):
        super().__init__()
        gates = _GATES[self.mode] * hidden_size
        self.input_size, self.hidden_size, self.nonlinearity = input_size, hidden_size, nonlinearity
        self.weight_ih = Parameter(np.zeros((gates, input_size), dtype=np.float32))
        self.weight_hh = Parameter(np.zeros((gates, hidden_size), dtype=np.float32))
        self.bias_ih = Parameter(np.zeros(gates, dtype=np.float32)) if bias else None
        self.bias_hh = Parameter(np.zeros(gates, dtype=np.float32)) if bias else None
        _uniform_init(self, hidden_size)

    def _zeros(self, x):
        return Tensor(np.zeros(x.shape[:-1] + (self.hidden_size,), dtype=x.dtype))


class RNNCell(_CellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)  (or relu).

    Args:
        input_size, hidden_size: features of x and of h.
        bias: learn b_ih and b_hh.
        nonlinearity: "tanh" or "relu".
    Every weight and bias starts U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as in PyTorch.
    """

    def forward(self, x, hx=None):
        """h' from x (N, input_size) and h (N, hidden_size), zeros if ``hx`` is None."""
        h = self._zeros(x) if hx is None else hx
        return _step("RNN", F.linear(x, self.weight_ih, self.bias_ih), h, None,
                     self.weight_hh, self.bias_hh, self.nonlinearity)[0]


class GRUCell(_CellBase):
    """r = s(W_ir x + b_ir + W_hr h + b_hr),  z = s(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h.

    Args: input_size, hidden_size, bias, as :class:`RNNCell`.
    """
    mode = "GRU"

    def forward(self, x, hx=None):
        """h' from x (N, input_size) and h (N, hidden_size), zeros if ``hx`` is None."""
        h = self._zeros(x) if hx is None else hx
        return _step("GRU", F.linear(x, self.weight_ih, self.bias_ih), h, None, self.weight_hh, self.bias_hh)[0]


class LSTMCell(_CellBase):
    """i, f, o = s(.), g = tanh(.) from x W_ih^T + b_ih + h W_hh^T + b_hh (order i, f, g, o);
    c' = f * c + i * g,  h' = o * tanh(c'). Returns (h', c').

    Args: input_size, hidden_size, bias, as :class:`RNNCell`.
    """
    mode = "LSTM"

    def forward(self, x, hx=None):
        """(h', c') from x (N, input_size) and ``hx`` = (h, c), zeros if None."""
        h, c = (self._zeros(x), self._zeros(x)) if hx is None else hx
        return _step("LSTM", F.linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh, self.bias_hh)


class _RecurrentBase(Module):
    mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False):
        super().__init__()
        if bidirectional:
            raise ValueError("bidirectional recurrent layers are not part of dlcourse; use dlcourse.torch")
        gates = _GATES[self.mode] * hidden_size
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.nonlinearity, self.bias, self.batch_first, self.dropout = nonlinearity, bias, batch_first, dropout
        for layer in range(num_layers):
            inputs = input_size if layer == 0 else hidden_size
            setattr(self, f"weight_ih_l{layer}", Parameter(np.zeros((gates, inputs), dtype=np.float32)))
            setattr(self, f"weight_hh_l{layer}", Parameter(np.zeros((gates, hidden_size), dtype=np.float32)))
            if bias:
                setattr(self, f"bias_ih_l{layer}", Parameter(np.zeros(gates, dtype=np.float32)))
                setattr(self, f"bias_hh_l{layer}", Parameter(np.zeros(gates, dtype=np.float32)))
        _uniform_init(self, hidden_size)

    def forward(self, input, hx=None):
        """Shape: input (L, N, input_size), or (N, L, input_size) with batch_first, or unbatched (L, input_size).
        Returns output (all top-layer h's, same layout) and h_n (num_layers, N, H) — for LSTM (h_n, c_n)."""
        unbatched = input.ndim == 2
        if unbatched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected {self.input_size} input features, "
                             f"got shape {input.shape}")
        steps, batch = input.shape[0], input.shape[1]
        zeros = Tensor(np.zeros((self.num_layers, batch, self.hidden_size), dtype=input.dtype))
        if hx is None:
            h0, c0 = zeros, zeros
        elif self.mode == "LSTM":
            h0, c0 = (t.unsqueeze(1) for t in hx) if unbatched else hx
        else:
            h0, c0 = (hx.unsqueeze(1) if unbatched else hx), None
        layer_input, last_h, last_c = input, [], []
        for layer in range(self.num_layers):
            w_ih, w_hh = getattr(self, f"weight_ih_l{layer}"), getattr(self, f"weight_hh_l{layer}")
            b_ih = getattr(self, f"bias_ih_l{layer}") if self.bias else None
            b_hh = getattr(self, f"bias_hh_l{layer}") if self.bias else None
            x_proj = F.linear(layer_input, w_ih, b_ih)  # all time steps at once
            h, c = h0[layer], (c0[layer] if c0 is not None else None)
            outputs = []
            for t in range(steps):
                h, c = _step(self.mode, x_proj[t], h, c, w_hh, b_hh, self.nonlinearity)
                outputs.append(h)
            layer_input = stack(outputs, 0)
            if self.dropout and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, self.training)
            last_h.append(h)
            last_c.append(c)
        output, h_n = layer_input, stack(last_h, 0)
        c_n = stack(last_c, 0) if self.mode == "LSTM" else None
        if unbatched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)


class RNN(_RecurrentBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), stacked ``num_layers`` deep.

    Args:
        input_size, hidden_size: features of x_t and of h_t.
        num_layers: stacked layers; each reads the h_t sequence of the one below.
        nonlinearity: "tanh" or "relu" (RNN only).
        bias: learn b_ih and b_hh.
        batch_first: input and output are (N, L, features) instead of (L, N, features).
        dropout: dropout on the outputs of every layer but the last, while training.
        bidirectional: must be False (not implemented; ``dlcourse.torch`` has it).
    Parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` as in PyTorch.
    """


class GRU(_RecurrentBase):
    """Multi-layer GRU (gate order r, z, n, as in PyTorch), each step as :class:`GRUCell`.

    Args: as :class:`RNN` (without ``nonlinearity``).
    """
    mode = "GRU"


class LSTM(_RecurrentBase):
    """Multi-layer LSTM (gate order i, f, g, o, as in PyTorch); returns output, (h_n, c_n).

    Each step as :class:`LSTMCell`. Args: as :class:`RNN` (without ``nonlinearity``).
    """
    mode = "LSTM"
