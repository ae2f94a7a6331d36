"""The measuring tools of chapter 13 (generative adversarial networks).

A GAN has no likelihood to report, so the chapter judges its samples in two ways, each used in
more than one lesson:

- on toy data whose modes are known (a ring of Gaussians), by counting the modes the generator's
  samples reach (``modes_covered``): mode collapse shows up as a count below the number of modes;
- on any data, by fitting a Gaussian to features of the real and of the generated samples and
  measuring the Fréchet distance between the two Gaussians (``frechet_distance``), the quantity
  behind the FID score (which takes its features from an Inception network).

``ring_of_gaussians`` draws the toy data. NumPy and SciPy only.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

__all__ = ["ModeCoverage", "feature_statistics", "frechet_distance", "modes_covered", "ring_centres",
           "ring_of_gaussians"]


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


class ModeCoverage(tuple):
    """(covered, high_quality): how many modes were reached, and the fraction of samples near a mode."""

    __slots__ = ()

    def __new__(cls, covered: int, high_quality: float):
        return super().__new__(cls, (int(covered), float(high_quality)))

    covered = property(lambda self: self[0])
    high_quality = property(lambda self: self[1])

    def __repr__(self) -> str:
        return f"ModeCoverage(covered={self.covered}, high_quality={self.high_quality:.3f})"


def modes_covered(samples, centres, radius: float, min_count: int = 1) -> ModeCoverage:
    """Count the modes that at least ``min_count`` samples lie within ``radius`` of.

    A sample is "high quality" when it lies within ``radius`` of its nearest centre; ``high_quality``
    is their fraction. A collapsed generator scores a high quality with few modes covered; a
    generator that spreads its samples between the modes covers them all with a low quality.

    Args:
        samples: (N, D) points.  centres: (K, D) the modes' centres.
        radius: the distance (strictly less than) that counts as "at a mode".
        min_count: how many samples a mode needs to count as covered (a stray sample is not a mode).
    """
    samples, centres = np.asarray(samples, dtype=np.float64), np.asarray(centres, dtype=np.float64)
    if samples.ndim != 2 or centres.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples (N, D) and centres (K, D) must share D, got {samples.shape} and {centres.shape}")
    if len(samples) == 0:
        return ModeCoverage(0, 0.0)
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=-1)    # (N, K)
    nearest = distances.argmin(axis=1)
    close = distances[np.arange(len(samples)), nearest] < radius
    hits = np.bincount(nearest[close], minlength=len(centres))
    return ModeCoverage(np.count_nonzero(hits >= min_count), close.mean())


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """The mean (D,) and the unbiased covariance (D, D) of (N, D) features: the Gaussian FID fits."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"features must be (N, D) with N >= 2, got shape {features.shape}")
    return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False))


def frechet_distance(mean_a, cov_a, mean_b, cov_b) -> float:
    """Fréchet (2-Wasserstein) distance squared between N(mean_a, cov_a) and N(mean_b, cov_b).

        d^2 = |mean_a - mean_b|^2 + tr(cov_a + cov_b - 2 (cov_a cov_b)^(1/2))

    The trace of the matrix square root is computed from the symmetric matrix
    cov_a^(1/2) cov_b cov_a^(1/2), which has the same eigenvalues as cov_a cov_b but, unlike it, is
    symmetric: its eigenvalues come out real and non-negative (clipped at 0 against round-off).
    """
    mean_a, mean_b = np.atleast_1d(np.asarray(mean_a, np.float64)), np.atleast_1d(np.asarray(mean_b, np.float64))
    cov_a, cov_b = np.atleast_2d(np.asarray(cov_a, np.float64)), np.atleast_2d(np.asarray(cov_b, np.float64))
    dim = mean_a.shape[0]
    if mean_b.shape != (dim,) or cov_a.shape != (dim, dim) or cov_b.shape != (dim, dim):
        raise ValueError(f"means (D,) and covariances (D, D) must agree, got {mean_a.shape}, {cov_a.shape}, "
                         f"{mean_b.shape}, {cov_b.shape}")
    root_a = scipy.linalg.sqrtm(cov_a)
    root_a = np.real(root_a + root_a.T) / 2
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(cross, 0.0, None)).sum()
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)
