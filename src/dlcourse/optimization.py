"""Tools of the optimisation chapter: a learning-rate warm-up, a learning-rate range test, the
classic 2-D test surfaces, and the path an optimiser takes on them.

They complement :mod:`dlcourse.optim` (which mirrors ``torch.optim``) with what the lessons need
beyond PyTorch's own API: ``LinearWarmup`` wraps any schedule of :mod:`dlcourse.optim.lr_scheduler`
(PyTorch composes the same with ``LinearLR`` and ``SequentialLR``), ``lr_range_test`` is the
"learning-rate finder" run before a training, and ``optimizer_path`` records where an optimiser
goes on a surface so that the book can draw it.
"""

from __future__ import annotations

import math

import numpy as np

from .autograd import Tensor
from .optim.lr_scheduler import LRScheduler

__all__ = ["LinearWarmup", "SURFACES", "lr_range_test", "optimizer_path", "rosenbrock", "ravine"]


class LinearWarmup(LRScheduler):
    r"""Ramp the learning rate linearly over ``warmup_epochs``, then follow ``after`` (or stay constant).

    .. math::
        \eta_t = \eta_0 \, \frac{t + 1}{W} \quad (t < W), \qquad
        \eta_t = \text{after}(\eta_0, t - W) \quad (t \ge W)

    Args:
        optimizer: a :class:`dlcourse.optim.Optimizer`.
        warmup_epochs: W, the number of steps of the ramp (at least 1).
        after: a function ``(base_lr, epoch) -> lr`` for the steps after the ramp, typically the
            ``lr_at`` of another scheduler (cosine decay); None keeps the base rate.
    """

    def __init__(self, optimizer, warmup_epochs: int, after=None, last_epoch=-1):
        if warmup_epochs < 1:
            raise ValueError(f"LinearWarmup needs warmup_epochs >= 1, got {warmup_epochs}")
        self.warmup_epochs, self.after = warmup_epochs, after
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        if epoch < self.warmup_epochs:
            return base_lr * (epoch + 1) / self.warmup_epochs
        return base_lr if self.after is None else self.after(base_lr, epoch - self.warmup_epochs)

    def state_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k not in ("optimizer", "after")}


def lr_range_test(model, loss_fn, batches, optimizer_class, start_lr=1e-5, end_lr=10.0, num_steps=100,
                  smoothing=0.9, divergence=4.0, **optimizer_kwargs):
    r"""Train for ``num_steps`` minibatches with a learning rate growing geometrically from
    ``start_lr`` to ``end_lr``, record the (smoothed) loss, and suggest a learning rate.

    The loss first barely moves (rate too small), then falls fastest, then blows up (rate too
    large). The suggestion is a tenth of the rate at which the smoothed loss is lowest: one decade
    below the point where the steps start to be too large, a common rule of thumb (after Smith,
    2017), more robust to minibatch noise than the steepest point of the curve. The test stops early
    once the smoothed loss
    exceeds ``divergence`` times its best value. The model's weights are changed: rebuild or reload
    the model before the real training.

    Args:
        model: a module whose ``parameters()`` are trained.
        loss_fn: ``loss_fn(model, batch) -> scalar Tensor``.
        batches: an iterable of minibatches; it is cycled if shorter than ``num_steps``.
        optimizer_class: e.g. ``dlcourse.optim.SGD``; ``optimizer_kwargs`` go to its constructor.
        smoothing: the factor of the exponential moving average of the loss (bias-corrected).
    Returns:
        (learning_rates, smoothed_losses, suggested_lr): two arrays and a float.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_range_test needs 0 < start_lr < end_lr, got {start_lr}, {end_lr}")
    optimizer = optimizer_class(model.parameters(), lr=start_lr, **optimizer_kwargs)
    factor = (end_lr / start_lr) ** (1 / max(num_steps - 1, 1))
    batches = list(batches)
    rates, smoothed, average, best = [], [], 0.0, math.inf
    for step in range(num_steps):
        lr = start_lr * factor ** step
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad()
        loss = loss_fn(model, batches[step % len(batches)])
        value = float(loss.item() if isinstance(loss, Tensor) else loss)
        if not math.isfinite(value):
            break
        loss.backward()
        optimizer.step()
        average = smoothing * average + (1 - smoothing) * value
        corrected = average / (1 - smoothing ** (step + 1))
        rates.append(lr)
        smoothed.append(corrected)
        best = min(best, corrected)
        if corrected > divergence * best:
            break
    rates, smoothed = np.array(rates), np.array(smoothed)
    if len(rates) < 3:
        raise RuntimeError(f"lr_range_test diverged after {len(rates)} steps: lower start_lr ({start_lr})")
    return rates, smoothed, float(rates[int(np.argmin(smoothed))] / 10)


def rosenbrock(w1, w2):
    """Rosenbrock's banana valley (1 - w1)^2 + 100 (w2 - w1^2)^2: minimum 0 at (1, 1)."""
    return (1 - w1) ** 2 + 100 * (w2 - w1 ** 2) ** 2


def ravine(w1, w2):
    """The lecture's elongated bowl (0.1 w1)^2 + w2^2: curvature 100 times larger along w2."""
    return (0.1 * w1) ** 2 + w2 ** 2


SURFACES = {"rosenbrock": rosenbrock, "ravine": ravine}


def optimizer_path(loss_fn, start, optimizer_class, steps, **optimizer_kwargs) -> np.ndarray:
    """The points an optimiser visits on a 2-D surface, starting at ``start``: an array (steps + 1, 2).

    ``loss_fn(w1, w2)`` must be written with operations that work on tensors (``+ - * / **``), so
    that the same function draws the contours on NumPy grids and gives the gradients here. Pass a
    ``torch.optim`` class to run PyTorch's optimiser on the same surface.
    """
    if getattr(optimizer_class, "__module__", "").startswith("torch"):
        import torch

        w = torch.tensor(np.asarray(start, dtype=np.float64), requires_grad=True)
        read = lambda: w.detach().numpy().copy()  # noqa: E731
    else:
        from .nn import Parameter

        w = Parameter(np.asarray(start, dtype=np.float64))
        read = lambda: w.data.copy()  # noqa: E731
    optimizer = optimizer_class([w], **optimizer_kwargs)
    path = [read()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(w[0], w[1]).backward()
        optimizer.step()
        path.append(read())
    return np.array(path)
