"""Recurrent layers with PyTorch's gate orders, parameter names, shapes and constructor arguments.

Cells take one time step; ``RNN``/``GRU``/``LSTM`` run a cell over a sequence (several layers,
``batch_first``, both directions, LSTM projections). The input projections of all time steps are
computed in one matrix product. The parameters have torch's names and shapes, so weights move to
the same-sized torch layer by name: ``dlcourse.torch.load_dlcourse_state(torch_layer, layer)``, or
torch's ``load_state_dict`` given the values as torch tensors.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd.tensor import Tensor, cat, stack
from . import functional as F
from . import init
from .module import Module, Parameter

_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def _step(mode, x_proj, h, c, w_hh, b_hh, nonlinearity="tanh", w_hr=None):
    """One time step given the input projection x W_ih^T + b_ih. Returns (h', c')."""
    h_proj = F.linear(h, w_hh, b_hh)
    if mode == "RNN":
        z = x_proj + h_proj
        return (z.tanh() if nonlinearity == "tanh" else z.relu()), None
    size = h_proj.shape[-1] // _GATES[mode]
    if mode == "GRU":  # gates r, z, n
        r = (x_proj[..., :size] + h_proj[..., :size]).sigmoid()
        z = (x_proj[..., size:2 * size] + h_proj[..., size:2 * size]).sigmoid()
        n = (x_proj[..., 2 * size:] + r * h_proj[..., 2 * size:]).tanh()
        return (1 - z) * n + z * h, None
    gates = x_proj + h_proj  # LSTM gates i, f, g, o
    i, f = gates[..., :size].sigmoid(), gates[..., size:2 * size].sigmoid()
    g, o = gates[..., 2 * size:3 * size].tanh(), gates[..., 3 * size:].sigmoid()
    c = f * c + i * g
    h = o * c.tanh()
    return (h if w_hr is None else F.linear(h, w_hr)), c


def _check_nonlinearity(nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")


def _uniform_init(module, hidden_size):
    bound = 1 / math.sqrt(hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


class _CellBase(Module):
    mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        gates = _GATES[self.mode] * hidden_size
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
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

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"):
        _check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def forward(self, x, hx=None):
        """h' from x (N, input_size) and h (N, hidden_size), zeros if ``hx`` is None."""
        h = self._zeros(x) if hx is None else hx
        return _step("RNN", F.linear(x, self.weight_ih, self.bias_ih), h, None,
                     self.weight_hh, self.bias_hh, self.nonlinearity)[0]


class GRUCell(_CellBase):
    """r = s(W_ir x + b_ir + W_hr h + b_hr),  z = s(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h.

    Args: input_size, hidden_size, bias, as :class:`RNNCell` (no ``nonlinearity``, as in torch).
    """
    mode = "GRU"

    def forward(self, x, hx=None):
        """h' from x (N, input_size) and h (N, hidden_size), zeros if ``hx`` is None."""
        h = self._zeros(x) if hx is None else hx
        return _step("GRU", F.linear(x, self.weight_ih, self.bias_ih), h, None, self.weight_hh, self.bias_hh)[0]


class LSTMCell(_CellBase):
    """i, f, o = s(.), g = tanh(.) from x W_ih^T + b_ih + h W_hh^T + b_hh (order i, f, g, o);
    c' = f * c + i * g,  h' = o * tanh(c'). Returns (h', c').

    Args: input_size, hidden_size, bias, as :class:`RNNCell` (no ``nonlinearity``, as in torch).
    """
    mode = "LSTM"

    def forward(self, x, hx=None):
        """(h', c') from x (N, input_size) and ``hx`` = (h, c), zeros if None."""
        h, c = (self._zeros(x), self._zeros(x)) if hx is None else hx
        return _step("LSTM", F.linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh, self.bias_hh)


