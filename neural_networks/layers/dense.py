"""Fully connected (affine) layer."""
import typing

import numpy as np

from ..activations import ACTIVATIONS
from ..config.errors import ConfigError
from ..config.validation import PositiveInt, Spec
from ..weights import WEIGHTS
from .base import LAYERS, Layer


@LAYERS.register("fully_connected", "dense", "linear_layer")
class FullyConnected(Layer):
    """Y = f(X W + b).  X (batch, ..., n_in), W (n_in, n_out), b (1, n_out).

    Backward, with dZ = dL/dZ flattened to (rows, n_out) and X to (rows, n_in):
    dW = X^T dZ,  db = 1^T dZ,  dX = dZ W^T.
    ``n_out`` may be left out for the last layer: the model sets it from the data.
    """

    decayed = ("W",)
    gradcheck_cases = [({"n_out": 3}, (4,)),
                       ({"n_out": 2, "activation": "tanh", "weight_init": "he_normal"}, (3, 5))]

    def __init__(self, n_out: typing.Optional[PositiveInt] = None,
                 activation: Spec(ACTIVATIONS) = None, weight_init: Spec(WEIGHTS) = "xavier_uniform"):
        super().__init__(activation, weight_init)
        self.n_out = n_out

    def init_parameters(self, input_shape, dtype):
        if self.n_out is None:
            raise ConfigError("missing: only the last layer may leave out n_out", "n_out")
        n_in = input_shape[-1]
        return {"W": self.init_weight((n_in, self.n_out), n_in, self.n_out, dtype),
                "b": np.zeros((1, self.n_out), dtype=dtype)}

    def _forward(self, X, training):
        self.cache["X"] = X
        Z = X @ self.parameters["W"]
        Z += self.parameters["b"]
        return Z

    def _backward(self, dZ, input_gradient):
        X, W = self.cache["X"], self.parameters["W"]
        dZ2 = dZ.reshape(-1, W.shape[1])
        np.matmul(X.reshape(-1, W.shape[0]).T, dZ2, out=self.gradients["W"])
        dZ2.sum(axis=0, keepdims=True, out=self.gradients["b"])
        return dZ @ W.T if input_gradient else None
