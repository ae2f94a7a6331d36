"""The convolution and pooling ops: ties, infinite gradients and memory layouts, checked against PyTorch."""

import numpy as np
import pytest

import dlcourse
from dlcourse import Tensor
from dlcourse.nn import functional as F
from oracle import assert_close, check_against_torch

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def test_max_pool_gradient_goes_to_the_first_maximum_of_the_lectures_feature_map():
    feature_map = np.array([[1, 3, 3, 0], [3, 2, 1, 1], [0, 0, 5, 5], [1, 1, 5, 5]], dtype=np.float64)[None, None]
    x = Tensor(feature_map, requires_grad=True)
    pooled = F.max_pool2d(x, 2)
    pooled.sum().backward()
    np.testing.assert_array_equal(pooled.data[0, 0], [[3, 3], [1, 5]])
    np.testing.assert_array_equal(x.grad.data[0, 0], [[0, 1, 1, 0], [0, 0, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]])


@pytest.mark.parametrize("config", [dict(kernel_size=2), dict(kernel_size=2, stride=1),
                                    dict(kernel_size=3, stride=1, padding=1), dict(kernel_size=3, stride=2),
                                    dict(kernel_size=2, stride=1, dilation=2), dict(kernel_size=(2, 3), stride=(1, 2))],
                         ids=str)
def test_max_pool_with_ties_and_overlapping_windows_matches_torch(config):
    x = np.random.default_rng(0).integers(0, 3, size=(2, 3, 7, 8)).astype(np.float64)  # small integers: many ties
    check_against_torch(lambda t: F.max_pool2d(t, **config), lambda t: TF.max_pool2d(t, **config), x)


def test_max_pool_sends_an_infinite_gradient_to_the_maximum_only():
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4))
    upstream = np.ones((1, 2, 2, 2))
    upstream[0, 1, 0, 0] = np.inf
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.max_pool2d(ours, 2).backward(upstream)
    TF.max_pool2d(theirs, 2).backward(torch.tensor(upstream))
    assert not np.isnan(ours.grad.data).any()
    assert_close(ours.grad, theirs.grad)


@pytest.mark.parametrize("op", ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d"])
def test_ops_give_the_same_numbers_whatever_the_memory_layout_of_their_input(op):
    rng = np.random.default_rng(2)
    base = rng.standard_normal((3, 2, 6, 7))
    batch_last = np.ascontiguousarray(base.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    layouts = {"(N, C, H, W)": base, "batch-last": batch_last, "a strided slice": np.repeat(base, 2, axis=3)[..., ::2]}
    weight = rng.standard_normal((4, 2, 3, 3) if op == "conv2d" else (2, 4, 3, 3))
    run = {"conv2d": lambda x: F.conv2d(x, Tensor(weight), padding=1, stride=2),
           "conv_transpose2d": lambda x: F.conv_transpose2d(x, Tensor(weight), stride=2, output_padding=1),
           "max_pool2d": lambda x: F.max_pool2d(x, 3, 2, padding=1),
           "avg_pool2d": lambda x: F.avg_pool2d(x, 2)}[op]
    upstream = None
    results = {}
    for name, x in layouts.items():
        np.testing.assert_array_equal(x, base)
        t = Tensor(x, requires_grad=True)
        out = run(t)
        upstream = rng.standard_normal(out.shape) if upstream is None else upstream
        out.backward(upstream)
        results[name] = out.data, t.grad.data
    for name, (out, grad) in results.items():
        np.testing.assert_allclose(out, results["(N, C, H, W)"][0], rtol=1e-12, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(grad, results["(N, C, H, W)"][1], rtol=1e-12, atol=1e-12, err_msg=name)


def test_conv_and_pool_outputs_are_shaped_like_torchs_and_stored_batch_last():
    x = dlcourse.randn(5, 3, 8, 8)
    conv = F.conv2d(x, dlcourse.randn(4, 3, 3, 3), padding=1)
    pooled = F.max_pool2d(conv.relu(), 2)
    assert conv.shape == (5, 4, 8, 8) and pooled.shape == (5, 4, 4, 4)
    for y in (conv, pooled):
        assert y.data.transpose(1, 2, 3, 0).flags.c_contiguous   # memory ordered (C, H, W, N)


def test_conv_transpose2d_with_output_padding_below_its_dilation_matches_torch():
    rng = np.random.default_rng(3)
    x, weight = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((3, 2, 3, 3))
    kwargs = dict(stride=1, dilation=2, output_padding=1)
    check_against_torch(lambda a, w: F.conv_transpose2d(a, w, **kwargs),
                        lambda a, w: TF.conv_transpose2d(a, w, **kwargs), x, weight)


def test_small_cnn_training_step_matches_torch_in_float32():
    from dlcourse import models
    from dlcourse.torch import load_dlcourse_state
    from dlcourse.torch.models import small_cnn as torch_small_cnn

    rng = np.random.default_rng(4)
    images, labels = rng.standard_normal((16, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 16)
    dlcourse.manual_seed(0)
    ours = models.small_cnn()
    theirs = load_dlcourse_state(torch_small_cnn(), ours)
    F.cross_entropy(ours(Tensor(images)), Tensor(labels)).backward()
    TF.cross_entropy(theirs(torch.from_numpy(images)), torch.from_numpy(labels)).backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, grads[name].grad, rtol=1e-4, atol=1e-6, what=f"gradient of {name}")
