"""Callbacks: everything that happens around the training loop, one small object per concern.

The :class:`~neural_networks.trainer.Trainer` calls, in list order, each callback's hooks:

- ``on_train_begin(trainer)`` once, before the first epoch (also on a resumed run);
- ``on_epoch_begin(trainer, epoch)`` before each epoch's batches;
- ``on_batch_end(trainer, batch)`` after each optimizer step, ``batch`` a dict with ``index``,
  ``batches`` (per epoch), ``size`` and ``loss``; the layers' ``gradients`` are still those of the step;
- ``on_epoch_end(trainer, row)`` after each epoch, ``row`` the metrics just appended to ``trainer.history``;
- ``on_train_end(trainer)`` once, after the last epoch.

A callback that carries state across epochs (the best weights, early stopping's counter) returns it
from ``state_dict`` so that checkpoints, and a resumed run, continue exactly where they stopped.
Setting ``trainer.stop_training = True`` ends training after the current epoch.
"""
import math
import shutil
import sys

import numpy as np


class Callback:
    """The hooks, all doing nothing; subclasses override the ones they need."""

    key = None  # the name its state is saved under in a checkpoint; None: a callback without state

    def on_train_begin(self, trainer):
        pass

    def on_epoch_begin(self, trainer, epoch):
        pass

    def on_batch_end(self, trainer, batch):
        pass

    def on_epoch_end(self, trainer, row):
        pass

    def on_train_end(self, trainer):
        pass

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


def monitored(metric, data):
    """The metric epochs are judged by: ``metric``, or its training twin when there is no validation split."""
    return metric.replace("val_", "train_") if len(data.val) == 0 else metric


class LRSchedule(Callback):
    """Sets the optimizer's lr before each epoch from its scheduler; a metric-driven scheduler
    (``reduce_on_plateau``) sees the last epoch's ``monitor`` value."""

    def __init__(self, monitor="val_loss"):
        self.monitor = monitor

    def on_train_begin(self, trainer):
        scheduler = trainer.optimizer.scheduler
        if getattr(scheduler, "period", 0) is None:  # a cosine cycle over the whole run by default
            scheduler.period = trainer.epochs

    def on_epoch_begin(self, trainer, epoch):
        last = trainer.history[-1][monitored(self.monitor, trainer.data)] if trainer.history else None
        trainer.optimizer.start_epoch(epoch - 1, None if last is None or math.isnan(last) else last)


class BestState(Callback):
    """Keeps a copy of the model's state at the epoch with the lowest ``monitor`` (improving by more
    than ``min_delta``), and loads it into the model when training ends (``last_state`` keeps the final one)."""

    key = "best"

    def __init__(self, monitor="val_loss", min_delta=0.0):
        self.monitor, self.min_delta = monitor, min_delta
        self.epoch, self.value, self.state, self.last_state = 0, math.inf, None, None

    def on_epoch_end(self, trainer, row):
        value = row[monitored(self.monitor, trainer.data)]
        if value < self.value - self.min_delta or self.state is None:
            self.epoch, self.value = row["epoch"], value
            self.state = {k: v.copy() for k, v in trainer.model.state_dict().items()}

    def on_train_end(self, trainer):
        self.last_state = {k: v.copy() for k, v in trainer.model.state_dict().items()}
        if self.state is not None:
            trainer.model.load_state_dict(self.state)

    def state_dict(self):
        return {"epoch": self.epoch, "value": self.value, "state": self.state}

    def load_state_dict(self, state):
        self.epoch, self.value = state["epoch"], state["value"]
        self.state = {k: np.array(v) for k, v in state["state"].items()} if state["state"] else None


class EarlyStopping(Callback):
    """Stops once ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs."""

    key = "early_stopping"

    def __init__(self, monitor="val_loss", patience=20, min_delta=0.0):
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.best_epoch, self.best_value = 0, math.inf

    def on_train_begin(self, trainer):
        self._check(trainer)  # a run resumed after its stopping epoch trains no more

    def on_epoch_end(self, trainer, row):
        value = row[monitored(self.monitor, trainer.data)]
        if value < self.best_value - self.min_delta or self.best_epoch == 0:
            self.best_epoch, self.best_value = row["epoch"], value
        self._check(trainer)

    def _check(self, trainer):
        if trainer.history and trainer.history[-1]["epoch"] - self.best_epoch >= self.patience:
            trainer.stop_training = True

    def state_dict(self):
        return {"best_epoch": self.best_epoch, "best_value": self.best_value}

    def load_state_dict(self, state):
        self.best_epoch, self.best_value = state["best_epoch"], state["best_value"]


class ProgressBar(Callback):
    """A tqdm bar over epochs on standard error that fits the terminal's width (``width``, by default
    ``COLUMNS`` or the terminal's): ``epoch 12/50 |####   | 00:03<00:09, loss 0.1234, val_loss 0.2345``.
    It is gone when training ends; :meth:`close` clears it when training stops early (Ctrl-C, an error)."""

    FORMAT = "epoch {n_fmt}/{total_fmt} |{bar}| {elapsed}<{remaining}{postfix}"

    def __init__(self, file=None, width=None, mininterval=0.25):
        self.file, self.width, self.mininterval, self.bar = file, width, mininterval, None

    def on_train_begin(self, trainer):
        from tqdm import tqdm

        first = trainer.history[-1]["epoch"] + 1 if trainer.history else 1
        width = self.width or shutil.get_terminal_size((80, 24)).columns
        self.bar = tqdm(total=trainer.epochs, initial=first - 1, bar_format=self.FORMAT, ncols=width,
                        file=self.file or sys.stderr, leave=False, mininterval=self.mininterval)

    def on_epoch_end(self, trainer, row):
        losses = f"loss {row['train_loss']:.4g}"
        if not math.isnan(row["val_loss"]):
            losses += f", val_loss {row['val_loss']:.4g}"
        self.bar.set_postfix_str(losses, refresh=False)
        self.bar.update()

    def on_train_end(self, trainer):
        self.close()

    def close(self):
        """Erase the bar (safe to call twice)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def standard_callbacks(monitor="val_loss", early_stopping=None, progress=False):
    """The callbacks every training needs: the lr schedule, the best state, early stopping when
    configured (``{metric, patience, min_delta}``), and a progress bar when asked for."""
    early_stopping = early_stopping or {}
    monitor = early_stopping.get("metric", monitor)
    callbacks = [LRSchedule(monitor), BestState(monitor, early_stopping.get("min_delta", 0.0))]
    if early_stopping:
        callbacks.append(EarlyStopping(monitor, early_stopping["patience"], early_stopping.get("min_delta", 0.0)))
    if progress:
        callbacks.append(ProgressBar())
    return callbacks
