"""Learning-rate schedules (call ``scheduler.step()`` once per epoch, after ``optimizer.step()``)."""

import math


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
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base, self.last_epoch)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

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

