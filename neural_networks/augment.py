"""Data augmentation: random transforms of training batches (``data.augment: [{name: flip}, ...]``).

Each transform is called as ``transform(X, rng)`` on a batch of preprocessed images X (n, rows, cols,
channels) and returns a new batch of the same shape, drawing everything from ``rng`` (the run's
generator, so that runs are reproducible and resume bit-exact). All are vectorized over the batch.
They apply to training batches only; validation and test samples are never changed.
"""
import numpy as np

from .config.registry import Registry
from .config.validation import Fraction, PositiveFloat, PositiveInt

AUGMENTS = Registry("augmentation")


@AUGMENTS.register("flip")
class Flip:
    """Mirror each image left to right with probability ``p``: X'[i, r, c] = X[i, r, cols - 1 - c]."""

    def __init__(self, p: Fraction = 0.5):
        self.p = p

    def __call__(self, X, rng):
        flipped = rng.random(len(X)) < self.p
        return np.where(flipped[:, None, None, None], X[:, :, ::-1], X)


def shift(X, dy, dx, most):
    """Each image i moved down by dy[i] and right by dx[i] pixels (|d| <= most), zeros filling in.

    The batch is zero-padded by ``most`` on each side; image i is then the window whose top-left
    corner is (most - dy[i], most - dx[i]), gathered for the whole batch by one fancy index.
    """
    n, rows, cols = X.shape[:3]
    padded = np.pad(X, ((0, 0), (most, most), (most, most), (0, 0)))
    r = (most - dy)[:, None] + np.arange(rows)          # (n, rows): source row of each output row
    c = (most - dx)[:, None] + np.arange(cols)          # (n, cols)
    return padded[np.arange(n)[:, None, None], r[:, :, None], c[:, None, :]]


@AUGMENTS.register("translate")
class Translate:
    """Move each image by up to ``max_pixels`` pixels each way, zero-filled: X'[i, r, c] = X[i, r - dy_i, c - dx_i].

    dy_i, dx_i are uniform whole numbers in [-max_pixels, max_pixels]; the zeros are the training mean
    after ``standardize``."""

    def __init__(self, max_pixels: PositiveInt = 2):
        self.max_pixels = max_pixels

    def __call__(self, X, rng):
        dy, dx = rng.integers(-self.max_pixels, self.max_pixels + 1, size=(2, len(X)))
        return shift(X, dy, dx, self.max_pixels)


@AUGMENTS.register("crop")
class Crop(Translate):
    """A random crop of the image's size after zero padding by ``padding`` pixels, as ``RandomCrop(32, padding=4)``.

    The crop's corner is uniform on [0, 2 padding]^2, the same as moving the image by up to ``padding``
    pixels each way, so it shares :class:`Translate`'s code."""

    def __init__(self, padding: PositiveInt = 4):
        super().__init__(max_pixels=padding)
        self.padding = padding


@AUGMENTS.register("noise")
class Noise:
    """Add Gaussian noise of standard deviation ``std`` (in preprocessed units): X' = X + std * N(0, 1)."""

    def __init__(self, std: PositiveFloat = 0.1):
        self.std = std

    def __call__(self, X, rng):
        return X + (self.std * rng.standard_normal(X.shape)).astype(X.dtype)


class Pipeline:
    """The configured transforms in order, applied to image batches of ``image_shape``; the batch is
    returned in its own (flat or image) shape."""

    def __init__(self, specs, image_shape):
        self.transforms = [AUGMENTS.build(spec) for spec in specs]
        self.image_shape = tuple(image_shape)

    def __call__(self, X, rng):
        images = X.reshape((len(X),) + self.image_shape)
        for transform in self.transforms:
            images = transform(images, rng)
        return images.reshape(X.shape)
