"""The small DCGAN of chapter 13, for 28 x 28 images in [-1, 1] (MNIST).

It follows the DCGAN guidelines (Radford et al., 2016): no pooling (strided convolutions down,
transposed convolutions up), batch normalisation in both networks but not on the generator's output
nor the discriminator's input, ReLU and a tanh output in the generator, Leaky ReLU in the
discriminator.

Written once for both engines (see :mod:`dlcourse.models`): ``dlcourse.models.dcgan()`` and
``dlcourse.torch.models.dcgan()`` build the same layers under the same parameter names.
"""

from __future__ import annotations

from .. import nn

__all__ = ["DCGANDiscriminator", "DCGANGenerator", "dcgan"]


class DCGANGenerator(nn.Module):
    """Noise z (N, latent_dim) -> images (N, 1, 28, 28) in [-1, 1]: a linear projection to
    32 x 7 x 7, then two transposed convolutions (kernel 4, stride 2, padding 1), 7 -> 14 -> 28.

    Args:
        latent_dim: the size of the noise vector z.
    """

    def __init__(self, latent_dim: int = 16):
        super().__init__()
        self.project = nn.Linear(latent_dim, 32 * 7 * 7)
        self.bn0 = nn.BatchNorm2d(32)
        self.up1 = nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1)     # 7 -> 14
        self.bn1 = nn.BatchNorm2d(16)
        self.up2 = nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1)      # 14 -> 28

    def forward(self, z):
        """Images (N, 1, 28, 28) in [-1, 1] of noise z (N, latent_dim)."""
        h = self.bn0(self.project(z).reshape(-1, 32, 7, 7)).relu()
        h = self.bn1(self.up1(h)).relu()
        return self.up2(h).tanh()


class DCGANDiscriminator(nn.Module):
    """Images (N, 1, 28, 28) -> one logit each (N, 1): two strided convolutions (kernel 4, stride 2,
    padding 1), 28 -> 14 -> 7, with Leaky ReLU (slope 0.2), then a linear layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 4, stride=2, padding=1)            # 28 -> 14
        self.conv2 = nn.Conv2d(16, 32, 4, stride=2, padding=1)           # 14 -> 7
        self.bn2 = nn.BatchNorm2d(32)
        self.act = nn.LeakyReLU(0.2)
        self.head = nn.Linear(32 * 7 * 7, 1)

    def forward(self, x):
        """One logit (N, 1) per image of x (N, 1, 28, 28): D(x) = sigmoid(logit)."""
        h = self.act(self.conv1(x))
        h = self.act(self.bn2(self.conv2(h)))
        return self.head(h.reshape(h.shape[0], -1))


def dcgan(latent_dim: int = 16) -> tuple[DCGANGenerator, DCGANDiscriminator]:
    """(generator, discriminator), built in that order (so one seed gives the same initial weights)."""
    return DCGANGenerator(latent_dim), DCGANDiscriminator()
