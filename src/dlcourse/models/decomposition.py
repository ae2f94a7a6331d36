"""Principal component analysis, the linear latent variable model of chapter 12.

:func:`pca` fits PCA by a singular value decomposition of the centred data, with a fixed sign for
every direction (a singular vector is only defined up to its sign, and a plot or a test that
compares directions must not depend on what LAPACK happened to return). NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PCA", "pca"]


@dataclass(frozen=True)
class PCA:
    """A fitted PCA: ``x ~ mean + z @ components`` with ``z = (x - mean) @ components.T``.

    Attributes:
        mean: (D,) the data mean.
        components: (Q, D) orthonormal rows, the principal directions, largest variance first.
        explained_variance: (Q,) the variance of each latent coordinate over the data (divided
            by N, the lecture's Var(z)), equal to the eigenvalues of the covariance matrix.
        total_variance: the summed variance of all D input coordinates (divided by N).
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    total_variance: float

    def encode(self, x) -> np.ndarray:
        """(N, D) -> (N, Q): the coordinates of the centred data along the components."""
        return (np.asarray(x, dtype=np.float64) - self.mean) @ self.components.T

    def decode(self, z) -> np.ndarray:
        """(N, Q) -> (N, D): the mean plus the latent coordinates times the components."""
        return self.mean + np.asarray(z, dtype=np.float64) @ self.components

    def reconstruct(self, x) -> np.ndarray:
        """decode(encode(x)): the orthogonal projection of x onto the fitted affine subspace."""
        return self.decode(self.encode(x))



def pca(x, num_components: int) -> PCA:
    """Fit PCA with ``num_components`` directions to the rows of ``x`` (N samples, D features).

    The directions are the right singular vectors of the centred data matrix, which are the
    eigenvectors of its scatter matrix without ever forming that D x D matrix. Each direction's
    sign is chosen so that its entry of largest magnitude is positive (ties: the first such entry).

    Raises:
        ValueError: when ``x`` is not 2-D or ``num_components`` is not in 1..min(N, D).
    """
    data = np.asarray(x, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"pca expects x of shape (N, D), got shape {data.shape}")
    n, d = data.shape
    if not 1 <= num_components <= min(n, d):
        raise ValueError(f"num_components must be between 1 and min(N, D) = {min(n, d)}, got {num_components}")
    mean = data.mean(axis=0)
    centred = data - mean
    _, singular_values, right = np.linalg.svd(centred, full_matrices=False)
    directions = right[:num_components]
    largest = np.argmax(np.abs(directions), axis=1)
    signs = np.sign(directions[np.arange(num_components), largest])
    return PCA(mean=mean, components=directions * signs[:, None],
               explained_variance=singular_values[:num_components] ** 2 / n,
               total_variance=float((centred ** 2).sum() / n))

