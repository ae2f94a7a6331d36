"""The layers a student meets in torch code, with torch's names, argument order, defaults and
semantics: GELU, Conv1d, grouped and 'same'-padded Conv2d, ceil-mode pooling, AdaptiveAvgPool2d,
Embedding's padding_idx, the activations' inplace=, TransformerEncoder and clip_grad_value_.
Values and float64 gradients equal PyTorch's."""

import ast
import inspect

import numpy as np
import pytest

import dlcourse
from dlcourse import Tensor, nn
from dlcourse.nn import functional as F
from oracle import assert_close, check_against_torch, check_module

torch = pytest.importorskip("torch")
tnn, TF = torch.nn, torch.nn.functional

# torch warns that it copies the input for an even kernel with padding='same' (the engine pads it too)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")

# torch arguments the course's engine has no use for: where tensors live and their default type
TORCH_ONLY = {"self", "device", "dtype"}


def parameters(fn):
    """(name, default) of each argument, in order, without the ones only torch has; a function as a
    default (TransformerEncoderLayer's activation=F.relu) by its name."""
    return [(p.name, p.default.__name__ if inspect.isfunction(p.default) else p.default)
            for p in inspect.signature(fn).parameters.values() if p.name not in TORCH_ONLY]


@pytest.mark.parametrize("ours,theirs", [
    (nn.GELU, tnn.GELU), (nn.Conv1d, tnn.Conv1d), (nn.Conv2d, tnn.Conv2d), (nn.ConvTranspose2d, tnn.ConvTranspose2d),
    (nn.AdaptiveAvgPool2d, tnn.AdaptiveAvgPool2d), (nn.MaxPool2d, tnn.MaxPool2d), (nn.AvgPool2d, tnn.AvgPool2d),
    (nn.Embedding, tnn.Embedding), (nn.ReLU, tnn.ReLU), (nn.LeakyReLU, tnn.LeakyReLU), (nn.ELU, tnn.ELU),
    (nn.Dropout, tnn.Dropout), (nn.TransformerEncoder, tnn.TransformerEncoder),
    (nn.MultiheadAttention, tnn.MultiheadAttention), (nn.TransformerEncoderLayer, tnn.TransformerEncoderLayer),
], ids=lambda c: c.__name__)
def test_constructor_takes_torchs_arguments_in_torchs_order(ours, theirs):
    expected = [(name, default) for name, default in parameters(theirs.__init__) if not name.startswith("_")]
    assert parameters(ours.__init__) == expected


@pytest.mark.parametrize("ours,theirs", [
    (F.conv1d, "conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)"),
    (F.conv2d, "conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)"),
    (F.conv_transpose2d, "conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, "
                         "dilation=1)"),
    (F.max_pool2d, "max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, "
                   "return_indices=False)"),
    (F.avg_pool2d, "avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, "
                   "divisor_override=None)"),
    (F.gelu, "gelu(input, approximate='none')"),
    (F.relu, TF.relu), (F.leaky_relu, TF.leaky_relu), (F.elu, TF.elu), (F.dropout, TF.dropout),
    (F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d), (F.embedding, TF.embedding), (F.pad, TF.pad),
    (nn.utils.clip_grad_value_, tnn.utils.clip_grad_value_), (nn.utils.clip_grad_norm_, tnn.utils.clip_grad_norm_),
], ids=lambda f: getattr(f, "__name__", ""))
def test_function_takes_torchs_arguments_in_torchs_order(ours, theirs):
    if isinstance(theirs, str):  # a builtin of torch's: its signature as its documentation writes it
        args = [a.strip() for a in theirs[theirs.index("(") + 1:-1].split(",")]
        expected = [(a.split("=")[0], ast.literal_eval(a.split("=")[1]) if "=" in a else inspect.Parameter.empty)
                    for a in args]
    else:
        expected = parameters(theirs)
    assert parameters(ours) == expected


