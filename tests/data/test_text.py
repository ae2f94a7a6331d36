"""dlcourse.data.text: characters to ids and back, truncated-BPTT batches; and the adding task of chapter 9."""

import numpy as np
import pytest

from dlcourse.data import adding_task
from dlcourse.data.text import build_vocabulary, decode, encode, truncated_bptt_batches


def test_vocabulary_is_sorted_and_encode_decode_round_trip():
    vocabulary = build_vocabulary("hello")
    assert vocabulary == ["e", "h", "l", "o"]
    ids = encode("hole", vocabulary)
    assert ids.dtype == np.int64 and ids.tolist() == [1, 3, 2, 0]
    assert decode(ids, vocabulary) == "hole"
    assert decode(np.array([[1, 0], [2, 2]]), vocabulary) == "hell"


def test_encode_names_a_character_outside_the_vocabulary():
    with pytest.raises(KeyError, match="'z' is not in the vocabulary of 4 characters"):
        encode("z", build_vocabulary("hello"))


def test_truncated_bptt_batches_keep_rows_contiguous_and_shift_targets():
    chunks = truncated_bptt_batches(np.arange(11), batch_size=2, seq_len=3)
    assert [c[0].tolist() for c in chunks] == [[[0, 1, 2], [5, 6, 7]], [[3, 4], [8, 9]]]
    assert [c[1].tolist() for c in chunks] == [[[1, 2, 3], [6, 7, 8]], [[4, 5], [9, 10]]]


def test_truncated_bptt_rows_read_the_text_in_order_across_chunks():
    ids = np.random.default_rng(0).integers(0, 50, size=301)
    chunks = truncated_bptt_batches(ids, batch_size=3, seq_len=7)
    np.testing.assert_array_equal(np.concatenate([inputs for inputs, _ in chunks], axis=1), ids[:300].reshape(3, 100))
    np.testing.assert_array_equal(np.concatenate([targets for _, targets in chunks], axis=1),
                                  np.stack([ids[1 + 100 * b:101 + 100 * b] for b in range(3)]))


def test_truncated_bptt_batches_reject_too_few_ids_and_bad_sizes():
    with pytest.raises(ValueError, match="too few"):
        truncated_bptt_batches(np.arange(3), batch_size=4, seq_len=2)
    with pytest.raises(ValueError, match=">= 1"):
        truncated_bptt_batches(np.arange(30), batch_size=2, seq_len=0)


def test_adding_task_targets_are_the_sums_of_the_two_marked_numbers():
    inputs, targets = adding_task(50, 20, np.random.default_rng(0))
    assert inputs.shape == (50, 20, 2) and targets.shape == (50,)
    assert (inputs[..., 1].sum(1) == 2).all()
    np.testing.assert_allclose((inputs[..., 0] * inputs[..., 1]).sum(1), targets, rtol=1e-6)
    assert (inputs[:, :2, 1].sum(1) == 1).all() and (inputs[:, 10:, 1].sum(1) == 1).all()
    with pytest.raises(ValueError, match="length >= 4"):
        adding_task(5, 3, np.random.default_rng(0))
