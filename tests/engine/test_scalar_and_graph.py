"""The scalar Value engine and the lecture's explicit-graph module reproduce the lecture's numbers."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.autograd import graph
from dlcourse.autograd.scalar import Value

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
    ta, tb = torch.tensor(a, dtype=torch.float64, requires_grad=True), torch.tensor(b, dtype=torch.float64, requires_grad=True)
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


@pytest.fixture
def fresh_graph():
    graph.clear()
    yield
    graph.clear()


def test_graph_one_neuron_forward_backward_update_matches_the_lecture(fresh_graph):
    w, b = graph.Parameter(2.0), graph.Parameter(1.0)
    x, y = graph.Input(2.0), graph.Input(2.0)
    loss = graph.Square(graph.Subtract(graph.Add(graph.Multiply(w, x), b), y))
    assert graph.forward() == 9.0 and loss.value == 9.0
    graph.backward()
    assert (w.grad, b.grad) == (12.0, 6.0)
    graph.update(0.1)
    assert w.value == pytest.approx(0.8) and b.value == pytest.approx(0.4)


def test_graph_keeps_nodes_in_its_three_lists_in_creation_order(fresh_graph):
    w, x = graph.Parameter(1.0), graph.Input(3.0)
    product = graph.Multiply(w, x)
    out = graph.Sigmoid(product)
    assert graph.parameters == [w] and graph.inputs == [x] and graph.compnodes == [product, out]


def test_graph_xor_network_of_the_lecture_outputs_xor(fresh_graph):
    outputs = []
    for x1, x2 in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        graph.clear()
        a, b = graph.Input(x1), graph.Input(x2)
        h1 = graph.ReLU(graph.Add(a, b))                                # W row (1, 1), c1 = 0
        h2 = graph.ReLU(graph.Subtract(graph.Add(a, b), graph.Input(1.0)))  # c2 = -1
        out = graph.Add(graph.Multiply(graph.Parameter(1.0), h1), graph.Multiply(graph.Parameter(-2.0), h2))
        outputs.append(float(graph.forward()))
    assert outputs == [0.0, 1.0, 1.0, 0.0]


def test_graph_fan_out_gradients_add_up(fresh_graph):
    a = graph.Parameter(3.0)
    graph.Add(graph.Multiply(a, a), a)
    graph.forward()
    graph.backward()
    assert a.grad == 7.0


def test_graph_gradient_descent_decreases_the_loss(fresh_graph):
    w, b = graph.Parameter(np.array(0.0)), graph.Parameter(np.array(0.0))
    graph.Square(graph.Subtract(graph.Add(graph.Multiply(w, graph.Input(2.0)), b), graph.Input(2.0)))
    losses = []
    for _ in range(20):
        losses.append(float(graph.forward()))
        graph.backward()
        graph.update(0.05)
    assert losses[-1] < 1e-2 * losses[0]
