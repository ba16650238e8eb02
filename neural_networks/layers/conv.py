"""Convolutions over channels-last inputs, as one matrix product (im2col)."""
import numpy as np

from ..activations import ACTIVATIONS
from ..config.validation import PositiveInt, Spec
from ..weights import WEIGHTS
from .base import LAYERS, Layer
from .windows import Pad1, Pad2, Pair, Windows, per_axis, spatial_shape


CHUNK_ROWS = 4096  # input positions per chunk of the stride-1 input gradient: its columns stay in cache


class Convolution(Layer):
    """Z[n, p, o] = b[o] + sum_{t, c} Xp[n, p * stride + t * dilation, c] W[t, c, o]  (cross-correlation,
    as ``torch.conv2d``), Xp the zero-padded input, p an output position, t a kernel tap.

    With the windows as rows, cols (N P, T C) and W as (T C, O):  Z = cols W + b, and backward
    dW = cols^T dZ,  db = 1^T dZ,  dX = col2im(dZ W^T)  (each tap's rows added back where they came from).
    With stride 1, dX is a product of the same kind instead, the 'full' correlation of ``Windows.full``:
    dX = cols(dZ padded) W_flipped, W_flipped (T O, C) the kernel reversed on every spatial axis, taken
    CHUNK_ROWS positions at a time. While training, the padded input and the columns are written into
    buffers the layer keeps from step to step.
    """

    ndim = None  # spatial axes, set by the subclasses
    decayed = ("W",)

    def __init__(self, n_out, kernel_shape, stride, pad, dilation, activation, weight_init):
        super().__init__(activation, weight_init)
        self.n_out, self.pad = n_out, pad
        self.kernel, self.stride, self.dilation = (per_axis(v, self.ndim)
                                                   for v in (kernel_shape, stride, dilation))

    def init_parameters(self, input_shape, dtype):
        taps, n_in = int(np.prod(self.kernel)), input_shape[-1]
        W = self.init_weight(self.kernel + (n_in, self.n_out), taps * n_in, taps * self.n_out, dtype)
        return {"W": W, "b": np.zeros((1, self.n_out), dtype=dtype)}

    def _forward(self, X, training):
        windows = Windows(spatial_shape(X, self.ndim, self.name), self.kernel, self.stride, self.dilation, self.pad)
        cols = self._columns(windows, X, "X") if training else windows.columns(windows.pad(X))
        self.cache.update(windows=windows, cols=cols)
        Z = cols @ self.parameters["W"].reshape(cols.shape[1], self.n_out)
        Z += self.parameters["b"]
        return Z.reshape((X.shape[0],) + windows.out + (self.n_out,))

    def _backward(self, dZ, input_gradient):
        windows, cols, W = self.cache["windows"], self.cache["cols"], self.parameters["W"]
        dZ2 = dZ.reshape(-1, self.n_out)
        np.matmul(cols.T, dZ2, out=self.gradients["W"].reshape(cols.shape[1], self.n_out))
        self.column_sums(dZ2, out=self.gradients["b"])
        if not input_gradient:  # the first layer: nothing consumes dL/dX
            return None
        n_in, full = W.shape[-2], windows.full()
        if full is None:  # (T C, O) (O, N P): every tap's input gradient, channels first so col2im adds long rows
            per_tap = W.reshape(-1, self.n_out) @ dZ2.T
            return windows.add_taps(per_tap.reshape((windows.n_taps, n_in, len(dZ)) + windows.out))
        flipped = np.swapaxes(W[(slice(None, None, -1),) * self.ndim], -1, -2).reshape(-1, n_in)
        dX = np.empty((len(dZ),) + full.out + (n_in,), np.result_type(dZ, W))
        step = max(1, CHUNK_ROWS // int(np.prod(full.out)))
        for start in range(0, len(dZ), step):
            rows = slice(start, start + step)
            np.matmul(self._columns(full, dZ[rows], "dZ"), flipped, out=dX[rows].reshape(-1, n_in))
        return dX

    def _columns(self, windows, X, name):
        """im2col of X, padded and laid out in buffers the layer keeps (named after ``name``)."""
        n, channels = len(X), X.shape[-1]
        if not windows.unpadded:
            X = windows.pad(X, out=self._buffer(name + " padded", (n,) + windows.padded + (channels,), X.dtype))
        rows = n * int(np.prod(windows.out))
        return windows.columns(X, out=self._buffer(name + " columns", (rows, windows.n_taps * channels), X.dtype))

    def _buffer(self, name, shape, dtype):
        """A work array of ``shape`` kept in the cache (zeros when made, then as the last use left it),
        made again only for another dtype, other sizes or more rows than it has."""
        kept = self.cache.get(name)
        if kept is None or kept.dtype != dtype or kept.shape[1:] != shape[1:] or len(kept) < shape[0]:
            kept = self.cache[name] = np.zeros(shape, dtype)
        return kept[:shape[0]]


@LAYERS.register("conv2d", "convolution_2d")
class Conv2D(Convolution):
    """2-D convolution. X (batch, rows, cols, in_channels) -> (batch, out_rows, out_cols, n_out);
    W (kernel_rows, kernel_cols, in_channels, n_out), b (1, n_out).

    ``pad``: ``same`` (output rows = ceil(rows / stride)), ``valid`` (none), or zeros on both sides
    (an int, or a pair for rows and columns). Weight fans: fan_in = kernel area x in_channels,
    fan_out = kernel area x n_out.
    """

    ndim = 2
    gradcheck_cases = [
        ({"n_out": 3, "kernel_shape": 3}, (5, 5, 2)),
        ({"n_out": 2, "kernel_shape": [2, 3], "stride": 2, "pad": "valid"}, (6, 7, 2)),
        ({"n_out": 2, "kernel_shape": 3, "stride": [2, 1], "pad": [1, 2], "dilation": 2,
          "activation": "tanh"}, (6, 5, 3)),
        ({"n_out": 2, "kernel_shape": 2, "stride": 3, "pad": "same", "weight_init": "he_normal"}, (7, 5, 1)),
    ]

    def __init__(self, n_out: PositiveInt, kernel_shape: Pair = 3, stride: Pair = 1, pad: Pad2 = "same",
                 dilation: Pair = 1, activation: Spec(ACTIVATIONS) = None,
                 weight_init: Spec(WEIGHTS) = "xavier_uniform"):
        super().__init__(n_out, kernel_shape, stride, pad, dilation, activation, weight_init)


@LAYERS.register("conv1d", "convolution_1d")
class Conv1D(Convolution):
    """1-D convolution. X (batch, length, in_channels) -> (batch, out_length, n_out);
    W (kernel_length, in_channels, n_out), b (1, n_out).

    The course's Conv1d(kernel_size=a, pad_length=p) on one channel is
    ``{name: conv1d, n_out: 1, kernel_shape: 2a + 1, pad: p}`` on (batch, length, 1).
    """

    ndim = 1
    gradcheck_cases = [
        ({"n_out": 1, "kernel_shape": 5, "pad": 3}, (8, 1)),
        ({"n_out": 3, "kernel_shape": 3, "stride": 2, "pad": "same", "activation": "tanh"}, (7, 2)),
        ({"n_out": 2, "kernel_shape": 2, "dilation": 3, "pad": "valid"}, (9, 2)),
    ]

    def __init__(self, n_out: PositiveInt, kernel_shape: PositiveInt = 3, stride: PositiveInt = 1,
                 pad: Pad1 = "same", dilation: PositiveInt = 1, activation: Spec(ACTIVATIONS) = None,
                 weight_init: Spec(WEIGHTS) = "xavier_uniform"):
        super().__init__(n_out, kernel_shape, stride, pad, dilation, activation, weight_init)
