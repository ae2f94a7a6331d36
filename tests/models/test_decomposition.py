"""dlcourse.models.decomposition: PCA against the eigenvectors of the covariance and torch.pca_lowrank."""

import numpy as np
import pytest
import torch

from dlcourse.models import pca


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6)) + rng.normal(size=6) * 3


def test_pca_directions_are_the_top_eigenvectors_of_the_covariance(data):
    fitted = pca(data, 3)
    centred = data - data.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / len(data))
    top = eigenvectors[:, ::-1][:, :3].T
    assert np.allclose(fitted.explained_variance, eigenvalues[::-1][:3])
    assert np.allclose(np.abs(np.sum(fitted.components * top, axis=1)), 1.0)
    assert np.allclose(fitted.components @ fitted.components.T, np.eye(3))
    assert np.isclose(fitted.total_variance, eigenvalues.sum())


def test_pca_signs_make_the_largest_entry_positive_whatever_the_svd_returns(data):
    fitted, flipped = pca(data, 4), pca(-data, 4)
    rows = np.arange(4)
    assert np.all(fitted.components[rows, np.argmax(np.abs(fitted.components), axis=1)] > 0)
    assert np.allclose(fitted.components, flipped.components)   # -x has the same directions


def test_pca_spans_the_subspace_of_torch_pca_lowrank(data):
    fitted = pca(data, 2)
    torch.manual_seed(0)
    _, _, v = torch.pca_lowrank(torch.tensor(data), q=6, center=True)   # q = D: exact, not randomised
    projection_torch = v[:, :2].numpy() @ v[:, :2].numpy().T
    assert np.allclose(fitted.components.T @ fitted.components, projection_torch, atol=1e-8)


def test_pca_reconstruction_error_is_the_sum_of_the_dropped_variances(data):
    for q in (1, 3, 6):
        fitted, full = pca(data, q), pca(data, 6)
        error = np.mean(np.sum((fitted.reconstruct(data) - data) ** 2, axis=1))
        assert np.isclose(error, full.explained_variance[q:].sum(), atol=1e-9)
        assert np.isclose(np.var(fitted.encode(data), axis=0).sum(), fitted.explained_variance.sum())


@pytest.mark.parametrize("x, q, message", [(np.ones(5), 1, "shape"), (np.ones((4, 3)), 0, "between 1 and"),
                                           (np.ones((4, 3)), 4, "min")])
def test_pca_errors_say_what_is_wrong(x, q, message):
    with pytest.raises(ValueError, match=message):
        pca(x, q)