# --- GELU ------------------------------------------------------------------------------------------
def test_gelu_of_one_is_one_times_phi_of_one():
    assert nn.GELU()(dlcourse.tensor([1.0], dtype=np.float64)).item() == pytest.approx(0.8413447460685429, rel=1e-12)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch(rng, approximate):
    x = rng.standard_normal((3, 7)) * 3
    check_module(nn.GELU(approximate), tnn.GELU(approximate), x)
    check_against_torch(lambda a: F.gelu(a, approximate=approximate), lambda a: TF.gelu(a, approximate=approximate), x)


def test_gelu_refuses_an_unknown_approximation():
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        nn.GELU("sigmoid")


# --- Conv1d ----------------------------------------------------------------------------------------
def test_conv1d_of_a_moving_sum_adds_neighbours():
    weight = dlcourse.tensor(np.ones((1, 1, 3)))
    out = F.conv1d(dlcourse.tensor(np.array([[[1.0, 2.0, 3.0, 4.0]]])), weight, padding=1)
    assert out.numpy().tolist() == [[[3.0, 6.0, 9.0, 7.0]]]


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2), dict(padding=2, dilation=2), dict(padding="same"),
                                    dict(padding="valid", bias=False), dict(groups=2, stride=(3,), padding=(1,)),
                                    dict(kernel_size=4, padding="same", dilation=3)])
