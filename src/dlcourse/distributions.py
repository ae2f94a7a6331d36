"""The two pieces every VAE needs (chapter 12): the KL divergence between diagonal Gaussians, and
the reparameterised sample.

* :func:`gaussian_kl` is the closed-form Kullback-Leibler divergence between two Gaussians with
  diagonal covariances, the regulariser of the evidence lower bound (ELBO);
* :func:`reparameterise` draws ``z = mu + sigma * eps`` so that gradients reach ``mu`` and the
  log-variance through the sample (the reparameterisation trick).

Both take NumPy arrays, ``dlcourse`` tensors or ``torch`` tensors alike (they use only arithmetic,
``exp`` and ``sum``), so a lesson's dlcourse model and its PyTorch twin call the same code and
autograd differentiates through it in either engine.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["gaussian_kl", "reparameterise"]


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
        from .autograd import randn

        return randn(*value.shape)
    from ._rng import generator

    return generator().standard_normal(np.shape(value))

