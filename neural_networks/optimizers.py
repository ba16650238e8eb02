"""Optimizers: update parameters in place from their gradients, one ``step`` per mini-batch.

``step`` takes ``(key, parameter, gradient, decays)`` items (``NeuralNetwork.named_parameters``);
per-parameter state (momentum buffers, Adam moments) is kept under the key, so ``state_dict`` is a
flat dict of arrays. Shared by all: global gradient-norm clipping (``clip_norm``) and the course's L2
penalty ``weight_decay`` * ||W||^2 on the parameters each layer lists as weights (``decays``): it adds
2 * weight_decay * W to their gradient; biases and normalization parameters are left alone.
"""
import math
import typing

import numpy as np

from .config.registry import Registry
from .schedulers import SCHEDULERS, initialize_scheduler
from .config.validation import Fraction, NonNegativeFloat, PositiveFloat, Spec

OPTIMIZERS = Registry("optimizer")


class Optimizer:
    def __init__(self, lr, lr_scheduler=None, clip_norm=None, weight_decay=0.0):
        self.base_lr = self.lr = lr
        self.scheduler = initialize_scheduler(lr_scheduler or "constant")
        self.clip_norm, self.weight_decay = clip_norm, weight_decay
        self.state = {}
        self.work = {}  # reused temporaries by (shape, dtype): not state, never saved

    def start_epoch(self, epoch, metric=None):
        """Set ``lr`` for the epoch about to run from the scheduler."""
        self.lr = self.scheduler(self.base_lr, epoch, metric)
        return self.lr

    def step(self, items):
        items = list(items)
        if self.clip_norm is not None:
            norm = math.sqrt(sum(float(np.vdot(g, g)) for _, _, g, _ in items))
            if norm > self.clip_norm:
                items = [(k, p, g * (self.clip_norm / norm), d) for k, p, g, d in items]
        for key, param, grad, decays in items:
            if self.weight_decay and decays:
                grad = grad + (2 * self.weight_decay) * param
            self.update(key, param, grad)

    def update(self, key, param, grad):
        raise NotImplementedError

    def buffer(self, key, like):
        """The state array ``key``, created as zeros shaped like ``like`` on first use."""
        if key not in self.state:
            self.state[key] = np.zeros_like(like)
        return self.state[key]

    def scratch(self, like):
        """A work array shaped like ``like``, reused step after step instead of allocated anew."""
        key = (like.shape, like.dtype)
        if key not in self.work:
            self.work[key] = np.empty_like(like)
        return self.work[key]

    def state_dict(self):
        return {"state": self.state, "lr": self.lr, "scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, saved):
        self.state = {k: np.array(v) for k, v in saved["state"].items()}
        self.lr = saved["lr"]
        self.scheduler.load_state_dict(saved["scheduler"])


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """v <- momentum v + g;  W <- W - lr v   (Nesterov: W <- W - lr (g + momentum v)).

    With momentum 0 this is plain gradient descent, W <- W - lr g.
    """

    def __init__(self, lr: PositiveFloat = 0.01, momentum: Fraction = 0.0, nesterov: bool = False,
                 clip_norm: typing.Optional[PositiveFloat] = None, weight_decay: NonNegativeFloat = 0.0,
                 lr_scheduler: Spec(SCHEDULERS) = None):
        super().__init__(lr, lr_scheduler, clip_norm, weight_decay)
        self.momentum, self.nesterov = momentum, nesterov

    def update(self, key, param, grad):
        direction = grad
        if self.momentum:
            v = direction = self.buffer(key, param)
            v *= self.momentum
            v += grad
            if self.nesterov:
                direction = grad + self.momentum * v
        param -= np.multiply(direction, self.lr, out=self.scratch(param))  # W -= lr d, no new array


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """m <- b1 m + (1 - b1) g;  s <- b2 s + (1 - b2) g^2;
    W <- W - lr m_hat / (sqrt(s_hat) + eps), with m_hat = m / (1 - b1^t), s_hat = s / (1 - b2^t)
    (Kingma & Ba, 2015; eps added after the bias correction, as PyTorch does).
    """

    def __init__(self, lr: PositiveFloat = 0.001, beta1: Fraction = 0.9, beta2: Fraction = 0.999,
                 eps: PositiveFloat = 1e-8, clip_norm: typing.Optional[PositiveFloat] = None,
                 weight_decay: NonNegativeFloat = 0.0, lr_scheduler: Spec(SCHEDULERS) = None):
        super().__init__(lr, lr_scheduler, clip_norm, weight_decay)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def step(self, items):
        self.state["t"] = self.state.get("t", np.zeros(())) + 1
        super().step(items)

    def update(self, key, param, grad):
        t = float(self.state["t"])
        m, s = self.buffer(key + ".m", param), self.buffer(key + ".s", param)
        m *= self.beta1
        m += (1 - self.beta1) * grad
        s *= self.beta2
        s += (1 - self.beta2) * grad * grad
        # m_hat = m / bias1 and sqrt(s_hat) = sqrt(s) / bias2, with the bias corrections as Python floats
        bias1, bias2 = 1 - self.beta1 ** t, math.sqrt(1 - self.beta2 ** t)
        param -= (self.lr / bias1) * m / (np.sqrt(s) / bias2 + self.eps)


def initialize_optimizer(name="sgd", **kwargs):
    """Build an optimizer from its name (or a ``{name: ..., ...}`` mapping) and keyword arguments."""
    return OPTIMIZERS.build(name, **kwargs)
