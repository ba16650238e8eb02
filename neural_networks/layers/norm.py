"""Batch normalization over the last (feature or channel) axis."""
import numpy as np

from ..config.validation import Fraction, PositiveFloat
from .base import LAYERS, Layer


@LAYERS.register("batchnorm", "batch_norm", "batch_normalization")
class BatchNorm(Layer):
    """Y = gamma X_hat + beta,  X_hat = (X - mu) / sqrt(var + epsilon), per feature (the last axis).

    Training: mu, var are the mean and (biased) variance over every other axis (the batch, and the
    positions of a conv feature map), and the buffers follow them:
    running = momentum running + (1 - momentum) batch (the variance unbiased, as PyTorch).
    Evaluation: mu, var are the running buffers. Backward in training, with m values per feature:
    dX = gamma / (m sqrt(var + eps)) (m dY - sum dY - X_hat sum(dY X_hat)),  dgamma = sum dY X_hat,
    dbeta = sum dY.
    """

    gradcheck_cases = [({}, (4,)), ({"momentum": 0.5, "epsilon": 1e-3}, (3, 3, 2)), ({}, (5, 3))]

    def __init__(self, momentum: Fraction = 0.9, epsilon: PositiveFloat = 1e-5):
        super().__init__()
        self.momentum, self.epsilon = momentum, epsilon

    def init_parameters(self, input_shape, dtype):
        n = input_shape[-1]
        return {"gamma": np.ones((1, n), dtype=dtype), "beta": np.zeros((1, n), dtype=dtype)}

    def build(self, input_shape, dtype):
        super().build(input_shape, dtype)
        n = input_shape[-1]
        self.buffers = {"running_mean": np.zeros((1, n), dtype=dtype), "running_var": np.ones((1, n), dtype=dtype)}

    def _forward(self, X, training):
        X2 = X.reshape(-1, X.shape[-1])
        if training:  # per-feature sums as products: column_sums, and einsum for the squares
            m, keep = len(X2), X.dtype.type(self.momentum)
            mean = self.column_sums(X2) / X.dtype.type(m)
            X_hat = X2 - mean
            var = np.einsum("ij,ij->j", X_hat, X_hat)[None] / X.dtype.type(m)
            self.buffers["running_mean"][...] = keep * self.buffers["running_mean"] + (1 - keep) * mean
            self.buffers["running_var"][...] = (keep * self.buffers["running_var"]
                                                + (1 - keep) * var * X.dtype.type(m / max(m - 1, 1)))
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
            X_hat = X2 - mean
        inv_std = 1 / np.sqrt(var + X.dtype.type(self.epsilon))
        X_hat *= inv_std
        self.cache.update(X_hat=X_hat, inv_std=inv_std, training=training)
        Y = X_hat * self.parameters["gamma"]
        Y += self.parameters["beta"]
        return Y.reshape(X.shape)

    def _backward(self, dZ, input_gradient):
        X_hat, inv_std = self.cache["X_hat"], self.cache["inv_std"]
        dY = dZ.reshape(X_hat.shape)
        np.einsum("ij,ij->j", dY, X_hat, out=self.gradients["gamma"][0], casting="same_kind")
        self.column_sums(dY, out=self.gradients["beta"])
        scale = self.parameters["gamma"] * inv_std
        if not self.cache["training"]:  # fixed statistics: an affine map
            return (dY * scale).reshape(dZ.shape)
        m = dY.dtype.type(len(dY))  # dX = scale (dY - (dbeta + X_hat dgamma) / m), in place on one array
        dX = X_hat * (-self.gradients["gamma"] / m)
        dX += dY
        dX -= self.gradients["beta"] / m
        dX *= scale
        return dX.reshape(dZ.shape)
