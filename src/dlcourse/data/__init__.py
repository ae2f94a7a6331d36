"""Data: Dataset/DataLoader, offline loaders with checksums, and small synthetic sets."""

from .dataset import DataLoader, Dataset, TensorDataset
from .files import DataError, fetch
from .loaders import (
    GraphData, karate_club, load_cora, load_digits, load_fashion_mnist, load_mnist, load_tiny_shakespeare,
)
from .synthetic import make_moons, make_polynomial_regression, make_spirals, make_xor

__all__ = [
    "DataError", "DataLoader", "Dataset", "GraphData", "TensorDataset", "fetch", "karate_club", "load_cora",
    "load_digits", "load_fashion_mnist", "load_mnist", "load_tiny_shakespeare", "make_moons",
    "make_polynomial_regression", "make_spirals", "make_xor",
]
