"""gradcheck finds wrong gradients and says where; numerical_grad is accurate in float64."""

import subprocess
import sys

import numpy as np
import pytest

import dlcourse
from dlcourse import Function, Tensor, nn
from dlcourse.nn import functional as F
from dlcourse.gradcheck import GradcheckError, gradcheck, numerical_grad


class WrongSquare(Function):
    """z = x^2 with a deliberately wrong gradient at index 2 (a typical student bug)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        g = 2 * x * grad
        g[2] *= -1
        return g


def test_numerical_grad_of_a_known_function_is_accurate():
    x = np.array([0.3, -1.2, 2.0])
    grad = numerical_grad(lambda v: np.sum(np.sin(v) * v), x)
    np.testing.assert_allclose(grad, np.cos(x) * x + np.sin(x), rtol=1e-8)
    assert x.tolist() == [0.3, -1.2, 2.0]  # the point is restored


def test_numerical_grad_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        numerical_grad(lambda v: v.sum(), np.ones(2, dtype=np.float32))


def test_gradcheck_passes_a_correct_composite_with_two_inputs(rng):
    a = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)
    result = gradcheck(lambda x, y: (x * y).tanh() @ y, [a, b])
    assert result.passed and result.max_relative_error < 1e-6


def test_gradcheck_reports_the_input_and_index_of_a_wrong_gradient(rng):
    ok = Tensor(rng.standard_normal(4), requires_grad=True)
    x = Tensor(np.array([1.0, 2.0, 3.0, 4.0]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 1, index \(2,\)"):
        gradcheck(lambda a, b: a * 2 + WrongSquare.apply(b), [ok, x])
    result = gradcheck(lambda a, b: a * 2 + WrongSquare.apply(b), [ok, x], raise_exception=False)
    assert not result and result.input_index == 1 and result.element_index == (2,)
    assert result.analytic == pytest.approx(-result.numerical)  # the sign flip, seen through the projection
    assert result.max_relative_error == pytest.approx(2.0)


def test_gradcheck_needs_float64_inputs():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda x: x * 2, [dlcourse.ones(2, requires_grad=True)])


def test_import_dlcourse_loads_neither_torch_nor_matplotlib():
    code = "import sys, dlcourse; print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_package_exports_the_engine_and_submodules():
    assert dlcourse.__version__ and dlcourse.Tensor is Tensor
    assert dlcourse.nn.Linear and dlcourse.optim.Adam and dlcourse.data.DataLoader
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = dlcourse.nope


def _layer(module, *extra):
    module = module.double()
    return lambda x: module(x, *extra)


def _first(module):
    module = module.double()
    return lambda x: module(x)[0]


def _self_attention(module):
    return lambda x: module(x, x, x)[0]


R = np.random.default_rng(7)
A3 = np.abs(R.standard_normal((4, 4))) > 0.5
SWEEP = {  # name: (factory of a function of one tensor, input shape); layers are built inside the seeded test
    "add-broadcast": (lambda: lambda x: x + x[:1], (3, 4)),
    "sub-mul-div": (lambda: lambda x: (x - 1.5) * x / (x * x + 1), (3, 4)),
    "pow": (lambda: lambda x: (x * x + 1) ** 1.5, (3,)),
    "matmul-batched": (lambda: lambda x: x @ x.transpose(-1, -2), (2, 3, 4)),
    "sum-mean-max": (lambda: lambda x: x.sum(0) + x.mean(1, keepdim=True) + x.max(1, keepdim=True).values, (3, 4)),
    "var": (lambda: lambda x: x.var(1), (3, 5)),
    "getitem-fancy": (lambda: lambda x: x[np.array([0, 2, 0]), 1:] * 2, (3, 4)),
    "cat-stack-where": (lambda: lambda x: dlcourse.where(x.data > 0, dlcourse.cat([x, x * 2], 0)[:3],
                                                         dlcourse.stack([x, x], 0)[1] ** 2), (3, 4)),
    "softmax": (lambda: lambda x: F.softmax(x, 1) * F.log_softmax(x, 0), (3, 4)),
    "cross-entropy": (lambda: lambda x: F.cross_entropy(x, Tensor(np.array([0, 3, 1]))), (3, 4)),
    "nll-sum": (lambda: lambda x: F.nll_loss(x, Tensor(np.array([2, 1, 1])), reduction="sum"), (3, 4)),
    "bce": (lambda: lambda x: F.binary_cross_entropy(x.sigmoid(), Tensor(np.full((3, 4), 0.3))), (3, 4)),
    "bce-logits": (lambda: lambda x: F.binary_cross_entropy_with_logits(x, Tensor(np.full((3, 4), 0.7))), (3, 4)),
    "mse-l1": (lambda: lambda x: F.mse_loss(x, Tensor(np.ones((3, 4)))) + F.l1_loss(x, Tensor(np.full((3, 4), 0.1))),
               (3, 4)),
    "leaky-elu-softplus": (lambda: lambda x: F.leaky_relu(x, 0.1) + F.elu(x) + F.softplus(x, 2.0), (3, 4)),
    "conv-transpose": (lambda: _layer(nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)),
                       (1, 2, 3, 3)),
    "max-pool": (lambda: _layer(nn.MaxPool2d(3, stride=2, padding=1)), (1, 2, 5, 5)),
    "avg-pool": (lambda: _layer(nn.AvgPool2d(2)), (1, 2, 4, 4)),
    "upsample-bilinear": (lambda: _layer(nn.Upsample(scale_factor=2, mode="bilinear")), (1, 1, 3, 3)),
    "batch-norm": (lambda: _layer(nn.BatchNorm1d(4)), (5, 4)),
    "rnn-cell": (lambda: _layer(nn.RNNCell(4, 3)), (2, 4)),
    "gru": (lambda: _first(nn.GRU(4, 3, batch_first=True)), (2, 3, 4)),
    "lstm": (lambda: _first(nn.LSTM(4, 3)), (3, 2, 4)),
    "attention": (lambda: _self_attention(nn.MultiheadAttention(4, 2).double()), (3, 2, 4)),
    "gcn": (lambda: _layer(nn.GCNConv(3, 2), A3 | A3.T), (4, 3)),
}


@pytest.mark.parametrize("name", SWEEP)
def test_op_or_layer_passes_gradcheck(name):
    factory, shape = SWEEP[name]
    fn = factory()
    x = Tensor(np.random.default_rng(3).standard_normal(shape) * 0.8 + 0.05, requires_grad=True)
    assert gradcheck(fn, [x])


def test_layer_parameters_pass_gradcheck():
    conv = nn.Conv2d(2, 2, 3, padding=1).double()
    x = Tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 4)))
    assert gradcheck(lambda w, b: F.conv2d(x, w, b, padding=1), [conv.weight, conv.bias])
    emb = nn.Embedding(5, 3).double()
    assert gradcheck(lambda w: F.embedding(Tensor(np.array([[1, 1, 4]])), w), [emb.weight])
