"""Small seeded synthetic data sets for the first chapters (each call with the same seed is identical)."""

import numpy as np


def make_xor(n_samples=200, noise=0.1, seed=0):
    """Points around the corners of the unit square labelled x1 XOR x2: (X float32 (n, 2), y int64)."""
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, (n_samples, 2))
    X = corners + noise * rng.standard_normal((n_samples, 2))
    return X.astype(np.float32), (corners[:, 0] ^ corners[:, 1]).astype(np.int64)


def make_moons(n_samples=200, noise=0.1, seed=0):
    """Two interleaving half circles: (X float32 (n, 2), y int64 in {0, 1})."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % 2
    angle = rng.uniform(0, np.pi, n_samples)
    X = np.stack([np.cos(angle), np.sin(angle)], 1)
    X[y == 1] = np.stack([1 - np.cos(angle[y == 1]), 0.5 - np.sin(angle[y == 1])], 1)
    X += noise * rng.standard_normal(X.shape)
    return X.astype(np.float32), y.astype(np.int64)


def make_spirals(n_samples=300, n_classes=3, noise=0.2, seed=0):
    """Interleaved spiral arms, one per class (not linearly separable): (X float32 (n, 2), y int64)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    radius = rng.uniform(0.05, 1, n_samples)
    angle = y * 2 * np.pi / n_classes + 4 * radius + noise * rng.standard_normal(n_samples)
    X = radius[:, None] * np.stack([np.sin(angle), np.cos(angle)], 1)
    return X.astype(np.float32), y.astype(np.int64)


def make_polynomial_regression(n_samples=10, noise=0.3, seed=0, function=None):
    """Noisy samples of a smooth target for fitting polynomials of growing degree (capacity, over- and
    underfitting): x ~ U(0, 1), y = f(x) + N(0, noise^2), with f(x) = sin(2 pi x) by default.

    Returns (x float64 (n,), y float64 (n,)), sorted by x.
    """
    rng = np.random.default_rng(seed)
    f = function or (lambda t: np.sin(2 * np.pi * t))
    x = np.sort(rng.uniform(0, 1, n_samples))
    return x, f(x) + noise * rng.standard_normal(n_samples)
