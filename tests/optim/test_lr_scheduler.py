"""The schedules of ``dlcourse.optim.lr_scheduler`` beyond the closed forms of test_optim: the linear warm-up
alone and handing over to cosine annealing; MultiStepLR, LambdaLR and ReduceLROnPlateau against torch."""

import numpy as np
import pytest
import torch

import dlcourse
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


# --- MultiStepLR, LambdaLR, ReduceLROnPlateau: torch's arguments, torch's learning rates -------------

def _two_groups(engine, lr=0.1):
    """An optimizer with two parameter groups (the second at half the lr), on either engine."""
    if engine == "torch":
        a, b = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
        return torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": lr / 2}], lr=lr)
    return optim.SGD([{"params": [nn.Parameter(np.zeros(2))]}, {"params": [nn.Parameter(np.zeros(3))], "lr": lr / 2}],
                     lr=lr)


def _rates_over(engine, make_scheduler, epochs, metrics=None):
    """The lr of every group at each epoch, stepping the scheduler after each (with the epoch's metric)."""
    optimizer = _two_groups(engine)
    scheduler = make_scheduler(optimizer)
    rates = []
    for epoch in range(epochs):
        rates.append([group["lr"] for group in optimizer.param_groups])
        optimizer.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[epoch])
    return np.array(rates)


def test_multistep_lr_drops_at_each_milestone():
    optimizer = _optimizer(1.0)
    scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2, 4], gamma=0.5)
    rates = []
    for _ in range(6):
        rates.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


@pytest.mark.parametrize("milestones,gamma", [([30, 80], 0.1), ([5, 3, 12, 12], 0.5), ([0, 1], 0.9)])
def test_multistep_lr_matches_torch(milestones, gamma):
    def make(engine):
        return lambda opt: (torch.optim.lr_scheduler if engine == "torch" else optim.lr_scheduler).MultiStepLR(
            opt, milestones, gamma=gamma)

    np.testing.assert_allclose(_rates_over("dlcourse", make("dlcourse"), 100), _rates_over("torch", make("torch"), 100),
                               rtol=1e-12)


@pytest.mark.parametrize("lr_lambda", [lambda epoch: 0.95 ** epoch,
                                       [lambda epoch: 1 / (1 + epoch), lambda epoch: min(1.0, (epoch + 1) / 5)]],
                         ids=["one-function", "one-per-group"])
def test_lambda_lr_matches_torch(lr_lambda):
    def make(engine):
        return lambda opt: (torch.optim.lr_scheduler if engine == "torch" else optim.lr_scheduler).LambdaLR(
            opt, lr_lambda)

    np.testing.assert_allclose(_rates_over("dlcourse", make("dlcourse"), 30), _rates_over("torch", make("torch"), 30),
                               rtol=1e-12)


def test_lambda_lr_needs_one_function_per_group():
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        optim.lr_scheduler.LambdaLR(_two_groups("dlcourse"), [lambda epoch: 1.0])


def test_reduce_lr_on_plateau_cuts_the_rate_after_patience_epochs_without_improvement():
    optimizer = _optimizer(0.1)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=2)
    rates = []
    for val_loss in [1.0, 0.8, 0.8, 0.8, 0.8, 0.7]:
        scheduler.step(val_loss)
        rates.append(optimizer.param_groups[0]["lr"])
    # the third epoch without improvement (more than patience = 2) multiplies the lr by factor = 0.1
    assert np.allclose(rates, [0.1, 0.1, 0.1, 0.1, 0.01, 0.01])


def _validation_curve(seed, n=80):
    """A loss that falls, plateaus and wobbles: improvements, stalls and tiny improvements below threshold."""
    rng = np.random.default_rng(seed)
    trend = 1.0 / (1.0 + 0.2 * np.minimum(np.arange(n), 40)) + 0.3
    return trend + 0.02 * rng.standard_normal(n) * (np.arange(n) > 20)


PLATEAU_CASES = {
    "defaults": dict(),
    "patience-0-factor-half": dict(patience=0, factor=0.5),
    "max-mode": dict(mode="max", patience=3),
    "abs-threshold": dict(threshold=0.01, threshold_mode="abs", patience=2),
    "cooldown": dict(patience=1, cooldown=3, factor=0.5),
    "min-lr-per-group": dict(patience=1, factor=0.3, min_lr=[0.002, 0.001]),
    "min-lr-and-eps": dict(patience=1, factor=0.5, min_lr=0.01, eps=0.004),
    "rel-threshold-large": dict(threshold=0.05, patience=2),
}


@pytest.mark.parametrize("case", PLATEAU_CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_reduce_lr_on_plateau_matches_torch(case, seed):
    kwargs = PLATEAU_CASES[case]
    metrics = _validation_curve(seed)
    if kwargs.get("mode") == "max":
        metrics = 2.0 - metrics  # an accuracy-like curve that rises, then plateaus

    def make(engine):
        module = torch.optim.lr_scheduler if engine == "torch" else optim.lr_scheduler
        return lambda opt: module.ReduceLROnPlateau(opt, **kwargs)

    ours = _rates_over("dlcourse", make("dlcourse"), len(metrics), metrics)
    theirs = _rates_over("torch", make("torch"), len(metrics), metrics)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert (ours[-1] < ours[0]).all()  # the case reduced the rate at least once


def test_reduce_lr_on_plateau_takes_a_loss_tensor_and_resumes_from_its_state_dict():
    optimizer = _optimizer(0.1)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=1)
    scheduler.step(dlcourse.tensor(1.0))
    scheduler.step(dlcourse.tensor(1.0))
    resumed = optim.lr_scheduler.ReduceLROnPlateau(_optimizer(0.1), patience=5)
    resumed.load_state_dict(scheduler.state_dict())
    assert resumed.patience == 1 and resumed.num_bad_epochs == 1 and resumed.best == 1.0
    scheduler.step(1.0)
    assert scheduler.get_last_lr() == pytest.approx([0.01])


@pytest.mark.parametrize("kwargs,message", [(dict(factor=1.0), "Factor should be < 1.0"),
                                            (dict(mode="lowest"), "mode lowest is unknown"),
                                            (dict(threshold_mode="relative"), "threshold mode relative is unknown"),
                                            (dict(min_lr=[0.1, 0.2]), "expected 1 min_lrs, got 2")])
def test_reduce_lr_on_plateau_rejects_what_torch_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.lr_scheduler.ReduceLROnPlateau(_optimizer(), **kwargs)
