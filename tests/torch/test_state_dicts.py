"""State dicts move both ways between a dlcourse model and its torch twin, with ``load_state_dict``:
``torch_model.load_state_dict(dl_model.state_dict())`` and ``dl_model.load_state_dict(torch_model.state_dict())``.

Each pair starts from different random weights; after loading in either direction the two compute
the same function (float64), BatchNorm's running statistics and counters included.
"""

import numpy as np
import pytest

import dlcourse
from dlcourse import models, nn

torch = pytest.importorskip("torch")
from dlcourse import torch as dltorch  # noqa: E402


def _tokens(rng, shape):
    return rng.integers(0, 11, size=shape)


# name: (dlcourse builder, torch builder, input maker, how to call a model on the input)
PAIRS = {
    "mlp": (lambda: models.mlp([6, 16, 16, 3]), lambda: dltorch.models.mlp([6, 16, 16, 3]),
            lambda rng: rng.standard_normal((4, 6)), lambda model, x: model(x)),
    "small_cnn": (lambda: models.small_cnn(width=4), lambda: dltorch.models.small_cnn(width=4),
                  lambda rng: rng.standard_normal((2, 1, 28, 28)), lambda model, x: model(x)),
    "CharLSTM": (lambda: models.CharLSTM(11, embedding_dim=5, hidden_size=7, num_layers=2),
                 lambda: dltorch.models.CharLSTM(11, embedding_dim=5, hidden_size=7, num_layers=2),
                 lambda rng: _tokens(rng, (3, 6)), lambda model, x: model(x)[0]),
    "VAE": (lambda: models.VAE(input_dim=12, hidden_dim=8, latent_dim=2),
            lambda: dltorch.models.VAE(input_dim=12, hidden_dim=8, latent_dim=2),
            lambda rng: (rng.standard_normal((5, 12)), rng.standard_normal((5, 2))),
            lambda model, x: model(x[0], eps=x[1])[0]),
    "resnet18": (lambda: models.resnet18(num_classes=5), lambda: dltorch.models.resnet18(num_classes=5),
                 lambda rng: rng.standard_normal((2, 3, 32, 32)), lambda model, x: model(x)),
    "TransformerEncoderLayer": (
        lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True),
        lambda: torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True),
        lambda rng: rng.standard_normal((3, 5, 8)), lambda model, x: model(x)),
    "LSTM": (lambda: nn.LSTM(4, 6, num_layers=2, batch_first=True),
             lambda: torch.nn.LSTM(4, 6, num_layers=2, batch_first=True),
             lambda rng: rng.standard_normal((3, 5, 4)), lambda model, x: model(x)[0]),
}


def _as_engine(x, engine):
    """The input for one engine: float arrays as float64 tensors, token ids as int64 tensors."""
    if isinstance(x, tuple):
        return tuple(_as_engine(part, engine) for part in x)
    return torch.from_numpy(x.copy()) if engine == "torch" else dlcourse.Tensor(x.copy())


def _output(pair, model, engine, x):
    out = PAIRS[pair][3](model, _as_engine(x, engine))
    return out.detach().numpy() if engine == "torch" else out.data


def _stir_batch_norm(model, engine, x, pair):
    """Two forward passes in training mode, so that running statistics and counters are not the defaults."""
    with torch.no_grad():
        for _ in range(2):
            _output(pair, model.train(), engine, x)
    return model.eval()


def test_the_lecture_example_a_dlcourse_mlp_loads_into_its_torch_twin_and_back():
    ours, theirs = models.mlp([2, 3, 1]), dltorch.models.mlp([2, 3, 1])
    result = theirs.load_state_dict(ours.state_dict())                # dlcourse -> torch
    assert not result.missing_keys and not result.unexpected_keys
    assert torch.equal(theirs[0].weight, torch.from_numpy(ours[0].weight.data))
    with torch.no_grad():
        theirs[0].weight.mul_(2)
    ours.load_state_dict(theirs.state_dict())                         # torch -> dlcourse
    np.testing.assert_array_equal(ours[0].weight.data, theirs[0].weight.detach().numpy())


@pytest.mark.parametrize("pair", PAIRS)
def test_torch_twin_loads_a_dlcourse_state_dict_and_computes_the_same(pair, rng):
    build_ours, build_theirs, make_input, _ = PAIRS[pair]
    x = make_input(rng)
    ours, theirs = build_ours().double(), build_theirs().double()
    ours = _stir_batch_norm(ours, "dlcourse", x, pair)
    theirs.load_state_dict(ours.state_dict())
    theirs.eval()
    with torch.no_grad():
        np.testing.assert_allclose(_output(pair, theirs, "torch", x), _output(pair, ours, "dlcourse", x),
                                   rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("pair", PAIRS)
def test_dlcourse_model_loads_a_torch_state_dict_and_computes_the_same(pair, rng):
    build_ours, build_theirs, make_input, _ = PAIRS[pair]
    x = make_input(rng)
    ours, theirs = build_ours().double(), build_theirs().double()
    theirs = _stir_batch_norm(theirs, "torch", x, pair)
    ours.load_state_dict(theirs.state_dict())
    ours.eval()
    with torch.no_grad():
        np.testing.assert_allclose(_output(pair, ours, "dlcourse", x), _output(pair, theirs, "torch", x),
                                   rtol=1e-9, atol=1e-12)


def test_buffers_move_both_ways_running_statistics_and_batch_counts():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 32, 32))
    ours = _stir_batch_norm(models.resnet18(num_classes=5).double(), "dlcourse", x, "resnet18")
    theirs = dltorch.models.resnet18(num_classes=5).double()
    theirs.load_state_dict(ours.state_dict())
    for name, buffer in theirs.named_buffers():
        np.testing.assert_array_equal(buffer.numpy(), dict(ours.named_buffers())[name].data, err_msg=name)
    assert theirs[1].num_batches_tracked.item() == 2 and theirs[1].num_batches_tracked.dtype == torch.int64
    back = models.resnet18(num_classes=5)
    back.load_state_dict(theirs.state_dict())
    assert back[1].num_batches_tracked.item() == 2 and back[1].num_batches_tracked.dtype == np.int64


