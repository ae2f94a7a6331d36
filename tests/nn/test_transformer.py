"""LayerNorm and TransformerEncoderLayer: values and gradients equal PyTorch's with copied weights (float64)."""

import math

import numpy as np
import pytest

from dlcourse import Tensor, nn
from dlcourse.gradcheck import gradcheck
from dlcourse.nn.functional import gelu, layer_norm
from dlcourse.nn.transformer import causal_mask, sinusoidal_positional_encoding
import oracle
from oracle import assert_close, check_against_torch

torch = pytest.importorskip("torch")
tnn, TF = torch.nn, torch.nn.functional


def check_module(dl_module, torch_module, *inputs, output=lambda out: out):
    """The shared module check at this file's tolerances (a Transformer block sums many float64 terms)."""
    oracle.check_module(dl_module, torch_module, *inputs, output=output, rtol=1e-7, atol=1e-10)


def randomise(module, rng):
    """Give every parameter random values, so that LayerNorm's weight 1 / bias 0 cannot hide a mistake."""
    for p in module.parameters():
        p.data[...] = rng.standard_normal(p.shape) * 0.5


# --- LayerNorm -------------------------------------------------------------------------------------------
def test_layer_norm_gives_each_row_mean_zero_and_variance_one():
    x = Tensor(np.array([[1.0, 2.0, 3.0, 6.0], [10.0, 10.0, 10.0, 14.0]]))
    y = nn.LayerNorm(4, eps=0.0)(x).data
    np.testing.assert_allclose(y.mean(1), 0.0, atol=1e-7)
    np.testing.assert_allclose(y.var(1), 1.0, atol=1e-6)
    np.testing.assert_allclose(y[0], (np.array([1, 2, 3, 6]) - 3) / math.sqrt(3.5), rtol=1e-6)


