"""F.scaled_dot_product_attention with torch's signature and semantics (boolean masks: True = takes part;
float masks added; is_causal; scale; grouped-query attention), the weights it uses, and
MultiheadAttention's torch constructor order. Values and float64 gradients equal PyTorch's."""

import inspect
import math

import numpy as np
import pytest

import dlcourse
from dlcourse import Tensor, nn
from dlcourse.nn import functional as F
from dlcourse.nn.attention import attention_weights
from dlcourse.nn.transformer import causal_mask
from oracle import assert_close, check_against_torch

torch = pytest.importorskip("torch")
tnn, TF = torch.nn, torch.nn.functional


def test_signature_is_torchs():
    expected = ["query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa"]
    parameters = inspect.signature(F.scaled_dot_product_attention).parameters
    assert list(parameters) == expected
    assert [parameters[name].default for name in expected[3:]] == [None, 0.0, False, None, False]


def test_one_query_averages_the_values_with_softmax_weights():
    q, k = Tensor(np.array([[1.0, 0.0]])), Tensor(np.array([[1.0, 0.0], [0.0, 1.0]]))
    v = Tensor(np.array([[10.0], [20.0]]))
    w0 = 1 / (1 + math.exp(-1 / math.sqrt(2)))  # softmax of (1/sqrt 2, 0)
    assert F.scaled_dot_product_attention(q, k, v).item() == pytest.approx(10 * w0 + 20 * (1 - w0), rel=1e-12)
    np.testing.assert_allclose(attention_weights(q, k).numpy(), [[w0, 1 - w0]], rtol=1e-12)


@pytest.mark.parametrize("shapes", [((4, 3), (5, 3), (5, 2)), ((2, 4, 3), (2, 5, 3), (2, 5, 6)),
                                    ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5))])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_matches_torch(rng, shapes, scale):
    q, k, v = (rng.standard_normal(s) for s in shapes)
    check_against_torch(lambda *a: F.scaled_dot_product_attention(*a, scale=scale),
                        lambda *a: TF.scaled_dot_product_attention(*a, scale=scale), q, k, v)


def test_a_boolean_mask_says_which_pairs_take_part_as_in_torch(rng):
    q, k, v = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 2))
    mask = rng.random((4, 5)) < 0.6
    mask[:, 0] = True  # every query keeps one key
    check_against_torch(lambda *a: F.scaled_dot_product_attention(*a, attn_mask=mask),
                        lambda *a: TF.scaled_dot_product_attention(*a, attn_mask=torch.tensor(mask)), q, k, v)
    weights = attention_weights(Tensor(q), Tensor(k), attn_mask=mask).numpy()
    assert (weights[:, ~mask] == 0).all() and np.allclose(weights.sum(-1), 1)


def test_a_float_mask_is_added_to_the_scores(rng):
    q, k, v = rng.standard_normal((2, 2, 4, 3)), rng.standard_normal((2, 2, 5, 3)), rng.standard_normal((2, 2, 5, 2))
    mask = rng.standard_normal((2, 1, 4, 5))  # broadcast over the heads
    mask[0, 0, 1, 2] = -np.inf
    check_against_torch(lambda *a: F.scaled_dot_product_attention(*a, attn_mask=mask),
                        lambda *a: TF.scaled_dot_product_attention(*a, attn_mask=torch.tensor(mask)), q, k, v)


@pytest.mark.parametrize("lengths", [(5, 5), (5, 3), (3, 6)])
def test_is_causal_matches_torch(rng, lengths):
    q, k, v = rng.standard_normal((2, lengths[0], 4)), rng.standard_normal((2, lengths[1], 4)), \
        rng.standard_normal((2, lengths[1], 3))
    check_against_torch(lambda *a: F.scaled_dot_product_attention(*a, is_causal=True),
                        lambda *a: TF.scaled_dot_product_attention(*a, is_causal=True), q, k, v)


def test_is_causal_equals_the_inverted_causal_mask_of_the_layers(rng):
    x = Tensor(rng.standard_normal((5, 8)))
    assert_close(F.scaled_dot_product_attention(x, x, x, is_causal=True),
                 F.scaled_dot_product_attention(x, x, x, attn_mask=~causal_mask(5)).data)


