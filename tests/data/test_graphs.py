"""dlcourse.data.graphs: edge lists to adjacency matrices, degrees and Laplacians on the lecture's
5-node example, directed and undirected, and the errors an invalid edge list raises."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse

from dlcourse.data.graphs import dense_adjacency, degree_matrix, edge_index_to_adjacency, laplacian

# The lecture's unweighted 5-node graph (nodes 1..5 there, 0..4 here), each edge listed once
EDGES = np.array([[0, 0, 1, 1, 2, 3], [1, 2, 2, 3, 4, 4]])
A = np.array([[0, 1, 1, 0, 0], [1, 0, 1, 1, 0], [1, 1, 0, 0, 1], [0, 1, 0, 0, 1], [0, 0, 1, 1, 0]], dtype=float)


def test_symmetric_edge_list_gives_the_lectures_adjacency_and_degrees():
    a = edge_index_to_adjacency(EDGES, 5, symmetric=True)
    assert np.array_equal(a, A) and np.array_equal(a, a.T)
    assert np.array_equal(np.diag(degree_matrix(a)), [2, 3, 3, 2, 2])


def test_the_default_is_directed_as_in_pytorch_geometric():
    directed = edge_index_to_adjacency(EDGES, 5)
    assert np.array_equal(directed, np.triu(A))            # each edge (i, j) only, here all with i < j
    assert np.array_equal(directed, edge_index_to_adjacency(EDGES, 5, symmetric=False))
    assert not np.array_equal(directed, directed.T)
    assert np.array_equal(directed.sum(axis=1), [2, 2, 1, 1, 0])
    both_ways = np.hstack([EDGES, EDGES[::-1]])           # PyG lists an undirected edge in both directions
    assert np.array_equal(edge_index_to_adjacency(both_ways, 5), A)


def test_duplicates_isolated_nodes_empty_lists_and_tensors():
    a = edge_index_to_adjacency(np.array([[0, 0, 1], [1, 1, 2]]), 4)
    assert a[0, 1] == 1 and a[1, 0] == 0 and a[1, 2] == 1 and not a[3].any()
    assert np.array_equal(edge_index_to_adjacency(np.zeros((2, 0), dtype=np.int64), 3), np.zeros((3, 3)))
    assert np.array_equal(edge_index_to_adjacency(np.array([], dtype=np.int64), 2), np.zeros((2, 2)))
    from dlcourse import Tensor

    assert np.array_equal(edge_index_to_adjacency(Tensor(EDGES), 5, symmetric=True), A)


@pytest.mark.parametrize("edges, message", [
    (np.array([[0, 5], [1, 2]]), "node 5, but the graph has nodes 0..2"),
    (np.array([[0, -1], [1, 2]]), "node -1"),
    (np.zeros((3, 2), int), "shape (2, E), got (3, 2)"),
    (np.zeros(4, int), "shape (2, E), got (4,)"),
    (np.array([[0.0], [1.0]]), "integer node ids"),
])
@pytest.mark.parametrize("symmetric", [False, True])
def test_invalid_edge_lists_say_what_is_wrong(edges, message, symmetric):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        edge_index_to_adjacency(edges, 3, symmetric=symmetric)


def test_laplacian_is_d_minus_a_and_the_normalised_one_matches_networkx():
    L = laplacian(A)
    assert np.array_equal(L, np.diag([2, 3, 3, 2, 2]) - A)
    assert np.allclose(L.sum(axis=1), 0) and np.linalg.eigvalsh(L).min() > -1e-12
    with_isolated = np.pad(A, ((0, 1), (0, 1)))
    expected = nx.normalized_laplacian_matrix(nx.from_numpy_array(with_isolated)).toarray()
    assert np.allclose(laplacian(with_isolated, normalized=True), expected)


def test_sparse_input_and_non_square_matrices():
    sparse_a = scipy.sparse.csr_matrix(A)
    assert np.array_equal(dense_adjacency(sparse_a), A)
    assert np.array_equal(degree_matrix(sparse_a), degree_matrix(A))
    assert np.array_equal(laplacian(sparse_a), laplacian(A))
    for function in (dense_adjacency, degree_matrix, laplacian):
        with pytest.raises(ValueError, match=r"square \(N, N\) matrix, got shape \(2, 3\)"):
            function(np.zeros((2, 3)))
