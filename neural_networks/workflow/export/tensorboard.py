"""A run folder as TensorBoard event files (tensorboardX's writer; view with ``tensorboard --logdir``).

Scalars per epoch from metrics.csv (``loss/train``, ``loss/val``, ``error/train``, ``error/val``, ``lr``)
and from diagnostics.csv when the run has one (``diagnostics/<layer>.<name>/<column>``); histograms of
the best epoch's parameters (``weights/layers.0.W``, ...); the run's ``--set`` overrides as hparams,
with its best validation loss and error and test metrics as the hparams' metrics.
"""
import os

import numpy as np

from .. import files
from ...config.schema import parse_override

CURVES = {"train_loss": "loss/train", "val_loss": "loss/val", "train_error": "error/train",
          "val_error": "error/val", "lr": "lr"}
DIAGNOSTICS = ("activation_mean", "activation_std", "dead_fraction", "saturated_fraction", "grad_norm",
               "weight_norm", "update_ratio")


def scalars(run_dir):
    """``[(tag, epoch, value), ...]``: metrics.csv's curves, then diagnostics.csv's columns per layer."""
    import pandas as pd

    rows = []
    metrics = pd.read_csv(os.path.join(run_dir, "metrics.csv"))
    for column, tag in CURVES.items():
        rows += [(tag, int(e), float(v)) for e, v in zip(metrics["epoch"], metrics[column]) if v == v]
    path = os.path.join(run_dir, "diagnostics.csv")
    if os.path.isfile(path):
        diagnostics = pd.read_csv(path)
        for column in (c for c in DIAGNOSTICS if c in diagnostics.columns):
            rows += [(f"diagnostics/{layer}.{name}/{column}", int(e), float(v)) for e, layer, name, v in
                     zip(diagnostics["epoch"], diagnostics["layer"], diagnostics["name"], diagnostics[column])
                     if v == v]
    return rows


def hparams(summary):
    """The run's overrides as {key: value} (numbers, strings and booleans; anything else as text)."""
    values = {}
    for text in summary.get("overrides", []):
        path, value = parse_override(text)
        values[".".join(path)] = value if isinstance(value, (int, float, str, bool)) else str(value)
    return values


def results(summary):
    """The hparams view's metrics: best validation loss/error and test loss/error, where known."""
    found = {f"best/{k}": summary.get("best", {}).get(k) for k in ("val_loss", "val_error")}
    found.update({f"test/{k}": summary.get("test", {}).get(k) for k in ("loss", "error")})
    return {k: float(v) for k, v in found.items() if isinstance(v, (int, float)) and v == v}


def export(run_dir, logdir):
    """Write the run's events to ``logdir`` (a new folder); return it."""
    from tensorboardX import SummaryWriter
    from tensorboardX.summary import hparams as hparams_summary

    summary_path = os.path.join(run_dir, "summary.json")
    summary = files.read_json(summary_path) if os.path.isfile(summary_path) else {}
    with SummaryWriter(logdir) as writer:
        for tag, epoch, value in scalars(run_dir):
            writer.add_scalar(tag, value, epoch)
        best = os.path.join(run_dir, "parameters", "best.npz")
        if os.path.isfile(best):
            for key, array in files.read_arrays(best).items():
                if not key.startswith("preprocess.") and array.size > 1:
                    writer.add_histogram(f"weights/{key}", np.asarray(array, dtype=np.float64),
                                         summary.get("best_epoch", 0))
        given, metrics = hparams(summary), results(summary)
        if given:
            for event in hparams_summary(given, metrics):
                writer.file_writer.add_summary(event)
            for tag, value in metrics.items():
                writer.add_scalar(tag, value, summary.get("best_epoch", 0))
    return logdir
