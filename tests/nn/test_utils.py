"""The L1 and L2 penalties of ``dlcourse.nn.utils`` match torch's autograd and SGD's weight_decay."""

import numpy as np
import pytest

from dlcourse import nn, optim
from dlcourse.nn.utils import l1_penalty, l2_penalty

torch = pytest.importorskip("torch")


def test_penalties_and_their_gradients_equal_torch():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    arrays[1][0] = 0.0
    dl = [nn.Parameter(a.copy()) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    value = l2_penalty(dl, 0.3) + l1_penalty(dl, 0.2)
    expected = 0.15 * sum((t ** 2).sum() for t in tt) + 0.2 * sum(t.abs().sum() for t in tt)
    value.backward()
    expected.backward()
    np.testing.assert_allclose(value.item(), expected.item(), rtol=1e-12)
    for p, t in zip(dl, tt):
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-12)


def test_l2_penalty_gradient_equals_sgd_weight_decay():
    start = np.random.default_rng(1).standard_normal((4, 3))
    with_penalty, with_decay = nn.Parameter(start.copy()), nn.Parameter(start.copy())
    sgd_penalty, sgd_decay = optim.SGD([with_penalty], lr=0.1), optim.SGD([with_decay], lr=0.1, weight_decay=0.05)
    for _ in range(5):
        for opt, p, penalty in ((sgd_penalty, with_penalty, 0.05), (sgd_decay, with_decay, 0.0)):
            opt.zero_grad()
            loss = ((p - 1.0) ** 2).sum() + (l2_penalty([p], penalty) if penalty else 0.0)
            loss.backward()
            opt.step()
    np.testing.assert_allclose(with_penalty.data, with_decay.data, rtol=1e-12)


def test_penalties_need_parameters():
    with pytest.raises(ValueError):
        l2_penalty([], 0.1)
