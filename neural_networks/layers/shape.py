"""Layers that only rearrange their input."""
from .base import LAYERS, Layer


@LAYERS.register("flatten")
class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...); backward reshapes the gradient back."""

    def __init__(self):
        super().__init__()

    def _forward(self, X, training):
        self.cache["shape"] = X.shape
        return X.reshape(X.shape[0], -1)

    def _backward(self, dZ, input_gradient):
        return dZ.reshape(self.cache["shape"])
