"""The helpers of ``dlcourse.training``: ``fit`` and ``evaluate`` (a worked example and PyTorch's twin),
``EarlyStopping``, the learning-rate range test and optimiser paths on the test surfaces."""

import numpy as np
import pytest

import dlcourse
from dlcourse import data, models, nn, optim
from dlcourse.data.synthetic import ravine, rosenbrock
from dlcourse.training import EarlyStopping, evaluate, fit, lr_range_test, optimizer_path

torch = pytest.importorskip("torch")
import dlcourse.torch  # noqa: E402 - needs torch


# --- fit and evaluate ---------------------------------------------------------------------------------
# Six points of two classes, separable by the sign of their first coordinate.
X = np.array([[-2.0, 1.0], [-1.5, -0.5], [-1.0, 0.3], [1.0, -0.2], [1.5, 0.8], [2.0, -1.0]])
Y = np.array([0, 0, 0, 1, 1, 1])


def _linear(weight, bias):
    model = nn.Linear(2, 2)
    model.weight.data = np.array(weight, dtype=np.float64)
    model.bias.data = np.array(bias, dtype=np.float64)
    return model


def _loader(batch_size=4):
    return data.DataLoader(data.TensorDataset(X, Y), batch_size=batch_size)


def test_fit_trains_a_linear_model_on_a_separable_set_and_returns_one_loss_per_epoch():
    model = _linear(np.zeros((2, 2)), np.zeros(2))
    history = fit(model, _loader(), optim.SGD(model.parameters(), lr=0.5), nn.CrossEntropyLoss(), epochs=8,
                  progress=False)
    assert len(history) == 8 and all(isinstance(loss, float) for loss in history)
    assert np.all(np.diff(history) < 0), history
    assert history[-1] < 0.1
    assert evaluate(model, _loader()) == 1.0


def test_an_epoch_loss_is_the_batch_losses_weighted_by_batch_size():
    # batches of 4 and 2 points; with lr = 0 the weights stay put and every epoch sees the same losses
    model = _linear([[1.0, 0.5], [-1.0, 2.0]], [0.1, -0.3])
    history = fit(model, _loader(batch_size=4), optim.SGD(model.parameters(), lr=0.0), nn.CrossEntropyLoss(), epochs=2,
                  progress=False)
    logits = X @ model.weight.data.T + model.bias.data
    per_example = np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(len(Y)), Y]
    np.testing.assert_allclose(history, [per_example.mean()] * 2, rtol=1e-12)


def test_on_batch_receives_every_batch_loss_whose_weighted_mean_is_the_epoch_loss():
    model = _linear([[1.0, 0.5], [-1.0, 2.0]], [0.1, -0.3])
    batch_losses = []
    history = fit(model, _loader(batch_size=4), optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), epochs=3,
                  progress=False, on_batch=batch_losses.append)
    assert len(batch_losses) == 3 * 2                     # batches of 4 and 2 points, three epochs
    weighted = (4 * np.array(batch_losses[0::2]) + 2 * np.array(batch_losses[1::2])) / 6
    np.testing.assert_allclose(history, weighted, rtol=1e-12)


def test_evaluate_gives_the_accuracy_computed_by_hand_and_leaves_evaluation_mode():
    # the logits are (0, x2): class 1 wins where x2 > 0, which is right for 2 of the 6 points
    model = _linear([[0.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
    by_hand = np.mean((X[:, 1] > 0).astype(int) == Y)
    assert by_hand == pytest.approx(2 / 6)
    assert evaluate(model, _loader(batch_size=4)) == pytest.approx(by_hand)
    assert not model.training
    assert evaluate(model, [(X[:2], Y[:2])]) == 0.5           # any iterable of (inputs, targets) batches


def test_fit_and_evaluate_take_the_same_steps_as_dlcourse_torch_fit():
    dlcourse.manual_seed(0)
    ours = models.mlp([2, 5, 2], activation=nn.Tanh)
    for p in ours.parameters():
        p.data = p.data.astype(np.float64)
    theirs = dlcourse.torch.load_dlcourse_state(dlcourse.torch.models.mlp([2, 5, 2], activation=torch.nn.Tanh).double(),
                                                ours)
    rng = np.random.default_rng(1)
    inputs, targets = rng.normal(size=(10, 2)), rng.integers(0, 2, size=10)
    our_losses = fit(ours, data.DataLoader(data.TensorDataset(inputs, targets), batch_size=4),
                     optim.SGD(ours.parameters(), lr=0.3, momentum=0.9), nn.CrossEntropyLoss(), epochs=5,
                     progress=False)
    torch_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(inputs), torch.from_numpy(targets)), batch_size=4)
    their_losses = dlcourse.torch.fit(theirs, torch_loader, torch.optim.SGD(theirs.parameters(), lr=0.3, momentum=0.9),
                                      torch.nn.CrossEntropyLoss(), epochs=5, device="cpu", progress=False)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-5)
    their_state = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value.data, their_state[name].numpy(), rtol=1e-5, atol=1e-12)
    assert evaluate(ours, [(inputs, targets)]) == dlcourse.torch.evaluate(theirs, torch_loader, device="cpu")


# --- EarlyStopping ------------------------------------------------------------------------------------
def test_early_stopping_waits_for_patience_and_keeps_the_best_weights():
    model = nn.Linear(2, 1)
    stopper = EarlyStopping(patience=2)
    losses = [1.0, 0.8, 0.9, 0.7, 0.75, 0.71, 0.6]
    decisions = []
    for epoch, loss in enumerate(losses):
        model.weight.data[...] = epoch
        decisions.append(stopper.step(loss, model))
    assert decisions == [False, False, False, False, False, True, False]
    assert stopper.best_epoch == 6 and stopper.stopped_epoch == 5
    assert np.all(stopper.best_state["weight"] == 6)


def test_early_stopping_min_delta_ignores_tiny_improvements():
    stopper = EarlyStopping(patience=1, min_delta=0.1)
    assert [stopper.step(x) for x in (1.0, 0.95)] == [False, True]
    assert stopper.best_epoch == 0
    with pytest.raises(ValueError):
        EarlyStopping(patience=0)


# --- learning-rate range test -------------------------------------------------------------------------
def test_lr_range_test_suggests_a_rate_below_the_divergence_limit_of_gradient_descent():
    rng = dlcourse.manual_seed(0)
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


# --- optimiser paths ----------------------------------------------------------------------------------
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
