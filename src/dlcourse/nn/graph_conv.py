"""Graph convolution (Kipf & Welling, 2017): H' = Â H W + b with Â = D^-1/2 (A + I) D^-1/2.

Dense forms serve small graphs (the lessons' drawings, the exercise); the sparse ones graphs like
Cora, whose Â (2,708 x 2,708) is 99.8 % zeros: there a dense ``Â @ H`` and its backward pass
dominate a training step, and :func:`propagate` (a sparse product, same numbers) is about a hundred
times faster. A layer's weight is (out_channels, in_channels), as in PyTorch Geometric.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse

from ..autograd import ops
from ..autograd.tensor import Tensor, unwrap
from ..data.graphs import edge_index_to_adjacency
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


class GCNConv(Module):
    """One graph-convolution layer: X' = Â X W^T + b.

    Args:
        in_channels, out_channels: feature sizes per node. weight is (out, in), Glorot-initialised.
        bias: learn an additive bias (init 0).
    forward(x, adjacency): x (N, in_channels); adjacency a dense (N, N) matrix or a (2, E) edge index.
    Â is cached for the last adjacency seen (the graph rarely changes during training).
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.weight = Parameter(np.zeros((out_channels, in_channels), dtype=np.float32))
        self.bias = Parameter(np.zeros(out_channels, dtype=np.float32)) if bias else None
        init.xavier_uniform_(self.weight)
        self._cache = (None, None)

    def forward(self, x, adjacency):
        """Â x W^T + b for node features x (N, in_channels) -> (N, out_channels)."""
        if self._cache[0] is not adjacency:
            a = np.asarray(unwrap(adjacency))
            if a.ndim == 2 and a.shape[0] == 2 and a.shape[1] != 2 and np.issubdtype(a.dtype, np.integer):
                a = edge_index_to_adjacency(a, x.shape[0])
            self._cache = (adjacency, Tensor(normalized_adjacency(a).astype(x.dtype)))
        out = self._cache[1] @ (x @ self.weight.T)
        return out + self.bias if self.bias is not None else out


def sparse_normalized_adjacency(adjacency, add_self_loops: bool = True, dtype=np.float32) -> sparse.csr_matrix:
    """Â = D^-1/2 (A + I) D^-1/2 as a sparse CSR matrix: the same values as
    :func:`normalized_adjacency`, without ever forming an (N, N) dense array."""
    a = sparse.csr_matrix(adjacency, dtype=np.float64)
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"adjacency must be a square (N, N) matrix, got shape {a.shape}")
    if add_self_loops:
        a = a + sparse.identity(a.shape[0], format="csr")
    degree = np.asarray(a.sum(axis=1)).ravel()
    inv_sqrt = np.where(degree > 0, 1 / np.sqrt(np.where(degree > 0, degree, 1)), 0.0)
    scale = sparse.diags(inv_sqrt)
    return (scale @ a @ scale).astype(dtype).tocsr()



def propagate(operator, h) -> Tensor:
    """S @ H as a differentiable op of the dlcourse engine (S a SciPy sparse matrix or a NumPy array)."""
    h = h if isinstance(h, Tensor) else Tensor(h)
    if operator.shape[1] != h.shape[0]:
        raise ValueError(f"operator of shape {operator.shape} cannot propagate features of shape {h.shape}: "
                         f"it needs {operator.shape[1]} rows")
    return ops.Propagate.apply(h, operator=operator)



class SparseGCNConv(GCNConv):
    """:class:`GCNConv` with a sparse Â: the same parameters, state dict and numbers.

    forward(x, adjacency): adjacency is a dense (N, N) matrix, a SciPy sparse matrix, or an already
    normalised sparse Â passed with ``normalized=True``. Â is cached for the last adjacency seen.
    """

    def forward(self, x, adjacency, normalized: bool = False):
        """Â x W^T + b with a sparse Â, for node features x (N, in_channels) -> (N, out_channels)."""
        if self._cache[0] is not adjacency:
            a_hat = adjacency if normalized else sparse_normalized_adjacency(adjacency, dtype=np.float64)
            self._cache = (adjacency, sparse.csr_matrix(a_hat).astype(x.dtype))
        out = propagate(self._cache[1], x @ self.weight.T)
        return out + self.bias if self.bias is not None else out

