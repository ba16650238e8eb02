"""Mini-batch training: epochs of shuffled batches, per-epoch metrics, early stopping, best weights."""
import math
import sys
import time

import numpy as np

from .data import batches
from .errors import TrainingError


def error_rate(task, Y, Y_hat):
    """1 - accuracy for classification; mean squared error (over all outputs) for regression."""
    if task == "classification":
        return int(np.count_nonzero(Y_hat.argmax(axis=1) != Y.argmax(axis=1))) / len(Y)
    return float(np.mean((Y_hat - Y) ** 2))


def evaluate(model, split, task, batch_size=1024):
    """(loss, error, outputs) of ``model`` on a split in evaluation mode; NaNs for an empty split."""
    if len(split) == 0:
        return math.nan, math.nan, split.Y[:0]
    Y_hat = model.predict(split.X, batch_size)
    return model.loss.forward(split.Y, Y_hat), error_rate(task, split.Y, Y_hat), Y_hat


class Trainer:
    """Trains ``model`` on ``data`` with ``optimizer``; every draw comes from ``rng``.

    ``on_epoch(row)`` is called after each epoch with its metrics (the run folder writes them
    as they come, so a crash or a diverged loss keeps everything up to then).
    """

    def __init__(self, model, optimizer, data, rng, batch_size=32, epochs=100, early_stopping=None,
                 monitor="val_loss", progress=False, on_epoch=None):
        self.model, self.optimizer, self.data, self.rng = model, optimizer, data, rng
        self.batch_size, self.epochs, self.early_stopping = batch_size, epochs, early_stopping
        self.monitor = (early_stopping or {}).get("metric", monitor)
        if len(data.val) == 0:  # no validation split: judge epochs on the training metrics
            self.monitor = self.monitor.replace("val_", "train_")
        self.progress, self.on_epoch = progress, on_epoch
        self.history, self.best_epoch, self.best_value, self.best_state = [], 0, math.inf, None
        self.start_epoch = 1
        if getattr(optimizer.scheduler, "period", 0) is None:
            optimizer.scheduler.period = epochs

    def train_epoch(self):
        """One pass over the shuffled training split; returns its mean loss and error.

        The hot loop of nnrun: per batch one forward, one backward (without the input gradient,
        which nothing uses) and one in-place optimizer step; ``take`` gathers a batch's rows
        faster than fancy indexing does.
        """
        train, task, model = self.data.train, self.data.task, self.model
        total_loss = total_error = 0.0
        for index in batches(len(train), self.batch_size, self.rng):
            X, Y = train.X.take(index, axis=0), train.Y.take(index, axis=0)
            Y_hat = model.forward(X, training=True)
            loss = model.loss.forward(Y, Y_hat)
            if not math.isfinite(loss):
                raise TrainingError(f"the training loss became {loss} at epoch {len(self.history) + 1}: "
                                    "lower optimizer.lr or set optimizer.clip_norm")
            model.backward(Y, Y_hat, input_gradient=False)
            self.optimizer.step(model.named_parameters())
            total_loss += loss * len(X)
            total_error += error_rate(task, Y, Y_hat) * len(X)
        return total_loss / len(train), total_error / len(train)

    def state_dict(self):
        """Everything ``fit`` needs to go on after the last finished epoch (arrays and plain values)."""
        return {"history": self.history, "best_epoch": self.best_epoch, "best_value": self.best_value,
                "best_state": self.best_state, "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(), "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state):
        """Continue from :meth:`state_dict`: the next epoch runs exactly as it would have."""
        self.history = [dict(row) for row in state["history"]]
        self.best_epoch, self.best_value = state["best_epoch"], state["best_value"]
        self.best_state = {k: np.array(v) for k, v in state["best_state"].items()}
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        self.start_epoch = self.history[-1]["epoch"] + 1 if self.history else 1

    def stopped(self):
        """Whether early stopping has fired: ``patience`` epochs without improving the monitored metric."""
        return bool(self.early_stopping and self.history and
                    self.history[-1]["epoch"] - self.best_epoch >= self.early_stopping["patience"])

    def fit(self):
        """Train for the configured epochs (or until early stopping); leave the best weights loaded."""
        epochs = range(self.start_epoch, 0 if self.stopped() else self.epochs + 1)
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(epochs, desc="training", unit="epoch", file=sys.stderr, leave=False,
                       mininterval=0.25)
        last_metric = self.history[-1]["val_loss"] if self.history else None
        for epoch in bar if bar is not None else epochs:
            started = time.perf_counter()
            lr = self.optimizer.start_epoch(epoch - 1, None if last_metric is None or math.isnan(last_metric)
                                            else last_metric)
            train_loss, train_error = self.train_epoch()
            val_loss, val_error, _ = evaluate(self.model, self.data.val, self.data.task)
            row = {"epoch": epoch, "lr": lr, "train_loss": train_loss, "train_error": train_error,
                   "val_loss": val_loss, "val_error": val_error,
                   "seconds": time.perf_counter() - started}
            self.history.append(row)
            last_metric = val_loss
            improved = row[self.monitor] < self.best_value - (self.early_stopping or {}).get("min_delta", 0.0)
            if improved or self.best_state is None:
                self.best_epoch, self.best_value = epoch, row[self.monitor]
                self.best_state = {k: v.copy() for k, v in self.model.state_dict().items()}
            if bar is not None:
                bar.set_postfix(loss=f"{train_loss:.4g}", val_loss=f"{val_loss:.4g}", refresh=False)
            if self.on_epoch:
                self.on_epoch(row)
            if self.stopped():
                break
        if bar is not None:
            bar.close()
        self.last_state = {k: v.copy() for k, v in self.model.state_dict().items()}
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        return self.history