def test_conv1d_matches_torch(rng, kwargs):
    kwargs = dict(kernel_size=3) | kwargs
    layer = nn.Conv1d(4, 6, **kwargs)
    assert layer.weight.shape == (6, 4 // kwargs.get("groups", 1), kwargs["kernel_size"])
    check_module(layer, tnn.Conv1d(4, 6, **kwargs), rng.standard_normal((2, 4, 11)))


def test_conv1d_takes_an_unbatched_sequence(rng):
    check_module(nn.Conv1d(3, 2, 3), tnn.Conv1d(3, 2, 3), rng.standard_normal((3, 9)))


def test_conv1d_functional_matches_torch(rng):
    x, w, b = rng.standard_normal((2, 4, 10)), rng.standard_normal((6, 2, 3)), rng.standard_normal(6)
    check_against_torch(lambda *a: F.conv1d(*a, stride=2, padding=1, groups=2),
                        lambda *a: TF.conv1d(*a, stride=2, padding=1, groups=2), x, w, b)


# --- Conv2d: groups, 'same', 'valid' ---------------------------------------------------------------------
def test_depthwise_convolution_filters_each_channel_on_its_own():
    x = np.zeros((1, 2, 3, 3))
    x[0, 0] = 1.0  # only channel 0 is lit
    conv = nn.Conv2d(2, 2, 3, padding=1, groups=2, bias=False)
    assert conv.weight.shape == (2, 1, 3, 3)
    with dlcourse.no_grad():
        conv.weight.data[...] = 1.0
    out = conv(dlcourse.tensor(x, dtype=np.float32)).detach().numpy()
    assert out[0, 0, 1, 1] == 9.0 and not out[0, 1].any()


@pytest.mark.parametrize("kwargs", [dict(groups=2), dict(groups=4, padding=1), dict(groups=2, stride=2, dilation=2),
                                    dict(groups=4, bias=False), dict(padding="same"), dict(padding="valid"),
                                    dict(kernel_size=4, padding="same"), dict(kernel_size=(2, 5), padding="same"),
                                    dict(kernel_size=2, padding="same", dilation=3, groups=2)])
def test_conv2d_groups_and_string_padding_match_torch(rng, kwargs):
    kwargs = dict(kernel_size=3) | kwargs
    check_module(nn.Conv2d(4, 8, **kwargs), tnn.Conv2d(4, 8, **kwargs), rng.standard_normal((2, 4, 7, 8)))


def test_conv2d_functional_groups_and_same_padding_match_torch(rng):
    x, w, b = rng.standard_normal((2, 6, 6, 5)), rng.standard_normal((4, 3, 4, 4)), rng.standard_normal(4)
    check_against_torch(lambda *a: F.conv2d(*a, padding="same", groups=2),
                        lambda *a: TF.conv2d(*a, padding="same", groups=2), x, w, b)


@pytest.mark.parametrize("kwargs", [dict(groups=2), dict(groups=4, stride=2, padding=1, output_padding=1),
                                    dict(groups=2, dilation=2, bias=False)])
def test_grouped_conv_transpose2d_matches_torch(rng, kwargs):
    ours, theirs = nn.ConvTranspose2d(4, 8, 3, **kwargs), tnn.ConvTranspose2d(4, 8, 3, **kwargs)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    check_module(ours, theirs, rng.standard_normal((2, 4, 5, 6)))


def test_conv_transpose2d_seventh_positional_argument_is_groups_as_in_torch(rng):
    x, w = rng.standard_normal((1, 4, 3, 3)), rng.standard_normal((4, 1, 2, 2))
    check_against_torch(lambda a, b: F.conv_transpose2d(a, b, None, 2, 0, 0, 4),
                        lambda a, b: TF.conv_transpose2d(a, b, None, 2, 0, 0, 4), x, w)


def test_conv2d_takes_an_unbatched_image(rng):
    check_module(nn.Conv2d(3, 2, 3, padding=1), tnn.Conv2d(3, 2, 3, padding=1), rng.standard_normal((3, 5, 5)))


def test_grouped_conv2d_starts_like_torch_bounds():
    conv = nn.Conv2d(8, 8, 3, groups=4)
    bound = 1 / np.sqrt(2 * 3 * 3)  # fan_in counts the channels of one group
    assert np.abs(conv.bias.data).max() <= bound and np.abs(conv.bias.data).max() > bound / 2


@pytest.mark.parametrize("make,message", [
    (lambda m: m.Conv2d(3, 6, 3, groups=2), "in_channels must be divisible by groups"),
    (lambda m: m.Conv2d(4, 6, 3, groups=4), "out_channels must be divisible by groups"),
    (lambda m: m.Conv2d(4, 6, 3, stride=2, padding="same"), "padding='same' is not supported for strided"),
    (lambda m: m.Conv2d(4, 6, 3, padding="full"), "Invalid padding string 'full'"),
])
def test_conv2d_refuses_what_torch_refuses_with_its_message(make, message):
    for module in (nn, tnn):
        with pytest.raises(ValueError, match=message):
            make(module)


def test_conv2d_functional_same_padding_needs_stride_one_as_in_torch():
    x, w = dlcourse.zeros(1, 1, 5, 5), dlcourse.zeros(1, 1, 3, 3)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided"):
        F.conv2d(x, w, stride=2, padding="same")


def test_conv2d_padding_modes_other_than_zeros_say_they_are_not_in_the_engine():
    with pytest.raises(NotImplementedError, match="padding_mode='reflect'.*not part of the course's engine"):
        nn.Conv2d(1, 1, 3, padding_mode="reflect")


# --- pooling: ceil_mode, count_include_pad, divisor_override, adaptive ---------------------------------------
def test_ceil_mode_keeps_the_last_partial_window():
    x = dlcourse.tensor(np.arange(25.0).reshape(1, 1, 5, 5))
    assert nn.MaxPool2d(2)(x).shape == (1, 1, 2, 2)
    assert nn.MaxPool2d(2, ceil_mode=True)(x).numpy()[0, 0].tolist() == [[6, 8, 9], [16, 18, 19], [21, 23, 24]]
    assert nn.AvgPool2d(2, ceil_mode=True)(x).numpy()[0, 0, 2].tolist() == [20.5, 22.5, 24.0]


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2, ceil_mode=True), dict(kernel_size=3, stride=2, ceil_mode=True),
                                    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                    dict(kernel_size=(2, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True),
                                    dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
                                    dict(kernel_size=3, stride=3, ceil_mode=True)])
