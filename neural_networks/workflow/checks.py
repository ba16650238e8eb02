"""``nnrun check`` and ``nnrun gradcheck``: the sanity checklist to run before a long training
(CS231n's "babysitting the learning process", Karpathy's "recipe for training neural networks").

Every check builds its own fresh objects from the resolved config; nothing writes a run folder.
Each gives a :class:`Check`: PASS, WARN (worth a look, training may still work) or FAIL (the
network or its settings cannot learn as configured), the measured value and a one-line hint.
"""
import copy
import math
import typing

import numpy as np

from .build import build
from .lr_find import range_test
from ..callbacks import Callback
from ..data import Split
from ..gradcheck import TOLERANCE, check_network
from ..optimizers import initialize_optimizer
from ..trainer import Trainer, evaluate

TINY = 20          # samples the network must overfit
MOST_STEPS = 500   # full-batch steps it gets to do so
BASELINE = 200     # samples trained on, real and zeroed inputs ...
BASELINE_STEPS = 50  # ... for this many mini-batch steps each


class Check(typing.NamedTuple):
    name: str
    status: str    # PASS, WARN or FAIL
    measured: str
    hint: str


def float64(config):
    """The config in float64, as finite differences need."""
    return {**copy.deepcopy(config), "dtype": "float64"}


def network_gradients(config, samples=4, most=None):
    """:func:`~neural_networks.gradcheck.check_network` rows of the config's float64 model on the
    first ``samples`` training samples of its own data, up to ``most`` elements per gradient."""
    _, data, model, _ = build(float64(config))
    return check_network(model, data.train.X[:samples].copy(), data.train.Y[:samples], most=most)


def chance_loss(model, Y):
    """The loss of an input-blind guess: 1/K for each of K classes (ln K for cross-entropy), the
    targets' mean for regression."""
    if model.loss.fuses_with == "softmax":
        guess = np.full(Y.shape, 1.0 / Y.shape[1])
    else:
        guess = np.broadcast_to(Y.mean(axis=0), Y.shape)
    return model.loss.forward(Y, guess.astype(Y.dtype))


def initial_loss(config):
    """The untrained network's loss on up to 512 training samples against chance (ln K for K classes)."""
    _, data, model, _ = build(config)
    X, Y = data.train.X[:512], data.train.Y[:512]
    loss, chance = model.loss.forward(Y, model.predict(X)), chance_loss(model, Y)
    what = f"ln {Y.shape[1]} =" if model.loss.fuses_with == "softmax" else "chance"
    measured = f"{loss:.4g} ({what} {chance:.4g})"
    ratio = loss / chance if chance > 0 else math.inf
    if 0.5 <= ratio <= 1.5:
        return Check("initial loss", "PASS", measured, "the untrained net guesses")
    return Check("initial loss", "WARN", measured, "scale inputs or init weights")


def gradients(config):
    """Finite differences on every layer (float64, kinks skipped): the worst relative error."""
    rows = network_gradients(config, samples=2, most=100)
    worst, skipped = max(row[3] for row in rows), sum(row[4] for row in rows)
    measured = f"{worst:.1e} worst, {skipped} kinks"
    if worst < TOLERANCE:
        return Check("gradients", "PASS", measured, "matches finite differences")
    where = max(rows, key=lambda row: row[3])
    return Check("gradients", "FAIL", measured, f"layer {where[0]} {where[2]}: nnrun gradcheck")


class Fitted(Callback):
    """Stops training once the model fits its training split (in evaluation mode): accuracy >= 0.99,
    or a regression loss below 1% of ``chance``; ``score`` holds the last measured value."""

    def __init__(self, chance):
        self.chance, self.score, self.steps = chance, None, 0

    def on_epoch_end(self, trainer, row):
        loss, error, _ = evaluate(trainer.model, trainer.data.train, trainer.data.task)
        self.steps = row["epoch"]
        self.score = 1 - error if trainer.data.task == "classification" else loss
        if (self.score >= 0.99) if trainer.data.task == "classification" else (loss < 0.01 * self.chance):
            trainer.stop_training = True


