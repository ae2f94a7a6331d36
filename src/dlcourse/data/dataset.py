"""``Dataset``, ``TensorDataset`` and a batching ``DataLoader`` (``torch.utils.data``'s names)."""

import numpy as np

from .. import _rng
from ..autograd.tensor import Tensor, unwrap


class Dataset:
    """Anything with ``__len__`` and ``__getitem__(i)`` returning one example (a tuple of fields)."""

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Examples are the i-th rows of equally long tensors/arrays: ``TensorDataset(X, y)``."""

    def __init__(self, *tensors):
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t)) for t in tensors)
        lengths = {len(t) for t in self.tensors}
        if len(lengths) != 1:
            raise ValueError(f"TensorDataset: tensors have different lengths {[len(t) for t in self.tensors]}")

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        return tuple(Tensor(t.data[index]) for t in self.tensors)


class DataLoader:
    """Iterate over a dataset in mini-batches.

    Args:
        batch_size: examples per batch. shuffle: reshuffle every epoch (package generator, see
        ``dlcourse.manual_seed``). drop_last: drop the final, smaller batch.
    Yields tuples of tensors whose first dimension is the batch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = _rng.generator().permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start:start + self.batch_size]
            if isinstance(self.dataset, TensorDataset):  # fast path: one fancy-index per field
                yield tuple(Tensor(t.data[index]) for t in self.dataset.tensors)
            else:
                examples = [self.dataset[int(i)] for i in index]
                yield _collate(examples)


def _collate(examples):
    first = examples[0]
    if isinstance(first, tuple | list):
        return tuple(_collate([e[k] for e in examples]) for k in range(len(first)))
    return Tensor(np.stack([unwrap(e) for e in examples]))
