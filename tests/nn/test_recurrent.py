"""Recurrent layers and gradient clipping, against PyTorch (the character model: tests/models/test_char_lm.py)."""

import math

import numpy as np
import pytest
import torch

import dlcourse
from dlcourse import nn
from dlcourse.nn.utils import clip_grad_norm_


def _copy_into_torch(dl_module, torch_module):
    torch_module.load_state_dict({k: torch.tensor(v.data) for k, v in dl_module.state_dict().items()})


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_recurrent_layer_with_initial_state_matches_torch_in_values_and_state_gradients(kind, rng):
    dl_layer = getattr(nn, kind)(3, 4, batch_first=True).double()
    t_layer = getattr(torch.nn, kind)(3, 4, batch_first=True, dtype=torch.float64)
    _copy_into_torch(dl_layer, t_layer)
    x, h0, c0 = rng.standard_normal((2, 6, 3)), rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 2, 4))
    dl_x, dl_h0, dl_c0 = (dlcourse.Tensor(a, requires_grad=True) for a in (x, h0, c0))
    t_x, t_h0, t_c0 = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    dl_out, _ = dl_layer(dl_x, (dl_h0, dl_c0) if kind == "LSTM" else dl_h0)
    t_out, _ = t_layer(t_x, (t_h0, t_c0) if kind == "LSTM" else t_h0)
    np.testing.assert_allclose(dl_out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.standard_normal(t_out.shape)
    dl_out.backward(upstream)
    t_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(dl_x.grad.data, t_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dl_h0.grad.data, t_h0.grad.numpy(), rtol=1e-9, atol=1e-12)
    if kind == "LSTM":
        np.testing.assert_allclose(dl_c0.grad.data, t_c0.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, p in t_layer.named_parameters():
        np.testing.assert_allclose(dict(dl_layer.named_parameters())[name].grad.data, p.grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


def test_recurrent_layer_says_which_input_size_it_expected():
    with pytest.raises(ValueError, match="expected 3 input features"):
        nn.GRU(3, 2)(dlcourse.Tensor(np.zeros((4, 1, 5))))


def _params_with_grads(grads, library):
    params = []
    for g in grads:
        p = library.nn.Parameter(library.tensor(np.zeros_like(g)))
        p.grad = library.tensor(np.array(g))
        params.append(p)
    return params


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, float("inf")), (2.0, 3.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type, rng):
    grads = [rng.standard_normal(s) for s in [(3, 4), (5,), (2, 2, 2)]]
    ours, theirs = _params_with_grads(grads, dlcourse), _params_with_grads(grads, torch)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert math.isclose(total.item(), expected.item(), rel_tol=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_keeps_the_direction_and_skips_parameters_without_gradient():
    with_grad, without = _params_with_grads([np.array([3.0, 4.0])], dlcourse)[0], nn.Parameter(dlcourse.zeros(2))
    total = clip_grad_norm_([with_grad, without], 1.0)
    assert total.item() == 5.0 and without.grad is None
    np.testing.assert_allclose(with_grad.grad.data, [0.6, 0.8], rtol=1e-5)


def test_clip_grad_norm_on_a_single_tensor_and_bad_arguments():
    p = _params_with_grads([np.array([0.0, 2.0])], dlcourse)[0]
    assert clip_grad_norm_(p, 1.0).item() == 2.0
    with pytest.raises(ValueError, match="max_norm must be positive"):
        clip_grad_norm_(p, 0.0)
    p.grad = dlcourse.Tensor(np.array([np.nan, 1.0]))
    with pytest.raises(RuntimeError, match="total norm"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
