"""Small seeded synthetic data sets (each call with the same seed is identical).

Classification toys (XOR, moons, spirals), the adding task of
the sequence chapter (long memory), the ring of Gaussians of the GAN chapter (mode collapse), and
the 2-D loss surfaces of the optimisation chapter (Rosenbrock's valley, the lecture's ravine).
"""

from __future__ import annotations

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



def adding_task(num_sequences: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter and Schmidhuber, 1997): remember two marked numbers, output their sum.

    Each input step has two features: a number drawn uniformly from [0, 1] and a marker that is 1 at two
    positions, one in the first tenth of the sequence and one in its second half, and 0 elsewhere. The
    target is the sum of the two marked numbers. Predicting the mean 1 gives a mean squared error of 1/6;
    beating it requires carrying the first number over at least ``length / 2`` steps.

    Returns:
        inputs (num_sequences, length, 2) float32 and targets (num_sequences,) float32.
    """
    if length < 4:
        raise ValueError(f"the adding task needs sequences of length >= 4, got {length}")
    values = rng.random((num_sequences, length)).astype(np.float32)
    markers = np.zeros((num_sequences, length), dtype=np.float32)
    rows = np.arange(num_sequences)
    first = rng.integers(0, max(1, length // 10), size=num_sequences)
    second = rng.integers(length // 2, length, size=num_sequences)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    return np.stack([values, markers], axis=-1), values[rows, first] + values[rows, second]



def ring_centres(num_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """(num_modes, 2) centres evenly spaced on a circle of ``radius``, the first on the positive x axis."""
    if num_modes < 1:
        raise ValueError(f"num_modes must be at least 1, got {num_modes}")
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)



def ring_of_gaussians(num_samples: int, num_modes: int = 8, radius: float = 2.0, std: float = 0.05,
                      rng: np.random.Generator | int | None = None) -> np.ndarray:
    """(num_samples, 2) float32 samples of an equal mixture of isotropic Gaussians on a ring.

    The standard toy data set for mode collapse: the modes are far apart compared with ``std``, so
    a generator that covers only some of them is easy to see and to count.
    """
    rng = np.random.default_rng(rng)
    modes = rng.integers(0, num_modes, size=num_samples)
    points = ring_centres(num_modes, radius)[modes] + std * rng.standard_normal((num_samples, 2))
    return points.astype(np.float32)



def rosenbrock(w1, w2):
    """Rosenbrock's banana valley (1 - w1)^2 + 100 (w2 - w1^2)^2: minimum 0 at (1, 1)."""
    return (1 - w1) ** 2 + 100 * (w2 - w1 ** 2) ** 2



def ravine(w1, w2):
    """The lecture's elongated bowl (0.1 w1)^2 + w2^2: curvature 100 times larger along w2."""
    return (0.1 * w1) ** 2 + w2 ** 2



#: The 2-D test surfaces of the optimisation chapter, by name.
SURFACES = {"rosenbrock": rosenbrock, "ravine": ravine}
