"""RNN, GRU and LSTM take torch's arguments in torch's positional order (``LSTM(5, 8, 1, True, True)`` is
batch_first), run both directions and LSTM projections as torch does, and the cells take exactly
torch's arguments. Values and float64 gradients equal PyTorch's."""

import numpy as np
import pytest

import dlcourse
from dlcourse import Tensor, nn
from oracle import check_module

torch = pytest.importorskip("torch")
tnn = torch.nn


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_the_fifth_positional_argument_is_batch_first_as_in_torch(kind):
    ours, theirs = getattr(nn, kind)(5, 8, 1, True, True), getattr(tnn, kind)(5, 8, 1, True, True)
    assert ours.batch_first is theirs.batch_first is True and ours.bias is theirs.bias is True
    out = ours(dlcourse.zeros(2, 7, 5))[0]  # (N, L, features)
    assert out.shape == (2, 7, 8)


def test_rnn_takes_nonlinearity_fourth_as_torch_does():
    ours, theirs = nn.RNN(5, 8, 2, "relu", False, True, 0.0, False), tnn.RNN(5, 8, 2, "relu", False, True, 0.0, False)
    assert (ours.nonlinearity, ours.bias, ours.batch_first) == (theirs.nonlinearity, theirs.bias, theirs.batch_first)
    assert set(ours.state_dict()) == set(theirs.state_dict())


@pytest.mark.parametrize("kind,args", [("RNN", (3, 4, 2, "tanh", True, True, 0.0, True)),
                                       ("GRU", (3, 4, 2, True, True, 0.0, True)),
                                       ("LSTM", (3, 4, 2, False, True, 0.0, True, 2))])
def test_every_positional_argument_binds_as_in_torch(kind, args):
    ours, theirs = getattr(nn, kind)(*args), getattr(tnn, kind)(*args)
    for name in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


def test_a_boolean_in_a_size_position_is_refused():
    with pytest.raises(TypeError, match="batch_first should be of type bool"):
        nn.LSTM(5, 8, 1, True, "yes")


def test_the_cells_take_torchs_arguments_only():
    nn.RNNCell(3, 4, True, "relu")
    with pytest.raises(TypeError):
        nn.GRUCell(3, 4, nonlinearity="relu")
    with pytest.raises(TypeError):
        tnn.GRUCell(3, 4, nonlinearity="relu")
    with pytest.raises(TypeError):
        nn.LSTMCell(3, 4, True, "tanh")
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")


def test_a_projection_size_not_below_hidden_size_is_refused():
    with pytest.raises(ValueError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=4)


def test_dropout_with_one_layer_warns_as_torch_does():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(3, 4, 2, dropout=1.5)


def test_bidirectional_reads_the_sequence_both_ways():
    rnn = nn.RNN(1, 1, bias=False, bidirectional=True).double()
    for p in rnn.parameters():
        p.data[...] = 1.0
    x = Tensor(np.array([[[1.0]], [[0.0]], [[0.0]]]))  # (L=3, N=1, 1): only the first step is lit
    out, h_n = rnn(x)
    assert out.shape == (3, 1, 2) and h_n.shape == (2, 1, 1)
    forward, backward = out.data[:, 0, 0], out.data[:, 0, 1]
    assert forward[0] == pytest.approx(np.tanh(1.0)) and backward[2] == 0.0 and backward[0] > 0
    assert h_n.data[0, 0, 0] == forward[-1] and h_n.data[1, 0, 0] == backward[0]  # each direction's last step


class _Run:
    """A recurrent layer called with (input, hx), its output flattened into one tensor for the checks."""

    def __init__(self, layer, hx=None, engine=dlcourse):
        self.layer, self.hx, self.engine = layer, hx, engine

    def __getattr__(self, name):
        return getattr(self.layer, name)

    def __call__(self, x):
        out, state = self.layer(x, self.hx)
        states = state if isinstance(state, tuple) else (state,)
        return self.engine.cat([t.reshape(-1) for t in (out, *states)], 0)


CONFIGS = [("RNN", dict(bidirectional=True)), ("RNN", dict(num_layers=2, bidirectional=True, nonlinearity="relu")),
           ("GRU", dict(bidirectional=True, batch_first=True)), ("GRU", dict(num_layers=3, bidirectional=True)),
           ("LSTM", dict(bidirectional=True)), ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
           ("LSTM", dict(proj_size=2)), ("LSTM", dict(num_layers=2, proj_size=3, bidirectional=True, bias=False))]


@pytest.mark.parametrize("kind,kwargs", CONFIGS)
def test_bidirectional_and_projected_layers_match_torch(rng, kind, kwargs):
    ours, theirs = getattr(nn, kind)(3, 4, **kwargs), getattr(tnn, kind)(3, 4, **kwargs)
    check_module(_Run(ours), _Run(theirs, engine=torch), rng.standard_normal((5, 2, 3)), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind,kwargs", CONFIGS[1::2])
def test_bidirectional_and_projected_layers_with_initial_state_match_torch(rng, kind, kwargs):
    layers, directions = kwargs.get("num_layers", 1), 2 if kwargs.get("bidirectional") else 1
    h_size = kwargs.get("proj_size") or 4
    h0 = rng.standard_normal((layers * directions, 2, h_size))
    c0 = rng.standard_normal((layers * directions, 2, 4))
    ours_hx = (Tensor(h0), Tensor(c0)) if kind == "LSTM" else Tensor(h0)
    theirs_hx = (torch.tensor(h0), torch.tensor(c0)) if kind == "LSTM" else torch.tensor(h0)
    ours, theirs = getattr(nn, kind)(3, 4, **kwargs), getattr(tnn, kind)(3, 4, **kwargs)
    x = rng.standard_normal((2, 5, 3) if kwargs.get("batch_first") else (5, 2, 3))
    check_module(_Run(ours, ours_hx), _Run(theirs, theirs_hx, torch), x, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_bidirectional_layer_takes_an_unbatched_sequence(rng, kind):
    ours, theirs = getattr(nn, kind)(3, 4, bidirectional=True), getattr(tnn, kind)(3, 4, bidirectional=True)
    check_module(_Run(ours), _Run(theirs, engine=torch), rng.standard_normal((5, 3)), rtol=1e-9, atol=1e-12)


def test_a_unidirectional_layer_starts_with_the_same_numbers_as_before():
    """The parameters are drawn in the same order as before bidirectional layers existed (the lessons' seeds)."""
    dlcourse.manual_seed(0)
    first = nn.LSTM(3, 4, num_layers=2).state_dict()
    dlcourse.manual_seed(0)
    bound = 1 / np.sqrt(4)
    generator_order = [nn.init.uniform_(Tensor(np.zeros(v.shape, np.float32)), -bound, bound).data
                       for v in first.values()]
    for (name, value), expected in zip(first.items(), generator_order):
        np.testing.assert_array_equal(value.data, expected, err_msg=name)
