"""The linear warm-up schedule of ``dlcourse.optim.lr_scheduler``, alone and handing over to cosine annealing."""

import numpy as np
import pytest
import torch

from dlcourse import nn, optim
from dlcourse.optim.lr_scheduler import LinearWarmup


def _optimizer(lr=0.1):
    return optim.SGD([nn.Parameter(np.zeros(2))], lr=lr)


def test_warmup_ramps_linearly_then_keeps_the_base_rate():
    optimizer = _optimizer(0.1)
    scheduler = LinearWarmup(optimizer, warmup_epochs=4)
    rates = []
    for _ in range(6):
        rates.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    assert np.allclose(rates, [0.025, 0.05, 0.075, 0.1, 0.1, 0.1])


def test_warmup_then_cosine_matches_torch_linear_lr_then_cosine():
    optimizer = _optimizer(0.1)
    cosine = optim.lr_scheduler.CosineAnnealingLR(_optimizer(0.1), T_max=15)
    scheduler = LinearWarmup(optimizer, warmup_epochs=5, after=cosine.lr_at)
    weight = torch.zeros(2, requires_grad=True)
    reference_optimizer = torch.optim.SGD([weight], lr=0.1)
    reference = torch.optim.lr_scheduler.SequentialLR(reference_optimizer, [
        torch.optim.lr_scheduler.LinearLR(reference_optimizer, start_factor=1 / 5, total_iters=4),
        torch.optim.lr_scheduler.CosineAnnealingLR(reference_optimizer, T_max=15)], milestones=[5])
    ours, theirs = [], []
    for _ in range(20):
        ours.append(optimizer.param_groups[0]["lr"])
        theirs.append(reference_optimizer.param_groups[0]["lr"])
        reference_optimizer.step()
        scheduler.step()
        reference.step()
    assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_warmup_rejects_an_empty_ramp():
    with pytest.raises(ValueError, match="warmup_epochs"):
        LinearWarmup(_optimizer(), warmup_epochs=0)
