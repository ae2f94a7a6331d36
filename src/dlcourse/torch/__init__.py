"""The course's models on PyTorch, on the best device available.

``best_device()`` picks CUDA, then Apple's MPS, then the CPU; ``mlp`` and ``small_cnn`` build the
same reference models as the dlcourse chapters (same layer names, so state dicts transfer with
:func:`load_dlcourse_state`); ``fit`` trains with a progress bar, in mixed precision on CUDA.
"""

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .. import models

__all__ = ["best_device", "evaluate", "fit", "load_dlcourse_state", "mlp", "small_cnn"]


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


def _to_torch(x, device):
    if not isinstance(x, torch.Tensor):  # a dlcourse Tensor or a NumPy array
        x = torch.from_numpy(np.asarray(getattr(x, "data", x)))
    return x.to(device, non_blocking=True)


def fit(model, loader, optimizer, loss_fn, epochs=1, device=None, progress=True) -> list[float]:
    """Train ``model`` for ``epochs`` passes over ``loader`` (batches of (inputs, targets)).

    On CUDA the forward pass runs under ``torch.autocast`` (float16) with a ``GradScaler`` that
    rescales the loss so small gradients do not underflow; elsewhere in full precision.
    Returns the mean training loss of each epoch.
    """
    device = torch.device(device) if device is not None else best_device()
    model.to(device)
    amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    history = []
    for epoch in range(epochs):
        model.train()
        total, count = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=False)
        for inputs, targets in bar:
            inputs, targets = _to_torch(inputs, device), _to_torch(targets, device)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=amp):
                loss = loss_fn(model(inputs), targets)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.item() * len(targets)
            count += len(targets)
            bar.set_postfix(loss=f"{total / count:.4f}")
        history.append(total / max(count, 1))
    return history


@torch.no_grad()
def evaluate(model, loader, device=None) -> float:
    """Classification accuracy of ``model`` on ``loader``."""
    device = torch.device(device) if device is not None else best_device()
    model.to(device).eval()
    correct = total = 0
    for inputs, targets in loader:
        inputs, targets = _to_torch(inputs, device), _to_torch(targets, device)
        correct += (model(inputs).argmax(1) == targets).sum().item()
        total += len(targets)
    return correct / max(total, 1)
