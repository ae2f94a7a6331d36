"""Learning-rate schedules (call ``scheduler.step()`` once per epoch, after ``optimizer.step()``;
``ReduceLROnPlateau.step(val_loss)`` takes the validation loss)."""

import math
import warnings
from bisect import bisect_right
from collections.abc import Callable, Iterable

from .optimizer import Optimizer


class LRScheduler:
    """Sets every group's lr to :meth:`lr_at` of its initial lr and the epoch counter ``last_epoch``.

    Args:
        optimizer: the :class:`dlcourse.optim.Optimizer` whose learning rates it sets.
        last_epoch: the epoch already done; the constructor calls :meth:`step` once, so -1 starts at epoch 0.
    """

    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """The learning rate at ``epoch`` for a group whose initial lr is ``base_lr``; each schedule defines it."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The lr of every group, as set by the last :meth:`step`."""
        return self._last_lr

    def step(self) -> None:
        """Advance ``last_epoch`` by one and set every group's lr to ``lr_at(base lr, last_epoch)``."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self._rates(self.last_epoch)):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _rates(self, epoch: int) -> list[float]:
        """The lr of every group at ``epoch``."""
        return [self.lr_at(base, epoch) for base in self.base_lrs]

    def state_dict(self) -> dict:
        """The scheduler's attributes except the optimizer (to save with a checkpoint)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state: dict) -> None:
        """Restore attributes saved by :meth:`state_dict`."""
        vars(self).update(state)


class StepLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` every ``step_size`` epochs:
    :math:`\eta_t = \eta_0 \gamma^{\lfloor t / s \rfloor}`."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        """base_lr * gamma ** (epoch // step_size)."""
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` at each of the ``milestones`` (epoch indices):
    :math:`\eta_t = \eta_0 \gamma^{\#\{m \in \text{milestones} : m \le t\}}` (a milestone given
    twice counts twice, as in torch)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """base_lr * gamma ** (the number of milestones <= epoch)."""
        return base_lr * self.gamma ** bisect_right(self.milestones, epoch)


class LambdaLR(LRScheduler):
    r"""The base lr times a function of the epoch: :math:`\eta_t = \eta_0 \, \lambda(t)`.

    Args:
        lr_lambda: a function ``epoch -> factor``, or a list of them, one per parameter group
            (``LambdaLR(opt, lambda epoch: 0.95 ** epoch)``).
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1):
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, list | tuple):
            if len(lr_lambda) != groups:
                raise ValueError(f"Expected {groups} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """base_lr * lr_lambda(epoch) (the first group's function)."""
        return base_lr * self.lr_lambdas[0](epoch)

    def _rates(self, epoch: int) -> list[float]:
        return [base * fn(epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict:
        """As :meth:`LRScheduler.state_dict`, without ``lr_lambdas`` (functions; a loading scheduler keeps its own)."""
        return {k: v for k, v in vars(self).items() if k not in ("optimizer", "lr_lambdas")}


class ExponentialLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` every epoch: :math:`\eta_t = \eta_0 \gamma^t`."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        """base_lr * gamma ** epoch."""
        return base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    r"""Cosine decay from the base lr to ``eta_min`` over ``T_max`` epochs:
    :math:`\eta_t = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min}) (1 + \cos(\pi t / T_{max}))`."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        """eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2."""
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


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
        """base_lr (epoch + 1) / warmup_epochs during the ramp, then ``after``'s rate (or base_lr)."""
        if epoch < self.warmup_epochs:
            return base_lr * (epoch + 1) / self.warmup_epochs
        return base_lr if self.after is None else self.after(base_lr, epoch - self.warmup_epochs)

    def state_dict(self) -> dict:
        """As :meth:`LRScheduler.state_dict`, without ``after`` (a function; a loading scheduler keeps its own)."""
        return {k: v for k, v in vars(self).items() if k not in ("optimizer", "after")}



class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric (the validation loss) has stopped improving for more
    than ``patience`` epochs: ``scheduler.step(val_loss)`` once per epoch.

    Args:
        mode: ``"min"`` (a loss: lower is better) or ``"max"`` (an accuracy).
        factor: the multiplier, below 1. patience: epochs without improvement tolerated; the lr drops
            at the next one.
        threshold, threshold_mode: what counts as an improvement on the best value b so far: in
            ``"rel"`` mode, below b (1 - threshold) (``"min"``) or above b (1 + threshold) (``"max"``);
            in ``"abs"`` mode, below b - threshold or above b + threshold.
        cooldown: epochs after a reduction during which bad epochs are not counted.
        min_lr: the lowest lr, one for all groups or a list with one per group.
        eps: a reduction smaller than eps is not applied.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | list[float] = 0, eps: float = 1e-8):
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.factor, self.optimizer = factor, optimizer
        if isinstance(min_lr, list | tuple):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}")
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * len(optimizer.param_groups)
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._init_is_better(mode, threshold, threshold_mode)
        self.best, self.cooldown_counter, self.num_bad_epochs = self.mode_worse, 0, 0

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in {"min", "max"}:
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf

    def _is_better(self, a: float, best: float) -> bool:
        """Whether the metric ``a`` improves on ``best`` by more than the threshold."""
        if self.threshold_mode == "rel":
            return a < best * (1 - self.threshold) if self.mode == "min" else a > best * (1 + self.threshold)
        return a < best - self.threshold if self.mode == "min" else a > best + self.threshold

    @property
    def in_cooldown(self) -> bool:
        """True during the ``cooldown`` epochs after a reduction."""
        return self.cooldown_counter > 0

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """Not defined: the rate depends on the metrics seen, not on the epoch alone."""
        raise NotImplementedError("ReduceLROnPlateau sets the lr from the metrics given to step(), not from the epoch")

    def step(self, metrics: float, epoch: int | None = None) -> None:
        """Record this epoch's metric (a float or a one-element tensor); reduce the lr after more than
        ``patience`` epochs without improvement (bad epochs in a cooldown do not count)."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn("The epoch parameter in `scheduler.step()` was not necessary and is being deprecated "
                          "where possible.", UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"The number of param groups in the `optimizer` ({len(self.optimizer.param_groups)})"
                                   f" differs from when `ReduceLROnPlateau` was initialized ({len(self.min_lrs)}); "
                                   f"set `min_lrs` to one value per group")
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state: dict) -> None:
        """Restore attributes saved by :meth:`state_dict`."""
        vars(self).update(state)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
