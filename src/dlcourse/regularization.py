"""Regularisation helpers: parameter penalties and early stopping.

The penalties return a differentiable :class:`dlcourse.Tensor`, so that they sit in the computation
graph next to the data loss and ``backward()`` adds their gradients::

    loss = criterion(model(x), y) + l2_penalty(model.parameters(), weight_decay=1e-3)

(for plain SGD the L2 penalty equals ``SGD(..., weight_decay=1e-3)``: its gradient is
``weight_decay * w``). :class:`EarlyStopping` watches a validation loss, keeps a copy of the best
weights and says when to stop.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["EarlyStopping", "l1_penalty", "l2_penalty"]


def l2_penalty(parameters, weight_decay: float):
    """(weight_decay / 2) * sum of w^2 over all parameters; its gradient is weight_decay * w."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("l2_penalty needs at least one parameter")
    return sum((p * p).sum() for p in parameters) * (weight_decay / 2)


def l1_penalty(parameters, strength: float):
    """strength * sum of |w| over all parameters; its (sub)gradient is strength * sign(w)."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("l1_penalty needs at least one parameter")
    return sum(p.abs().sum() for p in parameters) * strength


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
