"""dlcourse.nn.graph_conv: the normalised adjacency (dense and sparse), sparse propagation and its
autograd op against PyTorch, the GCN layer and the sparse GCN layer against each other.
(Edge lists, degrees and Laplacians are tested in tests/data/test_graphs.py.)"""

import numpy as np
import pytest
import torch

import dlcourse
from dlcourse import Tensor, nn
from dlcourse.autograd.ops import Propagate
from dlcourse.nn.graph_conv import (GCNConv, SparseGCNConv, normalized_adjacency, propagate,
                                    sparse_normalized_adjacency)

# The lecture's unweighted 5-node graph (nodes 1..5 there, 0..4 here)
EDGES = np.array([[0, 0, 1, 1, 2, 3], [1, 2, 2, 3, 4, 4]])
A = np.array([[0, 1, 1, 0, 0], [1, 0, 1, 1, 0], [1, 1, 0, 0, 1], [0, 1, 0, 0, 1], [0, 0, 1, 1, 0]], dtype=float)


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


def test_dlcourse_nn_exports_the_graph_layers_of_graph_conv():
    assert nn.GCNConv is GCNConv and nn.SparseGCNConv is SparseGCNConv and nn.propagate is propagate
    assert nn.normalized_adjacency is normalized_adjacency
    assert nn.sparse_normalized_adjacency is sparse_normalized_adjacency


def test_gcnconv_takes_an_edge_index_listed_both_ways():
    rng = np.random.default_rng(4)
    x = Tensor(rng.normal(size=(5, 3)).astype(np.float32))
    dlcourse.manual_seed(0)
    layer = GCNConv(3, 2)
    from_matrix = layer(x, A).data
    from_edges = layer(x, np.hstack([EDGES, EDGES[::-1]])).data     # PyG's convention: (i, j) and (j, i)
    assert np.allclose(from_matrix, from_edges, atol=1e-6)


def test_the_propagate_op_returns_only_the_features_gradient():
    rng = np.random.default_rng(5)
    operator = rng.random((4, 3))                                   # a dense, non-square operator
    h = Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    out = Propagate.apply(h, operator=operator)
    upstream = rng.normal(size=(4, 2))
    (out * Tensor(upstream)).sum().backward()
    assert np.allclose(out.data, operator @ h.data) and np.allclose(h.grad.data, operator.T @ upstream)
