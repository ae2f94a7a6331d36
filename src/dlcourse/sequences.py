"""Sequence models (chapter 9): character data, truncated-BPTT batches, sampling and a char-level LSTM.

Chapter 9 builds these pieces in its lessons and exercise, then uses them from here:

* :func:`build_vocabulary`, :func:`encode` and :func:`decode`: text to integer ids and back;
* :func:`truncated_bptt_batches`: a long token stream cut into ``batch_size`` parallel streams and
  chunks of ``seq_len`` steps, so that the hidden state carried from one chunk to the next continues
  the same stream;
* :func:`sample_next`: draw the next token from logits divided by a temperature;
* :func:`adding_task`: the synthetic long-memory task on which plain RNNs fail and LSTMs succeed;
* :func:`char_language_model`, :func:`detach_state`, :func:`bits_per_character` and :func:`generate`:
  a character-level LSTM language model that takes the library (``dlcourse`` or ``torch``) as its
  first argument, so that one definition gives both engines the same layers under the same names.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["adding_task", "bits_per_character", "build_vocabulary", "char_language_model", "decode", "detach_state",
           "encode", "generate", "sample_next", "truncated_bptt_batches"]


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


def sample_next(logits, temperature: float, rng: np.random.Generator) -> int:
    """Draw one id from softmax(logits / temperature); temperature 0 is the argmax (greedy decoding).

    Below 1 the temperature sharpens the distribution towards its most likely tokens, above 1 it
    flattens it towards uniform. The draw is ``rng.choice(len(p), p=p)``, so a seeded generator
    gives the same text every time.
    """
    logits = np.asarray(logits, dtype=np.float64).reshape(-1)
    if temperature < 0:
        raise ValueError(f"the temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probabilities = np.exp(scaled - scaled.max())
    return int(rng.choice(len(probabilities), p=probabilities / probabilities.sum()))


def adding_task(num_sequences: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter and Schmidhuber, 1997): remember two marked numbers, output their sum.

    Each input step has two features: a number drawn uniformly from [0, 1] and a marker that is 1 at two
    positions, one in the first tenth of the sequence and one in its second half, and 0 elsewhere. The
    target is the sum of the two marked numbers. Predicting the mean 1 gives a mean squared error of 1/6;
    beating it requires carrying the first number over at least ``length / 2`` steps.

    Returns:
        inputs (num_sequences, length, 2) float32 and targets (num_sequences,) float32.
    """
    if length < 4:
        raise ValueError(f"the adding task needs sequences of length >= 4, got {length}")
    values = rng.random((num_sequences, length)).astype(np.float32)
    markers = np.zeros((num_sequences, length), dtype=np.float32)
    rows = np.arange(num_sequences)
    first = rng.integers(0, max(1, length // 10), size=num_sequences)
    second = rng.integers(length // 2, length, size=num_sequences)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    return np.stack([values, markers], axis=-1), values[rows, first] + values[rows, second]


def char_language_model(library, vocab_size: int, embedding_dim: int = 32, hidden_size: int = 128,
                        num_layers: int = 1):
    """An embedding, an LSTM and a linear read-out to next-character logits, built from ``library.nn``.

    ``model(ids, state)`` takes ids of shape (N, L) and the LSTM state (or None) and returns the logits
    (N, L, vocab_size) and the new state; the parameter names are the same on both engines, so a state
    dict moves between them.
    """
    nn = library.nn

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
            self.head = nn.Linear(hidden_size, vocab_size)

        def forward(self, ids, state=None):
            output, state = self.lstm(self.embedding(ids), state)
            return self.head(output), state

    return CharLSTM()


def detach_state(state):
    """The LSTM state cut from the graph: truncated BPTT carries its value on but not its gradient."""
    return None if state is None else tuple(s.detach() for s in state)


def _as_numpy(tensor) -> np.ndarray:
    tensor = tensor.detach()
    return tensor.cpu().numpy() if hasattr(tensor, "cpu") else tensor.numpy()


def _ids_tensor(library, ids, device=None):
    tensor = library.tensor(np.asarray(ids, dtype=np.int64))
    return tensor.to(device) if device is not None else tensor


def bits_per_character(model, library, ids, batch_size: int = 16, seq_len: int = 100, device=None) -> float:
    """The model's mean cross-entropy on ``ids`` in bits per character (nats / ln 2), state carried across chunks.

    A uniform guess over V characters scores log2(V) bits; predicting every character for sure scores 0.
    """
    loss_function, total, count, state = library.nn.CrossEntropyLoss(reduction="sum"), 0.0, 0, None
    no_grad = library.no_grad
    with no_grad():
        for inputs, targets in truncated_bptt_batches(ids, batch_size, seq_len):
            logits, state = model(_ids_tensor(library, inputs, device), state)
            vocab = logits.shape[-1]
            loss = loss_function(logits.reshape(-1, vocab), _ids_tensor(library, targets.reshape(-1), device))
            total, count = total + float(loss.item()), count + targets.size
    return total / count / math.log(2)


def generate(model, library, prompt_ids, length: int, temperature: float, rng: np.random.Generator,
             device=None) -> np.ndarray:
    """Continue ``prompt_ids`` by ``length`` ids, each drawn with :func:`sample_next` and fed back as the next input."""
    prompt_ids = np.asarray(prompt_ids, dtype=np.int64).reshape(-1)
    if prompt_ids.size == 0:
        raise ValueError("generate needs a prompt of at least one id")
    out = []
    with library.no_grad():
        logits, state = model(_ids_tensor(library, prompt_ids[None], device))
        for _ in range(length):
            out.append(sample_next(_as_numpy(logits[0, -1]), temperature, rng))
            logits, state = model(_ids_tensor(library, [[out[-1]]], device), state)
    return np.array(out, dtype=np.int64)
