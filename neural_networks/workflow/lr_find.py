"""``nnrun lr-find``: the learning-rate range test (Smith 2015, "Cyclical learning rates"; fastai's ``lr_find``).

From fresh weights, train one mini-batch per step while the lr grows exponentially,
lr_i = start * (end / start) ** (i / (steps - 1)), recording the loss. The loss is smoothed by a
bias-corrected exponential moving average, s_i = (beta s_{i-1} + (1 - beta) loss_i) / (1 - beta^(i+1)),
and the test stops once it explodes (s_i > BLOWUP times the best s so far, or a non-finite loss).

Suggestion: the lr of the smoothed minimum divided by 10 (fastai's ``lr_min``). At the minimum the
lr is already about to become too large; a tenth of it still makes the loss fall fast. (The other
classic rule, the steepest descent of the smoothed loss, was tried first: over ~100 noisy steps its
argmax lands on a noise wiggle, e.g. 4e-7 for the sine regression, whose configured lr is 3e-3.)
"""
import os
import typing

import numpy as np

from .build import build
from .files import unique_path
from ..data import batches

START, END, STEPS, BETA, BLOWUP = 1e-7, 10.0, 100, 0.9, 4.0


class RangeTest(typing.NamedTuple):
    lrs: np.ndarray       # the lr of every step taken
    losses: np.ndarray    # its training loss
    smoothed: np.ndarray  # the smoothed loss
    suggestion: float     # the suggested lr (nan if the loss never fell)


def train_step(model, optimizer, X, Y):
    """One optimizer step on the batch (X, Y); returns its loss (no step if the loss is not finite)."""
    Y_hat = model.forward(X, training=True)
    loss = model.loss.forward(Y, Y_hat)
    if np.isfinite(loss):
        model.backward(Y, Y_hat, input_gradient=False)
        optimizer.step(model.named_parameters())
    return loss


def range_test(config, start=START, end=END, steps=STEPS):
    """Run the range test on the config's freshly built model, data and optimizer."""
    rng, data, model, optimizer = build(config)
    train, size = data.train, config["data"]["batch_size"]
    lrs, losses, smoothed, average, best = [], [], [], 0.0, np.inf
    order = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for i in range(steps):
            if not order:
                order = list(batches(len(train), size, rng))
            rows = order.pop(0)
            optimizer.lr = start * (end / start) ** (i / max(steps - 1, 1))
            loss = train_step(model, optimizer, train.X.take(rows, axis=0), train.Y.take(rows, axis=0))
            if not np.isfinite(loss):
                break
            average = BETA * average + (1 - BETA) * loss
            lrs.append(optimizer.lr)
            losses.append(loss)
            smoothed.append(average / (1 - BETA ** (i + 1)))
            best = min(best, smoothed[-1])
            if smoothed[-1] > BLOWUP * best:
                break
    lrs, losses, smoothed = np.array(lrs), np.array(losses), np.array(smoothed)
    return RangeTest(lrs, losses, smoothed, suggest(lrs, smoothed))


def suggest(lrs, smoothed):
    """A tenth of the lr where ``smoothed`` is lowest; nan if the loss never fell (lowest at the start)."""
    lowest = int(np.argmin(smoothed)) if len(smoothed) else 0
    return float(lrs[lowest] / 10) if lowest > 0 else float("nan")


def default_path(config):
    """``<save_dir>/lr-find-<name>.png``, numbered (``-1``, ``-2``...) rather than overwriting a file."""
    return unique_path(os.path.join(config["log"]["save_dir"], f"lr-find-{config['name']}.png"))


def plot_range_test(test, configured, path, title=""):
    """Raw and smoothed loss against lr (log axis), the suggestion and the configured lr marked."""
    from .plots import figure, save

    fig = figure(figsize=(7, 4.5))
    ax = fig.subplots()
    ax.plot(test.lrs, test.losses, color="tab:blue", alpha=0.3, lw=1, label="loss")
    ax.plot(test.lrs, test.smoothed, color="tab:blue", lw=2, label="smoothed loss")
    if np.isfinite(test.suggestion):
        lowest = int(np.argmin(test.smoothed))
        ax.plot([test.lrs[lowest]], [test.smoothed[lowest]], "v", color="gray", ms=8, label="smoothed minimum")
        at = min(np.searchsorted(test.lrs, test.suggestion), len(test.lrs) - 1)
        ax.plot([test.suggestion], [test.smoothed[at]], "o", color="tab:red", ms=9,
                label=f"suggested lr {test.suggestion:.2g} (minimum / 10)")
    ax.axvline(configured, color="gray", ls="--", lw=1, label=f"configured lr {configured:g}")
    ax.set_xscale("log")
    low, high = np.min(test.smoothed), np.max(test.smoothed[: max(len(test.smoothed) // 4, 1)])
    ax.set_ylim(low - 0.1 * (high - low), high + 0.4 * (high - low))  # the start and the fall, not the blow-up
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.set_title(f"{title}: learning-rate range test" if title else "learning-rate range test")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    save(fig, path)