def test_is_causal_with_a_mask_is_refused_as_in_torch():
    x = dlcourse.zeros(3, 2)
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(x, x, x, attn_mask=np.ones((3, 3), bool), is_causal=True)


def test_a_query_with_every_key_masked_gets_zero_as_in_torch(rng):
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    out = check_against_torch(lambda *a: F.scaled_dot_product_attention(*a, attn_mask=mask),
                              lambda *a: TF.scaled_dot_product_attention(*a, attn_mask=torch.tensor(mask)), q, k, v)
    assert not out.data[1].any()


def test_grouped_query_attention_shares_key_heads_as_in_torch(rng):
    q, k, v = rng.standard_normal((2, 4, 3, 8)), rng.standard_normal((2, 2, 5, 8)), rng.standard_normal((2, 2, 5, 6))
    check_against_torch(lambda *a: F.scaled_dot_product_attention(*a, enable_gqa=True),
                        lambda *a: TF.scaled_dot_product_attention(*a, enable_gqa=True), q, k, v)


def test_dropout_applies_whenever_dropout_p_is_positive_as_in_torch(rng):
    x = Tensor(rng.standard_normal((6, 4)))
    dlcourse.manual_seed(0)
    dropped = F.scaled_dot_product_attention(x, x, x, dropout_p=0.5)
    assert not np.allclose(dropped.numpy(), F.scaled_dot_product_attention(x, x, x).numpy())


# --- MultiheadAttention ------------------------------------------------------------------------------------
def test_multihead_attention_takes_batch_first_ninth_as_torch():
    ours = nn.MultiheadAttention(8, 2, 0.0, True, False, False, None, None, True)
    theirs = tnn.MultiheadAttention(8, 2, 0.0, True, False, False, None, None, True)
    assert ours.batch_first is theirs.batch_first is True


@pytest.mark.parametrize("kwargs", [dict(add_bias_kv=True), dict(add_zero_attn=True), dict(kdim=4), dict(vdim=4)])
def test_multihead_attention_options_outside_the_engine_say_so(kwargs):
    with pytest.raises(NotImplementedError, match="not part of the course's engine"):
        nn.MultiheadAttention(8, 2, **kwargs)


def _copied_pair(rng, **kwargs):
    ours, theirs = nn.MultiheadAttention(8, 2, batch_first=True, **kwargs).double(), \
        tnn.MultiheadAttention(8, 2, batch_first=True, dtype=torch.float64, **kwargs)
    for p in ours.parameters():
        p.data[...] = rng.standard_normal(p.shape) * 0.4
    theirs.load_state_dict({k: torch.tensor(v.data) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_with_a_query_that_sees_no_key_matches_torch(rng, need_weights):
    """torch gives NaN for such a query when it returns the weights, and 0 when it does not."""
    ours, theirs = _copied_pair(rng)
    x = rng.standard_normal((2, 3, 8))
    mask = np.zeros((3, 3), dtype=bool)
    mask[0] = True  # MultiheadAttention's convention: True = may not attend
    out, _ = ours(*[Tensor(x)] * 3, attn_mask=mask, need_weights=need_weights)
    expected, _ = theirs(*[torch.tensor(x)] * 3, attn_mask=torch.tensor(mask), need_weights=need_weights)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_multihead_attention_per_head_masks_and_is_causal_match_torch(rng):
    ours, theirs = _copied_pair(rng)
    x = rng.standard_normal((2, 4, 8))
    mask = rng.standard_normal((2 * 2, 4, 4))  # (N * heads, L, S), added
    out, weights = ours(*[Tensor(x)] * 3, attn_mask=mask, average_attn_weights=False)
    expected, expected_weights = theirs(*[torch.tensor(x)] * 3, attn_mask=torch.tensor(mask),
                                        average_attn_weights=False)
    assert_close(out, expected, rtol=1e-10, atol=1e-12)
    assert_close(weights, expected_weights, rtol=1e-10, atol=1e-12)
    causal = causal_mask(4)
    out, _ = ours(*[Tensor(x)] * 3, attn_mask=causal, is_causal=True)
    expected, _ = theirs(*[torch.tensor(x)] * 3, attn_mask=torch.tensor(causal), is_causal=True)
    assert_close(out, expected, rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        ours(*[Tensor(x)] * 3, is_causal=True)
