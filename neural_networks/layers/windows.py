"""Sliding-window geometry shared by convolution and pooling (channels last).

An input (batch, *spatial, channels) is zero-padded to ``padded``; the kernel tap ``t`` (offset
``i * dilation`` per axis) then sees the strided slice ``tap_slices[t]`` of the padded input, one
element per output position:  out = (padded - dilation (kernel - 1) - 1) // stride + 1.
"""
import itertools
import math
import typing

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..config.validation import NonNegativeInt, PositiveInt
from .base import ShapeError

Pair = typing.Union[PositiveInt, typing.Tuple[PositiveInt, PositiveInt]]
Padding = typing.Literal["same", "valid"]
Pad1 = typing.Union[Padding, NonNegativeInt]
Pad2 = typing.Union[Padding, NonNegativeInt, typing.Tuple[NonNegativeInt, NonNegativeInt]]


def per_axis(value, ndim):
    """An int (the same on every spatial axis) or one value per axis -> a tuple of ``ndim`` ints."""
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * ndim


def spatial_shape(X, ndim, name):
    """The ``ndim`` spatial sizes of a channels-last batch X (batch, *spatial, channels)."""
    if X.ndim != ndim + 2:
        axes = ["(batch, length, channels)", "(batch, rows, columns, channels)"][ndim - 1]
        raise ShapeError(f"{name} takes inputs {axes}, not an array of shape {list(X.shape)}")
    return X.shape[1:-1]


def padding(pad, size, kernel, stride, dilation):
    """(before, after) zeros on one axis: ``valid`` none, an int on both sides, ``same`` enough
    for ceil(size / stride) outputs (the odd one after, as TensorFlow), a (before, after) pair as given."""
    if isinstance(pad, tuple):
        return pad
    if pad == "valid":
        return 0, 0
    if pad == "same":
        total = max((math.ceil(size / stride) - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
        return total // 2, total - total // 2
    return pad, pad


class Windows:
    """The windows of a kernel over spatial ``shape``: padding, output shape and each tap's slice."""

    def __init__(self, shape, kernel, stride, dilation, pad):
        ndim = len(shape)
        self.kernel, self.stride, self.dilation = (per_axis(v, ndim) for v in (kernel, stride, dilation))
        self.pads = [padding(*args)
                     for args in zip(per_axis(pad, ndim), shape, self.kernel, self.stride, self.dilation)]
        self.padded = tuple(n + b + a for n, (b, a) in zip(shape, self.pads))
        self.out = tuple((p - d * (k - 1) - 1) // s + 1
                         for p, k, s, d in zip(self.padded, self.kernel, self.stride, self.dilation))
        if min(self.out) < 1:  # building the model names the input shape it came from
            raise ShapeError(f"a kernel of {list(self.kernel)} (dilation {list(self.dilation)}) does not fit "
                             f"an input of {list(shape)} padded to {list(self.padded)}")
        self.unpadded = not any(b or a for b, a in self.pads)
        self.disjoint = all(s > d * (k - 1) for k, s, d in zip(self.kernel, self.stride, self.dilation))  # no overlap
        self.interior = (slice(None),) + tuple(slice(b, b + n) for n, (b, _) in zip(shape, self.pads))
        self.tap_slices = [
            (slice(None),) + tuple(slice(i * d, i * d + (o - 1) * s + 1, s)
                                   for i, d, o, s in zip(tap, self.dilation, self.out, self.stride))
            for tap in itertools.product(*(range(k) for k in self.kernel))]

    @property
    def n_taps(self):
        return len(self.tap_slices)

    def pad(self, X, value=0, out=None):
        """X (batch, *shape, C) inside a (batch, *padded, C) array filled with ``value``: a new one, or
        ``out`` whose border already holds ``value`` (a reused buffer: only the interior is written)."""
        if self.unpadded:
            return X
        Xp = np.full((X.shape[0],) + self.padded + X.shape[-1:], value, dtype=X.dtype) if out is None else out
        Xp[self.interior] = X
        return Xp

    def crop(self, Xp):
        """The inverse of ``pad``: the interior of a padded (batch, *padded, ...) array."""
        return Xp[self.interior]

    def columns(self, Xp, out=None):
        """im2col: (batch * prod(out), taps * C), row r holding the window of output position r, taps
        in row-major kernel order with channels innermost (one copy, from a strided view, into ``out``
        when given)."""
        ndim = len(self.kernel)
        spatial = tuple(range(1, ndim + 1))
        extent = tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))
        view = sliding_window_view(Xp, extent, axis=spatial)  # (batch, *positions, C, *extent)
        view = view[(slice(None),) + tuple(slice(None, None, s) for s in self.stride) + (slice(None),)
                    + tuple(slice(None, None, d) for d in self.dilation)]
        view = view.transpose((0,) + spatial + tuple(range(ndim + 2, 2 * ndim + 2)) + (ndim + 1,))
        if out is None:
            return view.reshape(-1, self.n_taps * Xp.shape[-1])
        np.copyto(out.reshape(view.shape), view)
        return out

    def full(self):
        """The windows of a stride-1 convolution's input gradient, a 'full' correlation: with kernel
        taps t = 0..k-1 on an axis and dZ zero-padded by d (k - 1) - before in front,

            dX[y] = sum_t dZ[y + before - t d] W[t] = sum_r dZ_padded[y + r d] W[k - 1 - r],

        the forward windows of the padded output grid (d (k - 1) - after zeros behind) over the input
        grid, with the kernel flipped. None where a stride is not 1 or a pad reaches past the kernel."""
        pads = tuple((d * (k - 1) - b, d * (k - 1) - a)
                     for k, d, (b, a) in zip(self.kernel, self.dilation, self.pads))
        if any(s != 1 for s in self.stride) or min(v for pair in pads for v in pair) < 0:
            return None
        return Windows(self.out, self.kernel, 1, self.dilation, pads)

    def add_taps(self, per_tap):
        """col2im on channels-first data: sum ``per_tap[t]`` (C, batch, *out) into the tap's slice of a
        zero (C, batch, *padded) array; return the cropped sum channels last, (batch, *shape, C)."""
        total = np.zeros(per_tap.shape[1:3] + self.padded, dtype=per_tap.dtype)
        for tap, where in zip(per_tap, self.tap_slices):
            total[(slice(None),) + where] += tap
        return np.ascontiguousarray(np.moveaxis(total[(slice(None),) + self.interior], 0, -1))
