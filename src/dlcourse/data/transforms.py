"""Data augmentation as plain NumPy functions on images.

An image is a float array of shape ``(H, W)`` (grey) or ``(H, W, C)`` (colour) with values in
``[0, 1]``. Every function returns a new array of the same shape and never changes its input;
random ones take a ``numpy.random.Generator`` so that a seeded run is reproducible.

Four families, as in the regularisation chapter:

- geometric: :func:`hflip`, :func:`vflip`, :func:`random_crop` (pad, then crop back), :func:`affine`,
  :func:`rotate`, :func:`perspective`;
- local filters: :func:`filter2d` with the kernels :data:`KERNELS` (blur, sharpen, emboss, edges);
- noise: :func:`gaussian_noise`, :func:`salt_and_pepper`, :func:`cutout`;
- colour: :func:`adjust_brightness`, :func:`adjust_contrast`, :func:`invert`, :func:`greyscale`.

:func:`random_augment` draws a random combination. A geometric transformation of the input must be
applied to dense or positional labels too: :func:`hflip_with_targets` flips an image together with
its segmentation mask and its key points (and swaps left/right key points).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "KERNELS", "adjust_brightness", "adjust_contrast", "affine", "cutout", "filter2d", "gaussian_noise",
    "greyscale", "hflip", "hflip_with_targets", "invert", "perspective", "random_augment", "random_crop",
    "rotate", "salt_and_pepper", "vflip",
]


def _image(image) -> np.ndarray:
    array = np.asarray(image, dtype=np.float64)
    if array.ndim not in (2, 3):
        raise ValueError(f"an image must have shape (H, W) or (H, W, C), got shape {array.shape}")
    return array


# --- geometric ---------------------------------------------------------------------------------------
def hflip(image) -> np.ndarray:
    """Mirror left-right: column j becomes column W - 1 - j."""
    return _image(image)[:, ::-1].copy()


def vflip(image) -> np.ndarray:
    """Mirror top-bottom: row i becomes row H - 1 - i."""
    return _image(image)[::-1].copy()


def random_crop(image, padding: int, rng: np.random.Generator, fill: float = 0.0) -> np.ndarray:
    """Pad every side with ``padding`` pixels of ``fill``, then cut an H x W window at a random
    offset: the content moves by up to ``padding`` pixels in each direction."""
    image = _image(image)
    height, width = image.shape[:2]
    pad = [(padding, padding), (padding, padding)] + [(0, 0)] * (image.ndim - 2)
    padded = np.pad(image, pad, constant_values=fill)
    top, left = rng.integers(0, 2 * padding + 1, size=2)
    return padded[top:top + height, left:left + width].copy()


def _sample(image: np.ndarray, rows: np.ndarray, cols: np.ndarray, fill: float) -> np.ndarray:
    """Bilinear interpolation of ``image`` at real-valued pixel coordinates; ``fill`` outside."""
    height, width = image.shape[:2]
    r0, c0 = np.floor(rows).astype(int), np.floor(cols).astype(int)
    fr, fc = rows - r0, cols - c0
    out = 0.0
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            r, c = r0 + dr, c0 + dc
            inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
            values = np.where(inside if image.ndim == 2 else inside[..., None],
                              image[np.clip(r, 0, height - 1), np.clip(c, 0, width - 1)], fill)
            weight = wr * wc
            out = out + (weight if image.ndim == 2 else weight[..., None]) * values
    return out


def affine(image, matrix, translation=(0.0, 0.0), fill: float = 0.0) -> np.ndarray:
    """Apply the affine map p -> A (p - centre) + centre + t to the pixel positions p = (x, y).

    Each output pixel looks up where it came from (the inverse map) and interpolates bilinearly,
    so there are no holes. ``matrix`` is 2x2 acting on (x, y) = (column, row); ``translation`` is
    (dx, dy) in pixels.
    """
    image = _image(image)
    height, width = image.shape[:2]
    centre = np.array([(width - 1) / 2, (height - 1) / 2])
    inverse = np.linalg.inv(np.asarray(matrix, dtype=np.float64))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    points = np.stack([xs, ys], axis=-1) - centre - np.asarray(translation, dtype=np.float64)
    source = points @ inverse.T + centre
    return _sample(image, source[..., 1], source[..., 0], fill)


def rotate(image, degrees: float, scale: float = 1.0, fill: float = 0.0) -> np.ndarray:
    """Rotate by ``degrees`` (counter-clockwise on screen) about the centre, and zoom by ``scale``."""
    angle = np.deg2rad(degrees)
    # image rows grow downwards, so a counter-clockwise turn on screen is clockwise in (x, y)
    matrix = scale * np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    return affine(image, matrix, fill=fill)


def _homography(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 3x3 projective map (last entry 1) sending four source points (x, y) to four targets."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(source, target):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return np.append(np.linalg.solve(np.array(rows, float), np.array(rhs, float)), 1.0).reshape(3, 3)


def perspective(image, rng: np.random.Generator, distortion: float = 0.2, fill: float = 0.0) -> np.ndarray:
    """A random perspective warp: each corner moves inwards by up to ``distortion`` times the size,
    as if the picture were seen from a slightly different angle."""
    image = _image(image)
    height, width = image.shape[:2]
    corners = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], float)
    inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], float)
    moved = corners + inward * rng.uniform(0, distortion, size=(4, 2)) * [width, height]
    to_source = _homography(moved, corners)        # output pixel -> where it comes from
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    homogeneous = np.stack([xs, ys, np.ones_like(xs)], axis=-1) @ to_source.T
    return _sample(image, homogeneous[..., 1] / homogeneous[..., 2], homogeneous[..., 0] / homogeneous[..., 2], fill)


# --- local filters -----------------------------------------------------------------------------------
KERNELS = {
    "blur": np.full((3, 3), 1 / 9),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], float),
    "edges": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], float),
}


def filter2d(image, kernel, clip: bool = True) -> np.ndarray:
    """Correlate every channel with a small odd-sized ``kernel`` (edge pixels repeated at the border);
    with ``clip`` the result is clipped back to [0, 1]."""
    image, kernel = _image(image), np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 2 or kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
        raise ValueError(f"kernel must be a 2-D array of odd sizes, got shape {kernel.shape}")
    kr, kc = kernel.shape[0] // 2, kernel.shape[1] // 2
    pad = [(kr, kr), (kc, kc)] + [(0, 0)] * (image.ndim - 2)
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(image, pad, mode="edge"), kernel.shape, axis=(0, 1))
    out = np.einsum("...ij,ij->...", windows, kernel)
    return np.clip(out, 0.0, 1.0) if clip else out


# --- noise -------------------------------------------------------------------------------------------
def gaussian_noise(image, std: float, rng: np.random.Generator) -> np.ndarray:
    """Add independent N(0, std^2) noise to every pixel, then clip to [0, 1]."""
    image = _image(image)
    return np.clip(image + rng.normal(scale=std, size=image.shape), 0.0, 1.0)


def salt_and_pepper(image, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Set a fraction ``amount`` of the pixels (all channels) to 0 or 1, half each on average."""
    image = _image(image).copy()
    hit = rng.random(image.shape[:2]) < amount
    values = (rng.random(int(hit.sum())) < 0.5).astype(np.float64)
    image[hit] = values if image.ndim == 2 else values[:, None]
    return image


