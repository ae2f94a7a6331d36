"""Data, where ``torch.utils.data`` and torchvision keep it.

* :mod:`~dlcourse.data.dataset`: ``Dataset``, ``TensorDataset``, ``DataLoader``;
* :mod:`~dlcourse.data.datasets`: offline loaders with checksums (MNIST, Fashion-MNIST, tiny
  Shakespeare, Cora) and the built-in digits and karate club;
* :mod:`~dlcourse.data.transforms`: image augmentation (NumPy);
* :mod:`~dlcourse.data.text`: characters to ids and back, truncated-BPTT batches;
* :mod:`~dlcourse.data.graphs`: edge lists, adjacency, degree and Laplacian matrices;
* :mod:`~dlcourse.data.synthetic`: seeded toy sets and test surfaces.
"""

from . import graphs, text, transforms
from .dataset import DataLoader, Dataset, TensorDataset
from .datasets import (
    GraphData, karate_club, load_cora, load_digits, load_fashion_mnist, load_mnist, load_tiny_shakespeare,
)
from .files import DataError, fetch
from .synthetic import (
    SURFACES, adding_task, make_moons, make_spirals, make_xor, ravine, ring_centres,
    ring_of_gaussians, rosenbrock,
)

__all__ = [
    "SURFACES", "DataError", "DataLoader", "Dataset", "GraphData", "TensorDataset", "adding_task", "fetch", "graphs",
    "karate_club", "load_cora", "load_digits", "load_fashion_mnist", "load_mnist", "load_tiny_shakespeare",
    "make_moons", "make_spirals", "make_xor", "ravine", "ring_centres",
    "ring_of_gaussians", "rosenbrock", "text", "transforms",
]