@pytest.mark.parametrize("shape, normalized_shape", [((4, 6), 6), ((2, 3, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_matches_torch(rng, shape, normalized_shape):
    dl, t = nn.LayerNorm(normalized_shape), tnn.LayerNorm(normalized_shape)
    randomise(dl, rng)
    check_module(dl, t, rng.standard_normal(shape) * 3 + 1)


def test_layer_norm_without_affine_or_bias_matches_torch(rng):
    check_module(nn.LayerNorm(5, elementwise_affine=False), tnn.LayerNorm(5, elementwise_affine=False),
                 rng.standard_normal((3, 5)))
    dl, t = nn.LayerNorm(5, bias=False, eps=1e-3), tnn.LayerNorm(5, bias=False, eps=1e-3)
    randomise(dl, rng)
    check_module(dl, t, rng.standard_normal((3, 5)))
    assert [name for name, _ in dl.named_parameters()] == ["weight"]


def test_layer_norm_eps_is_used():
    x = np.array([[0.0, 1e-3]])
    expected = TF.layer_norm(torch.tensor(x), (2,), eps=1e-2).numpy()
    assert_close(layer_norm(Tensor(x), (2,), eps=1e-2), expected)
    assert not np.allclose(layer_norm(Tensor(x), (2,), eps=1e-5).data, expected)


def test_layer_norm_passes_gradcheck(rng):
    w, b = (Tensor(rng.standard_normal(4), requires_grad=True) for _ in range(2))
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda x, w, b: layer_norm(x, (4,), w, b), (x, w, b))


def test_layer_norm_says_which_shapes_disagree():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        nn.LayerNorm(4)(Tensor(np.zeros((2, 3))))


# --- GELU -------------------------------------------------------------------------------------------------
def test_gelu_matches_torch(rng):
    check_against_torch(gelu, TF.gelu, rng.standard_normal((4, 5)) * 3)


# --- TransformerEncoderLayer ------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch_batch_first(rng, norm_first, activation):
    kwargs = dict(d_model=8, nhead=2, dim_feedforward=12, dropout=0.0, activation=activation, batch_first=True,
                  norm_first=norm_first)
    dl, t = nn.TransformerEncoderLayer(**kwargs), tnn.TransformerEncoderLayer(**kwargs)
    randomise(dl, rng)
    check_module(dl, t, rng.standard_normal((3, 5, 8)))


def test_encoder_layer_matches_torch_sequence_first_with_masks(rng):
    kwargs = dict(d_model=6, nhead=3, dim_feedforward=7, dropout=0.0, layer_norm_eps=1e-3)
    dl, t = nn.TransformerEncoderLayer(**kwargs), tnn.TransformerEncoderLayer(**kwargs)
    randomise(dl, rng)
    mask = causal_mask(4)
    padding = np.array([[False, False, False, True], [False, False, False, False]])
    check_module(
        _WithMasks(dl, mask, padding), _WithMasks(t, torch.tensor(mask), torch.tensor(padding)),
        rng.standard_normal((4, 2, 6)))


def test_encoder_layer_is_causal_blocks_the_future(rng):
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True).double()
    x = rng.standard_normal((1, 5, 4))
    changed = x.copy()
    changed[0, 3:] += 1.0
    mask = causal_mask(5)
    before = layer(Tensor(x), src_mask=mask, is_causal=True).data
    after = layer(Tensor(changed), src_mask=mask, is_causal=True).data
    np.testing.assert_allclose(before[0, :3], after[0, :3])
    assert not np.allclose(before[0, 3:], after[0, 3:])
    assert not np.allclose(layer(Tensor(changed)).data[0, :3], before[0, :3])  # without the mask the past sees it


def test_encoder_layer_is_causal_is_a_hint_that_needs_the_mask_as_in_torch():
    x = np.zeros((1, 3, 4))
    for layer in (nn.TransformerEncoderLayer(4, 2, 8, batch_first=True),
                  tnn.TransformerEncoderLayer(4, 2, 8, batch_first=True, dtype=torch.float64)):
        source = Tensor(x) if isinstance(layer, nn.Module) else torch.tensor(x)
        with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
            layer(source, is_causal=True)


def test_encoder_layer_dropout_only_while_training(rng):
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.5, batch_first=True)
    x = Tensor(rng.standard_normal((2, 3, 4)).astype(np.float32))
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)
    layer.train()
    assert not np.allclose(layer(x).data, layer(x).data)


def test_encoder_layer_state_dict_names_are_pytorchs():
    dl = nn.TransformerEncoderLayer(8, 2, 16)
    t = tnn.TransformerEncoderLayer(8, 2, 16)
    assert {k: tuple(v.shape) for k, v in dl.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in t.state_dict().items()}


def test_encoder_layer_rejects_an_unknown_activation():
    with pytest.raises(ValueError, match="'swish'"):
        nn.TransformerEncoderLayer(4, 2, activation="swish")


class _WithMasks:
    """Call a layer with fixed masks; state_dict and parameters pass through (for check_module)."""

    def __init__(self, layer, mask, padding):
        self.layer, self.mask, self.padding = layer, mask, padding

    def __call__(self, x):
        return self.layer(x, src_mask=self.mask, src_key_padding_mask=self.padding)

    def __getattr__(self, name):
        return getattr(self.layer, name)


# --- positions and masks -----------------------------------------------------------------------------------
def test_causal_mask_is_torchs_subsequent_mask():
    expected = tnn.Transformer.generate_square_subsequent_mask(5).numpy()
    np.testing.assert_array_equal(causal_mask(5), np.isneginf(expected))


def test_sinusoidal_positional_encoding_follows_the_paper():
    code = sinusoidal_positional_encoding(50, 6).data
    assert code.shape == (50, 6)
    t, i = 7, 1
    np.testing.assert_allclose(code[t, 2 * i], math.sin(t / 10000 ** (2 * i / 6)), rtol=1e-6)
    np.testing.assert_allclose(code[t, 2 * i + 1], math.cos(t / 10000 ** (2 * i / 6)), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(code, axis=1), math.sqrt(3), rtol=1e-6)