class _RecurrentBase(Module):
    mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 nonlinearity: str = "tanh"):
        super().__init__()
        name = type(self).__name__
        for arg, value in (("bias", bias), ("batch_first", batch_first), ("bidirectional", bidirectional)):
            if not isinstance(value, bool):
                raise TypeError(f"{name}: {arg} should be of type bool, got: {type(value).__name__}")
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name}: {arg} must be an integer greater than zero, got {value!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=3)
        if not 0 <= proj_size < hidden_size:
            raise ValueError(f"{name}: proj_size must be 0 (no projection) or between 1 and hidden_size - 1, "
                             f"got {proj_size}")
        gates = _GATES[self.mode] * hidden_size
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.nonlinearity, self.bias, self.batch_first = nonlinearity, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        directions = 2 if bidirectional else 1
        output_size = proj_size or hidden_size
        for layer in range(num_layers):
            inputs = input_size if layer == 0 else output_size * directions
            for suffix in ("", "_reverse")[:directions]:
                setattr(self, f"weight_ih_l{layer}{suffix}", Parameter(np.zeros((gates, inputs), dtype=np.float32)))
                setattr(self, f"weight_hh_l{layer}{suffix}",
                        Parameter(np.zeros((gates, output_size), dtype=np.float32)))
                if bias:
                    setattr(self, f"bias_ih_l{layer}{suffix}", Parameter(np.zeros(gates, dtype=np.float32)))
                    setattr(self, f"bias_hh_l{layer}{suffix}", Parameter(np.zeros(gates, dtype=np.float32)))
                if proj_size:
                    setattr(self, f"weight_hr_l{layer}{suffix}",
                            Parameter(np.zeros((proj_size, hidden_size), dtype=np.float32)))
        _uniform_init(self, hidden_size)

    def _run(self, x_proj, h, c, layer, suffix, reverse):
        """One direction of one layer over the whole sequence: the outputs (L, N, H) and the last (h, c)."""
        w_hh = getattr(self, f"weight_hh_l{layer}{suffix}")
        b_hh = getattr(self, f"bias_hh_l{layer}{suffix}") if self.bias else None
        w_hr = getattr(self, f"weight_hr_l{layer}{suffix}") if self.proj_size else None
        steps = range(x_proj.shape[0] - 1, -1, -1) if reverse else range(x_proj.shape[0])
        outputs = []
        for t in steps:
            h, c = _step(self.mode, x_proj[t], h, c, w_hh, b_hh, self.nonlinearity, w_hr)
            outputs.append(h)
        return stack(outputs[::-1] if reverse else outputs, 0), h, c

    def forward(self, input, hx=None):
        """Shape: input (L, N, input_size), or (N, L, input_size) with batch_first, or unbatched (L, input_size).
        ``hx``: h_0 (num_layers * directions, N, H), for LSTM (h_0, c_0); zeros if None.
        Returns output (every top-layer h, same layout; both directions side by side) and
        h_n (num_layers * directions, N, H), for LSTM (h_n, c_n). H is proj_size for an LSTM with
        projections (c keeps hidden_size).
        """
        unbatched = input.ndim == 2
        if unbatched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected {self.input_size} input features, "
                             f"got shape {input.shape}")
        batch, directions = input.shape[1], 2 if self.bidirectional else 1
        states = self.num_layers * directions
        h_size = self.proj_size or self.hidden_size
        if hx is None:
            h0 = Tensor(np.zeros((states, batch, h_size), dtype=input.dtype))
            c0 = Tensor(np.zeros((states, batch, self.hidden_size), dtype=input.dtype))
        elif self.mode == "LSTM":
            h0, c0 = (t.unsqueeze(1) for t in hx) if unbatched else hx
        else:
            h0, c0 = (hx.unsqueeze(1) if unbatched else hx), None
        layer_input, last_h, last_c = input, [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(("", "_reverse")[:directions]):
                w_ih = getattr(self, f"weight_ih_l{layer}{suffix}")
                b_ih = getattr(self, f"bias_ih_l{layer}{suffix}") if self.bias else None
                x_proj = F.linear(layer_input, w_ih, b_ih)  # all time steps at once
                k = layer * directions + direction
                out, h, c = self._run(x_proj, h0[k], c0[k] if self.mode == "LSTM" else None, layer, suffix,
                                      reverse=direction == 1)
                outputs.append(out)
                last_h.append(h)
                last_c.append(c)
            layer_input = outputs[0] if directions == 1 else cat(outputs, -1)
            if self.dropout and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, self.training)
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

    Args (torch's order: ``RNN(input_size, hidden_size, num_layers, nonlinearity, bias, batch_first,
    dropout, bidirectional)``):
        input_size, hidden_size: features of x_t and of h_t.
        num_layers: stacked layers; each reads the h_t sequence of the one below.
        nonlinearity: "tanh" or "relu".
        bias: learn b_ih and b_hh.
        batch_first: input and output are (N, L, features) instead of (L, N, features).
        dropout: dropout on the outputs of every layer but the last, while training.
        bidirectional: also run each layer from the last step to the first (parameters ``..._reverse``);
            the output holds both directions' h_t side by side (2 hidden_size features).
    Parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` as in PyTorch,
    each U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False):
        _check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         nonlinearity=nonlinearity)


class GRU(_RecurrentBase):
    """Multi-layer GRU (gate order r, z, n, as in PyTorch), each step as :class:`GRUCell`.

    Args (torch's order: ``GRU(input_size, hidden_size, num_layers, bias, batch_first, dropout,
    bidirectional)``): as :class:`RNN`, without ``nonlinearity``.
    """
    mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)


class LSTM(_RecurrentBase):
    """Multi-layer LSTM (gate order i, f, g, o, as in PyTorch); returns output, (h_n, c_n).

    Each step as :class:`LSTMCell`. Args (torch's order: ``LSTM(input_size, hidden_size, num_layers,
    bias, batch_first, dropout, bidirectional, proj_size)``): as :class:`RNN`, without
    ``nonlinearity``, and
        proj_size: if above 0, h_t = (o * tanh(c_t)) W_hr^T has proj_size features (parameter
            ``weight_hr_l{k}``, (proj_size, hidden_size)); c_t keeps hidden_size.
    """
    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size)
