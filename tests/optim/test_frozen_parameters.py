"""Optimisers over partly frozen parameters, as in fine-tuning: a parameter with ``requires_grad=False``,
or one the loss never reached, has no ``.grad`` after ``backward``; the optimiser accepts it and skips
it (its value, and its state, stay untouched), exactly as ``torch.optim`` does."""

import numpy as np
import pytest

import dlcourse
from dlcourse import models, nn, optim

torch = pytest.importorskip("torch")
from dlcourse import torch as dltorch  # noqa: E402

OPTIMIZERS = {
    "SGD": (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    "Adam": (optim.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.01)),
    "AdamW": (optim.AdamW, torch.optim.AdamW, dict(lr=0.01)),
    "RMSprop": (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.5)),
    "Adagrad": (optim.Adagrad, torch.optim.Adagrad, dict(lr=0.1, weight_decay=0.01)),
}


def test_the_lecture_example_a_frozen_first_layer_keeps_its_weights():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    for p in model[0].parameters():
        p.requires_grad_(False)
    frozen, head = model[0].weight.data.copy(), model[2].weight.data.copy()
    optimizer = optim.SGD(model.parameters(), lr=0.1)   # all parameters, as in torch: the frozen are skipped
    model(dlcourse.ones(4, 2)).sum().backward()
    assert model[0].weight.grad is None
    optimizer.step()
    np.testing.assert_array_equal(model[0].weight.data, frozen)
    assert not np.array_equal(model[2].weight.data, head)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_skips_frozen_and_unreached_parameters_step_by_step_like_torch(name, rng):
    dl_class, torch_class, kwargs = OPTIMIZERS[name]
    theirs = dltorch.models.mlp([4, 8, 8, 2]).double()
    ours = models.mlp([4, 8, 8, 2]).double()
    ours.load_state_dict(theirs.state_dict())
    for model in (ours, theirs):
        for p in model[0].parameters():
            p.requires_grad_(False)
    unused_ours, unused_theirs = nn.Parameter(np.ones(3)), torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    dl_opt = dl_class(list(ours.parameters()) + [unused_ours], **kwargs)
    torch_opt = torch_class(list(theirs.parameters()) + [unused_theirs], **kwargs)
    frozen = ours[0].weight.data.copy()
    for _ in range(5):
        x, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 2))
        for model, opt, engine in ((ours, dl_opt, dlcourse), (theirs, torch_opt, torch)):
            opt.zero_grad()
            loss = ((model(engine.tensor(x)) - engine.tensor(y)) ** 2).mean()
            loss.backward()
            opt.step()
        for (key, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
            np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-9, atol=1e-12, err_msg=key)
    np.testing.assert_array_equal(ours[0].weight.data, frozen)
    assert unused_ours.tolist() == [1.0, 1.0, 1.0] and unused_ours.grad is None
    assert ours[0].weight not in dl_opt.state and unused_ours not in dl_opt.state
    assert len(dl_opt.state) == 4  # the four trained tensors (torch's Adagrad also fills the others' at the start)


def test_a_layer_unfrozen_later_joins_through_add_param_group():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    model[0].weight.requires_grad_(False)
    optimizer = optim.SGD(model[1].parameters(), lr=0.1)
    model[0].weight.requires_grad_(True)
    optimizer.add_param_group({"params": model[0].parameters(), "lr": 0.01})
    assert [group["lr"] for group in optimizer.param_groups] == [0.1, 0.01]
    before = model[0].weight.data.copy()
    model(dlcourse.ones(3, 2)).sum().backward()
    optimizer.step()
    assert not np.array_equal(model[0].weight.data, before)


def test_named_parameters_are_accepted_and_their_names_kept_as_in_torch():
    ours, theirs = nn.Linear(2, 1), torch.nn.Linear(2, 1)
    dl_opt, torch_opt = optim.SGD(ours.named_parameters(), lr=0.1), torch.optim.SGD(theirs.named_parameters(), lr=0.1)
    assert dl_opt.param_groups[0]["param_names"] == torch_opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert all(a is b for a, b in zip(dl_opt.param_groups[0]["params"], [ours.weight, ours.bias], strict=True))


@pytest.mark.parametrize("params,error,message", [
    (lambda: [np.zeros(2)], TypeError, "can only optimize Tensors"),
    (lambda: [nn.Parameter(np.ones(2)) * 2], ValueError, "non-leaf"),
    (lambda: [{"params": {nn.Parameter(np.ones(2))}}], TypeError, "ordered collections"),
    (lambda: nn.Parameter(np.ones(2)), TypeError, "iterable of Tensors"),
    (lambda: [], ValueError, "empty parameter list"),
])
def test_optimizer_rejects_what_torch_rejects(params, error, message):
    with pytest.raises(error, match=message):
        optim.SGD(params(), lr=0.1)


def test_a_parameter_in_two_groups_is_an_error():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
