"""The scalar Value engine and the lecture's explicit-graph module reproduce the lecture's numbers."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dlcourse
from dlcourse import compgraph
from dlcourse.autograd import Value

torch = pytest.importorskip("torch")


def test_value_one_neuron_backprop_matches_the_lecture():
    w, b, x, y = Value(2.0), Value(1.0), Value(2.0), Value(2.0)
    loss = (w * x + b - y) ** 2
    loss.backward()
    assert (loss.data, w.grad, b.grad) == (9.0, 12.0, 6.0)


def test_value_neuron_output_matches_the_lecture():
    x, w = [1.0, 2.0, 3.0], [1.0, 0.5, 1.0]
    assert sum((Value(wi) * xi for wi, xi in zip(w, x)), Value(0.5)).data == 5.5


@settings(max_examples=25, deadline=None, derandomize=True)
@given(a=st.floats(0.2, 3), b=st.floats(-3, 3))
def test_value_expression_matches_torch(a, b):
    def f(x, y, lib):
        z = x * y + (x ** 2) / (y * y + 1) - 3.0 / x
        return (z.tanh() + z.sigmoid() * 2 + lib(x).log() + (y * 0.5).exp() + (-z).relu()) * 1.5 - y

    va, vb = Value(a), Value(b)
    out = f(va, vb, lambda v: v)
    out.backward()
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    tout = f(ta, tb, lambda v: v)
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-9)
    assert va.grad == pytest.approx(ta.grad.item(), rel=1e-9, abs=1e-12)
    assert vb.grad == pytest.approx(tb.grad.item(), rel=1e-9, abs=1e-12)


def test_value_reused_node_sums_its_gradients():
    a = Value(3.0)
    out = a * a + a
    out.backward()
    assert a.grad == 7.0


def test_value_backward_twice_gives_the_same_gradient():
    a = Value(2.0)
    out = a * 3
    out.backward()
    out.backward()
    assert a.grad == 3.0


def test_value_chain_of_50000_ops_backpropagates():
    x = Value(1.0)
    y = x
    for _ in range(50_000):
        y = y + 0.0
    y.backward()
    assert x.grad == 1.0


def test_value_sigmoid_is_stable_for_large_inputs():
    assert Value(1e4).sigmoid().data == 1.0 and Value(-1e4).sigmoid().data == 0.0
    assert math.isfinite(Value(-1e4).sigmoid().data)


@pytest.mark.parametrize("z", [-1000.0, -50.0, -1.0, 0.0, 2.0, 50.0, 1000.0])
def test_value_sigmoid_and_its_derivative_are_accurate_far_into_both_tails(z):
    exact = 1 / (1 + math.exp(-z)) if z > -700 else 0.0   # exp(50) is still representable
    out = Value(z).sigmoid()
    out.backward()
    assert out.data == pytest.approx(exact, rel=1e-15, abs=0)
    slope = math.exp(-abs(z)) / (1 + math.exp(-abs(z))) ** 2      # sigma(z) sigma(-z), symmetric in z
    assert out._parents[0].grad == pytest.approx(slope, rel=1e-15, abs=0)


def test_value_is_the_class_chapter_03_builds():
    """The lesson and the exercise build a Value with these fields; the package's is that class."""
    from dlcourse.autograd import scalar

    a, b = Value(2.0), Value(-3.0)
    out = a * b + 1.0
    assert dlcourse.autograd.Value is scalar.Value
    assert out._op == "+" and out._parents[0]._op == "*" and out._parents[0]._parents == (a, b)
    assert Value._as_value(4.0).data == 4.0 and Value._as_value(a) is a
    product = out._parents[0]
    product.grad = 1.0
    product._backward()                      # one op's chain rule on its own: d(ab)/da = b
    assert (a.grad, b.grad) == (-3.0, 2.0)
    assert not hasattr(a, "_prev") and not hasattr(Value, "_lift")


@pytest.mark.parametrize("op,torch_op,x", [
    (lambda v: v.exp(), torch.exp, 0.7), (lambda v: v.log(), torch.log, 0.7), (lambda v: v.relu(), torch.relu, -0.3),
    (lambda v: v.relu(), torch.relu, 0.3), (lambda v: -v, torch.neg, 0.7), (lambda v: 2.0 - v, lambda t: 2.0 - t, 0.7),
    (lambda v: 2.0 / v, lambda t: 2.0 / t, 0.7), (lambda v: v ** 3, lambda t: t ** 3, -0.7),
    (lambda v: 3.0 * v + 1.0, lambda t: 3.0 * t + 1.0, 0.7), (lambda v: v.sigmoid(), torch.sigmoid, -4.0),
])
def test_value_each_op_matches_torch(op, torch_op, x):
    v = Value(x)
    out = op(v)
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    t_out = torch_op(t)
    t_out.backward()
    assert out.data == pytest.approx(t_out.item(), rel=1e-12)
    assert v.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-300)


