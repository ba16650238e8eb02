"""Weight initializers: ``init(shape, fan_in, fan_out, gain, rng, dtype) -> array``.

Layers pass the fans of their kernels (receptive field x channels for convolutions)
and the gain of their activation, so ``he_*`` on a ReLU layer gives Var(W) = 2 / fan_in.
"""
import math

import numpy as np

from .config.registry import Registry
from .config.validation import Fraction, PositiveFloat, check_range

WEIGHTS = Registry("weight initializer")


class Initializer:
    def __call__(self, shape, fan_in, fan_out, gain=1.0, rng=None, dtype=np.float32):
        rng = rng if rng is not None else np.random.default_rng()
        return np.asarray(self.sample(shape, fan_in, fan_out, gain, rng), dtype=dtype)


@WEIGHTS.register("zeros")
class Zeros(Initializer):
    """W = 0."""

    def sample(self, shape, fan_in, fan_out, gain, rng):
        return np.zeros(shape)


@WEIGHTS.register("ones")
class Ones(Initializer):
    """W = 1."""

    def sample(self, shape, fan_in, fan_out, gain, rng):
        return np.ones(shape)


@WEIGHTS.register("constant")
class Constant(Initializer):
    """W = value."""

    def __init__(self, value: float = 0.0):
        self.value = value

    def sample(self, shape, fan_in, fan_out, gain, rng):
        return np.full(shape, self.value)


@WEIGHTS.register("uniform")
class Uniform(Initializer):
    """W ~ U(low, high)."""

    def __init__(self, low: float = -0.05, high: float = 0.05):
        check_range(low, high)
        self.low, self.high = low, high

    def sample(self, shape, fan_in, fan_out, gain, rng):
        return rng.uniform(self.low, self.high, size=shape)


@WEIGHTS.register("normal")
class Normal(Initializer):
    """W ~ N(mean, std^2)."""

    def __init__(self, mean: float = 0.0, std: PositiveFloat = 0.01):
        self.mean, self.std = mean, std

    def sample(self, shape, fan_in, fan_out, gain, rng):
        return rng.normal(self.mean, self.std, size=shape)


@WEIGHTS.register("identity", "eye")
class Identity(Initializer):
    """W = gain * I for a 2-D weight (rectangular: ones on the main diagonal)."""

    def sample(self, shape, fan_in, fan_out, gain, rng):
        W = np.zeros(shape)
        if len(shape) == 2:
            np.fill_diagonal(W, gain)
        else:  # convolution kernel: pass channel c to channel c at the centre tap
            centre = tuple(k // 2 for k in shape[:-2])
            channels = min(shape[-2:])
            W[centre + (np.arange(channels), np.arange(channels))] = gain
        return W


@WEIGHTS.register("sparse")
class Sparse(Initializer):
    """N(0, std^2) with a ``sparsity`` fraction of each output unit's inputs set to zero."""

    def __init__(self, sparsity: Fraction = 0.9, std: PositiveFloat = 0.01):
        self.sparsity, self.std = sparsity, std

    def sample(self, shape, fan_in, fan_out, gain, rng):
        W = rng.normal(0.0, self.std, size=shape).reshape(-1, shape[-1])
        n_zero = int(math.ceil(self.sparsity * W.shape[0]))
        zero_rows = np.argsort(rng.random(W.shape), axis=0)[:n_zero]  # a random subset per column
        np.put_along_axis(W, zero_rows, 0.0, axis=0)
        return W.reshape(shape)


@WEIGHTS.register("xavier_uniform", "glorot_uniform")
class XavierUniform(Initializer):
    """W ~ U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))  (Glorot & Bengio, 2010)."""

    def sample(self, shape, fan_in, fan_out, gain, rng):
        a = gain * math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, size=shape)


@WEIGHTS.register("xavier_normal", "glorot_normal")
class XavierNormal(Initializer):
    """W ~ N(0, s^2), s = gain sqrt(2 / (fan_in + fan_out))."""

    def sample(self, shape, fan_in, fan_out, gain, rng):
        return rng.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


@WEIGHTS.register("he_uniform", "kaiming_uniform")
class HeUniform(Initializer):
    """W ~ U(-a, a), a = gain sqrt(3 / fan_in)  (He et al., 2015; gain sqrt 2 for ReLU)."""

    def sample(self, shape, fan_in, fan_out, gain, rng):
        a = gain * math.sqrt(3.0 / fan_in)
        return rng.uniform(-a, a, size=shape)


@WEIGHTS.register("he_normal", "kaiming_normal")
class HeNormal(Initializer):
    """W ~ N(0, s^2), s = gain / sqrt(fan_in)."""

    def sample(self, shape, fan_in, fan_out, gain, rng):
        return rng.normal(0.0, gain / math.sqrt(fan_in), size=shape)


def initialize_weights(name="xavier_uniform", **kwargs):
    """Build a weight initializer from its name (or a ``{name: ..., ...}`` mapping)."""
    return WEIGHTS.build(name, **kwargs)
