"""Augmentations: each one checked against an independent reference (NumPy, SciPy) or a property."""

import numpy as np
import pytest
from scipy import ndimage

from dlcourse.data import transforms


@pytest.fixture
def image():
    return np.random.default_rng(3).random((9, 11))


@pytest.fixture
def colour():
    return np.random.default_rng(4).random((9, 11, 3))


def test_flips_mirror_the_columns_and_the_rows(image, colour):
    np.testing.assert_array_equal(transforms.hflip(image), np.fliplr(image))
    np.testing.assert_array_equal(transforms.vflip(colour), np.flipud(colour))


def test_no_function_changes_its_input(colour):
    before = colour.copy()
    rng = np.random.default_rng(0)
    for out in (transforms.hflip(colour), transforms.random_crop(colour, 2, rng), transforms.rotate(colour, 20),
                transforms.perspective(colour, rng), transforms.filter2d(colour, transforms.KERNELS["edges"]),
                transforms.gaussian_noise(colour, 0.1, rng), transforms.salt_and_pepper(colour, 0.2, rng),
                transforms.cutout(colour, 4, rng), transforms.adjust_contrast(colour, 2.0),
                transforms.greyscale(colour), transforms.random_augment(colour, rng, cutout_size=3)):
        assert out.shape == colour.shape
    np.testing.assert_array_equal(colour, before)


def test_random_crop_is_a_shift_of_the_padded_image(image):
    out = transforms.random_crop(image, 3, np.random.default_rng(1))
    padded = np.pad(image, 3)
    matches = [(top, left) for top in range(7) for left in range(7)
               if np.array_equal(padded[top:top + 9, left:left + 11], out)]
    assert matches


def test_rotation_by_90_degrees_equals_rot90_on_a_square_image():
    square = np.random.default_rng(5).random((7, 7))
    np.testing.assert_allclose(transforms.rotate(square, 90), np.rot90(square), atol=1e-12)


def test_affine_identity_and_integer_translation(image):
    np.testing.assert_allclose(transforms.affine(image, np.eye(2)), image, atol=1e-12)
    shifted = transforms.affine(image, np.eye(2), translation=(2, 1))     # 2 right, 1 down
    np.testing.assert_allclose(shifted[1:, 2:], image[:-1, :-2], atol=1e-12)
    assert np.all(shifted[0] == 0) and np.all(shifted[:, :2] == 0)


def test_perspective_without_distortion_is_the_identity(image):
    unchanged = transforms.perspective(image, np.random.default_rng(0), distortion=0.0)
    np.testing.assert_allclose(unchanged, image, atol=1e-9)


@pytest.mark.parametrize("name", sorted(transforms.KERNELS))
def test_filters_equal_scipy_correlate(colour, name):
    kernel = transforms.KERNELS[name]
    expected = np.stack([ndimage.correlate(colour[..., c], kernel, mode="nearest") for c in range(3)], axis=-1)
    np.testing.assert_allclose(transforms.filter2d(colour, kernel, clip=False), expected, atol=1e-12)
    assert transforms.filter2d(colour, kernel).min() >= 0 and transforms.filter2d(colour, kernel).max() <= 1


def test_filter_rejects_an_even_kernel(image):
    with pytest.raises(ValueError, match="odd"):
        transforms.filter2d(image, np.ones((2, 2)))


def test_noise_has_the_requested_statistics():
    grey = np.full((200, 200), 0.5)
    noisy = transforms.gaussian_noise(grey, 0.1, np.random.default_rng(0))
    assert abs(noisy.std() - 0.1) < 0.005
    salted = transforms.salt_and_pepper(grey, 0.3, np.random.default_rng(0))
    hit = salted != 0.5
    assert abs(hit.mean() - 0.3) < 0.01 and set(np.unique(salted[hit])) == {0.0, 1.0}


def test_cutout_blanks_at_most_a_square(image):
    out = transforms.cutout(image + 1.0, 4, np.random.default_rng(2))
    assert 1 <= np.sum(out == 0) <= 16


def test_colour_transformations():
    img = np.array([[0.2, 0.4], [0.6, 0.8]])
    np.testing.assert_allclose(transforms.invert(img), 1 - img)
    np.testing.assert_allclose(transforms.adjust_brightness(img, 0.3), [[0.5, 0.7], [0.9, 1.0]])
    np.testing.assert_allclose(transforms.adjust_contrast(img, 0.5), [[0.35, 0.45], [0.55, 0.65]])
    rgb = np.zeros((1, 1, 3)) + [1.0, 0.0, 0.0]
    np.testing.assert_allclose(transforms.greyscale(rgb), np.full((1, 1, 3), 0.299))


def test_flip_with_targets_keeps_labels_on_the_pixels_they_name():
    image = np.zeros((5, 8))
    keypoints = np.array([[1.0, 2.0], [6.0, 3.0]])            # (x, y) = (column, row)
    for x, y in keypoints.astype(int):
        image[y, x] = 1.0
    mask = (image > 0).astype(int)
    flipped, flipped_mask, flipped_points = transforms.hflip_with_targets(image, mask, keypoints, flip_pairs=[(0, 1)])
    np.testing.assert_array_equal(flipped_mask, flipped > 0)
    for x, y in flipped_points.astype(int):
        assert flipped[y, x] == 1.0
    np.testing.assert_allclose(flipped_points, [[1.0, 3.0], [6.0, 2.0]])   # mirrored, then swapped
    np.testing.assert_allclose(keypoints, [[1.0, 2.0], [6.0, 3.0]])


def test_flip_with_targets_rejects_a_mask_of_another_shape():
    with pytest.raises(ValueError, match="mask"):
        transforms.hflip_with_targets(np.zeros((4, 5)), mask=np.zeros((5, 4)))
