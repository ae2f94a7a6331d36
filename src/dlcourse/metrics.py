"""Measures of a model's results: accuracy, perplexity and bits per character, the Fréchet
distance behind FID, modes covered on toy data, and the Dirichlet energy of features on a graph.

A GAN has no likelihood to report, so chapter 13 judges its samples in two ways: on toy data whose
modes are known (a ring of Gaussians), by counting the modes the samples reach
(:func:`modes_covered`; mode collapse shows as a count below the number of modes); on any data, by
fitting a Gaussian to features of real and generated samples and measuring the Fréchet distance
between the two (:func:`frechet_distance`, the quantity behind FID, whose features come from an
Inception network).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import scipy.linalg
import scipy.sparse as sparse

from .autograd.tensor import Tensor
from .data.text import truncated_bptt_batches
from .nn.graph_conv import normalized_adjacency, sparse_normalized_adjacency

__all__ = ["ModeCoverage", "accuracy", "bits_per_character", "dirichlet_energy", "feature_statistics",
           "frechet_distance", "modes_covered", "perplexity"]


def accuracy(logits, targets) -> float:
    """Fraction of rows whose largest logit (or probability) is at the target class.

    Args:
        logits: (N, C) scores of a dlcourse or torch model, or a NumPy array.
        targets: (N,) class indices.
    """
    scores, labels = _numpy(logits), _numpy(targets).reshape(-1)
    if scores.ndim != 2 or len(scores) != len(labels):
        raise ValueError(f"accuracy needs logits (N, C) and targets (N,), got {scores.shape} and {labels.shape}")
    return float((scores.argmax(axis=1) == labels).mean()) if len(labels) else 0.0


def perplexity(mean_nll: float) -> float:
    """exp of a mean negative log-likelihood in nats per token: the number of equally likely
    choices that would leave a model as unsure as it is (a uniform guess over V tokens scores V)."""
    return math.exp(float(mean_nll))


def _numpy(values) -> np.ndarray:
    """A NumPy array of a dlcourse tensor, a torch tensor (on any device) or an array-like."""
    if isinstance(values, Tensor):
        return values.data
    if hasattr(values, "detach"):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def _library_of(model):
    """``torch`` for a torch module, ``dlcourse`` otherwise."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return torch
    import dlcourse

    return dlcourse


def _ids(library, ids, device=None):
    ids = library.tensor(np.asarray(ids, dtype=np.int64))
    return ids.to(device) if device is not None else ids


def bits_per_character(model, ids, batch_size: int = 16, seq_len: int = 100, device=None) -> float:
    """The model's mean cross-entropy on ``ids`` in bits per character (nats / ln 2), state carried across chunks.

    A uniform guess over V characters scores log2(V) bits; predicting every character for sure scores 0.
    ``model`` is a dlcourse or a torch module (``model(ids, state) -> (logits, state)``, as
    :class:`dlcourse.models.CharLSTM`).
    """
    library = _library_of(model)
    loss_function, total, count, state = library.nn.CrossEntropyLoss(reduction="sum"), 0.0, 0, None
    no_grad = library.no_grad
    with no_grad():
        for inputs, targets in truncated_bptt_batches(ids, batch_size, seq_len):
            logits, state = model(_ids(library, inputs, device), state)
            vocab = logits.shape[-1]
            loss = loss_function(logits.reshape(-1, vocab), _ids(library, targets.reshape(-1), device))
            total, count = total + float(loss.item()), count + targets.size
    return total / count / math.log(2)



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



def dirichlet_energy(h, adjacency) -> float:
    """How far node features are from the smooth state a GCN converges to:

        E(H) = trace(H^T (I - Â) H) = 1/2 sum_ij Ã_ij || h_i / sqrt(d̃_i) - h_j / sqrt(d̃_j) ||^2,

    with Ã = A + I, d̃ its degrees and Â = D̃^-1/2 Ã D̃^-1/2. It is 0 exactly when every feature column
    is proportional to sqrt(d̃) on each connected component, the fixed point of repeated Â.
    """
    features = np.asarray(h.data if isinstance(h, Tensor) else h, dtype=np.float64)
    if features.ndim == 1:
        features = features[:, None]
    a_hat = (sparse_normalized_adjacency(adjacency, dtype=np.float64) if sparse.issparse(adjacency)
             else normalized_adjacency(adjacency))
    return float(np.sum(features * features) - np.sum(features * (a_hat @ features)))

