"""dlcourse.distributions: the Gaussian KL against torch.distributions; the reparameterised sample's
gradients against torch."""

import numpy as np
import pytest
import torch
from torch.distributions import Independent, Normal, kl_divergence

from dlcourse import Tensor
from dlcourse.distributions import gaussian_kl, reparameterise


def test_gaussian_kl_against_torch_distributions():
    rng = np.random.default_rng(1)
    mu, logvar, mu_p, logvar_p = (rng.normal(size=(5, 3)) for _ in range(4))
    expected = kl_divergence(Independent(Normal(torch.tensor(mu), torch.tensor(np.exp(logvar / 2))), 1),
                             Independent(Normal(torch.tensor(mu_p), torch.tensor(np.exp(logvar_p / 2))), 1))
    assert np.allclose(gaussian_kl(mu, logvar, mu_p, logvar_p), expected.numpy())
    standard = kl_divergence(Independent(Normal(torch.tensor(mu), torch.tensor(np.exp(logvar / 2))), 1),
                             Independent(Normal(torch.zeros(5, 3, dtype=torch.float64),
                                                torch.ones(5, 3, dtype=torch.float64)), 1))
    assert np.allclose(gaussian_kl(mu, logvar), standard.numpy())


def test_gaussian_kl_of_one_dimension_by_hand():
    # KL(N(1, 4) || N(0, 1)) = (4 + 1 - 1 - log 4) / 2 = 2 - log 2
    assert np.isclose(gaussian_kl(np.array([1.0]), np.array([np.log(4.0)])), 2 - np.log(2))
    assert np.isclose(gaussian_kl(np.zeros(3), np.zeros(3)), 0.0)


def test_gaussian_kl_gradient_in_dlcourse_matches_torch_autograd_float64():
    rng = np.random.default_rng(2)
    mu, logvar = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    mu_d, logvar_d = Tensor(mu, requires_grad=True), Tensor(logvar, requires_grad=True)
    gaussian_kl(mu_d, logvar_d).sum().backward()
    mu_t, logvar_t = torch.tensor(mu, requires_grad=True), torch.tensor(logvar, requires_grad=True)
    gaussian_kl(mu_t, logvar_t).sum().backward()
    assert np.allclose(mu_d.grad.data, mu_t.grad.numpy()) and np.allclose(mu_d.grad.data, mu)
    assert np.allclose(logvar_d.grad.data, logvar_t.grad.numpy())
    assert np.allclose(logvar_d.grad.data, 0.5 * (np.exp(logvar) - 1))


def test_reparameterised_sample_and_its_gradients_match_torch_rsample():
    rng = np.random.default_rng(3)
    mu, logvar, eps = (rng.normal(size=(3, 2)) for _ in range(3))
    mu_d, logvar_d = Tensor(mu, requires_grad=True), Tensor(logvar, requires_grad=True)
    z = reparameterise(mu_d, logvar_d, Tensor(eps))
    (z * z).sum().backward()
    mu_t, logvar_t = torch.tensor(mu, requires_grad=True), torch.tensor(logvar, requires_grad=True)
    z_t = mu_t + torch.exp(0.5 * logvar_t) * torch.tensor(eps)
    (z_t * z_t).sum().backward()
    assert np.allclose(z.data, z_t.detach().numpy())
    assert np.allclose(z.data, mu + np.exp(logvar / 2) * eps)
    assert np.allclose(mu_d.grad.data, mu_t.grad.numpy())
    assert np.allclose(logvar_d.grad.data, logvar_t.grad.numpy())


def test_reparameterise_draws_noise_in_each_engine_and_has_the_right_moments():
    assert isinstance(reparameterise(torch.zeros(2), torch.zeros(2)), torch.Tensor)
    assert isinstance(reparameterise(Tensor(np.zeros(2)), Tensor(np.zeros(2))), Tensor)
    samples = reparameterise(np.full(200_000, 2.0), np.full(200_000, np.log(9.0)))
    assert abs(samples.mean() - 2.0) < 0.05 and abs(samples.std() - 3.0) < 0.05


def test_shape_mismatches_name_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2, 2\)"):
        gaussian_kl(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        reparameterise(np.zeros(2), np.zeros(2), np.zeros(3))
