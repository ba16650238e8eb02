"""Learning-rate schedulers: ``scheduler(base_lr, epoch, metric) -> lr`` for the epoch about to run.

``epoch`` counts from 0; ``metric`` is the last validation loss (None before the first epoch).
Only ``reduce_on_plateau`` keeps state, which ``state_dict``/``load_state_dict`` carry for resuming.
"""
import math
import typing

from .config.registry import Registry
from .config.validation import Interval, NonNegativeFloat, NonNegativeInt, PositiveInt

SCHEDULERS = Registry("lr scheduler")
# A factor the lr is multiplied by: it shrinks the lr (or, at 1, keeps it), never grows it without bound.
Shrink = typing.Annotated[float, Interval(0, 1, open_low=True)]


class Scheduler:
    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


@SCHEDULERS.register("constant", "none")
class Constant(Scheduler):
    """lr = base_lr."""

    def __call__(self, base_lr, epoch, metric=None):
        return base_lr


@SCHEDULERS.register("exponential")
class Exponential(Scheduler):
    """lr = base_lr * decay^(epoch / stage_length), the exponent floored when ``staircase``."""

    def __init__(self, decay: Shrink = 0.95,
                 stage_length: PositiveInt = 1, staircase: bool = False):
        self.decay, self.stage_length, self.staircase = decay, stage_length, staircase

    def __call__(self, base_lr, epoch, metric=None):
        stage = epoch / self.stage_length
        return base_lr * self.decay ** (math.floor(stage) if self.staircase else stage)


@SCHEDULERS.register("step")
class Step(Scheduler):
    """lr = base_lr * gamma^floor(epoch / step_size)."""

    def __init__(self, step_size: PositiveInt = 30, gamma: Shrink = 0.1):
        self.step_size, self.gamma = step_size, gamma

    def __call__(self, base_lr, epoch, metric=None):
        return base_lr * self.gamma ** (epoch // self.step_size)


@SCHEDULERS.register("cosine")
class Cosine(Scheduler):
    """lr = min_lr + (base_lr - min_lr) (1 + cos(pi t / period)) / 2, t = epoch mod period.

    ``period`` defaults to the run's number of epochs (set by the trainer).
    """

    def __init__(self, period: typing.Optional[PositiveInt] = None, min_lr: NonNegativeFloat = 0.0):
        self.period, self.min_lr = period, min_lr

    def __call__(self, base_lr, epoch, metric=None):
        t = epoch % self.period if self.period else 0
        return self.min_lr + (base_lr - self.min_lr) * (1 + math.cos(math.pi * t / (self.period or 1))) / 2


@SCHEDULERS.register("reduce_on_plateau", "plateau")
class ReduceOnPlateau(Scheduler):
    """Multiply the lr by ``factor`` once the metric has not improved for ``patience`` epochs."""

    def __init__(self, factor: typing.Annotated[float, Interval(0, 1, open_low=True, open_high=True)] = 0.1,
                 patience: NonNegativeInt = 10, min_delta: NonNegativeFloat = 0.0,
                 min_lr: NonNegativeFloat = 0.0):
        self.factor, self.patience, self.min_delta, self.min_lr = factor, patience, min_delta, min_lr
        self.best, self.bad_epochs, self.scale = math.inf, 0, 1.0

    def __call__(self, base_lr, epoch, metric=None):
        if metric is not None:
            if metric < self.best - self.min_delta:
                self.best, self.bad_epochs = metric, 0
            else:
                self.bad_epochs += 1
                if self.bad_epochs > self.patience:
                    self.scale *= self.factor
                    self.bad_epochs = 0
        return max(base_lr * self.scale, self.min_lr)

    def state_dict(self):
        return {"best": self.best, "bad_epochs": self.bad_epochs, "scale": self.scale}

    def load_state_dict(self, state):
        self.best, self.bad_epochs, self.scale = state["best"], state["bad_epochs"], state["scale"]


def initialize_scheduler(name="constant", **kwargs):
    """Build a learning-rate scheduler from its name (or a ``{name: ..., ...}`` mapping)."""
    return SCHEDULERS.build(name, **kwargs)
