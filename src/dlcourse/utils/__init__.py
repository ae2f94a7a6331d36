"""``dlcourse.utils``, where torch keeps ``torch.utils``: :mod:`~dlcourse.utils.data` gives ``Dataset``,
``TensorDataset`` and ``DataLoader`` under torch's spelling, ``from dlcourse.utils.data import DataLoader``.

They are the classes of :mod:`dlcourse.data` (the same objects, not copies); the clipping and
parameter-count helpers that torch keeps in ``torch.nn.utils`` are in :mod:`dlcourse.nn.utils`.
"""

from . import data

__all__ = ["data"]
