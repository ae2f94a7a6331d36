"""Latent variable models: principal component analysis, and the two pieces every VAE needs.

Chapter 12 uses these in more than one lesson:

* :func:`pca` fits PCA by a singular value decomposition of the centred data, with a fixed sign
  for every direction (a singular vector is only defined up to its sign, and a plot or a test
  that compares directions must not depend on what LAPACK happened to return);
* :func:`gaussian_kl` is the closed-form Kullback-Leibler divergence between two Gaussians with
  diagonal covariances, the regulariser of the evidence lower bound (ELBO);
* :func:`reparameterise` draws ``z = mu + sigma * eps`` so that gradients reach ``mu`` and the
  log-variance through the sample (the reparameterisation trick).

The two VAE functions take NumPy arrays, ``dlcourse`` tensors or ``torch`` tensors alike (they
use only arithmetic, ``exp`` and ``sum``), so a lesson's dlcourse model and its PyTorch twin call
the same code and autograd differentiates through it in either engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["PCA", "gaussian_kl", "pca", "reparameterise"]


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


def _exp(value):
    """exp of a number, a NumPy array, a dlcourse tensor or a torch tensor (tensors keep their graph)."""
    if isinstance(value, (int, float)):
        return math.exp(value)
    return value.exp() if hasattr(value, "exp") else np.exp(value)


def gaussian_kl(mu, logvar, mu_prior=0.0, logvar_prior=0.0):
    """KL( N(mu, diag e^logvar) || N(mu_prior, diag e^logvar_prior) ), summed over the last axis.

    Per coordinate, with variances s1 = e^logvar and s2 = e^logvar_prior:
    ``0.5 * (log s2 - log s1 + (s1 + (mu - mu_prior)^2) / s2 - 1)``. With the default prior
    N(0, I) this is the VAE's ``0.5 * sum(mu^2 + e^logvar - logvar - 1)``. Working with the
    log-variance keeps the variance positive without a constraint, as a network's output must.

    Args:
        mu, logvar: (..., Q) means and log-variances of the first Gaussian.
        mu_prior, logvar_prior: those of the second, broadcast against ``mu`` (default 0: N(0, I)).
    Returns:
        (...,) the divergence of each distribution, in the type of ``mu`` (array or tensor).
    """
    if tuple(getattr(mu, "shape", ())) != tuple(getattr(logvar, "shape", ())):
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    ratio = _exp(logvar - logvar_prior)
    per_coordinate = 0.5 * (ratio + (mu - mu_prior) ** 2 * _exp(-1.0 * logvar_prior)
                            - 1.0 - (logvar - logvar_prior))
    return per_coordinate.sum(-1)


def reparameterise(mu, logvar, eps=None):
    """A sample of N(mu, diag e^logvar) written as ``mu + e^(logvar / 2) * eps``, eps ~ N(0, I).

    The noise ``eps`` is an input, not a step of the graph: the sample is a differentiable
    function of ``mu`` and ``logvar``, so backpropagation gives dz/dmu = 1 and
    dz/dlogvar = e^(logvar / 2) * eps / 2. Pass ``eps`` to fix the noise (tests, the PyTorch twin);
    without it the noise is drawn from dlcourse's, torch's or NumPy's generator, matching ``mu``.
    """
    if tuple(getattr(mu, "shape", ())) != tuple(getattr(logvar, "shape", ())):
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    if eps is None:
        eps = _standard_normal_like(mu)
    elif tuple(getattr(eps, "shape", ())) != tuple(getattr(mu, "shape", ())):
        raise ValueError(f"eps must have the shape of mu, {tuple(mu.shape)}, got {tuple(eps.shape)}")
    return mu + _exp(0.5 * logvar) * eps


def _standard_normal_like(value):
    """Standard normal noise of ``value``'s shape, from the generator of ``value``'s engine."""
    module = type(value).__module__
    if module.startswith("torch"):
        import torch

        return torch.randn_like(value)
    if module.startswith("dlcourse"):
        from . import randn

        return randn(*value.shape)
    from ._rng import generator

    return generator().standard_normal(np.shape(value))
