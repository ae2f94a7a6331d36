"""dlcourse.models.char_lm: the character LSTM on both engines, truncated BPTT's detached state, sampling."""

import numpy as np
import pytest
import torch

import dlcourse
import dlcourse.torch
from dlcourse import models
from dlcourse.torch import load_dlcourse_state


def _twins(vocab_size=7, **sizes):
    """A dlcourse CharLSTM and the torch one with the same weights."""
    ours = models.CharLSTM(vocab_size, **sizes)
    return ours, load_dlcourse_state(dlcourse.torch.models.CharLSTM(vocab_size, **sizes), ours)


def test_char_lstm_has_the_same_parameters_on_both_engines():
    ours = models.CharLSTM(11, embedding_dim=4, hidden_size=5, num_layers=2)
    theirs = dlcourse.torch.models.CharLSTM(11, embedding_dim=4, hidden_size=5, num_layers=2)
    shapes = {name: tuple(value.shape) for name, value in ours.state_dict().items()}
    assert shapes == {name: tuple(value.shape) for name, value in theirs.state_dict().items()}
    assert shapes["embedding.weight"] == (11, 4) and shapes["head.weight"] == (11, 5)
    assert "lstm.weight_hh_l1" in shapes


def test_a_state_dict_of_the_dlcourse_model_gives_the_same_logits_and_state_in_torch(rng):
    ours, theirs = _twins(embedding_dim=4, hidden_size=5, num_layers=2)
    ids = rng.integers(0, 7, size=(2, 9))
    logits, (h, c) = ours(dlcourse.tensor(ids))
    expected, (h_t, c_t) = theirs(torch.tensor(ids))
    assert logits.shape == (2, 9, 7)
    np.testing.assert_allclose(logits.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.data, h_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.data, c_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    more = rng.integers(0, 7, size=(2, 4))              # the state carries on from one chunk to the next
    np.testing.assert_allclose(ours(dlcourse.tensor(more), (h, c))[0].data,
                               theirs(torch.tensor(more), (h_t, c_t))[0].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_detach_state_keeps_the_values_and_drops_the_graph_on_both_engines(rng):
    assert models.detach_state(None) is None and dlcourse.torch.models.detach_state(None) is None
    ours, theirs = _twins(embedding_dim=3, hidden_size=4)
    ids = rng.integers(0, 7, size=(1, 5))
    for model, tensor, detach in ((ours, dlcourse.tensor, models.detach_state),
                                  (theirs, torch.tensor, dlcourse.torch.models.detach_state)):
        _, state = model(tensor(ids))
        assert all(s.requires_grad for s in state)
        detached = detach(state)
        assert isinstance(detached, tuple) and len(detached) == 2
        assert not any(s.requires_grad for s in detached)
        for before, after in zip(state, detached):
            np.testing.assert_array_equal(np.asarray(after.detach().numpy()), np.asarray(before.detach().numpy()))


def test_generate_draws_the_same_text_on_both_engines():
    ours, theirs = _twins(embedding_dim=4, hidden_size=5)
    for temperature in (0.0, 0.8, 1.5):
        sample = models.generate(ours, [1, 2], 12, temperature, np.random.default_rng(3))
        assert sample.shape == (12,) and sample.dtype == np.int64 and 0 <= sample.min() and sample.max() < 7
        twin = dlcourse.torch.models.generate(theirs, np.array([1, 2]), 12, temperature, np.random.default_rng(3))
        assert sample.tolist() == twin.tolist(), temperature


def test_generate_is_greedy_at_temperature_zero_and_needs_a_prompt():
    ours, _ = _twins(embedding_dim=4, hidden_size=5)
    sample = models.generate(ours, [3], 5, 0.0, None)
    logits, state = ours(dlcourse.tensor([[3]]))
    expected = []
    for _ in range(5):
        expected.append(int(logits.data[0, -1].argmax()))
        logits, state = ours(dlcourse.tensor([[expected[-1]]]), state)
    assert sample.tolist() == expected
    with pytest.raises(ValueError, match="prompt of at least one id"):
        models.generate(ours, [], 3, 1.0, np.random.default_rng(0))


def test_sample_next_is_rng_choice_of_the_tempered_softmax_and_greedy_at_zero():
    logits = np.array([2.0, 1.0, 0.0, 1000.0 - 1000.0])
    p = np.exp(logits / 0.7) / np.exp(logits / 0.7).sum()
    draws = [models.sample_next(logits, 0.7, np.random.default_rng(s)) for s in range(20)]
    assert draws == [int(np.random.default_rng(s).choice(4, p=p)) for s in range(20)]
    assert models.sample_next(np.array([1000.0, 999.0]), 1.0, np.random.default_rng(0)) in (0, 1)
    assert models.sample_next(np.array([0.0, 3.0, 1.0]), 0.0, None) == 1
    with pytest.raises(ValueError, match="temperature"):
        models.sample_next(logits, -1.0, np.random.default_rng(0))
