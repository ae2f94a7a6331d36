"""Graph convolution (Kipf & Welling, 2017): H' = Â H W + b with Â = D^-1/2 (A + I) D^-1/2."""

import numpy as np

from ..autograd.tensor import Tensor, unwrap
from . import init
from .module import Module, Parameter


def normalized_adjacency(adjacency, add_self_loops=True) -> np.ndarray:
    """Â = D^-1/2 (A + I) D^-1/2 for a dense (N, N) adjacency matrix; D is the degree of A + I."""
    a = np.asarray(unwrap(adjacency), dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"adjacency must be a square (N, N) matrix, got shape {a.shape}")
    if add_self_loops:
        a = a + np.eye(len(a))
    degree = a.sum(axis=1)
    inv_sqrt = np.where(degree > 0, 1 / np.sqrt(np.maximum(degree, 1e-12)), 0)
    return inv_sqrt[:, None] * a * inv_sqrt[None, :]


def edge_index_to_adjacency(edge_index, num_nodes) -> np.ndarray:
    """Dense (N, N) adjacency from a (2, E) list of edges (as in PyTorch Geometric)."""
    edges = np.asarray(unwrap(edge_index))
    a = np.zeros((num_nodes, num_nodes))
    a[edges[0], edges[1]] = 1
    return a


class GCNConv(Module):
    """One graph-convolution layer: X' = Â X W^T + b.

    Args:
        in_channels, out_channels: feature sizes per node. weight is (out, in), Glorot-initialised.
    forward(x, adjacency): x (N, in_channels); adjacency a dense (N, N) matrix or a (2, E) edge index.
    Â is cached for the last adjacency seen (the graph rarely changes during training).
    """

    def __init__(self, in_channels, out_channels, bias=True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.weight = Parameter(np.zeros((out_channels, in_channels), dtype=np.float32))
        self.bias = Parameter(np.zeros(out_channels, dtype=np.float32)) if bias else None
        init.xavier_uniform_(self.weight)
        self._cache = (None, None)

    def forward(self, x, adjacency):
        if self._cache[0] is not adjacency:
            a = np.asarray(unwrap(adjacency))
            if a.ndim == 2 and a.shape[0] == 2 and a.shape[1] != 2 and np.issubdtype(a.dtype, np.integer):
                a = edge_index_to_adjacency(a, x.shape[0])
            self._cache = (adjacency, Tensor(normalized_adjacency(a).astype(x.dtype)))
        out = self._cache[1] @ (x @ self.weight.T)
        return out + self.bias if self.bias is not None else out
