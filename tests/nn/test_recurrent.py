"""Recurrent layers, gradient clipping and the sequence helpers of chapter 9, against PyTorch."""

import math

import numpy as np
import pytest
import torch

import dlcourse
from dlcourse import nn, sequences
from dlcourse.nn.utils import clip_grad_norm_


def _copy_into_torch(dl_module, torch_module):
    torch_module.load_state_dict({k: torch.tensor(v.data) for k, v in dl_module.state_dict().items()})


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_recurrent_layer_with_initial_state_matches_torch_in_values_and_state_gradients(kind, rng):
    dl_layer = getattr(nn, kind)(3, 4, batch_first=True).double()
    t_layer = getattr(torch.nn, kind)(3, 4, batch_first=True, dtype=torch.float64)
    _copy_into_torch(dl_layer, t_layer)
    x, h0, c0 = rng.standard_normal((2, 6, 3)), rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 2, 4))
    dl_x, dl_h0, dl_c0 = (dlcourse.Tensor(a, requires_grad=True) for a in (x, h0, c0))
    t_x, t_h0, t_c0 = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    dl_out, _ = dl_layer(dl_x, (dl_h0, dl_c0) if kind == "LSTM" else dl_h0)
    t_out, _ = t_layer(t_x, (t_h0, t_c0) if kind == "LSTM" else t_h0)
    np.testing.assert_allclose(dl_out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.standard_normal(t_out.shape)
    dl_out.backward(upstream)
    t_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(dl_x.grad.data, t_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dl_h0.grad.data, t_h0.grad.numpy(), rtol=1e-9, atol=1e-12)
    if kind == "LSTM":
        np.testing.assert_allclose(dl_c0.grad.data, t_c0.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, p in t_layer.named_parameters():
        np.testing.assert_allclose(dict(dl_layer.named_parameters())[name].grad.data, p.grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


def test_recurrent_layer_says_which_input_size_it_expected():
    with pytest.raises(ValueError, match="expected 3 input features"):
        nn.GRU(3, 2)(dlcourse.Tensor(np.zeros((4, 1, 5))))


def _params_with_grads(grads, library):
    params = []
    for g in grads:
        p = library.nn.Parameter(library.tensor(np.zeros_like(g)))
        p.grad = library.tensor(np.array(g))
        params.append(p)
    return params


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, float("inf")), (2.0, 3.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type, rng):
    grads = [rng.standard_normal(s) for s in [(3, 4), (5,), (2, 2, 2)]]
    ours, theirs = _params_with_grads(grads, dlcourse), _params_with_grads(grads, torch)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert math.isclose(total.item(), expected.item(), rel_tol=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_keeps_the_direction_and_skips_parameters_without_gradient():
    with_grad, without = _params_with_grads([np.array([3.0, 4.0])], dlcourse)[0], nn.Parameter(dlcourse.zeros(2))
    total = clip_grad_norm_([with_grad, without], 1.0)
    assert total.item() == 5.0 and without.grad is None
    np.testing.assert_allclose(with_grad.grad.data, [0.6, 0.8], rtol=1e-5)


def test_clip_grad_norm_on_a_single_tensor_and_bad_arguments():
    p = _params_with_grads([np.array([0.0, 2.0])], dlcourse)[0]
    assert clip_grad_norm_(p, 1.0).item() == 2.0
    with pytest.raises(ValueError, match="max_norm must be positive"):
        clip_grad_norm_(p, 0.0)
    p.grad = dlcourse.Tensor(np.array([np.nan, 1.0]))
    with pytest.raises(RuntimeError, match="total norm"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_truncated_bptt_batches_keep_rows_contiguous_and_shift_targets():
    chunks = sequences.truncated_bptt_batches(np.arange(11), batch_size=2, seq_len=3)
    assert [c[0].tolist() for c in chunks] == [[[0, 1, 2], [5, 6, 7]], [[3, 4], [8, 9]]]
    assert [c[1].tolist() for c in chunks] == [[[1, 2, 3], [6, 7, 8]], [[4, 5], [9, 10]]]
    with pytest.raises(ValueError, match="too few"):
        sequences.truncated_bptt_batches(np.arange(3), batch_size=4, seq_len=2)


def test_sample_next_is_rng_choice_of_the_tempered_softmax_and_greedy_at_zero():
    logits = np.array([2.0, 1.0, 0.0, 1000.0 - 1000.0])
    p = np.exp(logits / 0.7) / np.exp(logits / 0.7).sum()
    draws = [sequences.sample_next(logits, 0.7, np.random.default_rng(s)) for s in range(20)]
    assert draws == [int(np.random.default_rng(s).choice(4, p=p)) for s in range(20)]
    assert sequences.sample_next(np.array([1000.0, 999.0]), 1.0, np.random.default_rng(0)) in (0, 1)
    assert sequences.sample_next(np.array([0.0, 3.0, 1.0]), 0.0, None) == 1
    with pytest.raises(ValueError, match="temperature"):
        sequences.sample_next(logits, -1.0, np.random.default_rng(0))


def test_vocabulary_round_trip_and_unknown_character():
    vocabulary = sequences.build_vocabulary("hello")
    assert vocabulary == ["e", "h", "l", "o"]
    assert sequences.decode(sequences.encode("hole", vocabulary), vocabulary) == "hole"
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        sequences.encode("z", vocabulary)


def test_adding_task_targets_are_the_sums_of_the_two_marked_numbers():
    inputs, targets = sequences.adding_task(50, 20, np.random.default_rng(0))
    assert inputs.shape == (50, 20, 2) and targets.shape == (50,)
    assert (inputs[..., 1].sum(1) == 2).all()
    np.testing.assert_allclose((inputs[..., 0] * inputs[..., 1]).sum(1), targets, rtol=1e-6)
    assert (inputs[:, :2, 1].sum(1) == 1).all() and (inputs[:, 10:, 1].sum(1) == 1).all()


def test_char_language_model_is_the_same_network_on_both_engines(rng):
    dl_model = sequences.char_language_model(dlcourse, vocab_size=7, embedding_dim=4, hidden_size=5)
    t_model = sequences.char_language_model(torch, vocab_size=7, embedding_dim=4, hidden_size=5)
    t_model.load_state_dict({k: torch.tensor(v.data) for k, v in dl_model.state_dict().items()})
    ids = rng.integers(0, 7, size=(2, 9))
    dl_logits, _ = dl_model(dlcourse.tensor(ids))
    t_logits, _ = t_model(torch.tensor(ids))
    np.testing.assert_allclose(dl_logits.data, t_logits.detach().numpy(), rtol=1e-5, atol=1e-6)
    text = rng.integers(0, 7, size=200)
    assert math.isclose(sequences.bits_per_character(dl_model, dlcourse, text, 4, 10),
                        sequences.bits_per_character(t_model, torch, text, 4, 10), rel_tol=1e-5)
    sample = sequences.generate(dl_model, dlcourse, [1, 2], 6, 0.8, np.random.default_rng(3))
    assert sample.shape == (6,) and sample.max() < 7
    assert sample.tolist() == sequences.generate(t_model, torch, [1, 2], 6, 0.8, np.random.default_rng(3)).tolist()


def test_an_untrained_language_model_scores_about_log2_of_the_vocabulary():
    model = sequences.char_language_model(dlcourse, vocab_size=16, embedding_dim=4, hidden_size=8)
    bits = sequences.bits_per_character(model, dlcourse, np.random.default_rng(0).integers(0, 16, 400), 4, 20)
    assert abs(bits - 4.0) < 0.1
