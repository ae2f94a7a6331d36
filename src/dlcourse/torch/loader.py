"""A data loader for data sets that fit in the device's memory.

PyTorch's ``DataLoader`` over a ``TensorDataset`` fetches each sample on its own, collates the
batch on the CPU and copies it to the GPU: for a small model that costs more than the training
step itself. :class:`DeviceLoader` copies the whole data set to the device once, draws each
epoch's permutation there (``torch.randperm`` with a ``torch.Generator`` on the device) and
yields slices of it: one indexing kernel per tensor and batch, no host-to-device copy, no
synchronisation. Inside a process group (``torch.distributed``) each rank gets its own share of
every epoch, as ``torch.utils.data.DistributedSampler`` would give it.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.distributed as dist

__all__ = ["DeviceLoader", "as_tensor"]


def as_tensor(x, device=None) -> torch.Tensor:
    """A torch tensor on ``device`` from a torch tensor, a dlcourse ``Tensor`` or a NumPy array."""
    if not isinstance(x, torch.Tensor):
        x = torch.from_numpy(np.asarray(getattr(x, "data", x)))
    return x if device is None else x.to(device, non_blocking=True)


def _process_group() -> tuple[int, int]:
    """(rank, world size) of this process: (0, 1) outside a process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class DeviceLoader:
    """Batches of ``tensors`` (inputs, targets, ...) kept on ``device`` and sliced there.

    Args:
        tensors: equally long tensors (torch, NumPy or dlcourse), moved to ``device`` once.
        batch_size: samples per batch; the last batch of an epoch is smaller unless ``drop_last``.
        shuffle: a new permutation every epoch, drawn on the device from a generator seeded with
            ``seed`` (the same on every rank, so the ranks agree on the permutation).
        rank, world_size: this process's share of each epoch; by default those of the process
            group, (0, 1) without one. With ``world_size`` > 1 the permutation is padded with its
            first indices to a multiple of ``world_size`` and rank ``r`` takes every
            ``world_size``-th index from ``r`` on, so every rank gets the same number of batches
            (as ``DistributedSampler`` does).

    Every sample appears exactly once per epoch (per rank share, up to the padding).
    """

    def __init__(self, *tensors, batch_size=128, shuffle=False, drop_last=False, device=None, seed=0,
                 rank=None, world_size=None):
        if not tensors:
            raise ValueError("DeviceLoader needs at least one tensor (inputs, targets, ...)")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        from . import best_device  # the package's device choice (imported here: no import cycle)

        self.device = torch.device(device) if device is not None else best_device()
        self.tensors = tuple(as_tensor(t, self.device) for t in tensors)
        lengths = [len(t) for t in self.tensors]
        if len(set(lengths)) != 1:
            raise ValueError(f"all tensors need the same first dimension, got lengths {lengths}")
        group_rank, group_size = _process_group()
        self.rank = group_rank if rank is None else rank
        self.world_size = group_size if world_size is None else world_size
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"rank must be in [0, world_size={self.world_size}), got {self.rank}")
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        # CUDA draws the permutation on the GPU; other devices draw it on the CPU and copy it over.
        generator_device = self.device if self.device.type == "cuda" else torch.device("cpu")
        self.generator = torch.Generator(device=generator_device).manual_seed(seed)

    @property
    def num_samples(self) -> int:
        """Samples this rank sees per epoch (its share, padded to equal shares)."""
        return math.ceil(len(self.tensors[0]) / self.world_size)

    def __len__(self) -> int:
        whole, rest = divmod(self.num_samples, self.batch_size)
        return whole + (1 if rest and not self.drop_last else 0)

    def _order(self) -> torch.Tensor | None:
        """This epoch's indices for this rank, on the device; None for the plain 0..n-1 order."""
        n = len(self.tensors[0])
        if not self.shuffle and self.world_size == 1:
            return None
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator, device=self.generator.device).to(self.device)
        else:
            order = torch.arange(n, device=self.device)
        padding = self.num_samples * self.world_size - n
        if padding:
            order = torch.cat([order, order[:padding]])
        return order[self.rank::self.world_size]

    def __iter__(self):
        order = self._order()
        for batch in range(len(self)):
            start, stop = batch * self.batch_size, min((batch + 1) * self.batch_size, self.num_samples)
            if order is None:  # a view: no copy at all
                yield tuple(t[start:stop] for t in self.tensors)
            else:
                index = order[start:stop]
                yield tuple(t.index_select(0, index) for t in self.tensors)

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return (f"DeviceLoader({shapes}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"device={self.device}, rank={self.rank}/{self.world_size})")
