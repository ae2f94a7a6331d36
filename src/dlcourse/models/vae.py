"""The variational autoencoder of chapter 12: an MLP encoder to the mean and log-variance of
q(z | x), a reparameterised sample of the code, and an MLP decoder to one logit per pixel (a
Bernoulli likelihood).

Written once for both engines (see :mod:`dlcourse.models`): ``dlcourse.models.VAE`` and
``dlcourse.torch.models.VAE`` have the same layers under the same parameter names, so a state dict
moves between them. The sample uses :func:`dlcourse.distributions.reparameterise`, which works on
either engine's tensors.
"""

from __future__ import annotations

from dlcourse.distributions import reparameterise

from .. import nn
from .mlp import mlp

__all__ = ["VAE"]


class VAE(nn.Module):
    """A VAE with one hidden layer on each side.

    The encoder ``input_dim -> hidden_dim -> 2 * latent_dim`` outputs the means and the
    log-variances of q(z | x) side by side (one shared body, two heads in one layer); the decoder
    ``latent_dim -> hidden_dim -> input_dim`` maps a code to pixel logits. Both are
    :func:`~dlcourse.models.mlp` networks with ReLU, the encoder built first.

    Args:
        input_dim: pixels per image (784 for MNIST).
        hidden_dim: width of the hidden layer of the encoder and of the decoder.
        latent_dim: Q, the size of the code.
    Shape: ``model(x, eps)``: x (N, input_dim) and optional noise eps (N, latent_dim) ->
        (logits (N, input_dim), mu (N, latent_dim), logvar (N, latent_dim)). Without ``eps`` the
        noise is drawn from the engine's generator.
    """

    def __init__(self, input_dim: int = 784, hidden_dim: int = 256, latent_dim: int = 2):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = mlp([input_dim, hidden_dim, 2 * latent_dim])
        self.decoder = mlp([latent_dim, hidden_dim, input_dim])

    def encode(self, x):
        """(mu, logvar) of q(z | x), each (N, latent_dim)."""
        statistics = self.encoder(x)
        return statistics[:, :self.latent_dim], statistics[:, self.latent_dim:]

    def decode(self, z):
        """Pixel logits (N, input_dim) of codes z (N, latent_dim)."""
        return self.decoder(z)

    def forward(self, x, eps=None):
        """(logits, mu, logvar): decode(mu + e^(logvar / 2) * eps) with (mu, logvar) = encode(x)."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterise(mu, logvar, eps)), mu, logvar
