"""``torch.utils.data``'s names for the course's data pipeline: ``Dataset``, ``TensorDataset``, ``DataLoader``.

The same classes as :mod:`dlcourse.data` (imported from :mod:`dlcourse.data.dataset`), so that
``from torch.utils.data import DataLoader, TensorDataset`` becomes
``from dlcourse.utils.data import DataLoader, TensorDataset`` by changing the package's name only.
"""

from ..data.dataset import DataLoader, Dataset, TensorDataset

__all__ = ["DataLoader", "Dataset", "TensorDataset"]
