"""Losses with torch's arguments in torch's order: label_smoothing, pos_weight, per-element weights,
and the deprecated size_average/reduce turned into a reduction as torch does. Values and float64
gradients equal PyTorch's."""

import inspect
import math

import numpy as np
import pytest

import dlcourse
from dlcourse import Tensor, nn
from dlcourse.nn import functional as F
from oracle import check_against_torch, check_module

torch = pytest.importorskip("torch")
tnn, TF = torch.nn, torch.nn.functional


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss",
                                  "GaussianNLLLoss"])
def test_loss_modules_take_torchs_arguments_in_torchs_order(name):
    def parameters(cls):
        return [(p.name, p.default, p.kind) for p in inspect.signature(cls.__init__).parameters.values()]
    assert parameters(getattr(nn, name)) == parameters(getattr(tnn, name))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "gaussian_nll_loss"])
def test_loss_functions_take_torchs_arguments_in_torchs_order(name):
    def parameters(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]
    assert parameters(getattr(F, name)) == parameters(getattr(TF, name))


# --- label smoothing ---------------------------------------------------------------------------------
def test_label_smoothing_of_uniform_logits_is_log_c():
    """Uniform logits give every class log-probability -ln C, whatever the smoothed target."""
    loss = F.cross_entropy(dlcourse.zeros(2, 4, dtype=np.float64), Tensor(np.array([0, 3])), label_smoothing=0.3)
    assert loss.item() == pytest.approx(math.log(4), rel=1e-12)


def test_label_smoothing_mixes_in_the_mean_log_probability():
    logits = np.array([[2.0, 0.0, -1.0]])
    log_p = logits - np.log(np.exp(logits).sum())
    expected = 0.9 * -log_p[0, 0] + 0.1 * -log_p[0].mean()
    assert F.cross_entropy(Tensor(logits), Tensor(np.array([0])), label_smoothing=0.1).item() == \
        pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_label_smoothing_with_class_indices_matches_torch(rng, reduction, weighted, ignore):
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    if ignore:
        y[[1, 4]] = -1
    w = rng.uniform(0.5, 2.0, 4) if weighted else None
    kwargs = dict(reduction=reduction, ignore_index=-1, label_smoothing=0.2)
    ours_w, theirs_w = (None, None) if w is None else (Tensor(w), torch.tensor(w))
    check_against_torch(lambda a: F.cross_entropy(a, Tensor(y), ours_w, **kwargs),
                        lambda a: TF.cross_entropy(a, torch.tensor(y), theirs_w, **kwargs), x)


def test_label_smoothing_with_spatial_targets_matches_torch(rng):
    x, y, w = rng.standard_normal((2, 3, 4, 5)), rng.integers(0, 3, (2, 4, 5)), rng.uniform(0.5, 2, 3)
    check_module(nn.CrossEntropyLoss(Tensor(w), label_smoothing=0.15), tnn.CrossEntropyLoss(torch.tensor(w),
                 label_smoothing=0.15), x, y)


@pytest.mark.parametrize("weighted", [False, True])
def test_label_smoothing_with_probability_targets_matches_torch(rng, weighted):
    x = rng.standard_normal((5, 4))
    p = rng.dirichlet(np.ones(4), 5)
    w = rng.uniform(0.5, 2, 4) if weighted else None
    check_against_torch(lambda a, b: F.cross_entropy(a, b, None if w is None else Tensor(w), label_smoothing=0.25),
                        lambda a, b: TF.cross_entropy(a, b, None if w is None else torch.tensor(w),
                                                      label_smoothing=0.25), x, p)


def test_label_smoothing_of_one_sample_matches_torch(rng):
    check_against_torch(lambda a: F.cross_entropy(a, Tensor(np.array(2)), label_smoothing=0.1),
                        lambda a: TF.cross_entropy(a, torch.tensor(2), label_smoothing=0.1), rng.standard_normal(5))


def test_label_smoothing_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        nn.CrossEntropyLoss(label_smoothing=1.5)(dlcourse.zeros(2, 3), Tensor(np.array([0, 1])))


# --- positional order, pos_weight, weights, deprecated arguments ------------------------------------------
def test_nll_loss_third_and_fifth_positions_are_weight_and_ignore_index(rng):
    x, y, w = rng.standard_normal((5, 3)), np.array([0, 2, 1, 2, 0]), rng.uniform(0.5, 2, 3)
    check_against_torch(lambda a: F.nll_loss(a, Tensor(y), Tensor(w), None, 2),
                        lambda a: TF.nll_loss(a, torch.tensor(y), torch.tensor(w), None, 2), x)
    check_module(nn.NLLLoss(Tensor(w), None, 2), tnn.NLLLoss(torch.tensor(w), None, 2), x, y)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pos_weight_matches_torch(rng, reduction):
    x, y = rng.standard_normal((4, 3)) * 3, rng.integers(0, 2, (4, 3)).astype(np.float64)
    pos_weight = rng.uniform(0.5, 3, 3)
    check_module(nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=Tensor(pos_weight)),
                 tnn.BCEWithLogitsLoss(reduction=reduction, pos_weight=torch.tensor(pos_weight)), x, y)


def test_pos_weight_of_one_is_the_plain_loss(rng):
    x, y = Tensor(rng.standard_normal((4, 3)) * 30), Tensor(rng.uniform(0, 1, (4, 3)))
    plain = F.binary_cross_entropy_with_logits(x, y)
    weighted = F.binary_cross_entropy_with_logits(x, y, pos_weight=Tensor(np.ones(3)))
    assert weighted.item() == pytest.approx(plain.item(), rel=1e-12)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_with_weights_match_torch(rng, name, reduction):
    x, y, w = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.uniform(0, 2, (4, 3))
    check_against_torch(lambda a, b: getattr(F, name)(a, b, reduction=reduction, weight=Tensor(w)),
                        lambda a, b: getattr(TF, name)(a, b, reduction=reduction, weight=torch.tensor(w)), x, y)


@pytest.mark.parametrize("size_average,reduce", [(None, False), (False, None), (True, True), (False, True)])
def test_deprecated_size_average_and_reduce_give_torchs_reduction(rng, size_average, reduce):
    x, y = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        ours = nn.CrossEntropyLoss(size_average=size_average, reduce=reduce)
    with pytest.warns(UserWarning):
        theirs = tnn.CrossEntropyLoss(size_average=size_average, reduce=reduce)
    assert ours.reduction == theirs.reduction
    with pytest.warns(UserWarning):
        check_against_torch(lambda a, b: F.mse_loss(a, b, size_average, reduce),
                            lambda a, b: TF.mse_loss(a, b, size_average, reduce), x, x[::-1].copy())
    check_module(ours, theirs, x, y)
