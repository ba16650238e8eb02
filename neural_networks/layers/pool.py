"""Max and average pooling over channels-last inputs, one vectorized step per kernel tap."""
import typing

import numpy as np

from ..config.validation import PositiveInt
from .base import LAYERS, Layer
from .windows import Pad1, Pad2, Pair, Windows, spatial_shape

Mode = typing.Literal["max", "average"]


class Pooling(Layer):
    """Y[n, p, c] = max_t or mean_t Xp[n, p * stride + t, c] over the kernel taps t of each window.

    max: the gradient goes to the first largest element of each window (dX = dY there, 0 elsewhere);
    average: every element of a window gets dY / taps. Padding adds -inf (max) or zeros that count
    in the mean (average, as PyTorch's default). ``stride`` defaults to the kernel (no overlap).
    """

    ndim = None  # spatial axes, set by the subclasses

    def __init__(self, kernel_shape, stride, mode, pad):
        super().__init__()
        self.kernel, self.stride, self.mode, self.pad = kernel_shape, stride or kernel_shape, mode, pad

    def _forward(self, X, training):
        windows = Windows(spatial_shape(X, self.ndim, self.name), self.kernel, self.stride, 1, self.pad)
        Xp = windows.pad(X, -np.inf if self.mode == "max" else 0)
        taps = [Xp[where] for where in windows.tap_slices]
        self.cache.update(windows=windows, shape=Xp.shape)
        if self.mode == "average":
            return sum(taps) / X.dtype.type(windows.n_taps)
        Y = taps[0].copy()
        index = np.min_scalar_type(windows.n_taps).type
        argmax = np.zeros(Y.shape, dtype=index)
        for t, tap in enumerate(taps[1:], start=1):  # t grows, so the last strictly larger tap wins
            larger = tap > Y
            np.maximum(Y, tap, out=Y)
            np.maximum(argmax, larger.view(np.uint8) * index(t), out=argmax)
        self.cache["argmax"] = argmax
        return Y

    def _backward(self, dZ, input_gradient):
        """dXp[tap t of each window] += dZ * factor_t, factor_t = 1[argmax = t] (max) or 1 / taps (average);
        where no two windows overlap, each element gets one term, written in place without a sum."""
        windows = self.cache["windows"]
        dXp = np.zeros(self.cache["shape"], dtype=dZ.dtype)
        for t, where in enumerate(windows.tap_slices):
            factor = self.cache["argmax"] == t if self.mode == "max" else dZ.dtype.type(1 / windows.n_taps)
            if windows.disjoint:
                np.multiply(dZ, factor, out=dXp[where])
            else:
                dXp[where] += dZ * factor
        return windows.crop(dXp)


@LAYERS.register("pool2d", "pooling_2d")
class Pool2D(Pooling):
    """2-D pooling: X (batch, rows, cols, channels) -> (batch, out_rows, out_cols, channels)."""

    ndim = 2
    gradcheck_cases = [
        ({"kernel_shape": 2, "mode": "max"}, (4, 6, 2)),
        ({"kernel_shape": 3, "stride": 1, "mode": "max", "pad": "same"}, (4, 5, 2)),
        ({"kernel_shape": [2, 3], "stride": [1, 2], "mode": "average", "pad": 1}, (5, 5, 2)),
        ({"kernel_shape": 2, "mode": "average"}, (4, 4, 3)),
    ]

    def __init__(self, kernel_shape: Pair = 2, stride: typing.Optional[Pair] = None, mode: Mode = "max",
                 pad: Pad2 = "valid"):
        super().__init__(kernel_shape, stride, mode, pad)


@LAYERS.register("pool1d", "pooling_1d")
class Pool1D(Pooling):
    """1-D pooling: X (batch, length, channels) -> (batch, out_length, channels)."""

    ndim = 1
    gradcheck_cases = [
        ({"kernel_shape": 2, "mode": "max"}, (6, 2)),
        ({"kernel_shape": 3, "stride": 2, "mode": "average", "pad": "same"}, (7, 2)),
        ({"kernel_shape": 3, "stride": 1, "mode": "max", "pad": 1}, (5, 3)),
    ]

    def __init__(self, kernel_shape: PositiveInt = 2, stride: typing.Optional[PositiveInt] = None,
                 mode: Mode = "max", pad: Pad1 = "valid"):
        super().__init__(kernel_shape, stride, mode, pad)


@LAYERS.register("global_average_pool", "global_average_pooling")
class GlobalAveragePool(Layer):
    """Y[n, c] = mean over every spatial position p of X[n, p, c];  dX[n, p, c] = dY[n, c] / positions."""

    gradcheck_cases = [({}, (3, 4, 2)), ({}, (5, 3))]

    def __init__(self):
        super().__init__()

    def _forward(self, X, training):
        self.cache["shape"] = X.shape
        return X.mean(axis=tuple(range(1, X.ndim - 1)))

    def _backward(self, dZ, input_gradient):
        shape = self.cache["shape"]
        positions = dZ.dtype.type(np.prod(shape[1:-1]))
        spread = (dZ / positions).reshape((shape[0],) + (1,) * (len(shape) - 2) + shape[-1:])
        return np.broadcast_to(spread, shape).copy()
