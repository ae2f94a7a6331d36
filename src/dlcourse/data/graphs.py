"""Graphs as matrices: edge lists to adjacency matrices, degrees and Laplacians (dense NumPy).

Conventions follow PyTorch Geometric: an edge list ``edge_index`` is an integer array of shape
(2, E), one column per edge (source, target). The graph layers that use these matrices are in
:mod:`dlcourse.nn.graph_conv`; the data sets (Cora, the karate club) in :mod:`dlcourse.data.datasets`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse

__all__ = ["degree_matrix", "dense_adjacency", "edge_index_to_adjacency", "laplacian"]


def edge_index_to_adjacency(edge_index, num_nodes: int, symmetric: bool = False) -> np.ndarray:
    """Dense (N, N) 0/1 adjacency matrix of an edge list of shape (2, E) (PyTorch Geometric's ``edge_index``).

    With ``symmetric=True`` each edge (i, j) also adds (j, i): an undirected graph listed once per
    edge. An edge listed twice still gives a 1. Nodes that appear in no edge get a zero row.
    """
    edges = np.asarray(getattr(edge_index, "data", edge_index))
    if edges.size == 0:
        edges = edges.reshape(2, 0)
    if edges.ndim != 2 or edges.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, E), got {edges.shape}")
    if not np.issubdtype(edges.dtype, np.integer):
        raise ValueError(f"edge_index must hold integer node ids, got dtype {edges.dtype}")
    if edges.size and (edges.min() < 0 or edges.max() >= num_nodes):
        raise ValueError(f"edge_index refers to node {edges.min() if edges.min() < 0 else edges.max()}, "
                         f"but the graph has nodes 0..{num_nodes - 1}")
    adjacency = np.zeros((num_nodes, num_nodes))
    adjacency[edges[0], edges[1]] = 1.0
    if symmetric:
        adjacency[edges[1], edges[0]] = 1.0
    return adjacency



def dense_adjacency(adjacency) -> np.ndarray:
    """A dense float64 (N, N) array of a dense or SciPy-sparse adjacency matrix, checked to be square."""
    a = np.asarray(adjacency.toarray() if sparse.issparse(adjacency) else adjacency, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"adjacency must be a square (N, N) matrix, got shape {a.shape}")
    return a



def degree_matrix(adjacency) -> np.ndarray:
    """D = diag(A 1): each node's degree (the sum of its row's edge weights) on the diagonal."""
    return np.diag(dense_adjacency(adjacency).sum(axis=1))



def laplacian(adjacency, normalized: bool = False) -> np.ndarray:
    """The graph Laplacian L = D - A, or with ``normalized=True`` D^-1/2 L D^-1/2 = I - D^-1/2 A D^-1/2.

    An isolated node (degree 0) gets a zero row and column in both forms (networkx's convention):
    there is nothing to be smooth with.
    """
    a = dense_adjacency(adjacency)
    degree = a.sum(axis=1)
    if not normalized:
        return np.diag(degree) - a
    inv_sqrt = np.where(degree > 0, 1 / np.sqrt(np.where(degree > 0, degree, 1)), 0.0)
    return np.diag((degree > 0).astype(float)) - inv_sqrt[:, None] * a * inv_sqrt[None, :]

