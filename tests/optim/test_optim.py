"""Optimisers and schedules follow torch.optim's trajectory step for step (float64, rtol 1e-9)."""

import numpy as np
import pytest

import dlcourse
from dlcourse import nn, optim
from dlcourse.optim import lr_scheduler

torch = pytest.importorskip("torch")
STEPS = 100


def gradient(theta_list):
    """A fixed, non-quadratic gradient field (same formula in both frameworks)."""
    return [2 * (t - 0.5) + 0.3 * np.sin(3 * t) + 0.1 * t ** 3 for t in theta_list]


def run_both(dl_cls, torch_cls, kwargs, scheduler=None, steps=STEPS, groups=False):
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    dl_params = [nn.Parameter(p.copy()) for p in start]
    t_params = [torch.tensor(p.copy(), requires_grad=True) for p in start]
    if groups:  # two parameter groups, the second with its own learning rate
        dl_opt = dl_cls([{"params": dl_params[:1]}, {"params": dl_params[1:], "lr": 0.03}], **kwargs)
        t_opt = torch_cls([{"params": t_params[:1]}, {"params": t_params[1:], "lr": 0.03}], **kwargs)
    else:
        dl_opt, t_opt = dl_cls(dl_params, **kwargs), torch_cls(t_params, **kwargs)
    schedulers = (scheduler[0](dl_opt, **scheduler[2]), scheduler[1](t_opt, **scheduler[2])) if scheduler else None
    for _ in range(steps):
        for p, g in zip(dl_params, gradient([p.data for p in dl_params])):
            p.grad = dlcourse.Tensor(g)
        for p, g in zip(t_params, gradient([p.detach().numpy() for p in t_params])):
            p.grad = torch.tensor(g)
        dl_opt.step()
        t_opt.step()
        if schedulers:
            schedulers[0].step()
            schedulers[1].step()
            np.testing.assert_allclose(schedulers[0].get_last_lr(), schedulers[1].get_last_lr(), rtol=1e-9, atol=1e-15)
    for a, b in zip(dl_params, t_params):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-9, atol=1e-12)
    return dl_opt, t_opt


CASES = {
    "sgd": (optim.SGD, torch.optim.SGD, dict(lr=0.05)),
    "sgd-momentum-dampening": (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.1)),
    "sgd-nesterov-weight-decay": (optim.SGD, torch.optim.SGD,
                                  dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    "adagrad": (optim.Adagrad, torch.optim.Adagrad,
                dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
    "rmsprop": (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    "rmsprop-centered-momentum": (optim.RMSprop, torch.optim.RMSprop,
                                  dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01)),
    "adam": (optim.Adam, torch.optim.Adam, dict(lr=0.01)),
    "adam-weight-decay-amsgrad": (optim.Adam, torch.optim.Adam,
                                  dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    "adamw": (optim.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
}


@pytest.mark.parametrize("case", CASES)
def test_optimizer_follows_torch_for_100_steps(case):
    run_both(*CASES[case])


@pytest.mark.parametrize("case", ["sgd-momentum-dampening", "adam"])
def test_param_groups_keep_their_own_learning_rates_like_torch(case):
    run_both(*CASES[case], groups=True)


def test_adam_bias_correction_makes_the_first_step_lr_times_sign_of_grad():
    p = nn.Parameter(np.array([1.0, -2.0]))
    opt = optim.Adam([p], lr=0.1)
    p.grad = dlcourse.Tensor(np.array([1e-3, -50.0]))
    opt.step()
    np.testing.assert_allclose(p.data, [0.9, -1.9], rtol=1e-5)  # eps shifts it by 1e-6


def test_optimizer_state_uses_pytorch_key_names():
    dl_opt, t_opt = run_both(*CASES["adam"], steps=2)
    adam_state = {"step", "exp_avg", "exp_avg_sq"}
    assert set(dl_opt.state_dict()["state"][0]) == set(t_opt.state_dict()["state"][0]) == adam_state
    dl_opt, t_opt = run_both(*CASES["sgd-momentum-dampening"], steps=2)
    assert set(dl_opt.state_dict()["state"][0]) == {"momentum_buffer"}
    assert set(run_both(*CASES["adagrad"], steps=1)[0].state_dict()["state"][0]) == {"step", "sum"}
    assert set(run_both(*CASES["rmsprop"], steps=1)[0].state_dict()["state"][0]) == {"step", "square_avg"}


def test_optimizer_state_dict_round_trip_resumes_the_same_trajectory():
    def make():
        p = nn.Parameter(np.array([1.0, 2.0]))
        return p, optim.Adam([p], lr=0.1)

    p1, opt1 = make()
    for _ in range(3):
        p1.grad = dlcourse.Tensor(p1.data * 2)
        opt1.step()
    p2, opt2 = make()
    p2.data[...] = p1.data
    opt2.load_state_dict(opt1.state_dict())
    for p, opt in ((p1, opt1), (p2, opt2)):
        p.grad = dlcourse.Tensor(p.data * 2)
        opt.step()
    assert np.array_equal(p1.data, p2.data)


def test_zero_grad_clears_gradients_and_step_skips_params_without_grad():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([a, b], lr=1.0)
    a.grad = dlcourse.Tensor(np.ones(2))
    opt.step()
    assert a.tolist() == [0.0, 0.0] and b.tolist() == [1.0, 1.0]
    opt.zero_grad()
    assert a.grad is None


def test_optimizer_accepts_tensors_that_do_not_require_grad_and_skips_them_as_torch_does():
    frozen = dlcourse.zeros(2)
    optim.SGD([frozen], lr=0.1).step()
    torch.optim.SGD([torch.zeros(2)], lr=0.1).step()
    assert frozen.tolist() == [0.0, 0.0]


SCHEDULES = {
    "step": (lr_scheduler.StepLR, torch.optim.lr_scheduler.StepLR, dict(step_size=7, gamma=0.5)),
    "exponential": (lr_scheduler.ExponentialLR, torch.optim.lr_scheduler.ExponentialLR, dict(gamma=0.97)),
    "cosine": (lr_scheduler.CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR,
               dict(T_max=30, eta_min=0.001)),
}


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_scheduler_follows_torch_for_100_steps(schedule):
    run_both(*CASES["sgd-momentum-dampening"], scheduler=SCHEDULES[schedule])


def test_cosine_schedule_reaches_eta_min_at_t_max():
    p = nn.Parameter(np.ones(1))
    opt = optim.SGD([p], lr=1.0)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.1)
    for _ in range(10):
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
