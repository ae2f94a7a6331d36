"""dlcourse.metrics.dirichlet_energy: the edge sum it stands for, its zero at the fixed point of the
normalised adjacency, and the same value from a dense and a sparse adjacency."""

import numpy as np
import scipy.sparse

from dlcourse import Tensor, nn
from dlcourse.metrics import dirichlet_energy

# The lecture's unweighted 5-node graph (nodes 1..5 there, 0..4 here)
A = np.array([[0, 1, 1, 0, 0], [1, 0, 1, 1, 0], [1, 1, 0, 0, 1], [0, 1, 0, 0, 1], [0, 0, 1, 1, 0]], dtype=float)


def test_dirichlet_energy_is_the_edge_sum_and_vanishes_at_the_fixed_point():
    rng = np.random.default_rng(2)
    h = rng.normal(size=(5, 2))
    tilde = A + np.eye(5)
    d = tilde.sum(1)
    edge_sum = 0.5 * sum(tilde[i, j] * np.sum((h[i] / np.sqrt(d[i]) - h[j] / np.sqrt(d[j])) ** 2)
                         for i in range(5) for j in range(5))
    assert np.isclose(dirichlet_energy(h, A), edge_sum)
    assert np.isclose(dirichlet_energy(Tensor(h), A), edge_sum)
    assert abs(dirichlet_energy(np.sqrt(d), A)) < 1e-12
    a_hat = nn.normalized_adjacency(A)
    assert dirichlet_energy(a_hat @ h, A) < dirichlet_energy(h, A)


def test_dirichlet_energy_of_a_sparse_adjacency_and_of_one_feature():
    rng = np.random.default_rng(3)
    h = rng.normal(size=(6, 3))
    isolated = np.pad(A, ((0, 1), (0, 1)))
    assert np.isclose(dirichlet_energy(h, scipy.sparse.csr_matrix(isolated)), dirichlet_energy(h, isolated))
    one = rng.normal(size=6)
    assert np.isclose(dirichlet_energy(one, isolated), dirichlet_energy(one[:, None], isolated))
    assert dirichlet_energy(h, isolated) >= 0
