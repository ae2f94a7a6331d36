"""The multilayer perceptron of the course: linear layers with an activation (and dropout) between them."""

from __future__ import annotations

from .. import nn

__all__ = ["mlp"]


def mlp(sizes, activation=None, dropout: float = 0.0) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation`` (a layer class, default ``nn.ReLU``) and, if
    ``dropout`` > 0, ``nn.Dropout(dropout)`` between them: ``mlp([784, 256, 256, 10])``.

    The layers are numbered as ``nn.Sequential`` numbers them (``0.weight``, ``2.weight``, ...), on both
    engines, so a state dict moves between ``dlcourse.models.mlp`` and ``dlcourse.torch.models.mlp``.
    """
    activation = activation or nn.ReLU
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)
