"""The course's models on PyTorch, on the best device available.

``best_device()`` picks CUDA, then Apple's MPS, then the CPU. :mod:`dlcourse.torch.models` holds the
same models as :mod:`dlcourse.models`, built from ``torch.nn`` (the same files, loaded a second
time with torch as their engine: same layers, same parameter names, so state dicts move both ways
with ``load_state_dict``: ``torch_model.load_state_dict(dl_model.state_dict())`` and back).
``fit`` trains with a progress bar: on a GPU without waiting for the host, in mixed precision
and, where it can, as one CUDA graph per step (see :mod:`dlcourse.torch.training`);
:class:`DeviceLoader` keeps a data set on the device; inside a ``torchrun`` process group
(:func:`init_distributed`) ``fit`` trains with DistributedDataParallel.
"""

import importlib.util
import sys
from pathlib import Path

import torch
from torch import cat, nn, no_grad, tensor  # noqa: F401  (the engine names the model files import)

from .. import models as _numpy_models
from .distributed import cleanup_distributed, init_distributed, is_main_process
from .loader import DeviceLoader
from .training import evaluate, fit, resolve_precision

__all__ = ["DeviceLoader", "best_device", "cleanup_distributed", "evaluate", "fit", "init_distributed",
           "is_main_process", "load_dlcourse_state", "models", "resolve_precision"]


def best_device() -> torch.device:
    """CUDA if present, else MPS (Apple GPUs), else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def load_dlcourse_state(torch_module: nn.Module, dl_module) -> nn.Module:
    """Copy a dlcourse model's parameters and buffers into the same-shaped torch model; returns it.

    The same as ``torch_module.load_state_dict(dl_module.state_dict())``, which works directly
    (torch reads dlcourse tensors, see ``dlcourse.Tensor.__torch_function__``), with torch's checks of
    keys and shapes; values take the torch model's dtype. The other way is
    ``dl_module.load_state_dict(torch_module.state_dict())``.
    """
    torch_module.load_state_dict(dl_module.state_dict())
    return torch_module


def _load_models_on_torch():
    """Load the files of :mod:`dlcourse.models` again as ``dlcourse.torch.models``.

    The model files import their engine with ``from .. import nn`` (and ``cat``, ``tensor``,
    ``no_grad``): under ``dlcourse.torch`` that parent package is this one, whose names above are
    torch's. One definition of every model, two engines.
    """
    folder = Path(_numpy_models.__file__).parent
    spec = importlib.util.spec_from_file_location(f"{__name__}.models", folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


models = _load_models_on_torch()
