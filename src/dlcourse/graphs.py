"""Graphs as matrices, and the pieces of a graph network that chapter 11 builds on.

Dense NumPy forms serve small graphs (the lessons' drawings, the exercise); a sparse propagation
op serves graphs like Cora, whose normalised adjacency Â (2,708 x 2,708) is 99.8 % zeros: there a
dense ``Â @ H`` and its backward pass dominate a training step, and a sparse product is about a
hundred times faster while computing the same numbers.

Conventions follow PyTorch Geometric: an edge list ``edge_index`` is an integer array of shape
(2, E), one column per edge (source, target); a layer's weight is (out_channels, in_channels).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse

from .autograd import Function, Tensor
from .nn import GCNConv, normalized_adjacency

__all__ = ["Propagate", "SparseGCNConv", "adjacency_from_edges", "degree_matrix", "dirichlet_energy",
           "draw_graph", "laplacian", "propagate", "sparse_normalized_adjacency"]


def adjacency_from_edges(edge_index, num_nodes: int, symmetric: bool = True) -> np.ndarray:
    """Dense (N, N) 0/1 adjacency matrix of an edge list of shape (2, E).

    With ``symmetric=True`` each edge (i, j) also adds (j, i): an undirected graph listed once per
    edge. An edge listed twice still gives a 1. Nodes that appear in no edge get a zero row.
    """
    edges = np.asarray(edge_index)
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


def _square(adjacency) -> np.ndarray:
    a = np.asarray(adjacency.toarray() if sparse.issparse(adjacency) else adjacency, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"adjacency must be a square (N, N) matrix, got shape {a.shape}")
    return a


def degree_matrix(adjacency) -> np.ndarray:
    """D = diag(A 1): each node's degree (the sum of its row's edge weights) on the diagonal."""
    return np.diag(_square(adjacency).sum(axis=1))


def laplacian(adjacency, normalized: bool = False) -> np.ndarray:
    """The graph Laplacian L = D - A, or with ``normalized=True`` D^-1/2 L D^-1/2 = I - D^-1/2 A D^-1/2.

    An isolated node (degree 0) gets a zero row and column in both forms (networkx's convention):
    there is nothing to be smooth with.
    """
    a = _square(adjacency)
    degree = a.sum(axis=1)
    if not normalized:
        return np.diag(degree) - a
    inv_sqrt = np.where(degree > 0, 1 / np.sqrt(np.where(degree > 0, degree, 1)), 0.0)
    return np.diag((degree > 0).astype(float)) - inv_sqrt[:, None] * a * inv_sqrt[None, :]


def sparse_normalized_adjacency(adjacency, add_self_loops: bool = True, dtype=np.float32) -> sparse.csr_matrix:
    """Â = D^-1/2 (A + I) D^-1/2 as a sparse CSR matrix: the same values as
    ``dlcourse.nn.normalized_adjacency``, without ever forming an (N, N) dense array."""
    a = sparse.csr_matrix(adjacency, dtype=np.float64)
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"adjacency must be a square (N, N) matrix, got shape {a.shape}")
    if add_self_loops:
        a = a + sparse.identity(a.shape[0], format="csr")
    degree = np.asarray(a.sum(axis=1)).ravel()
    inv_sqrt = np.where(degree > 0, 1 / np.sqrt(np.where(degree > 0, degree, 1)), 0.0)
    scale = sparse.diags(inv_sqrt)
    return (scale @ a @ scale).astype(dtype).tocsr()


class Propagate(Function):
    """Z = S @ H for a fixed (sparse or dense) graph operator S.   dL/dH = S^T @ G.

    S is a constant (the graph does not learn), so the backward pass returns only dL/dH, and it
    never forms the (N, N) gradient a general matrix product would compute for S.
    """

    @staticmethod
    def forward(ctx, h, *, operator):
        ctx.operator = operator
        return np.asarray(operator @ h, dtype=h.dtype)

    @staticmethod
    def backward(ctx, grad):
        return (np.asarray(ctx.operator.T @ grad, dtype=grad.dtype),)


def propagate(operator, h) -> Tensor:
    """S @ H as a differentiable op of the dlcourse engine (S a SciPy sparse matrix or a NumPy array)."""
    h = h if isinstance(h, Tensor) else Tensor(h)
    if operator.shape[1] != h.shape[0]:
        raise ValueError(f"operator of shape {operator.shape} cannot propagate features of shape {h.shape}: "
                         f"it needs {operator.shape[1]} rows")
    return Propagate.apply(h, operator=operator)


class SparseGCNConv(GCNConv):
    """``dlcourse.nn.GCNConv`` with a sparse Â: the same parameters, state dict and numbers.

    forward(x, adjacency): adjacency is a dense (N, N) matrix, a SciPy sparse matrix, or an already
    normalised sparse Â passed with ``normalized=True``. Â is cached for the last adjacency seen.
    """

    def forward(self, x, adjacency, normalized: bool = False):
        if self._cache[0] is not adjacency:
            a_hat = adjacency if normalized else sparse_normalized_adjacency(adjacency, dtype=np.float64)
            self._cache = (adjacency, sparse.csr_matrix(a_hat).astype(x.dtype))
        out = propagate(self._cache[1], x @ self.weight.T)
        return out + self.bias if self.bias is not None else out


def dirichlet_energy(h, adjacency) -> float:
    """How far node features are from the smooth state a GCN converges to:

        E(H) = trace(H^T (I - Â) H) = 1/2 sum_ij Ã_ij || h_i / sqrt(d̃_i) - h_j / sqrt(d̃_j) ||^2,

    with Ã = A + I, d̃ its degrees and Â = D̃^-1/2 Ã D̃^-1/2. It is 0 exactly when every feature column
    is proportional to sqrt(d̃) on each connected component, the fixed point of repeated Â.
    """
    features = np.asarray(h.data if isinstance(h, Tensor) else h, dtype=np.float64)
    if features.ndim == 1:
        features = features[:, None]
    a_hat = (sparse_normalized_adjacency(adjacency, dtype=np.float64) if sparse.issparse(adjacency)
             else normalized_adjacency(adjacency))
    return float(np.sum(features * features) - np.sum(features * (a_hat @ features)))


def draw_graph(adjacency, values=None, positions=None, ax=None, title="", labels=True, cmap="coolwarm",
               node_size=300, colorbar_label=None, seed=0, vmin=None, vmax=None):
    """Draw a graph: nodes coloured by ``values`` (one number per node), edges as grey lines.

    positions: an (N, 2) array or None for a seeded spring layout (networkx). vmin, vmax: the colour
    scale (default: symmetric about 0 for signed values, else 0 to the largest value). Returns
    (ax, positions), so that several drawings of one graph can share the layout.
    """
    import matplotlib.pyplot as plt

    a = _square(adjacency)
    n = len(a)
    if positions is None:
        import networkx as nx

        graph = nx.from_numpy_array(a)
        layout = nx.spring_layout(graph, seed=seed)
        positions = np.array([layout[i] for i in range(n)])
    positions = np.asarray(positions, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    rows, cols = np.nonzero(np.triu(a + a.T, k=1))
    for i, j in zip(rows, cols):
        ax.plot(positions[[i, j], 0], positions[[i, j], 1], color="0.7", lw=1, zorder=1)
    if values is None:
        ax.scatter(positions[:, 0], positions[:, 1], s=node_size, color="C0", edgecolors="k", zorder=2)
    else:
        values = np.asarray(values, dtype=float)
        limit = np.abs(values).max() or 1.0
        points = ax.scatter(positions[:, 0], positions[:, 1], s=node_size, c=values, cmap=cmap,
                            vmin=(-limit if values.min() < 0 else 0) if vmin is None else vmin,
                            vmax=limit if vmax is None else vmax, edgecolors="k", zorder=2)
        if colorbar_label:
            ax.figure.colorbar(points, ax=ax, label=colorbar_label)
    if labels:
        for i, (x, y) in enumerate(positions):
            ax.text(x, y, str(i), ha="center", va="center", fontsize=7, zorder=3)
    ax.set_title(title)
    ax.set_xlabel("layout x")
    ax.set_ylabel("layout y")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax, positions