@pytest.mark.parametrize("size", [(5, 5), (6, 7), (4, 9)])
def test_max_pool2d_ceil_mode_matches_torch(rng, kwargs, size):
    x = rng.standard_normal((2, 3) + size)
    check_module(nn.MaxPool2d(**kwargs), tnn.MaxPool2d(**kwargs), x)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2, ceil_mode=True), dict(kernel_size=3, stride=2, ceil_mode=True),
                                    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
                                    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                                    dict(kernel_size=(2, 3), padding=(1, 1), ceil_mode=True),
                                    dict(kernel_size=3, stride=1, padding=1, divisor_override=4),
                                    dict(kernel_size=2, ceil_mode=True, divisor_override=3)])
@pytest.mark.parametrize("size", [(5, 5), (6, 7), (4, 9)])
def test_avg_pool2d_ceil_mode_and_divisors_match_torch(rng, kwargs, size):
    x = rng.standard_normal((2, 3) + size)
    check_module(nn.AvgPool2d(**kwargs), tnn.AvgPool2d(**kwargs), x)


def test_pooling_functions_take_torchs_positional_order(rng):
    x = rng.standard_normal((1, 2, 7, 7))
    check_against_torch(lambda a: F.max_pool2d(a, 3, 2, 1, 1, True), lambda a: TF.max_pool2d(a, 3, 2, 1, 1, True), x)
    check_against_torch(lambda a: F.avg_pool2d(a, 3, 2, 1, True, False),
                        lambda a: TF.avg_pool2d(a, 3, 2, 1, True, False), x)


def test_pooling_takes_an_unbatched_image(rng):
    x = rng.standard_normal((2, 5, 5))
    check_module(nn.MaxPool2d(2, ceil_mode=True), tnn.MaxPool2d(2, ceil_mode=True), x)
    check_module(nn.AvgPool2d(2), tnn.AvgPool2d(2), x)


def test_pooling_padding_above_half_the_kernel_is_refused_as_in_torch():
    with pytest.raises(ValueError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(dlcourse.zeros(1, 1, 6, 6), 2, padding=2)


def test_max_pool2d_return_indices_points_to_the_numpy_helper():
    with pytest.raises(NotImplementedError, match="max_pool2d_with_indices"):
        nn.MaxPool2d(2, return_indices=True)


def test_global_average_pooling_is_the_mean_of_each_channel(rng):
    x = rng.standard_normal((2, 3, 5, 4))
    out = nn.AdaptiveAvgPool2d(1)(Tensor(x))
    assert out.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(out.numpy()[..., 0, 0], x.mean((2, 3)))


@pytest.mark.parametrize("output_size,size", [((1, 1), (6, 6)), (1, (5, 7)), (2, (6, 8)), ((3, 2), (6, 8)),
                                              (3, (7, 7)), ((4, 3), (5, 7)), ((None, 2), (5, 4)), ((5, None), (3, 4)),
                                              (4, (4, 4))])
def test_adaptive_avg_pool2d_matches_torch(rng, output_size, size):
    x = rng.standard_normal((2, 3) + size)
    check_module(nn.AdaptiveAvgPool2d(output_size), tnn.AdaptiveAvgPool2d(output_size), x)
    check_against_torch(lambda a: F.adaptive_avg_pool2d(a, output_size),
                        lambda a: TF.adaptive_avg_pool2d(a, output_size), x)


def test_adaptive_avg_pool2d_takes_an_unbatched_image(rng):
    check_module(nn.AdaptiveAvgPool2d((2, 3)), tnn.AdaptiveAvgPool2d((2, 3)), rng.standard_normal((3, 5, 7)))


def test_adaptive_avg_pool2d_refuses_an_empty_output():
    with pytest.raises(ValueError, match="output_size must be positive"):
        F.adaptive_avg_pool2d(dlcourse.zeros(1, 1, 4, 4), 0)


# --- Embedding's padding_idx ---------------------------------------------------------------------------
def test_padding_row_starts_at_zero_and_gets_no_gradient():
    embedding = nn.Embedding(5, 3, padding_idx=0)
    assert not embedding.weight.data[0].any() and embedding.weight.data[1:].all()
    embedding(dlcourse.tensor(np.array([[0, 2, 0, 4]]))).sum().backward()
    grad = embedding.weight.grad.numpy()
    assert not grad[0].any() and grad[2].tolist() == [1, 1, 1] and not grad[1].any()


@pytest.mark.parametrize("padding_idx", [1, -1, None])
def test_embedding_with_padding_idx_matches_torch(rng, padding_idx):
    ours, theirs = nn.Embedding(6, 4, padding_idx=padding_idx), tnn.Embedding(6, 4, padding_idx=padding_idx)
    assert ours.padding_idx == theirs.padding_idx and repr(ours) == repr(theirs)
    index = np.array([[1, 5, 1], [0, 2, 5]])
    check_module(ours, theirs, index)


def test_embedding_functional_padding_idx_keeps_the_row_value_but_not_its_gradient(rng):
    w, index = rng.standard_normal((5, 3)), np.array([3, 1, 3])
    check_against_torch(lambda a: F.embedding(Tensor(index), a, padding_idx=3),
                        lambda a: TF.embedding(torch.tensor(index), a, padding_idx=3), w)


def test_embedding_padding_idx_out_of_range_is_refused():
    with pytest.raises(ValueError, match="padding_idx 5 must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)


def test_embedding_max_norm_says_it_is_not_in_the_engine():
    with pytest.raises(NotImplementedError, match="max_norm=1.0.*not part of the course's engine"):
        nn.Embedding(5, 2, max_norm=1.0)


# --- inplace= ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ours,theirs", [(nn.ReLU(inplace=True), tnn.ReLU(inplace=True)),
                                         (nn.LeakyReLU(0.1, True), tnn.LeakyReLU(0.1, True)),
                                         (nn.ELU(0.5, True), tnn.ELU(0.5, True))], ids=repr)
