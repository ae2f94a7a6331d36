"""Loss modules: thin wrappers over ``dlcourse.nn.functional`` with a ``reduction`` argument."""

from . import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction


class MSELoss(_Loss):
    """mean (x - y)^2: the Gaussian negative log-likelihood up to constants."""

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """mean |x - y|: the Laplace negative log-likelihood up to constants."""

    def forward(self, input, target):
        return F.l1_loss(input, target, self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with a predicted variance: ``forward(input, target, var)``.

    See :func:`dlcourse.nn.functional.gaussian_nll_loss`; ``full`` adds the constant 0.5 ln(2 pi),
    ``eps`` is the smallest variance used (the value is clamped, the gradient is not).
    """

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(BCELoss):
    """Binary cross-entropy on logits (stable: sigmoid and log are fused)."""

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices, given log-probabilities."""

    def __init__(self, weight=None, reduction="mean", ignore_index=-100):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.reduction, self.ignore_index)


class CrossEntropyLoss(NLLLoss):
    """Cross-entropy of class indices (or probabilities) given logits: NLLLoss(LogSoftmax(x))."""

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.reduction, self.ignore_index)
