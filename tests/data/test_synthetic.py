"""dlcourse.data.synthetic: the 2-D test surfaces (their minima, their gradients through the engine,
the same formula on NumPy grids and on tensors) and the ring of Gaussians of mode collapse."""

import numpy as np
import pytest

import dlcourse
from dlcourse import data
from dlcourse.data.synthetic import SURFACES, ravine, ring_centres, ring_of_gaussians, rosenbrock
from dlcourse.metrics import modes_covered


def test_surfaces_are_listed_by_name_and_exported_by_dlcourse_data():
    assert SURFACES == {"rosenbrock": rosenbrock, "ravine": ravine}
    assert data.rosenbrock is rosenbrock and data.ravine is ravine and data.SURFACES is SURFACES


@pytest.mark.parametrize("surface, minimum", [(rosenbrock, (1.0, 1.0)), (ravine, (0.0, 0.0))])
def test_each_surface_is_zero_at_its_minimum_and_positive_around_it(surface, minimum):
    assert surface(*minimum) == 0.0
    w1, w2 = np.meshgrid(np.linspace(-2, 2, 41) + minimum[0], np.linspace(-2, 2, 41) + minimum[1])
    values = surface(w1, w2)
    assert values.shape == (41, 41)
    assert np.all(values >= 0) and np.count_nonzero(values == 0) == 1


@pytest.mark.parametrize("surface, gradient", [
    (rosenbrock, lambda a, b: (-2 * (1 - a) - 400 * a * (b - a ** 2), 200 * (b - a ** 2))),
    (ravine, lambda a, b: (0.02 * a, 2 * b)),
])
def test_the_engine_differentiates_each_surface_as_written_by_hand(surface, gradient):
    w = dlcourse.tensor(np.array([-1.3, 0.7]), requires_grad=True)
    surface(w[0], w[1]).backward()
    np.testing.assert_allclose(w.grad.data, gradient(-1.3, 0.7), rtol=1e-12)


def test_the_ravine_is_a_hundred_times_more_curved_across_than_along():
    assert ravine(0.0, 1.0) / ravine(1.0, 0.0) == pytest.approx(100.0)


def test_ring_of_gaussians_puts_every_sample_near_one_of_its_modes():
    centres = ring_centres(8, 2.0)
    assert np.allclose(np.linalg.norm(centres, axis=1), 2.0) and np.allclose(centres[0], [2.0, 0.0])
    samples = ring_of_gaussians(4000, rng=0)
    assert samples.shape == (4000, 2) and samples.dtype == np.float32
    assert np.array_equal(samples, ring_of_gaussians(4000, rng=0))
    coverage = modes_covered(samples, centres, radius=0.25, min_count=300)
    assert coverage == (8, 1.0) and coverage.covered == 8
