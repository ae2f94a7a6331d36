"""dlcourse.metrics for language models: perplexity and bits per character, on both engines."""

import math

import numpy as np
import pytest
import torch

import dlcourse
import dlcourse.torch
from dlcourse import models
from dlcourse.metrics import bits_per_character, perplexity
from dlcourse.torch import load_dlcourse_state


def _uniform_model(vocab_size):
    """A CharLSTM whose read-out is zero: the same logits for every character, a uniform prediction."""
    model = models.CharLSTM(vocab_size, embedding_dim=3, hidden_size=4)
    model.head.weight.data[...] = 0.0
    model.head.bias.data[...] = 0.0
    return model


@pytest.mark.parametrize("vocab_size", [2, 16, 65])
def test_a_uniform_model_scores_log2_v_bits_and_a_perplexity_of_v(vocab_size):
    ids = np.random.default_rng(0).integers(0, vocab_size, 301)
    ours = _uniform_model(vocab_size)
    theirs = load_dlcourse_state(dlcourse.torch.models.CharLSTM(vocab_size, embedding_dim=3, hidden_size=4), ours)
    for model in (ours, theirs):
        bits = bits_per_character(model, ids, batch_size=4, seq_len=10)
        assert math.isclose(bits, math.log2(vocab_size), rel_tol=1e-6)
        assert math.isclose(perplexity(bits * math.log(2)), vocab_size, rel_tol=1e-6)   # bits -> nats -> perplexity


def test_perplexity_is_exp_of_the_mean_nll_in_nats():
    assert perplexity(0.0) == 1.0                                   # certain and right
    assert math.isclose(perplexity(math.log(65)), 65.0)             # a uniform guess over 65 characters
    probabilities = np.array([0.1] + [0.9] * 9)                     # one token at 0.1, nine at 0.9
    mean_nll = -np.log(probabilities).mean()
    assert math.isclose(perplexity(mean_nll), np.prod(probabilities) ** (-1 / 10))
    assert math.isclose(perplexity(np.float32(2.0)), math.exp(2.0), rel_tol=1e-6)
    assert isinstance(perplexity(np.float64(1.0)), float)


def test_bits_per_character_agree_on_both_engines_and_equal_the_mean_cross_entropy(rng):
    ours = models.CharLSTM(7, embedding_dim=4, hidden_size=5)
    theirs = load_dlcourse_state(dlcourse.torch.models.CharLSTM(7, embedding_dim=4, hidden_size=5), ours)
    text = rng.integers(0, 7, size=201)
    bits = bits_per_character(ours, text, 4, 10)
    assert math.isclose(bits, bits_per_character(theirs, text, 4, 10), rel_tol=1e-5)
    # one stream read whole: the mean cross-entropy of next-character predictions, in bits
    logits, _ = theirs(torch.tensor(text[None, :-1]))
    nats = torch.nn.functional.cross_entropy(logits[0], torch.tensor(text[1:])).item()
    assert math.isclose(bits_per_character(theirs, text, 1, 50), nats / math.log(2), rel_tol=1e-5)


def test_an_untrained_language_model_scores_about_log2_of_the_vocabulary():
    dlcourse.manual_seed(0)
    model = models.CharLSTM(16, embedding_dim=4, hidden_size=8)
    bits = bits_per_character(model, np.random.default_rng(0).integers(0, 16, 400), 4, 20)
    assert abs(bits - 4.0) < 0.1
