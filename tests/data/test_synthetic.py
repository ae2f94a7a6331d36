"""dlcourse.data.synthetic: the ring of Gaussians, the toy data of mode collapse."""

import numpy as np

from dlcourse.data.synthetic import ring_centres, ring_of_gaussians
from dlcourse.metrics import modes_covered


def test_ring_of_gaussians_puts_every_sample_near_one_of_its_modes():
    centres = ring_centres(8, 2.0)
    assert np.allclose(np.linalg.norm(centres, axis=1), 2.0) and np.allclose(centres[0], [2.0, 0.0])
    samples = ring_of_gaussians(4000, rng=0)
    assert samples.shape == (4000, 2) and samples.dtype == np.float32
    assert np.array_equal(samples, ring_of_gaussians(4000, rng=0))
    coverage = modes_covered(samples, centres, radius=0.25, min_count=300)
    assert coverage == (8, 1.0) and coverage.covered == 8
