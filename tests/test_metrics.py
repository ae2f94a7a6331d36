"""dlcourse.metrics: the Fréchet distance against a scipy.linalg.sqrtm computation and closed forms,
and mode counting on the ring of Gaussians."""

import numpy as np
import pytest
import scipy.linalg

from dlcourse.data.synthetic import ring_centres
from dlcourse.metrics import ModeCoverage, feature_statistics, frechet_distance, modes_covered


def _random_covariance(rng, dim):
    factor = rng.normal(size=(dim, dim))
    return factor @ factor.T + 0.1 * np.eye(dim)


def _frechet_by_sqrtm(mean_a, cov_a, mean_b, cov_b):
    """The textbook formula, with SciPy's square root of the (non-symmetric) product."""
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    return np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(root))


@pytest.mark.parametrize("dim", [1, 2, 5, 16])
def test_frechet_distance_matches_the_sqrtm_formula(dim):
    rng = np.random.default_rng(dim)
    mean_a, mean_b = rng.normal(size=dim), rng.normal(size=dim)
    cov_a, cov_b = _random_covariance(rng, dim), _random_covariance(rng, dim)
    expected = _frechet_by_sqrtm(mean_a, cov_a, mean_b, cov_b)
    assert frechet_distance(mean_a, cov_a, mean_b, cov_b) == pytest.approx(expected, rel=1e-7, abs=1e-9)
    assert frechet_distance(mean_b, cov_b, mean_a, cov_a) == pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_frechet_distance_in_one_dimension_is_the_squared_gaps_of_means_and_deviations():
    # N(1, 2^2) and N(-2, 0.5^2): (1 + 2)^2 + (2 - 0.5)^2 = 11.25
    assert frechet_distance([1.0], [[4.0]], [-2.0], [[0.25]]) == pytest.approx(11.25)
    assert frechet_distance(1.0, 4.0, -2.0, 0.25) == pytest.approx(11.25)


def test_frechet_distance_of_a_gaussian_to_itself_is_zero_even_when_singular():
    rng = np.random.default_rng(0)
    factor = rng.normal(size=(4, 2))
    singular = factor @ factor.T                          # rank 2: sqrtm of products is fragile here
    mean = rng.normal(size=4)
    assert frechet_distance(mean, singular, mean, singular) == pytest.approx(0.0, abs=1e-7)
    assert frechet_distance(mean, np.eye(4), mean + 1, np.eye(4)) == pytest.approx(4.0)


def test_frechet_distance_leaves_its_inputs_alone_and_says_which_shapes_disagree():
    rng = np.random.default_rng(1)
    cov = _random_covariance(rng, 3)
    before = cov.copy()
    frechet_distance(np.zeros(3), cov, np.ones(3), cov)
    assert np.array_equal(cov, before)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 2\)"):
        frechet_distance(np.zeros(3), np.eye(2), np.zeros(3), np.eye(3))


def test_feature_statistics_are_the_sample_mean_and_unbiased_covariance():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(50, 3))
    mean, cov = feature_statistics(features)
    assert np.allclose(mean, features.mean(0))
    assert np.allclose(cov, (features - mean).T @ (features - mean) / 49)
    with pytest.raises(ValueError, match="N >= 2"):
        feature_statistics(features[:1])


def test_modes_covered_counts_collapse_and_spread():
    centres = ring_centres(8, 2.0)
    collapsed = np.repeat(centres[:2], 50, axis=0) + 0.01
    assert modes_covered(collapsed, centres, radius=0.3) == ModeCoverage(2, 1.0)
    spread = np.vstack([centres, np.zeros((8, 2))])           # one sample per mode, eight at the origin
    assert modes_covered(spread, centres, radius=0.3) == (8, 0.5)
    assert modes_covered(spread, centres, radius=0.3, min_count=2) == (0, 0.5)
    assert modes_covered(np.zeros((0, 2)), centres, radius=0.3) == (0, 0.0)


def test_a_sample_counts_only_for_its_nearest_mode_and_only_strictly_inside_the_radius():
    centres = np.array([[0.0, 0.0], [1.0, 0.0]])
    assert modes_covered([[0.4, 0.0]], centres, radius=0.5) == (1, 1.0)      # near both, counts for mode 0
    assert modes_covered([[0.5, 0.0]], centres, radius=0.5) == (0, 0.0)      # on the radius: outside
    with pytest.raises(ValueError, match="share D"):
        modes_covered(np.zeros((3, 3)), centres, radius=1.0)
