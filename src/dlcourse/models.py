"""The reference models of the chapters, written once for both engines.

Each builder takes the layer namespace as ``nn``: ``dlcourse.nn`` (the default) or ``torch.nn``,
which share the layer names and constructor arguments. ``dlcourse.torch.mlp`` and
``dlcourse.torch.small_cnn`` are these builders with ``nn=torch.nn``; both engines get the same
layers under the same names, so state dicts transfer both ways.
"""

from . import nn as dlcourse_nn


def mlp(sizes, activation=None, dropout=0.0, nn=dlcourse_nn):
    """Linear layers of the given sizes with ``activation`` (default ``nn.ReLU``) and, if
    ``dropout`` > 0, ``nn.Dropout(dropout)`` between them: ``mlp([784, 256, 256, 10])``."""
    activation = activation or nn.ReLU
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def small_cnn(in_channels=1, num_classes=10, width=8, image_size=28, nn=dlcourse_nn):
    """A LeNet-style network: two (conv 3x3, ReLU, max-pool 2) blocks, then a linear classifier."""
    side = image_size // 4
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2 * width * side * side, num_classes))