def train_on(config, X, Y, epochs, batch_size, callbacks=()):
    """A fresh model trained with the config's own optimizer (its base lr, no schedule) on (X, Y)."""
    rng, data, model, _ = build(config)
    empty = Split(X[:0], Y[:0], np.arange(0))
    small = type(data)(Split(X, Y, np.arange(len(X))), empty, empty, data.task, data.classes, data.shift,
                       data.scale, data.input_shape)
    optimizer = initialize_optimizer({**config["optimizer"], "lr_scheduler": None})
    Trainer(model, optimizer, small, rng, batch_size, epochs, list(callbacks)).fit()
    return model, small


def overfit(config):
    """About 20 training samples, full batch, up to MOST_STEPS steps: the network must fit them."""
    _, data, model, _ = build(config)
    X, Y = data.train.X[:TINY], data.train.Y[:TINY]
    fitted = Fitted(chance_loss(model, Y))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        train_on(config, X, Y, MOST_STEPS, len(X), [fitted])
    classify = data.task == "classification"
    measured = (f"accuracy {fitted.score:.2f}" if classify else f"loss {fitted.score:.2g}") + \
        f" in {fitted.steps} steps"
    if (fitted.score >= 0.99) if classify else fitted.score < 0.01 * fitted.chance:
        return Check(f"overfit {len(X)}", "PASS", measured, "it can learn")
    return Check(f"overfit {len(X)}", "FAIL", measured, "raise lr? check loss/layers")


def baseline(config):
    """The same training on up to BASELINE samples with real and with zeroed inputs: the real inputs
    must give a clearly lower loss on held-out samples (the validation split, else the training ones)."""
    _, data, _, _ = build(config)
    X, Y = data.train.X[:BASELINE], data.train.Y[:BASELINE]
    held = data.val if len(data.val) else data.train
    size = config["data"]["batch_size"]
    epochs = max(1, math.ceil(BASELINE_STEPS / math.ceil(len(X) / size)))
    losses = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for inputs, evaluated in ((X, held.X), (np.zeros_like(X), np.zeros_like(held.X))):
            model, _ = train_on(config, inputs, Y, epochs, size)
            losses.append(model.loss.forward(held.Y[:BASELINE], model.predict(evaluated[:BASELINE])))
    real, zeroed = losses
    measured = f"loss {real:.3g} vs zeroed {zeroed:.3g}"
    if np.isfinite(real) and real < 0.8 * zeroed:
        return Check("zeroed inputs", "PASS", measured, "the inputs carry the signal")
    return Check("zeroed inputs", "FAIL", measured, "no better than blind: lr?")


def lr_suggestion(config):
    """lr-find's suggestion next to the configured lr: WARN when they differ by more than 10x."""
    suggested, configured = range_test(config).suggestion, config["optimizer"]["lr"]
    measured = f"{suggested:.2g} (configured {configured:g})"
    if np.isfinite(suggested) and suggested / 10 <= configured <= suggested * 10:
        return Check("lr-find", "PASS", measured, "within 10x of the suggestion")
    return Check("lr-find", "WARN", measured, "see nnrun lr-find's plot")


CHECKS = (initial_loss, gradients, overfit, baseline, lr_suggestion)


def run_checks(config, report=None):
    """Every check of CHECKS on the resolved ``config``; ``report(check)`` is called as each one ends."""
    results = []
    for check in CHECKS:
        results.append(check(config))
        if report:
            report(results[-1])
    return results


def format_check(check):
    """One table line, at most 80 characters: status, check, measured value, hint."""
    return f"{check.status:4s}  {check.name:14s} {check.measured:30s} {check.hint}"


HEADER = f"{'':4s}  {'check':14s} {'measured':30s} hint"
