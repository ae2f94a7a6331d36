"""The training loop of ``dlcourse.torch``: one ``fit`` for the CPU, a GPU and a process group.

What makes a small model fast on a GPU is mostly what happens around the arithmetic:

* **No host synchronisation inside an epoch.** ``loss.item()`` after every step makes the CPU
  wait for the GPU, so the GPU then waits for the CPU to launch the next step. The running loss is
  summed on the device and read once per epoch (and every ``log_every`` steps for the progress bar).
* **Mixed precision.** Under ``torch.autocast`` matrix products run in bfloat16 where the GPU has
  it (same exponent range as float32: no loss scaling needed), else in float16 with a
  ``GradScaler`` that scales the loss so that small gradients do not underflow.
* **CUDA graphs.** A small model's step is hundreds of tiny kernels, each costing a few
  microseconds to launch from Python. Captured once as a CUDA graph (forward, backward, optimiser
  step, loss sum), the whole step is replayed with one launch. A graph needs static shapes: it is
  captured for the first batch's shape, and other batches (the last, smaller one) run eagerly.
* **Data kept on the device**: see :class:`dlcourse.torch.DeviceLoader`.

Inside a ``torch.distributed`` process group ``fit`` wraps the model in
``DistributedDataParallel`` (gradients averaged over the ranks during backward), calls the
sampler's ``set_epoch``, shows the progress bar on rank 0 only and returns the loss averaged over
all ranks.
"""

from __future__ import annotations

import warnings

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from .loader import _process_group, as_tensor

__all__ = ["evaluate", "fit", "resolve_precision"]

_PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype ``fit`` uses: None (float32), ``torch.bfloat16`` or ``torch.float16``.

    ``"auto"`` is bfloat16 on a CUDA GPU that supports it, float16 on an older CUDA GPU, and
    float32 elsewhere (on a CPU mixed precision saves nothing for these models).
    """
    if precision not in _PRECISIONS:
        raise ValueError(f"precision must be one of {_PRECISIONS}, got {precision!r}")
    if precision == "auto":
        if device.type != "cuda":
            return None
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


class _EagerStep:
    """One ordinary training step; adds ``loss * batch size`` to ``running`` on the device."""

    def __init__(self, model, optimizer, loss_fn, device, amp_dtype, scaler, running):
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.device, self.amp_dtype, self.scaler, self.running = device, amp_dtype, scaler, running

    def __call__(self, inputs, targets, cache_enabled=True):
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None,
                            cache_enabled=cache_enabled):
            loss = self.loss_fn(self.model(inputs), targets)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        self.running.add_(loss.detach().to(self.running.dtype) * len(targets))


class _GraphStep:
    """The whole step (forward, backward, optimiser step, loss sum) as one CUDA graph.

    The first ``warmup`` batches of the captured shape train eagerly on a side stream (autograd and
    the optimiser allocate their buffers there, as capture requires); the next one is copied into
    static input buffers and the step is captured; from then on a batch of that shape is copied
    into the buffers and the graph replayed. Optimisers with a ``capturable`` option (Adam, AdamW,
    ...) are switched to it: their step counter then lives on the GPU and updates inside the graph.
    The learning rate is read when the graph is captured, so a change of it needs a new ``fit``.
    """

    def __init__(self, eager: _EagerStep, warmup: int = 3):
        self.eager, self.warmup, self.seen = eager, warmup, 0
        self.graph = self.shapes = None
        self.failed = False

    def accepts(self, inputs, targets) -> bool:
        shapes = (inputs.shape, inputs.dtype, targets.shape, targets.dtype)
        if self.shapes is None:
            self.shapes = shapes
        return not self.failed and shapes == self.shapes and inputs.is_cuda and targets.is_cuda

    def __call__(self, inputs, targets):
        if self.graph is not None:
            self.static_inputs.copy_(inputs, non_blocking=True)
            self.static_targets.copy_(targets, non_blocking=True)
            self.graph.replay()
        elif self.seen < self.warmup:
            self.seen += 1
            if self.seen == 1:
                _make_capturable(self.eager.optimizer)
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                self.eager(inputs, targets, cache_enabled=False)
            torch.cuda.current_stream().wait_stream(side)
        else:
            self._capture(inputs, targets)

    def _capture(self, inputs, targets):
        eager = self.eager
        self.static_inputs, self.static_targets = inputs.clone(), targets.clone()
        eager.optimizer.zero_grad(set_to_none=True)
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                with torch.autocast("cuda", dtype=eager.amp_dtype, enabled=eager.amp_dtype is not None,
                                    cache_enabled=False):
                    loss = eager.loss_fn(eager.model(self.static_inputs), self.static_targets)
                loss.backward()
                eager.optimizer.step()
                eager.running.add_(loss.detach().to(eager.running.dtype) * len(self.static_targets))
        except Exception as error:  # noqa: BLE001 - any op that cannot be captured: train eagerly
            warnings.warn(f"CUDA graph capture failed, training eagerly instead: {error}", stacklevel=3)
            self.failed = True
            torch.cuda.synchronize()
            eager(inputs, targets)
            return
        # The graph reads and writes these buffers; keep them alive even if eager steps replace .grad.
        self.static_grads = [p.grad for group in eager.optimizer.param_groups for p in group["params"]]
        self.graph = graph
        graph.replay()  # capturing only recorded the step: run it for this batch


def _make_capturable(optimizer):
    """Switch on ``capturable`` where the optimiser has it, moving its step counters to the device."""
    for group in optimizer.param_groups:
        if "capturable" in group and not group["capturable"]:
            group["capturable"] = True
            for p in group["params"]:
                state = optimizer.state.get(p, {})
                if isinstance(state.get("step"), torch.Tensor):
                    state["step"] = state["step"].to(p.device)


def _want_graph(cuda_graph, device, scaler, distributed) -> bool:
    if cuda_graph not in ("auto", True, False):
        raise ValueError(f"cuda_graph must be 'auto', True or False, got {cuda_graph!r}")
    if cuda_graph is False:
        return False
    reasons = []
    if device.type != "cuda":
        reasons.append(f"the device is {device.type}, not cuda")
    if scaler is not None:
        reasons.append("float16 needs a GradScaler, whose overflow checks cannot be captured (use "
                       "precision='bf16' or 'fp32')")
    if distributed:
        reasons.append("training is distributed (DistributedDataParallel)")
    if reasons and cuda_graph is True:
        raise ValueError("cuda_graph=True but a CUDA graph cannot be used: " + "; ".join(reasons))
    return not reasons


def _set_epoch(loader, epoch):
    """Tell a ``DistributedSampler`` (or a loader with ``set_epoch``) which epoch this is."""
    for owner in (loader, getattr(loader, "sampler", None), getattr(loader, "batch_sampler", None)):
        if owner is not None and hasattr(owner, "set_epoch"):
            owner.set_epoch(epoch)
            return


def fit(model, loader, optimizer, loss_fn, epochs=1, device=None, progress=True, *,
        precision="auto", cuda_graph="auto", log_every=50) -> list[float]:
    """Train ``model`` for ``epochs`` passes over ``loader`` (any iterable of (inputs, targets)).

    ``loader`` may be a :class:`DeviceLoader` (fastest on a GPU), a torch or a dlcourse
    ``DataLoader``, or a list of batches; batches not yet on ``device`` are copied there.

    Args:
        device: default :func:`best_device`.
        progress: show a progress bar (rank 0 only), updated every ``log_every`` steps.
        precision: ``"auto"`` (bfloat16 autocast on a CUDA GPU that has it, float16 with a
            ``GradScaler`` on an older one, float32 elsewhere), ``"fp32"``, ``"bf16"`` or ``"fp16"``.
        cuda_graph: ``"auto"`` captures the training step as a CUDA graph on a CUDA device when it
            can (not with float16's ``GradScaler``, not under DistributedDataParallel); ``True``
            insists (an error says why it cannot); ``False`` trains eagerly.

    Returns the mean training loss of each epoch (over all ranks in a process group).
    """
    from . import best_device

    device = torch.device(device) if device is not None else best_device()
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    model.to(device)
    amp_dtype = resolve_precision(precision, device)
    scaler = torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 else None
    rank, world_size = _process_group()
    distributed = world_size > 1
    trained = model
    if distributed and not isinstance(model, DistributedDataParallel):
        trained = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    # The running loss sum stays on the device (float32 where float64 is missing, as on MPS).
    running = torch.zeros((), device=device, dtype=torch.float32 if device.type == "mps" else torch.float64)
    eager = _EagerStep(trained, optimizer, loss_fn, device, amp_dtype, scaler, running)
    graph = _GraphStep(eager) if _want_graph(cuda_graph, device, scaler, distributed) else None
    show = progress and rank == 0
    history = []
    for epoch in range(epochs):
        _set_epoch(loader, epoch)
        trained.train()
        running.zero_()
        count = 0
        total_steps = len(loader) if hasattr(loader, "__len__") else None
        bar = tqdm(total=total_steps, desc=f"epoch {epoch + 1}/{epochs}", disable=not show, leave=False)
        pending = 0
        for inputs, targets in loader:
            inputs, targets = as_tensor(inputs, device), as_tensor(targets, device)
            if graph is not None and graph.accepts(inputs, targets):
                graph(inputs, targets)
            else:
                eager(inputs, targets)
            count += len(targets)
            pending += 1
            if show and pending == log_every:  # the only synchronisation inside an epoch
                bar.update(pending)
                bar.set_postfix(loss=f"{running.item() / count:.4f}")
                pending = 0
        bar.update(pending)
        bar.close()
        totals = torch.stack([running, torch.tensor(float(count), device=device, dtype=running.dtype)])
        if distributed:
            dist.all_reduce(totals)
        history.append((totals[0] / totals[1].clamp(min=1)).item())
    return history


@torch.no_grad()
def evaluate(model, loader, device=None) -> float:
    """Classification accuracy of ``model`` on ``loader`` (over all ranks when the loader is a
    rank's share of the data in a process group: a ``DeviceLoader`` or a ``DistributedSampler``)."""
    from . import best_device

    device = torch.device(device) if device is not None else best_device()
    model.to(device).eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    total = 0
    for inputs, targets in loader:
        inputs, targets = as_tensor(inputs, device), as_tensor(targets, device)
        correct += (model(inputs).argmax(1) == targets).sum()
        total += len(targets)
    totals = torch.stack([correct, torch.tensor(total, device=device)])
    if _is_sharded(loader):
        dist.all_reduce(totals)
    correct, total = totals.tolist()
    return correct / max(total, 1)


def _is_sharded(loader) -> bool:
    """Whether ``loader`` yields one rank's share of the data inside a process group."""
    if _process_group()[1] == 1:
        return False
    sampler = getattr(loader, "sampler", None)
    return getattr(loader, "world_size", 1) > 1 or isinstance(sampler, torch.utils.data.DistributedSampler)
