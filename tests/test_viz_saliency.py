"""dlcourse.viz.occlusion_saliency: the drop of a class score when a patch of the image is hidden."""

import numpy as np
import pytest

from dlcourse.viz import occlusion_saliency


@pytest.fixture
def linear_problem():
    rng = np.random.default_rng(1)
    weights, image = rng.normal(size=(2, 1, 5, 6)), rng.normal(size=(1, 5, 6))

    def score(batch):
        return np.einsum("bchw,kchw->bk", batch, weights)

    return weights, image, score


def test_occlusion_of_a_linear_score_is_the_hidden_weighted_sum(linear_problem):
    weights, image, score = linear_problem
    saliency = occlusion_saliency(score, image, target=1, patch_size=2, stride=2, fill=0.5, batch_size=4)
    assert saliency.shape == (2, 3)
    occluded = weights[1] * (image - 0.5)
    expected = [[np.sum(occluded[:, 2 * i:2 * i + 2, 2 * j:2 * j + 2]) for j in range(3)] for i in range(2)]
    np.testing.assert_allclose(saliency, expected, rtol=1e-12)


def test_the_batch_size_does_not_change_the_map_and_the_image_is_left_unchanged(linear_problem):
    _, image, score = linear_problem
    before = image.copy()
    maps = [occlusion_saliency(score, image, 0, patch_size=3, stride=1, batch_size=b) for b in (1, 5, 100)]
    assert maps[0].shape == (3, 4)
    for other in maps[1:]:
        np.testing.assert_allclose(other, maps[0], rtol=1e-12)
    np.testing.assert_array_equal(image, before)


def test_the_pixel_sum_score_gives_the_sum_of_the_hidden_pixels():
    def pixel_sum(images):
        return np.asarray(images).sum(axis=(1, 2, 3))[:, None]

    saliency = occlusion_saliency(pixel_sum, np.arange(9.0).reshape(1, 3, 3), 0, patch_size=2, stride=1)
    np.testing.assert_allclose(saliency, [[8.0, 12.0], [20.0, 24.0]])


def test_a_patch_larger_than_the_image_is_an_error(linear_problem):
    _, image, score = linear_problem
    with pytest.raises(ValueError, match="does not fit"):
        occlusion_saliency(score, image, 0, patch_size=7, stride=1)
