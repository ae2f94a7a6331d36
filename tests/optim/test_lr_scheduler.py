"""The optimisation chapter's tools: warm-up schedule, learning-rate range test, optimiser paths."""

import numpy as np
import pytest
import torch

import dlcourse
from dlcourse import nn, optim
from dlcourse.optimization import LinearWarmup, lr_range_test, optimizer_path, ravine, rosenbrock


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


def test_lr_range_test_suggests_a_rate_below_the_divergence_limit_of_gradient_descent():
    dlcourse.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 4)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=256)).astype(np.float32)
    batches = [(dlcourse.tensor(X[i:i + 32]), dlcourse.tensor(y[i:i + 32, None])) for i in range(0, 256, 32)]
    model = nn.Linear(4, 1)

    def loss_fn(model, batch):
        inputs, targets = batch
        return ((model(inputs) - targets) ** 2).mean()

    rates, losses, suggested = lr_range_test(model, loss_fn, batches, optim.SGD, start_lr=1e-4, end_lr=10.0,
                                             num_steps=80)
    assert len(rates) == len(losses) >= 3 and np.all(np.diff(rates) > 0)
    curvature = np.linalg.eigvalsh(2 * X.T @ X / len(X)).max()   # gradient descent diverges above 2 / curvature
    assert 1e-3 < suggested < 2 / curvature
    assert len(rates) < 80, "the test should stop once the loss diverges"


def test_lr_range_test_rejects_an_empty_range():
    with pytest.raises(ValueError, match="start_lr < end_lr"):
        lr_range_test(nn.Linear(1, 1), None, [], optim.SGD, start_lr=1.0, end_lr=0.1)


@pytest.mark.parametrize("surface, start", [(rosenbrock, [-1.5, 2.0]), (ravine, [-8.0, 1.0])])
@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True)),
                                          ("RMSprop", dict(lr=1e-2)), ("Adagrad", dict(lr=0.3)),
                                          ("Adam", dict(lr=0.05))])
def test_optimizer_paths_of_dlcourse_and_torch_are_the_same(surface, start, name, kwargs):
    ours = optimizer_path(surface, start, getattr(optim, name), 100, **kwargs)
    theirs = optimizer_path(surface, start, getattr(torch.optim, name), 100, **kwargs)
    assert ours.shape == (101, 2)
    assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    assert surface(*ours[-1]) < surface(*ours[0])
