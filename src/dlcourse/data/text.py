"""Text as integer ids: a character vocabulary, encoding and decoding, and the batches of truncated
backpropagation through time (chapters 09 and 10).

:func:`truncated_bptt_batches` cuts a long token stream into ``batch_size`` parallel streams and
chunks of ``seq_len`` steps, so that the hidden state carried from one chunk to the next continues
the same stream.
"""

from __future__ import annotations

import numpy as np

__all__ = ["build_vocabulary", "decode", "encode", "truncated_bptt_batches"]


def build_vocabulary(text: str) -> list[str]:
    """The distinct characters of ``text``, sorted: position i is the character with id i."""
    return sorted(set(text))



def encode(text: str, vocabulary: list[str]) -> np.ndarray:
    """The ids of the characters of ``text`` (int64); a character outside ``vocabulary`` raises KeyError."""
    index = {char: i for i, char in enumerate(vocabulary)}
    try:
        return np.array([index[char] for char in text], dtype=np.int64)
    except KeyError as error:
        raise KeyError(f"character {error.args[0]!r} is not in the vocabulary "
                       f"of {len(vocabulary)} characters") from None



def decode(ids, vocabulary: list[str]) -> str:
    """The text of a sequence of ids."""
    return "".join(vocabulary[int(i)] for i in np.asarray(ids).reshape(-1))



def truncated_bptt_batches(ids, batch_size: int, seq_len: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Chunks for truncated backpropagation through time over one long token stream.

    The stream is cut into ``batch_size`` contiguous rows of equal length S = (len(ids) - 1) // batch_size
    (the tail that does not fit is dropped); row b of the inputs is ids[b S : (b + 1) S] and row b of the
    targets the same positions shifted by one. The rows are then cut into chunks of ``seq_len`` columns (the
    last chunk may be shorter), so row b of chunk k + 1 continues row b of chunk k: the hidden state at the
    end of one chunk is the right initial state for the next.

    Returns:
        a list of ``(inputs, targets)`` pairs of integer arrays of shape ``(batch_size, <= seq_len)``.
    """
    ids = np.asarray(ids)
    if batch_size < 1 or seq_len < 1:
        raise ValueError(f"batch_size and seq_len must be >= 1, got {batch_size} and {seq_len}")
    length = (len(ids) - 1) // batch_size
    if length < 1:
        raise ValueError(f"{len(ids)} tokens are too few for {batch_size} streams with a next token each")
    inputs = ids[:batch_size * length].reshape(batch_size, length)
    targets = ids[1:batch_size * length + 1].reshape(batch_size, length)
    starts = range(0, length, seq_len)
    return [(inputs[:, start:start + seq_len], targets[:, start:start + seq_len]) for start in starts]

