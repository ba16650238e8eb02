"""Inverted dropout."""
from ..config.validation import Fraction
from .base import LAYERS, Layer


@LAYERS.register("dropout")
class Dropout(Layer):
    """Training: Y = X * M / (1 - p) with M ~ Bernoulli(1 - p) per element; evaluation: Y = X.

    Scaling at training time keeps E[Y] = X, so nothing changes at evaluation. Works on any
    shape (dense activations or conv feature maps). backward: dX = dY * M / (1 - p).
    """

    gradcheck_cases = [({"p": 0.3}, (3, 4)), ({"p": 0.0}, (5,)), ({"p": 0.5}, (4, 4, 3))]  # last: a feature map

    def __init__(self, p: Fraction = 0.5):
        super().__init__()
        self.p = p

    def _forward(self, X, training):
        if not training or self.p == 0:
            self.cache["mask"] = None
            return X
        keep = 1 - self.p
        self.cache["mask"] = (self.rng.random(X.shape, dtype=X.dtype) < keep) / X.dtype.type(keep)
        return X * self.cache["mask"]

    def _backward(self, dZ, input_gradient):
        mask = self.cache["mask"]
        return dZ if mask is None else dZ * mask
