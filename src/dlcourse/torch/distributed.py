"""Training on several processes with PyTorch's own engine: ``torch.distributed`` and DDP.

``torchrun`` starts one process per device and tells each, through environment variables, who it
is (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``) and where to meet the others (``MASTER_ADDR``,
``MASTER_PORT``). :func:`init_distributed` joins that process group (NCCL between GPUs, gloo on
CPUs) and returns the process's device; :func:`dlcourse.torch.fit` then wraps the model in
``DistributedDataParallel``, which averages the gradients of all ranks during ``backward``, so
every rank takes the same optimiser step, the step a single process would take on all the ranks'
batches together.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

__all__ = ["cleanup_distributed", "init_distributed", "is_main_process"]


def init_distributed(backend: str | None = None) -> torch.device:
    """Join the process group that ``torchrun`` describes in the environment; return this process's
    device (``cuda:LOCAL_RANK`` on a GPU machine, else the CPU).

    Started without ``torchrun`` (no ``RANK`` in the environment) it joins nothing and returns
    :func:`dlcourse.torch.best_device`, so the same script also runs as one plain process.
    ``backend`` defaults to ``"nccl"`` with CUDA and ``"gloo"`` without.
    """
    from . import best_device

    if "RANK" not in os.environ:
        return best_device()
    missing = [name for name in ("WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT") if name not in os.environ]
    if missing:
        raise RuntimeError(f"RANK is set but {', '.join(missing)} is not: start the script with torchrun "
                           "(torchrun --nproc-per-node=N script.py), which sets all of them")
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group(backend or ("nccl" if device.type == "cuda" else "gloo"))
    return device


def is_main_process() -> bool:
    """True on rank 0 (and outside a process group): the process that prints and saves."""
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def cleanup_distributed() -> None:
    """Leave the process group (if any) at the end of a script."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