def test_inplace_activations_return_torchs_values(rng, ours, theirs):
    assert repr(ours) == repr(theirs)
    x = rng.standard_normal((3, 4))
    expected = theirs(torch.tensor(x))  # torch overwrites its input, so it gets a copy of x
    assert_close(ours(Tensor(x.copy())), expected)


def test_inplace_is_computed_out_of_place_and_leaves_the_input_as_it_was(rng):
    x = Tensor(rng.standard_normal((4,)))
    before = x.numpy().copy()
    out = F.relu(x, inplace=True)
    np.testing.assert_array_equal(x.numpy(), before)
    np.testing.assert_array_equal(out.numpy(), np.maximum(before, 0))


def test_inplace_relu_in_a_network_trains_like_torchs(rng):
    x = rng.standard_normal((5, 3))
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Dropout(0.0, inplace=True), nn.Linear(4, 2))
    theirs = tnn.Sequential(tnn.Linear(3, 4), tnn.ReLU(inplace=True), tnn.Dropout(0.0, inplace=True), tnn.Linear(4, 2))
    check_module(ours, theirs, x)


def test_dropout_with_inplace_draws_the_same_mask():
    dlcourse.manual_seed(3)
    a = nn.Dropout(0.5)(dlcourse.ones(20)).numpy()
    dlcourse.manual_seed(3)
    b = nn.Dropout(0.5, inplace=True)(dlcourse.ones(20)).numpy()
    np.testing.assert_array_equal(a, b)
    assert repr(nn.Dropout(0.5, inplace=True)) == repr(tnn.Dropout(0.5, inplace=True))


# --- TransformerEncoder ----------------------------------------------------------------------------------
def _encoders(norm_first=False, with_norm=True, batch_first=True):
    kwargs = dict(dim_feedforward=12, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kwargs), 3,
                                 norm=nn.LayerNorm(8) if with_norm else None)
    theirs = tnn.TransformerEncoder(tnn.TransformerEncoderLayer(8, 2, **kwargs), 3,
                                    norm=tnn.LayerNorm(8) if with_norm else None, enable_nested_tensor=False)
    return ours, theirs


def test_transformer_encoder_state_dict_has_torchs_keys_and_shapes():
    ours, theirs = _encoders()
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert list(ours.state_dict())[0] == "layers.0.self_attn.in_proj_weight"


