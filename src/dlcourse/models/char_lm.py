"""A character-level language model: an embedding, an LSTM and a linear read-out (chapter 09), with
sampling at a temperature.

Written once for both engines (``dlcourse.models`` / ``dlcourse.torch.models``, see
:mod:`dlcourse.models`): the parameter names are the same, so a state dict moves between them.
"""

from __future__ import annotations

import numpy as np

from .. import nn, no_grad, tensor

__all__ = ["CharLSTM", "detach_state", "generate", "sample_next"]


class CharLSTM(nn.Module):
    """Next-character logits from character ids: ``Embedding -> LSTM (batch_first) -> Linear``.

    Args:
        vocab_size: number of distinct characters.
        embedding_dim, hidden_size, num_layers: sizes of the embedding and the LSTM.
    Shape: ``model(ids, state)``: ids (N, L) integers and the LSTM state ``(h, c)`` or None ->
        logits (N, L, vocab_size) and the new state.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 32, hidden_size: int = 128, num_layers: int = 1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        """Logits (N, L, vocab_size) and the new LSTM state, from ids (N, L) and the previous state."""
        output, state = self.lstm(self.embedding(ids), state)
        return self.head(output), state


def detach_state(state):
    """The LSTM state cut from the graph: truncated BPTT carries its value on but not its gradient."""
    return None if state is None else tuple(s.detach() for s in state)



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



def _as_numpy(values) -> np.ndarray:
    values = values.detach()
    return values.cpu().numpy() if hasattr(values, "cpu") else values.numpy()


def _ids_tensor(ids, device=None):
    ids = tensor(np.asarray(ids, dtype=np.int64))
    return ids.to(device) if device is not None else ids


def generate(model, prompt_ids, length: int, temperature: float, rng: np.random.Generator,
             device=None) -> np.ndarray:
    """Continue ``prompt_ids`` by ``length`` ids, each drawn with :func:`sample_next` and fed back as the next input."""
    prompt_ids = np.asarray(prompt_ids, dtype=np.int64).reshape(-1)
    if prompt_ids.size == 0:
        raise ValueError("generate needs a prompt of at least one id")
    out = []
    with no_grad():
        logits, state = model(_ids_tensor(prompt_ids[None], device))
        for _ in range(length):
            out.append(sample_next(_as_numpy(logits[0, -1]), temperature, rng))
            logits, state = model(_ids_tensor([[out[-1]]], device), state)
    return np.array(out, dtype=np.int64)