@pytest.fixture
def fresh_graph():
    compgraph.clear()
    yield
    compgraph.clear()


def test_graph_one_neuron_forward_backward_update_matches_the_lecture(fresh_graph):
    w, b = compgraph.Parameter(2.0), compgraph.Parameter(1.0)
    x, y = compgraph.Input(2.0), compgraph.Input(2.0)
    loss = compgraph.Square(compgraph.Subtract(compgraph.Add(compgraph.Multiply(w, x), b), y))
    compgraph.forward_pass()
    assert loss.value == 9.0
    compgraph.backward_pass(loss)
    assert (w.grad, b.grad) == (12.0, 6.0)
    compgraph.update_parameters(0.1)
    assert w.value == pytest.approx(0.8) and b.value == pytest.approx(0.4)


def test_graph_keeps_nodes_in_its_two_lists_in_creation_order(fresh_graph):
    w, x = compgraph.Parameter(1.0), compgraph.Input(3.0)
    product = compgraph.Multiply(w, x)
    out = compgraph.Sigmoid(product)
    assert compgraph.parameter_nodes == [w] and compgraph.compute_nodes == [product, out]


def test_graph_has_the_names_the_lesson_uses():
    """Chapter 03's lesson writes this framework by hand with these names; the module matches."""
    for name in ["Input", "Parameter", "CompNode", "Affine", "Sigmoid", "BinaryCrossEntropy",
                 "compute_nodes", "parameter_nodes", "forward_pass", "backward_pass", "update_parameters"]:
        assert hasattr(compgraph, name), name
    assert all(hasattr(compgraph.CompNode, m) for m in ("register", "add_grad", "forward", "backward"))
    assert all(hasattr(compgraph.Parameter, m) for m in ("add_grad", "update"))


def test_graph_logistic_regression_on_a_batch_matches_torch(fresh_graph, rng):
    features, labels = rng.normal(size=(40, 2)), (rng.random(40) > 0.5).astype(float)
    w, b = compgraph.Parameter([0.3, -0.2]), compgraph.Parameter(0.1)
    prediction = compgraph.Sigmoid(compgraph.Affine(compgraph.Input(features), w, b))
    loss = compgraph.BinaryCrossEntropy(prediction, compgraph.Input(labels))
    compgraph.forward_pass()
    compgraph.backward_pass(loss)
    w_t = torch.tensor([0.3, -0.2], dtype=torch.float64, requires_grad=True)
    b_t = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    loss_t = torch.nn.functional.binary_cross_entropy(torch.sigmoid(torch.tensor(features) @ w_t + b_t),
                                                      torch.tensor(labels))
    loss_t.backward()
    assert loss.value.mean() == pytest.approx(loss_t.item(), rel=1e-12)
    np.testing.assert_allclose(w.grad, w_t.grad.numpy(), rtol=1e-10)
    assert b.grad == pytest.approx(b_t.grad.item(), rel=1e-10)


def test_graph_xor_network_of_the_lecture_outputs_xor(fresh_graph):
    outputs = []
    for x1, x2 in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        compgraph.clear()
        a, b = compgraph.Input(x1), compgraph.Input(x2)
        h1 = compgraph.ReLU(compgraph.Add(a, b))                                # W row (1, 1), c1 = 0
        h2 = compgraph.ReLU(compgraph.Subtract(compgraph.Add(a, b), compgraph.Input(1.0)))  # c2 = -1
        out = compgraph.Add(compgraph.Multiply(compgraph.Parameter(1.0), h1),
                            compgraph.Multiply(compgraph.Parameter(-2.0), h2))
        compgraph.forward_pass()
        outputs.append(float(out.value))
    assert outputs == [0.0, 1.0, 1.0, 0.0]


def test_graph_fan_out_gradients_add_up(fresh_graph):
    a = compgraph.Parameter(3.0)
    out = compgraph.Add(compgraph.Multiply(a, a), a)
    compgraph.forward_pass()
    compgraph.backward_pass(out)
    assert a.grad == 7.0


def test_graph_gradient_descent_decreases_the_loss(fresh_graph):
    w, b = compgraph.Parameter(np.array(0.0)), compgraph.Parameter(np.array(0.0))
    prediction = compgraph.Add(compgraph.Multiply(w, compgraph.Input(2.0)), b)
    loss = compgraph.Square(compgraph.Subtract(prediction, compgraph.Input(2.0)))
    losses = []
    for _ in range(20):
        compgraph.forward_pass()
        losses.append(float(loss.value))
        compgraph.backward_pass(loss)
        compgraph.update_parameters(0.05)
    assert losses[-1] < 1e-2 * losses[0]