def test_transformer_encoder_layers_are_copies_that_start_equal():
    layer = nn.TransformerEncoderLayer(8, 2, 12)
    encoder = nn.TransformerEncoder(layer, 2)
    first, second = encoder.layers
    assert first is not layer and first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(first.linear1.weight.data, second.linear1.weight.data)
    np.testing.assert_array_equal(layer.linear1.weight.data, first.linear1.weight.data)
    assert len(list(encoder.parameters())) == 2 * len(list(layer.parameters()))


@pytest.mark.parametrize("norm_first,with_norm,batch_first", [(False, False, True), (True, True, True),
                                                              (False, True, False)])
def test_transformer_encoder_matches_torch(rng, norm_first, with_norm, batch_first):
    ours, theirs = _encoders(norm_first, with_norm, batch_first)
    for p in ours.parameters():  # random values everywhere, and different in each layer
        p.data[...] = rng.standard_normal(p.shape) * 0.3
    check_module(ours, theirs, rng.standard_normal((2, 5, 8)), rtol=1e-7, atol=1e-10)


class _Masked:
    """An encoder called with a mask, a key padding mask and is_causal, in either engine."""

    def __init__(self, encoder, mask, padding):
        self.encoder, self.mask, self.padding = encoder, mask, padding

    def __getattr__(self, name):
        return getattr(self.encoder, name)

    def __call__(self, x):
        return self.encoder(x, mask=self.mask, src_key_padding_mask=self.padding, is_causal=True)


def test_transformer_encoder_with_causal_and_padding_masks_matches_torch(rng):
    ours, theirs = _encoders(norm_first=True)
    mask = nn.transformer.causal_mask(5)
    padding = np.zeros((2, 5), dtype=bool)
    padding[1, 3:] = True
    check_module(_Masked(ours, mask, padding), _Masked(theirs, torch.tensor(mask), torch.tensor(padding)),
                 rng.standard_normal((2, 5, 8)), rtol=1e-7, atol=1e-10)


def test_transformer_encoder_is_causal_without_a_mask_raises_as_in_torch():
    ours, theirs = _encoders()
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        ours(dlcourse.zeros(1, 3, 8), is_causal=True)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        theirs(torch.zeros(1, 3, 8), is_causal=True)


# --- clip_grad_value_ --------------------------------------------------------------------------------------
def test_clip_grad_value_cuts_each_entry_on_its_own():
    w = Tensor(np.zeros(3), requires_grad=True)
    (w * Tensor(np.array([-5.0, 0.5, 2.0]))).sum().backward()
    assert nn.utils.clip_grad_value_(w, 1.0) is None
    assert w.grad.numpy().tolist() == [-1.0, 0.5, 1.0]


def test_clip_grad_value_matches_torch_and_skips_parameters_without_gradient(rng):
    values = [rng.standard_normal((3, 4)) * 3, rng.standard_normal(5), rng.standard_normal(2)]
    ours = [Tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    upstream = [rng.standard_normal(v.shape) * 4 for v in values]
    for a, t, g in zip(ours[:2], theirs[:2], upstream):
        (a * Tensor(g)).sum().backward()
        (t * torch.tensor(g)).sum().backward()
    nn.utils.clip_grad_value_(iter(ours), 1.5)
    tnn.utils.clip_grad_value_(iter(theirs), 1.5)
    for a, t in zip(ours[:2], theirs[:2]):
        assert_close(a.grad, t.grad)
    assert ours[2].grad is None


def test_pad_takes_mode_third_and_only_the_constant_mode(rng):
    x = rng.standard_normal((1, 2, 3))
    check_against_torch(lambda a: F.pad(a, (1, 2), "constant", 0.5), lambda a: TF.pad(a, (1, 2), "constant", 0.5), x)
    with pytest.raises(NotImplementedError, match="mode='reflect'.*not part of the course's engine"):
        F.pad(Tensor(x), (1, 1), "reflect")
