"""Losses: ``forward(Y, Y_hat) -> float`` (mean over the batch), ``backward(Y, Y_hat) -> dL/dY_hat``.

``Y`` is one-hot for classification and the targets for regression. A loss that pairs with
an output activation (``fuses_with``) also gives ``logits_gradient``: dL/dZ for Y_hat = f(Z),
the cheap and stable fused path; it equals ``activation.backward(Z, loss.backward(Y, Y_hat))``.
"""
import functools

import numpy as np

from .config.registry import Registry

LOSSES = Registry("loss")


@functools.lru_cache(maxsize=None)
def _bounds(dtype):
    """(smallest positive, largest below 1) of a float dtype: looked up once, not every step."""
    info = np.finfo(dtype)
    return dtype.type(info.tiny), dtype.type(1 - info.epsneg)


def _clip(Y_hat):
    """Keep probabilities away from 0 and 1 so that logs and divisions stay finite."""
    low, high = _bounds(Y_hat.dtype)
    return np.minimum(np.maximum(Y_hat, low), high)  # np.clip, without its Python-level dispatch


class Loss:
    fuses_with = None

    def __call__(self, Y, Y_hat):
        return self.forward(Y, Y_hat)


@LOSSES.register("cross_entropy", "categorical_cross_entropy")
class CrossEntropy(Loss):
    """L = -(1/N) sum_n sum_k Y_nk log Y_hat_nk;  dL/dY_hat = -Y / (N Y_hat).

    Fused with softmax: dL/dZ = (Y_hat - Y) / N (rows of Y sum to 1).
    """

    fuses_with = "softmax"

    def forward(self, Y, Y_hat):
        return -float(np.vdot(Y, np.log(_clip(Y_hat)))) / Y.shape[0]

    def backward(self, Y, Y_hat):
        return -Y / _clip(Y_hat) / Y.shape[0]

    def logits_gradient(self, Y, Y_hat):
        return (Y_hat - Y) / Y_hat.dtype.type(Y.shape[0])


@LOSSES.register("binary_cross_entropy", "bce")
class BinaryCrossEntropy(Loss):
    """L = -(1/N) sum_n sum_k [Y log Y_hat + (1 - Y) log(1 - Y_hat)];

    dL/dY_hat = (Y_hat - Y) / (N Y_hat (1 - Y_hat)). Fused with sigmoid: dL/dZ = (Y_hat - Y) / N.
    """

    fuses_with = "sigmoid"

    def forward(self, Y, Y_hat):
        P = _clip(Y_hat)
        return float(-np.sum(Y * np.log(P) + (1 - Y) * np.log1p(-P)) / Y.shape[0])

    def backward(self, Y, Y_hat):
        P = _clip(Y_hat)
        return (P - Y) / (P * (1 - P)) / Y.shape[0]

    def logits_gradient(self, Y, Y_hat):
        return (Y_hat - Y) / Y_hat.dtype.type(Y.shape[0])


@LOSSES.register("mse", "l2", "mean_squared_error")
class MeanSquaredError(Loss):
    """L = (1/N) sum_n ||Y_hat_n - Y_n||^2  (for one output: the mean of squared errors);

    dL/dY_hat = 2 (Y_hat - Y) / N.
    """

    def forward(self, Y, Y_hat):
        return float(np.sum((Y_hat - Y) ** 2) / Y.shape[0])

    def backward(self, Y, Y_hat):
        return (Y_hat - Y) * (Y_hat.dtype.type(2) / Y.shape[0])


def initialize_loss(name="cross_entropy", **kwargs):
    """Build a loss from its name (or a ``{name: ..., ...}`` mapping)."""
    return LOSSES.build(name, **kwargs)
