"""dlcourse.graphs: graph matrices on the lecture's 5-node example, sparse propagation against
PyTorch, the sparse GCN layer against dlcourse.nn.GCNConv, and the Dirichlet energy."""

import matplotlib

matplotlib.use("Agg")

import networkx as nx
import numpy as np
import pytest
import torch

import dlcourse
from dlcourse import Tensor, nn
from dlcourse.graphs import (SparseGCNConv, adjacency_from_edges, degree_matrix, dirichlet_energy, draw_graph,
                             laplacian, propagate, sparse_normalized_adjacency)

# The lecture's unweighted 5-node graph (nodes 1..5 there, 0..4 here)
EDGES = np.array([[0, 0, 1, 1, 2, 3], [1, 2, 2, 3, 4, 4]])
A = np.array([[0, 1, 1, 0, 0], [1, 0, 1, 1, 0], [1, 1, 0, 0, 1], [0, 1, 0, 0, 1], [0, 0, 1, 1, 0]], dtype=float)


def test_edge_list_gives_the_lectures_adjacency_and_degrees():
    assert np.array_equal(adjacency_from_edges(EDGES, 5), A)
    assert np.array_equal(np.diag(degree_matrix(A)), [2, 3, 3, 2, 2])


def test_edge_list_directed_duplicates_and_isolated_nodes():
    a = adjacency_from_edges(np.array([[0, 0, 1], [1, 1, 2]]), 4, symmetric=False)
    assert a[0, 1] == 1 and a[1, 0] == 0 and a[1, 2] == 1 and not a[3].any()


@pytest.mark.parametrize("edges, message", [(np.array([[0, 5], [1, 2]]), "node 5"), (np.zeros((3, 2), int), "(2, E)"),
                                            (np.array([[0.0], [1.0]]), "integer")])
def test_edge_list_errors_say_what_is_wrong(edges, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        adjacency_from_edges(edges, 3)


def test_laplacian_is_d_minus_a_and_the_normalised_one_matches_networkx():
    L = laplacian(A)
    assert np.array_equal(L, np.diag([2, 3, 3, 2, 2]) - A)
    assert np.allclose(L.sum(axis=1), 0) and np.linalg.eigvalsh(L).min() > -1e-12
    with_isolated = np.pad(A, ((0, 1), (0, 1)))
    expected = nx.normalized_laplacian_matrix(nx.from_numpy_array(with_isolated)).toarray()
    assert np.allclose(laplacian(with_isolated, normalized=True), expected)


def test_sparse_normalized_adjacency_equals_the_dense_one_of_dlcourse_nn():
    assert np.allclose(sparse_normalized_adjacency(A, dtype=np.float64).toarray(), nn.normalized_adjacency(A))
    isolated = np.pad(A, ((0, 1), (0, 1)))
    for loops in (True, False):
        got = sparse_normalized_adjacency(isolated, add_self_loops=loops, dtype=np.float64).toarray()
        assert np.allclose(got, nn.normalized_adjacency(isolated, add_self_loops=loops))


def test_propagate_matches_torch_in_float64():
    rng = np.random.default_rng(0)
    operator = sparse_normalized_adjacency(A, dtype=np.float64)
    h, upstream = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    x = Tensor(h, requires_grad=True)
    out = propagate(operator, x)
    (out * Tensor(upstream)).sum().backward()
    x_t = torch.tensor(h, requires_grad=True)
    out_t = torch.tensor(operator.toarray()) @ x_t
    out_t.backward(torch.tensor(upstream))
    assert np.allclose(out.data, out_t.detach().numpy()) and np.allclose(x.grad.data, x_t.grad.numpy())


def test_propagate_says_which_shapes_do_not_fit():
    with pytest.raises(ValueError, match=r"\(5, 5\).*\(4, 2\)"):
        propagate(sparse_normalized_adjacency(A), np.zeros((4, 2)))


def test_sparse_gcn_layer_computes_what_gcnconv_computes():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(5, 4))
    dlcourse.manual_seed(0)
    dense = nn.GCNConv(4, 3)
    sparse_layer = SparseGCNConv(4, 3)
    sparse_layer.load_state_dict(dense.state_dict())
    outputs, grads = [], []
    for layer in (dense, sparse_layer):
        x = Tensor(features.astype(np.float32), requires_grad=True)
        out = layer(x, A)
        (out * out).sum().backward()
        outputs.append(out.data)
        grads.append((x.grad.data, layer.weight.grad.data, layer.bias.grad.data))
    assert np.allclose(outputs[0], outputs[1], atol=1e-5)
    for g_dense, g_sparse in zip(*grads):
        assert np.allclose(g_dense, g_sparse, atol=1e-4)
    normalized = sparse_normalized_adjacency(A)
    again = sparse_layer(Tensor(features.astype(np.float32)), normalized, normalized=True)
    assert np.allclose(again.data, outputs[1], atol=1e-5)


def test_dirichlet_energy_is_the_edge_sum_and_vanishes_at_the_fixed_point():
    rng = np.random.default_rng(2)
    h = rng.normal(size=(5, 2))
    tilde = A + np.eye(5)
    d = tilde.sum(1)
    edge_sum = 0.5 * sum(tilde[i, j] * np.sum((h[i] / np.sqrt(d[i]) - h[j] / np.sqrt(d[j])) ** 2)
                         for i in range(5) for j in range(5))
    assert np.isclose(dirichlet_energy(h, A), edge_sum)
    assert np.isclose(dirichlet_energy(Tensor(h), A), edge_sum)
    assert abs(dirichlet_energy(np.sqrt(d), A)) < 1e-12
    a_hat = nn.normalized_adjacency(A)
    assert dirichlet_energy(a_hat @ h, A) < dirichlet_energy(h, A)


def test_draw_graph_keeps_its_layout_and_labels_its_axes():
    ax, positions = draw_graph(A, values=np.arange(5.0), title="five nodes", colorbar_label="value")
    assert positions.shape == (5, 2) and ax.get_title() == "five nodes" and ax.get_xlabel()
    ax2, again = draw_graph(A, positions=positions)
    assert np.array_equal(again, positions)
    ax3, _ = draw_graph(A, values=np.full(5, 0.5), positions=positions, vmin=0, vmax=1)
    assert ax3.collections[-1].get_clim() == (0, 1)
    matplotlib.pyplot.close("all")
