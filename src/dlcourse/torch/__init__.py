"""The course's models on PyTorch, on the best device available.

``best_device()`` picks CUDA, then Apple's MPS, then the CPU; ``mlp`` and ``small_cnn`` build the
same reference models as the dlcourse chapters (same layer names, so state dicts transfer with
:func:`load_dlcourse_state`). ``fit`` trains with a progress bar: on a GPU without waiting for the
host, in mixed precision and, where it can, as one CUDA graph per step (see
:mod:`dlcourse.torch.training`); :class:`DeviceLoader` keeps a data set on the device; inside a
``torchrun`` process group (:func:`init_distributed`) ``fit`` trains with DistributedDataParallel.
"""

import numpy as np
import torch
from torch import nn

from .. import models
from .distributed import cleanup_distributed, init_distributed, is_main_process
from .loader import DeviceLoader
from .training import evaluate, fit, resolve_precision

__all__ = ["DeviceLoader", "best_device", "cleanup_distributed", "evaluate", "fit", "init_distributed",
           "is_main_process", "load_dlcourse_state", "mlp", "resolve_precision", "small_cnn"]


def best_device() -> torch.device:
    """CUDA if present, else MPS (Apple GPUs), else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def mlp(sizes, activation=None, dropout=0.0) -> nn.Sequential:
    """:func:`dlcourse.models.mlp` built from ``torch.nn`` (same layers, same names)."""
    return models.mlp(sizes, activation, dropout, nn=nn)


def small_cnn(in_channels=1, num_classes=10, width=8, image_size=28) -> nn.Sequential:
    """:func:`dlcourse.models.small_cnn` built from ``torch.nn`` (same layers, same names)."""
    return models.small_cnn(in_channels, num_classes, width, image_size, nn=nn)


def load_dlcourse_state(torch_module: nn.Module, dl_module) -> nn.Module:
    """Copy a dlcourse model's parameters and buffers into the same-shaped torch model."""
    state = {k: torch.from_numpy(np.array(v.data)) for k, v in dl_module.state_dict().items()}
    torch_module.load_state_dict(state)
    return torch_module
