"""Element-wise (and softmax) activation functions: ``forward(Z)`` and ``backward(Z, dY) -> dZ``.

Each backward is the exact vector-Jacobian product of its forward, correct on its own.
``gain`` is the factor weight initializers scale by (as ``torch.nn.init.calculate_gain``).
"""
import math

import numpy as np

from .config.registry import Registry
from .config.validation import NonNegativeFloat, PositiveFloat

ACTIVATIONS = Registry("activation")


class Activation:
    """Base class; ``gain`` is 1 unless the function shrinks or grows the variance."""

    gain = 1.0

    def __call__(self, Z):
        return self.forward(Z)


@ACTIVATIONS.register("linear", "identity", "none")
class Linear(Activation):
    """f(z) = z; f'(z) = 1."""

    def forward(self, Z):
        return Z

    def backward(self, Z, dY):
        return dY


@ACTIVATIONS.register("relu")
class ReLU(Activation):
    """f(z) = max(0, z); f'(z) = 1[z > 0]."""

    gain = math.sqrt(2.0)

    def forward(self, Z):
        return np.maximum(Z, 0)

    def backward(self, Z, dY):
        return dY * (Z > 0)


@ACTIVATIONS.register("leaky_relu")
class LeakyReLU(Activation):
    """f(z) = z for z > 0 else alpha z; f'(z) = 1 or alpha."""

    def __init__(self, alpha: NonNegativeFloat = 0.01):
        self.alpha = alpha
        self.gain = math.sqrt(2.0) / math.hypot(1.0, alpha)  # sqrt(2 / (1 + alpha^2)), no overflow

    def forward(self, Z):
        return np.where(Z > 0, Z, Z * Z.dtype.type(self.alpha))

    def backward(self, Z, dY):
        return np.where(Z > 0, dY, dY * dY.dtype.type(self.alpha))


@ACTIVATIONS.register("elu")
class ELU(Activation):
    """f(z) = z for z > 0 else alpha (e^z - 1); f'(z) = 1 or alpha e^z."""

    def __init__(self, alpha: PositiveFloat = 1.0):
        self.alpha = alpha

    def forward(self, Z):
        return np.where(Z > 0, Z, self.alpha * np.expm1(np.minimum(Z, 0)))

    def backward(self, Z, dY):
        return np.where(Z > 0, dY, dY * (self.alpha * np.exp(np.minimum(Z, 0))))


@ACTIVATIONS.register("sigmoid", "logistic")
class Sigmoid(Activation):
    """f(z) = 1 / (1 + e^-z), computed without overflow for large |z|; f'(z) = f(z)(1 - f(z))."""

    def forward(self, Z):
        E = np.exp(-np.abs(Z))  # in (0, 1]: never overflows
        return np.where(Z >= 0, 1 / (1 + E), E / (1 + E))

    def backward(self, Z, dY):
        S = self.forward(Z)
        return dY * S * (1 - S)


@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    """f(z) = tanh z; f'(z) = 1 - tanh^2 z."""

    gain = 5.0 / 3

    def forward(self, Z):
        return np.tanh(Z)

    def backward(self, Z, dY):
        return dY * (1 - np.tanh(Z) ** 2)


@ACTIVATIONS.register("gelu")
class GELU(Activation):
    """f(z) = z Phi(z) with the tanh approximation of the normal CDF Phi (as BERT/GPT)."""

    _C = math.sqrt(2 / math.pi)

    def _tanh(self, Z):
        """(U, T): T = tanh(C (U + 0.044715 U^3)) with U = Z clipped to [-10, 10], where T is
        already exactly +-1, so that U^3 cannot overflow for huge |Z|."""
        U = np.clip(Z, -10, 10)
        return U, np.tanh(self._C * (U + 0.044715 * U ** 3))

    def forward(self, Z):
        return 0.5 * Z * (1 + self._tanh(Z)[1])

    def backward(self, Z, dY):
        U, T = self._tanh(Z)
        dT = (1 - T ** 2) * self._C * (1 + 3 * 0.044715 * U ** 2)
        return dY * (0.5 * (1 + T) + 0.5 * Z * dT)


@ACTIVATIONS.register("softmax")
class Softmax(Activation):
    """f(z)_i = e^{z_i - max z} / sum_j e^{z_j - max z} over the last axis.

    backward is the full Jacobian-vector product: dZ = S * (dY - sum(dY * S)).
    """

    def forward(self, Z):
        E = np.exp(Z - Z.max(axis=-1, keepdims=True))
        E /= E.sum(axis=-1, keepdims=True)
        return E

    def backward(self, Z, dY):
        S = self.forward(Z)
        return S * (dY - (dY * S).sum(axis=-1, keepdims=True))


def initialize_activation(name=None, **kwargs):
    """Build an activation from its name (or a ``{name: ..., ...}`` mapping); None means linear."""
    return ACTIVATIONS.build(name if name is not None else "linear", **kwargs)
