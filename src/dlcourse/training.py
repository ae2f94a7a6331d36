"""Training helpers of the NumPy engine, the twin of :mod:`dlcourse.torch`'s ``fit``/``evaluate``.

* :func:`fit` trains a model for some epochs over a loader (any iterable of ``(inputs, targets)``
  batches, such as :class:`dlcourse.data.DataLoader`) with a progress bar, and returns each epoch's
  mean training loss; :func:`evaluate` gives the classification accuracy on a loader. Both take the
  same arguments as ``dlcourse.torch.fit``/``evaluate`` (less the device options), so a lesson moves
  to PyTorch by changing imports; ``fit``'s optional ``on_batch`` (a function given each batch's
  loss) is this engine's only extra.
* :class:`EarlyStopping` watches a validation loss, keeps a copy of the best weights and says when
  to stop.
* :func:`lr_range_test` is the "learning-rate finder" run before a training; :func:`optimizer_path`
  records where an optimiser goes on a 2-D surface so that the book can draw it.
"""

from __future__ import annotations

import math

import numpy as np
from tqdm.auto import tqdm

from .autograd.function import no_grad
from .autograd.tensor import Tensor

__all__ = ["EarlyStopping", "evaluate", "fit", "lr_range_test", "optimizer_path"]


def _tensor(values) -> Tensor:
    return values if isinstance(values, Tensor) else Tensor(np.asarray(values))


def fit(model, loader, optimizer, loss_fn, epochs: int = 1, progress: bool = True, *, on_batch=None) -> list[float]:
    """Train ``model`` for ``epochs`` passes over ``loader``: forward, ``loss_fn(outputs, targets)``,
    ``zero_grad``, ``backward``, ``step`` for every batch, in training mode.

    Args:
        loader: any iterable of ``(inputs, targets)`` (arrays or tensors), re-iterated each epoch.
        loss_fn: e.g. ``nn.CrossEntropyLoss()``; it returns the batch's mean loss.
        progress: show a progress bar per epoch (tqdm).
        on_batch: called after every step with the batch's loss (a float), e.g. ``losses.append`` to
            record the loss of every batch rather than only each epoch's mean.
    Returns:
        the mean training loss of each epoch, weighted by batch size.
    """
    history = []
    for epoch in range(epochs):
        model.train()
        total, count = 0.0, 0
        for inputs, targets in tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=False):
            inputs, targets = _tensor(inputs), _tensor(targets)
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            value = float(loss.item())
            if on_batch is not None:
                on_batch(value)
            total += value * len(targets)
            count += len(targets)
        history.append(total / max(count, 1))
    return history


def evaluate(model, loader) -> float:
    """Classification accuracy of ``model`` on ``loader`` (evaluation mode, no graph recorded).

    The model is left in evaluation mode, as ``dlcourse.torch.evaluate`` leaves it.
    """
    model.eval()
    correct, total = 0, 0
    with no_grad():
        for inputs, targets in loader:
            predictions = model(_tensor(inputs)).data.argmax(axis=1)
            labels = _tensor(targets).data.reshape(-1)
            correct += int((predictions == labels).sum())
            total += len(labels)
    return correct / max(total, 1)


class EarlyStopping:
    """Stop training once the validation loss has not improved for ``patience`` epochs.

    An epoch improves when its loss is below the best so far by more than ``min_delta``. Call
    :meth:`step` once per epoch with the validation loss (and the model, to keep a copy of its
    best weights in ``best_state``); it returns True when training should stop.

    Attributes:
        best_loss, best_epoch: the best validation loss and its epoch (counted from 0).
        best_state: a copy of the model's ``state_dict`` at ``best_epoch`` (if a model was given).
        stopped_epoch: the epoch at which :meth:`step` first returned True, else None.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0):
        if patience < 1 or min_delta < 0:
            raise ValueError(f"EarlyStopping needs patience >= 1 and min_delta >= 0, got {patience}, {min_delta}")
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch, self.best_state = math.inf, -1, None
        self.epoch, self.stopped_epoch = -1, None

    def step(self, loss: float, model=None) -> bool:
        """Record one epoch's validation loss (and, if it is the best, a copy of ``model``'s weights);
        returns True when training should stop."""
        self.epoch += 1
        loss = float(loss)
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch = loss, self.epoch
            if model is not None:
                self.best_state = {name: np.array(t.data, copy=True) for name, t in model.state_dict().items()}
        stop = self.epoch - self.best_epoch >= self.patience
        if stop and self.stopped_epoch is None:
            self.stopped_epoch = self.epoch
        return stop



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
        from .nn.module import Parameter

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

