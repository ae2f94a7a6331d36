"""The reference models of the chapters, built from ``dlcourse.nn`` (their PyTorch twins are in
``dlcourse.torch`` with the same layer names, so state dicts transfer both ways)."""

from . import nn


def mlp(sizes, activation=nn.ReLU, dropout=0.0) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation`` between them: ``mlp([784, 256, 256, 10])``."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def small_cnn(in_channels=1, num_classes=10, width=8, image_size=28) -> nn.Sequential:
    """Two (conv 3x3, ReLU, max-pool 2) blocks, then a linear classifier."""
    side = image_size // 4
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2 * width * side * side, num_classes))
