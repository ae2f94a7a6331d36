"""Layers, losses, functional forms and init: values and gradients equal PyTorch's (float64)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dlcourse
from dlcourse import Tensor, nn
from dlcourse.gradcheck import gradcheck
from dlcourse.nn import functional as F
from oracle import assert_close, check_against_torch, check_module

torch = pytest.importorskip("torch")
tnn, TF = torch.nn, torch.nn.functional
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)


# --- Linear and init ---------------------------------------------------------------------------------
def test_linear_matches_torch_and_its_state_dict_loads_into_torch(rng):
    check_module(nn.Linear(5, 3), tnn.Linear(5, 3), rng.standard_normal((4, 5)))


def test_linear_accepts_extra_leading_dimensions(rng):
    check_module(nn.Linear(5, 3, bias=False), tnn.Linear(5, 3, bias=False), rng.standard_normal((2, 4, 5)))


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
    assert layer.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert layer.weight.shape == (300, 400) and layer.weight.dtype == np.float32


def test_linear_wrong_input_size_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(3, 5\)"):
        nn.Linear(5, 3)(dlcourse.zeros(2, 4))


@pytest.mark.parametrize("name,param", [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(tnn.init.calculate_gain(name, param))


@pytest.mark.parametrize("fn,expected_std", [
    (nn.init.xavier_uniform_, math.sqrt(2 / (200 + 100))), (nn.init.xavier_normal_, math.sqrt(2 / (200 + 100))),
    (nn.init.kaiming_uniform_, math.sqrt(2 / (1 + 0.01 ** 2)) / math.sqrt(200)),
    (nn.init.kaiming_normal_, math.sqrt(2 / (1 + 0.01 ** 2)) / math.sqrt(200))])
def test_init_has_the_standard_deviation_of_its_formula(fn, expected_std):
    w = fn(dlcourse.zeros(100, 200))
    assert w.data.std() == pytest.approx(expected_std, rel=0.03) and abs(w.data.mean()) < 0.01 * 200 ** -0.5 * 10


def test_fans_count_the_receptive_field_of_conv_weights():
    w = dlcourse.zeros(8, 3, 5, 5)
    assert nn.init._calculate_fan_in_and_fan_out(w) == (75, 200)


def test_constant_zeros_ones_and_uniform_init():
    w = dlcourse.zeros(3, 4)
    assert (nn.init.constant_(w, 0.3).data == np.float32(0.3)).all()
    assert (nn.init.ones_(w).data == 1).all() and (nn.init.zeros_(w).data == 0).all()
    u = nn.init.uniform_(dlcourse.zeros(1000), -2, -1).data
    assert u.min() >= -2 and u.max() < -1


# --- activations -------------------------------------------------------------------------------------
ACTIVATIONS = [
    (nn.Sigmoid(), tnn.Sigmoid()), (nn.Tanh(), tnn.Tanh()), (nn.ReLU(), tnn.ReLU()),
    (nn.LeakyReLU(0.2), tnn.LeakyReLU(0.2)), (nn.ELU(0.7), tnn.ELU(0.7)),
    (nn.Softplus(), tnn.Softplus()), (nn.Softplus(beta=2, threshold=1), tnn.Softplus(beta=2, threshold=1)),
    (nn.Softmax(dim=1), tnn.Softmax(dim=1)), (nn.LogSoftmax(dim=0), tnn.LogSoftmax(dim=0)),
    (nn.Flatten(), tnn.Flatten()), (nn.Identity(), tnn.Identity()),
]


@pytest.mark.parametrize("pair", ACTIVATIONS, ids=lambda p: repr(p[0]))
@SETTINGS
@given(rows=st.integers(1, 4), cols=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_activation_matches_torch(pair, rows, cols, seed):
    x = np.random.default_rng(seed).standard_normal((rows, cols)) * 3
    check_module(*pair, x)


@pytest.mark.parametrize("pair", ACTIVATIONS[:9], ids=lambda p: repr(p[0]))
def test_activation_passes_gradcheck(pair, rng):
    assert gradcheck(pair[0].double(), [Tensor(rng.standard_normal((3, 4)), requires_grad=True)])


def test_prelu_learns_one_slope_per_channel_like_torch(rng):
    check_module(nn.PReLU(3, init=0.1), tnn.PReLU(3, init=0.1), rng.standard_normal((2, 3, 4)))
    check_module(nn.PReLU(), tnn.PReLU(), rng.standard_normal((2, 3)))


def test_maxout_takes_the_maximum_of_its_pieces(rng):
    layer = nn.Maxout(4, 3, pieces=2).double()
    x = rng.standard_normal((5, 4))
    z = x @ layer.linear.weight.data.T + layer.linear.bias.data
    assert_close(layer(Tensor(x)), z.reshape(5, 3, 2).max(-1))
    assert gradcheck(layer, [Tensor(x, requires_grad=True)])


@pytest.mark.parametrize("fn,torch_fn", [(F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)])
def test_softmax_forms_are_finite_for_logits_of_plus_minus_1e4(fn, torch_fn):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    out = check_against_torch(lambda t: fn(t, dim=1), lambda t: torch_fn(t, dim=1), x)
    assert np.isfinite(out.data).all()


# --- losses --------------------------------------------------------------------------------------------
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(n=st.integers(1, 5), c=st.integers(2, 5), seed=st.integers(0, 2**32 - 1))
def test_cross_entropy_matches_torch(reduction, n, c, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n, c)) * 3, rng.integers(0, c, n)
    check_module(nn.CrossEntropyLoss(reduction=reduction), tnn.CrossEntropyLoss(reduction=reduction), x, y)


def test_cross_entropy_with_class_weights_and_ignore_index_matches_torch(rng):
    x, y, w = rng.standard_normal((6, 4)), np.array([0, 3, -100, 1, 1, 2]), rng.uniform(0.5, 2, 4)
    check_against_torch(lambda a: F.cross_entropy(a, Tensor(y), weight=w),
                        lambda a: TF.cross_entropy(a, torch.tensor(y), weight=torch.tensor(w)), x)


def test_cross_entropy_on_images_and_probability_targets_matches_torch(rng):
    x, y = rng.standard_normal((2, 3, 4, 5)), rng.integers(0, 3, (2, 4, 5))
    check_against_torch(lambda a: F.cross_entropy(a, Tensor(y)), lambda a: TF.cross_entropy(a, torch.tensor(y)), x)
    p = rng.dirichlet(np.ones(3), 4)
    check_against_torch(lambda a, b: F.cross_entropy(a, b), lambda a, b: TF.cross_entropy(a, b),
                        rng.standard_normal((4, 3)), p, grad_mask=[True, False])


def test_cross_entropy_is_finite_for_logits_of_plus_minus_1e4():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
    out = check_against_torch(lambda a: F.cross_entropy(a, Tensor(np.array([1, 0]))),
                              lambda a: TF.cross_entropy(a, torch.tensor([1, 0])), x)
    assert np.isfinite(out.item())


def test_cross_entropy_rejects_float_class_indices_and_bad_shapes():
    with pytest.raises(TypeError, match="integer"):
        F.nll_loss(dlcourse.zeros(2, 3), dlcourse.zeros(2))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2,\).*\(3,\)"):
        F.cross_entropy(dlcourse.zeros(2, 3), Tensor(np.zeros(3, dtype=np.int64)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_torch(reduction, rng):
    x, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    check_module(nn.NLLLoss(reduction=reduction), tnn.NLLLoss(reduction=reduction), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pair", [(nn.MSELoss, tnn.MSELoss), (nn.L1Loss, tnn.L1Loss)])
@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=st.integers(0, 2**32 - 1))
def test_regression_losses_match_torch(pair, reduction, shape, seed):
    rng = np.random.default_rng(seed)
    check_module(pair[0](reduction=reduction), pair[1](reduction=reduction),
                 rng.standard_normal(shape), rng.standard_normal(shape))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(reduction, rng):
    p, y = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))
    check_module(nn.BCELoss(reduction=reduction), tnn.BCELoss(reduction=reduction), p, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_torch(reduction, rng):
    x, y, w = rng.standard_normal((4, 3)) * 4, rng.uniform(0, 1, (4, 3)), rng.uniform(0, 1, 3)
    check_module(nn.BCEWithLogitsLoss(reduction=reduction), tnn.BCEWithLogitsLoss(reduction=reduction), x, y)
    check_against_torch(lambda a: F.binary_cross_entropy_with_logits(a, Tensor(y), weight=Tensor(w)),
                        lambda a: TF.binary_cross_entropy_with_logits(a, torch.tensor(y), weight=torch.tensor(w)), x)


def test_bce_with_logits_is_finite_for_logits_of_plus_minus_1e4():
    x, y = np.array([1e4, -1e4, 1e4]), np.array([0.0, 1.0, 1.0])
    out = check_against_torch(lambda a: F.binary_cross_entropy_with_logits(a, Tensor(y)),
                              lambda a: TF.binary_cross_entropy_with_logits(a, torch.tensor(y)), x)
    assert out.item() == pytest.approx(2e4 / 3)


def test_loss_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        F.mse_loss(dlcourse.zeros(3), dlcourse.zeros(3, 1))


def test_unknown_reduction_is_rejected():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


# --- convolution, pooling, upsampling ------------------------------------------------------------------
CONV_CONFIGS = [dict(), dict(stride=2), dict(padding=1), dict(dilation=2), dict(stride=2, padding=2, dilation=2),
                dict(stride=(1, 2), padding=(0, 1)), dict(bias=False)]


@pytest.mark.parametrize("config", CONV_CONFIGS, ids=str)
def test_conv2d_matches_torch(config, rng):
    check_module(nn.Conv2d(3, 4, 3, **config), tnn.Conv2d(3, 4, 3, **config), rng.standard_normal((2, 3, 7, 8)))


def test_conv2d_with_rectangular_kernel_passes_gradcheck(rng):
    conv = nn.Conv2d(2, 3, (2, 3), padding=1, stride=2).double()
    assert gradcheck(lambda x: conv(x), [Tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)])


def test_conv2d_channel_mismatch_names_both():
    with pytest.raises(ValueError, match=r"2 channels.*expects 3"):
        nn.Conv2d(3, 4, 3)(dlcourse.zeros(1, 2, 5, 5))


CONVT_CONFIGS = [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1), dict(dilation=2, padding=1),
                 dict(stride=3, padding=1, output_padding=2, bias=False)]


@pytest.mark.parametrize("config", CONVT_CONFIGS, ids=str)
def test_conv_transpose2d_matches_torch(config, rng):
    check_module(nn.ConvTranspose2d(3, 2, 3, **config), tnn.ConvTranspose2d(3, 2, 3, **config),
                 rng.standard_normal((2, 3, 4, 5)))


POOL_CONFIGS = [dict(kernel_size=2), dict(kernel_size=3, stride=2), dict(kernel_size=3, stride=1, padding=1)]


@pytest.mark.parametrize("config", POOL_CONFIGS, ids=str)
def test_max_pool2d_matches_torch(config, rng):
    check_module(nn.MaxPool2d(**config), tnn.MaxPool2d(**config), rng.standard_normal((2, 3, 6, 7)))


def test_max_pool2d_with_dilation_matches_torch(rng):
    check_module(nn.MaxPool2d(2, 1, dilation=2), tnn.MaxPool2d(2, 1, dilation=2), rng.standard_normal((1, 2, 6, 6)))


@pytest.mark.parametrize("config", POOL_CONFIGS, ids=str)
def test_avg_pool2d_matches_torch(config, rng):
    check_module(nn.AvgPool2d(**config), tnn.AvgPool2d(**config), rng.standard_normal((2, 3, 6, 7)))


@pytest.mark.parametrize("config", [dict(scale_factor=2, mode="nearest"), dict(scale_factor=3, mode="nearest"),
                                    dict(size=(5, 9), mode="nearest"), dict(scale_factor=2, mode="bilinear"),
                                    dict(size=(7, 4), mode="bilinear"), dict(scale_factor=3, mode="bilinear")], ids=str)
def test_upsample_matches_torch(config, rng):
    kwargs = dict(config, align_corners=False) if config["mode"] == "bilinear" else config
    check_module(nn.Upsample(**config), tnn.Upsample(**kwargs), rng.standard_normal((2, 2, 3, 4)))


def test_pad_matches_torch(rng):
    x = rng.standard_normal((1, 2, 3, 4))
    check_against_torch(lambda a: F.pad(a, (1, 2, 0, 3), value=0.5), lambda a: TF.pad(a, (1, 2, 0, 3), value=0.5), x)


# --- normalisation, dropout, embedding ---------------------------------------------------------------------
@pytest.mark.parametrize("dl_cls,torch_cls,shape", [(nn.BatchNorm1d, tnn.BatchNorm1d, (6, 3)),
                                                    (nn.BatchNorm1d, tnn.BatchNorm1d, (4, 3, 5)),
                                                    (nn.BatchNorm2d, tnn.BatchNorm2d, (4, 3, 2, 5))])
def test_batch_norm_matches_torch_in_training_and_running_stats(dl_cls, torch_cls, shape, rng):
    dl_bn, t_bn = dl_cls(3, momentum=0.3), torch_cls(3, momentum=0.3)
    nn.init.uniform_(dl_bn.weight, 0.5, 1.5)
    nn.init.uniform_(dl_bn.bias)
    for _ in range(3):
        check_module(dl_bn, t_bn, rng.standard_normal(shape) * 2 + 1)
        for p in dl_bn.parameters():
            p.grad = None
        t_bn.zero_grad()
    for name, buffer in dl_bn.named_buffers():
        assert_close(buffer, getattr(t_bn, name), what=name)
    dl_bn.eval()
    t_bn.eval()
    check_module(dl_bn, t_bn, rng.standard_normal(shape))


def test_batch_norm_rejects_wrong_channel_count():
    with pytest.raises(ValueError, match=r"3 channels.*\(2, 4\)"):
        nn.BatchNorm1d(3)(dlcourse.zeros(2, 4))


def test_dropout_zeroes_a_fraction_p_and_rescales_in_training():
    drop = nn.Dropout(0.3)
    out = drop(dlcourse.ones(100_000)).data
    assert (out == 0).mean() == pytest.approx(0.3, abs=0.01)
    assert np.allclose(out[out != 0], 1 / 0.7)


def test_dropout_is_the_identity_in_eval_mode():
    x = dlcourse.randn(10)
    assert nn.Sequential(nn.Dropout(0.5)).eval()(x) is x


def test_dropout_masks_repeat_after_manual_seed():
    dlcourse.manual_seed(3)
    a = F.dropout(dlcourse.ones(50), 0.5).data
    dlcourse.manual_seed(3)
    assert (a == F.dropout(dlcourse.ones(50), 0.5).data).all()


def test_dropout_gradient_flows_only_through_kept_units():
    x = Tensor(np.ones(1000), requires_grad=True)
    out = F.dropout(x, 0.5)
    out.sum().backward()
    assert np.array_equal(x.grad.data, out.data)


def test_embedding_matches_torch_with_repeated_indices(rng):
    check_module(nn.Embedding(6, 3), tnn.Embedding(6, 3), np.array([[0, 2, 2], [5, 0, 1]]))


def test_embedding_out_of_range_index_says_so():
    with pytest.raises(IndexError, match="index 6 out of range for 6"):
        nn.Embedding(6, 3)(Tensor(np.array([6])))


# --- recurrent layers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dl_cls,torch_cls", [(nn.RNNCell, tnn.RNNCell), (nn.GRUCell, tnn.GRUCell)])
def test_recurrent_cell_matches_torch(dl_cls, torch_cls, rng):
    x, h = rng.standard_normal((3, 4)), rng.standard_normal((3, 5))
    check_module(dl_cls(4, 5), torch_cls(4, 5), x, h)


def test_lstm_cell_matches_torch(rng):
    x, h, c = rng.standard_normal((3, 4)), rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    dl_cell, t_cell = nn.LSTMCell(4, 5), tnn.LSTMCell(4, 5)
    check_module(lambda_module(dl_cell, lambda m, a, b, d: m(a, (b, d))[1] * 2 + m(a, (b, d))[0]),
                 lambda_module(t_cell, lambda m, a, b, d: m(a, (b, d))[1] * 2 + m(a, (b, d))[0]), x, h, c)


class lambda_module:  # noqa: N801  (a thin adapter: call a module through a function, keep its state)
    def __init__(self, module, fn):
        self.module, self.fn = module, fn

    def __call__(self, *args):
        return self.fn(self.module, *args)

    def __getattr__(self, name):
        return getattr(self.module, name)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_multilayer_recurrent_layer_matches_torch(kind, batch_first, rng):
    dl_layer = getattr(nn, kind)(3, 4, num_layers=2, batch_first=batch_first)
    t_layer = getattr(tnn, kind)(3, 4, num_layers=2, batch_first=batch_first)
    x = rng.standard_normal((2, 5, 3))

    def summarise(out):  # uses the output sequence and the final states
        seq, state = out
        final = state[0] + state[1].sum() if kind == "LSTM" else state
        return seq.sum(1 if batch_first else 0) * 1.5 + final[-1]
    check_module(dl_layer, t_layer, x, output=summarise)


def test_rnn_with_relu_and_initial_state_on_unbatched_input_matches_torch(rng):
    dl_rnn, t_rnn = nn.RNN(3, 4, nonlinearity="relu"), tnn.RNN(3, 4, nonlinearity="relu")
    check_module(dl_rnn, t_rnn, rng.standard_normal((5, 3)), rng.standard_normal((1, 4)), output=lambda o: o[0])


def test_lstm_state_dict_has_pytorch_names():
    names = set(nn.LSTM(3, 4, num_layers=2).state_dict())
    assert names == set(tnn.LSTM(3, 4, num_layers=2).state_dict())


# --- attention and graph convolution ---------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_matches_torch(batch_first, rng):
    dl_mha = nn.MultiheadAttention(8, 2, batch_first=batch_first)
    t_mha = tnn.MultiheadAttention(8, 2, batch_first=batch_first)
    q = rng.standard_normal((3, 4, 8))
    kv = rng.standard_normal((3, 5, 8) if batch_first else (5, 4, 8))
    check_module(dl_mha, t_mha, q, kv, kv, output=lambda o: o[0] + o[1].sum() * 0.1)


def test_multihead_attention_masks_match_torch(rng):
    dl_mha, t_mha = nn.MultiheadAttention(4, 2, batch_first=True), tnn.MultiheadAttention(4, 2, batch_first=True)
    x = rng.standard_normal((2, 3, 4))
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    padding = np.array([[False, False, True], [False, False, False]])
    dl_out = lambda m, a: m(a, a, a, attn_mask=causal, key_padding_mask=padding)[0]  # noqa: E731
    t_out = lambda m, a: m(a, a, a, attn_mask=torch.tensor(causal), key_padding_mask=torch.tensor(padding))[0]  # noqa: E731
    check_module(lambda_module(dl_mha, dl_out), lambda_module(t_mha, t_out), x)


def test_normalized_adjacency_is_d_minus_half_a_plus_i_d_minus_half():
    a = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    expected = np.array([[1 / 2, 1 / math.sqrt(6), 0], [1 / math.sqrt(6), 1 / 3, 1 / math.sqrt(6)],
                         [0, 1 / math.sqrt(6), 1 / 2]])
    np.testing.assert_allclose(nn.normalized_adjacency(a), expected)


def test_gcn_layer_computes_a_hat_x_w_plus_b_and_its_gradients(rng):
    a = (rng.uniform(size=(5, 5)) < 0.4).astype(float)
    a = np.maximum(a, a.T) * (1 - np.eye(5))
    layer = nn.GCNConv(3, 2).double()
    nn.init.uniform_(layer.bias)
    a_hat = torch.tensor(nn.normalized_adjacency(a))
    w, b = torch.tensor(layer.weight.data, requires_grad=True), torch.tensor(layer.bias.data, requires_grad=True)
    x = rng.standard_normal((5, 3))
    check_against_torch(lambda t: layer(t, a), lambda t: a_hat @ t @ w.T + b, x)
    edges = np.array(np.nonzero(a))
    assert_close(layer(Tensor(x), edges), layer(Tensor(x), a))


# --- Module machinery ----------------------------------------------------------------------------------
class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.BatchNorm1d(4)])
        self.out = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))

    def forward(self, x):
        x = self.hidden(x)
        for block in self.blocks:
            x = block(x)
        return self.out(x)


def test_module_registers_nested_parameters_with_dotted_names():
    names = [n for n, _ in TwoLayer().named_parameters()]
    assert names == ["hidden.weight", "hidden.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                     "blocks.1.bias", "out.1.weight", "out.1.bias"]


def test_state_dict_includes_buffers_and_round_trips():
    a, b = TwoLayer(), TwoLayer()
    assert "blocks.1.running_mean" in a.state_dict() and "blocks.1.num_batches_tracked" in a.state_dict()
    b.load_state_dict(a.state_dict())
    x = dlcourse.randn(5, 3)
    assert np.array_equal(a.eval()(x).data, b.eval()(x).data)


def test_load_state_dict_names_missing_keys_and_wrong_shapes():
    model = TwoLayer()
    state = model.state_dict()
    del state["out.1.bias"]
    with pytest.raises(RuntimeError, match="out.1.bias"):
        model.load_state_dict(state)
    state = model.state_dict()
    state["hidden.weight"] = np.zeros((2, 2))
    with pytest.raises(RuntimeError, match=r"hidden.weight.*\(2, 2\).*\(4, 3\)"):
        model.load_state_dict(state)


def test_train_and_eval_reach_every_submodule_and_zero_grad_clears_grads():
    model = TwoLayer()
    model(dlcourse.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    assert not any(m.training for m in model.modules())
    assert len(list(model.modules())) == 8 and len(list(model.children())) == 3


def test_module_repr_lists_children():
    assert "(hidden): Linear(in_features=3, out_features=4, bias=True)" in repr(TwoLayer())


def test_mixed_float32_and_float64_in_matrix_products_is_refused_like_torch():
    with pytest.raises(TypeError, match=r"linear: .*float32.*float64"):
        nn.Linear(3, 2)(Tensor(np.zeros((1, 3))))
    with pytest.raises(TypeError, match="matmul"):
        dlcourse.ones(2, 2) @ Tensor(np.ones((2, 2)))
    with pytest.raises(TypeError, match="conv2d"):
        nn.Conv2d(1, 1, 3)(Tensor(np.zeros((1, 1, 4, 4))))


def test_conv2d_needs_a_4d_or_unbatched_3d_input_and_says_so():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) or \(C, H, W\).*\(5, 5\)"):
        nn.Conv2d(1, 2, 3)(dlcourse.zeros(5, 5))


def test_sequential_indexing_and_slicing_share_the_layers():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert isinstance(model[0], nn.Linear) and len(model) == 3
    head = model[:2]
    assert isinstance(head, nn.Sequential) and head[0] is model[0]
    assert head(dlcourse.ones(1, 3)).shape == (1, 4)


# --- Gaussian negative log-likelihood (heteroscedastic regression) ------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", [(6, 3), (6,), (6, 1), (1, 3)], ids=str)
def test_gaussian_nll_loss_matches_torch(var_shape, full, reduction, rng):
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    var = rng.uniform(0.1, 2.0, var_shape)
    var.flat[0] = 1e-9                                  # below eps: clamped in value, not in gradient
    check_against_torch(lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=full, reduction=reduction),
                        lambda a, b, v: TF.gaussian_nll_loss(a, b, v, full=full, reduction=reduction), x, y, var)
    dl_module, t_module = nn.GaussianNLLLoss(full=full, eps=1e-3, reduction=reduction), tnn.GaussianNLLLoss(
        full=full, eps=1e-3, reduction=reduction)
    check_against_torch(dl_module, t_module, x, y, var)


def test_gaussian_nll_loss_accepts_a_number_as_the_variance(rng):
    x, y = rng.standard_normal(5), rng.standard_normal(5)
    check_against_torch(lambda a, b: F.gaussian_nll_loss(a, b, 0.5), lambda a, b: TF.gaussian_nll_loss(a, b, 0.5), x, y)


def test_gaussian_nll_loss_is_half_the_squared_error_plus_a_constant_at_unit_variance(rng):
    x, y = Tensor(rng.standard_normal(8)), Tensor(rng.standard_normal(8))
    full = F.gaussian_nll_loss(x, y, dlcourse.ones(8, dtype=np.float64), full=True)
    assert full.item() == pytest.approx(0.5 * F.mse_loss(x, y).item() + 0.5 * np.log(2 * np.pi), rel=1e-12)


def test_gaussian_nll_loss_rejects_negative_variances_and_wrong_shapes():
    x = dlcourse.zeros(4, 3)
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(x, x, Tensor(np.full((4, 3), -1.0, dtype=np.float32)))
    with pytest.raises(ValueError, match="non-negative"):
        F.gaussian_nll_loss(x, x, -0.5)
    with pytest.raises(ValueError, match=r"var has shape \(4, 2\)"):
        F.gaussian_nll_loss(x, x, dlcourse.ones(4, 2))
    with pytest.raises(ValueError, match="reduction"):
        nn.GaussianNLLLoss(reduction="average")
