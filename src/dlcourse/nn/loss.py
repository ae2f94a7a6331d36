"""Loss modules: thin wrappers over ``dlcourse.nn.functional`` with a ``reduction`` argument.

``reduction`` is 'mean' (the default: the average over the elements), 'sum', or 'none' (the losses
unreduced).
"""

from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from . import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        reduction = F._legacy_reduction(size_average, reduce, reduction)
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def _register_optional_buffer(self, name: str, value) -> None:
        """A class weight saved in ``state_dict`` as torch's weighted losses save it (nothing when None)."""
        if value is None:
            setattr(self, name, None)
        else:
            self.register_buffer(name, value if isinstance(value, Tensor) else Tensor(np.asarray(value)))


class MSELoss(_Loss):
    """mean (x - y)^2: the Gaussian negative log-likelihood up to constants.

    Args:
        size_average, reduce: torch's deprecated forms of ``reduction``.
        reduction: 'mean', 'sum' or 'none'.
    """

    def forward(self, input, target):
        """The squared error between ``input`` and ``target`` (same shape), reduced."""
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """mean |x - y|: the Laplace negative log-likelihood up to constants. Args as :class:`MSELoss`."""

    def forward(self, input, target):
        """The absolute error between ``input`` and ``target`` (same shape), reduced."""
        return F.l1_loss(input, target, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with a predicted variance: ``forward(input, target, var)``.

    See :func:`dlcourse.nn.functional.gaussian_nll_loss`; ``full`` adds the constant 0.5 ln(2 pi),
    ``eps`` is the smallest variance used (the value is clamped, the gradient is not).
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        """The negative log-likelihood of ``target`` under N(input, var), reduced."""
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities: -[y ln p + (1-y) ln(1-p)].

    Args:
        weight: multiplies each element's loss (broadcast against the input), e.g. to weigh classes.
        size_average, reduce: torch's deprecated forms of ``reduction``.
        reduction: 'mean', 'sum' or 'none'.
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self._register_optional_buffer("weight", weight)

    def forward(self, input, target):
        """The binary cross-entropy of probabilities ``input`` against ``target`` in [0, 1], reduced."""
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits (stable: sigmoid and log are fused).

    Args: as :class:`BCELoss`, and
        pos_weight: multiplies the loss of the positive targets (one per class, along the last
            dimension): above 1 it weighs rare positives up.
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight: Tensor | None = None):
        super().__init__(size_average, reduce, reduction)
        self._register_optional_buffer("weight", weight)
        self._register_optional_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        """The binary cross-entropy of logits ``input`` against ``target`` in [0, 1], reduced."""
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices, given log-probabilities.

    Args:
        weight: one weight per class (C,); the mean then divides by the summed weights of the targets.
        size_average, reduce: torch's deprecated forms of ``reduction``.
        ignore_index: targets equal to it add nothing to the loss or to the mean's count.
        reduction: 'mean', 'sum' or 'none'.
    Shape: input (N, C) or (N, C, d1, ...); target (N,) or (N, d1, ...) integer class indices.
    """

    def __init__(self, weight: Tensor | np.ndarray | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self._register_optional_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        """-log p of each target class; ``input`` (N, C, ...) log-probabilities, ``target`` (N, ...) indices."""
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of class indices (or probabilities) given logits: NLLLoss(LogSoftmax(x)).

    Args: as :class:`NLLLoss`, and
        label_smoothing: eps in [0, 1]: the target becomes (1 - eps) one-hot + eps / C uniform,
            which keeps the model from pushing its logits towards infinite confidence.
    """

    def __init__(self, weight: Tensor | np.ndarray | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(size_average, reduce, reduction)
        self._register_optional_buffer("weight", weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        """The cross-entropy of logits ``input`` (N, C, ...) against class indices (N, ...) or probabilities."""
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)
