"""Mini-batch training: the loop over epochs of shuffled batches, with per-epoch metrics; callbacks do the rest."""
import math
import time

import numpy as np

from .callbacks import Callback, standard_callbacks
from .data import batches
from .metrics import COLUMNS
from .config.errors import TrainingError


def error_rate(task, Y, Y_hat):
    """1 - accuracy for classification; mean squared error (over all outputs) for regression."""
    if task == "classification":
        return int(np.count_nonzero(Y_hat.argmax(axis=1) != Y.argmax(axis=1))) / len(Y)
    return float(np.mean((Y_hat - Y) ** 2))


def evaluate(model, split, task):
    """(loss, error, outputs) of ``model`` on a split in evaluation mode (in ``predict``'s default
    batches); NaNs for an empty split."""
    if len(split) == 0:
        return math.nan, math.nan, split.Y[:0]
    Y_hat = model.predict(split.X)
    return model.loss.forward(split.Y, Y_hat), error_rate(task, split.Y, Y_hat), Y_hat


class Trainer:
    """Trains ``model`` on ``data`` with ``optimizer`` for ``epochs``; every draw comes from ``rng``.

    ``fit`` is only the loop: shuffled mini-batches, a metrics row per epoch in ``history``. All the
    rest (the lr schedule, the best weights, early stopping, a progress bar, a run folder's files,
    diagnostics) is done by ``callbacks`` (see :mod:`neural_networks.callbacks`), called in order.
    Without ``callbacks`` it uses :func:`~neural_networks.callbacks.standard_callbacks`.
    """

    def __init__(self, model, optimizer, data, rng, batch_size=32, epochs=100, callbacks=None):
        self.model, self.optimizer, self.data, self.rng = model, optimizer, data, rng
        self.batch_size, self.epochs = batch_size, epochs
        self.callbacks = list(standard_callbacks() if callbacks is None else callbacks)
        self.history, self.stop_training = [], False

    def callback(self, kind):
        """The first callback of class ``kind`` (None if there is none)."""
        return next((c for c in self.callbacks if isinstance(c, kind)), None)

    def call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)

    def train_epoch(self):
        """One pass over the shuffled training split; returns its mean loss and error.

        The hot loop of nnrun: per batch one forward, one backward (without the input gradient,
        which nothing uses) and one in-place optimizer step; ``Split.batch`` gathers a batch's rows
        (with ``take``, faster than fancy indexing) and augments them. Only callbacks that override
        ``on_batch_end`` are called.
        """
        train, task, model = self.data.train, self.data.task, self.model
        listeners = [c for c in self.callbacks if type(c).on_batch_end is not Callback.on_batch_end]
        order = batches(len(train), self.batch_size, self.rng)
        total_loss = total_error = 0.0
        for i, index in enumerate(order):
            X, Y = train.batch(index, self.rng)
            Y_hat = model.forward(X, training=True)
            loss = model.loss.forward(Y, Y_hat)
            if not math.isfinite(loss):
                raise TrainingError(f"the training loss became {loss} at epoch {len(self.history) + 1}: "
                                    "lower optimizer.lr or set optimizer.clip_norm")
            model.backward(Y, Y_hat, input_gradient=False)
            self.optimizer.step(model.named_parameters())
            total_loss += loss * len(X)
            total_error += error_rate(task, Y, Y_hat) * len(X)
            for callback in listeners:
                callback.on_batch_end(self, {"index": i, "batches": len(order), "size": len(X), "loss": loss})
        return total_loss / len(train), total_error / len(train)

    def state_dict(self):
        """Everything ``fit`` needs to go on after the last finished epoch (arrays and plain values)."""
        return {"history": self.history, "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(), "rng": self.rng.bit_generator.state,
                "callbacks": {c.key: c.state_dict() for c in self.callbacks if c.key}}

    def load_state_dict(self, state):
        """Continue from :meth:`state_dict`: the next epoch runs exactly as it would have."""
        self.history = [dict(row) for row in state["history"]]
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        for callback in self.callbacks:
            if callback.key:
                callback.load_state_dict(state["callbacks"][callback.key])

    def fit(self):
        """Train from the epoch after ``history``'s last up to ``epochs``, or until a callback stops it."""
        self.stop_training = False
        self.call("on_train_begin")
        epoch = self.history[-1]["epoch"] + 1 if self.history else 1
        while epoch <= self.epochs and not self.stop_training:
            started = time.perf_counter()
            self.call("on_epoch_begin", epoch)
            train_loss, train_error = self.train_epoch()
            val_loss, val_error, _ = evaluate(self.model, self.data.val, self.data.task)
            row = dict(zip(COLUMNS, (epoch, self.optimizer.lr, train_loss, train_error, val_loss, val_error,
                                     time.perf_counter() - started)))
            self.history.append(row)
            self.call("on_epoch_end", row)
            epoch += 1
        self.call("on_train_end")
        return self.history