def cutout(image, size: int, rng: np.random.Generator, fill: float = 0.0) -> np.ndarray:
    """Blank a ``size`` x ``size`` square at a random centre (it may hang over the border)."""
    image = _image(image).copy()
    height, width = image.shape[:2]
    row, col = rng.integers(0, height), rng.integers(0, width)
    top, left = max(row - size // 2, 0), max(col - size // 2, 0)
    image[top:row - size // 2 + size, left:col - size // 2 + size] = fill
    return image


# --- colour ------------------------------------------------------------------------------------------
def adjust_brightness(image, delta: float) -> np.ndarray:
    """Add ``delta`` to every pixel and clip to [0, 1]."""
    return np.clip(_image(image) + delta, 0.0, 1.0)


def adjust_contrast(image, factor: float) -> np.ndarray:
    """Scale the distance of every pixel from the image's mean by ``factor``, clipped to [0, 1]."""
    image = _image(image)
    return np.clip(image.mean() + factor * (image - image.mean()), 0.0, 1.0)


def invert(image) -> np.ndarray:
    """The negative image, 1 - x."""
    return 1.0 - _image(image)


def greyscale(image) -> np.ndarray:
    """Replace every colour by its luminance 0.299 R + 0.587 G + 0.114 B (channels kept);
    a grey image is returned unchanged."""
    image = _image(image)
    if image.ndim == 2:
        return image.copy()
    if image.shape[2] != 3:
        raise ValueError(f"greyscale needs 3 colour channels, got shape {image.shape}")
    luminance = image @ np.array([0.299, 0.587, 0.114])
    return np.repeat(luminance[..., None], 3, axis=2)


# --- combinations and labels -------------------------------------------------------------------------
def random_augment(image, rng: np.random.Generator, flip: bool = True, max_shift: int = 2,
                   max_degrees: float = 10.0, noise_std: float = 0.05, cutout_size: int = 0) -> np.ndarray:
    """A random combination: a flip with probability 1/2 (if ``flip``), a rotation by up to
    ``max_degrees``, a shift by up to ``max_shift`` pixels, Gaussian noise, and optionally cutout.

    Choose only transformations that keep the label: flipping a digit 2 does not give a 2.
    """
    out = _image(image)
    if flip and rng.random() < 0.5:
        out = hflip(out)
    if max_degrees:
        out = rotate(out, rng.uniform(-max_degrees, max_degrees))
    if max_shift:
        out = random_crop(out, max_shift, rng)
    if noise_std:
        out = gaussian_noise(out, noise_std, rng)
    if cutout_size:
        out = cutout(out, cutout_size, rng)
    return out


def hflip_with_targets(image, mask=None, keypoints=None, flip_pairs=()):
    """Flip an image left-right together with its labels, so that they still describe it.

    Args:
        image: (H, W) or (H, W, C).
        mask: None or a dense label map of shape (H, W): flipped like the image.
        keypoints: None or (K, 2) pixel coordinates (x, y) = (column, row): x becomes W - 1 - x.
        flip_pairs: pairs (i, j) of key points that trade names in a mirror (left eye and right
            eye): their rows are swapped after the flip.
    Returns:
        (image, mask, keypoints), new arrays (None stays None).
    """
    image = _image(image)
    width = image.shape[1]
    flipped_mask = None
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != image.shape[:2]:
            raise ValueError(f"mask must have the image's shape {image.shape[:2]}, got {mask.shape}")
        flipped_mask = mask[:, ::-1].copy()
    flipped_points = None
    if keypoints is not None:
        flipped_points = np.array(keypoints, dtype=np.float64).reshape(-1, 2)
        flipped_points[:, 0] = width - 1 - flipped_points[:, 0]
        for i, j in flip_pairs:
            flipped_points[[i, j]] = flipped_points[[j, i]]
    return hflip(image), flipped_mask, flipped_points