def test_state_dict_keys_come_in_torchs_order():
    ours, theirs = models.resnet18(), dltorch.models.resnet18()
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_each_side_keeps_its_own_dtype():
    ours, theirs = models.mlp([3, 4, 2]), dltorch.models.mlp([3, 4, 2]).double()
    theirs.load_state_dict(ours.state_dict())                 # float32 values into a float64 model
    assert theirs[0].weight.dtype == torch.float64
    np.testing.assert_allclose(theirs[0].weight.detach().numpy(), ours[0].weight.data, rtol=1e-7)
    ours.load_state_dict(theirs.state_dict())                 # float64 values into a float32 model
    assert ours[0].weight.dtype == np.float32


def test_load_dlcourse_state_is_load_state_dict_and_returns_the_torch_model():
    ours = models.mlp([3, 4, 2])
    twin = dltorch.models.mlp([3, 4, 2])
    assert dltorch.load_dlcourse_state(twin, ours) is twin
    assert torch.equal(twin[2].bias, torch.from_numpy(ours[2].bias.data))


def test_shapes_and_keys_are_checked_in_both_directions():
    ours, theirs = models.mlp([3, 4, 2]), dltorch.models.mlp([3, 5, 2])
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight"):
        theirs.load_state_dict(ours.state_dict())
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight: .*\(5, 3\).*\(4, 3\)"):
        ours.load_state_dict(theirs.state_dict())


def test_strict_reports_missing_and_unexpected_keys_as_torch_does():
    ours, theirs = models.mlp([3, 4, 2]), dltorch.models.mlp([3, 4, 2])
    state = theirs.state_dict()
    del state["2.bias"]
    state["extra.weight"] = torch.zeros(1)
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "2\.bias"(.|\n)*Unexpected key\(s\) '
                                           r'in state_dict: "extra\.weight"'):
        ours.load_state_dict(state)
    expected = theirs.load_state_dict(state, strict=False)
    result = ours.load_state_dict(state, strict=False)
    assert result.missing_keys == expected.missing_keys == ["2.bias"]
    assert result.unexpected_keys == expected.unexpected_keys == ["extra.weight"]
    np.testing.assert_array_equal(ours[0].weight.data, theirs[0].weight.detach().numpy())


# --- what __torch_function__ changes, and what it leaves alone ---------------------------------------

def test_a_dlcourse_tensor_is_tensor_like_for_torch():
    assert torch.overrides.is_tensor_like(dlcourse.tensor([1.0]))
    assert not torch.is_tensor(dlcourse.tensor([1.0]))


def test_copy_into_a_torch_tensor_reads_the_values_and_casts():
    target = torch.zeros(3, dtype=torch.float64)
    target.copy_(dlcourse.tensor([0.5, 1.5, 2.5]))
    assert target.tolist() == [0.5, 1.5, 2.5] and target.dtype == torch.float64


def test_torch_functions_take_dlcourse_tensors_and_give_torch_tensors():
    t, x = torch.tensor([1.0, 2.0]), dlcourse.tensor([3.0, 4.0])
    assert isinstance(torch.add(t, x), torch.Tensor) and torch.add(t, x).tolist() == [4.0, 6.0]
    assert torch.stack([t, x]).shape == (2, 2)


def test_operators_between_the_engines_still_give_dlcourse_tensors():
    t, x = torch.tensor([1.0, 2.0]), dlcourse.tensor([3.0, 4.0])
    for result in (t * x, x * t, t + x, t - x, t @ x):
        assert isinstance(result, dlcourse.Tensor)
    assert (t * x).tolist() == [3.0, 8.0] and (t - x).tolist() == [-2.0, -2.0]


def test_a_dlcourse_tensor_that_requires_grad_does_not_cross_silently():
    weight = nn.Parameter(np.ones(2))
    with pytest.raises(TypeError, match="requires grad.*detach"):
        torch.add(torch.ones(2), weight)
    with torch.no_grad():
        assert torch.add(torch.ones(2), weight).tolist() == [2.0, 2.0]
    twin = torch.nn.Linear(2, 1)
    ours = nn.Linear(2, 1)
    twin.load_state_dict(dict(ours.named_parameters()))  # torch loads under no_grad: parameters themselves work
    assert torch.equal(twin.weight.detach(), torch.from_numpy(ours.weight.data))
