"""One experiment end to end: config -> data, model, optimizer -> training -> the run folder."""
import os
import platform
import time

import numpy as np

from . import checkpoint, runs
from .config import check_name
from .data import load_data
from .errors import ConfigError, TrainingError
from .models import NeuralNetwork
from .optimizers import initialize_optimizer
from .trainer import Trainer, evaluate


def build(config):
    """(rng, data, model, optimizer) for a resolved config; the same config gives the same objects."""
    dtype = np.dtype(config["dtype"])
    rng = np.random.default_rng(config["seed"])
    try:
        data = load_data(config["data"], rng, dtype)
    except ConfigError as error:  # a missing file, a bad shape: name the key as the config spells it
        raise error.within("data") from None
    model = NeuralNetwork.from_config(config["model"], data.n_outputs, rng)
    if not model.layers:
        raise ConfigError("the model needs at least one layer", "model.layers")
    wanted = model.loss.fuses_with  # the losses of probabilities name the output activation they expect
    if wanted and model.layers[-1].activation.name != wanted:
        raise ConfigError(f"{model.loss.name} needs probabilities: end the model with activation {wanted}",
                          "model.loss")
    if model.loss.name == "cross_entropy" and data.task != "classification":
        raise ConfigError(f"cross_entropy is for classification; data {config['data']['name']!r} is "
                          "regression: use loss mse", "model.loss")
    try:
        output_shape = model.build(data.input_shape, dtype)
    except ConfigError:
        raise
    except (ValueError, IndexError, MemoryError) as error:
        raise ConfigError(f"the layers do not fit inputs of shape {list(data.input_shape)}: {error}",
                          "model.layers") from None
    if tuple(output_shape) != data.train.Y.shape[1:]:
        raise ConfigError(f"the model outputs shape {list(output_shape)} but the targets have "
                          f"{list(data.train.Y.shape[1:])}", "model.layers")
    return rng, data, model, initialize_optimizer(config["optimizer"])


def versions():
    from . import __version__

    return {"nnrun": __version__, "numpy": np.__version__, "python": platform.python_version()}


def run(config, overrides=(), progress=False, describe=None):
    """Train the resolved ``config``; return (run folder, summary). Files appear as training goes.

    ``describe`` (e.g. ``print``), if given, receives the model's summary table before training.
    """
    check_name(config["name"])
    built = build(config)
    if describe:
        from .summary import format_summary

        describe(format_summary(config, built[1], built[2]))
    run_dir = runs.create_run_dir(config["log"]["save_dir"], config["name"])
    runs.write_yaml(os.path.join(run_dir, "config.yaml"), with_absolute_data_path(config))
    return train(run_dir, config, built, new_summary(run_dir, config, built, overrides), progress)


def with_absolute_data_path(config):
    """The config to save: a relative ``data.path`` made absolute, so that the run folder's config
    (``evaluate``, ``predict``, ``train --resume``, a re-run) finds the data from any folder."""
    path = config["data"].get("path")
    if not isinstance(path, str) or os.path.isabs(path):
        return config
    return {**config, "data": {**config["data"], "path": os.path.abspath(path)}}


def new_summary(run_dir, config, built, overrides=()):
    """summary.json as training starts; ``overrides`` (the ``--set`` texts) let comparisons group runs."""
    return {"name": os.path.basename(run_dir), "run_dir": run_dir, "status": "running",
            "dataset": config["data"]["name"], "task": built[1].task, "seed": config["seed"],
            "overrides": list(overrides), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "versions": versions(), "parameters": built[2].count_parameters(), **process()}


def process():
    """Which process trains the run, so that ``nnrun list`` can tell a killed run from a running one."""
    return {"host": platform.node(), "pid": os.getpid()}


def resume(run_dir, progress=False):
    """Continue an unfinished run in its own folder from its last checkpoint (the start if none).

    The data and model are rebuilt from the saved config and seed, then the checkpoint restores
    parameters, optimizer, scheduler, RNG and history: the run ends exactly as an uninterrupted one.
    """
    config = run_config(run_dir)
    path = os.path.join(run_dir, "summary.json")
    saved = runs.read_json(path) if os.path.isfile(path) else {}
    if saved.get("status") == "completed":
        raise ConfigError(f"{run_dir} has already finished (summary.json says completed)")
    built = build(config)
    summary = {**new_summary(run_dir, config, built), **saved, "status": "running", "run_dir": run_dir,
               "resumed": saved.get("resumed", 0) + 1, **process()}
    return train(run_dir, config, built, summary, progress, checkpoint.load(run_dir))


def train(run_dir, config, built, summary, progress=False, saved=None):
    """Fit in ``run_dir`` from the checkpoint ``saved`` (or the start), checkpointing every epoch."""
    rng, data, model, optimizer = built
    os.makedirs(os.path.join(run_dir, "parameters"), exist_ok=True)
    state, meta = saved or (None, {"seconds": 0.0})
    started = time.perf_counter() - meta["seconds"]
    metrics_path = os.path.join(run_dir, "metrics.csv")
    if state is None:  # the header now: a run failing in epoch 1 keeps it
        runs.write_text(metrics_path, metrics_csv([]))

    def on_epoch(row):
        checkpoint.save(run_dir, trainer.state_dict(), seconds=time.perf_counter() - started)
        runs.write_text(metrics_path, metrics_csv(trainer.history))

    def stop(status, **extra):
        summary.update(status=status, epochs_run=len(trainer.history), seconds=time.perf_counter() - started,
                       **extra)
        runs.write_json(os.path.join(run_dir, "summary.json"), summary)

    trainer = Trainer(model, optimizer, data, rng, batch_size=config["data"]["batch_size"],
                      epochs=config["train"]["epochs"], early_stopping=config["train"]["early_stopping"],
                      monitor=config["train"]["monitor"], progress=progress, on_epoch=on_epoch)
    if state is not None:
        trainer.load_state_dict(state)
    runs.write_json(os.path.join(run_dir, "summary.json"), summary)
    try:
        # overflow warnings would bury the one-line error: the trainer reports a non-finite loss itself
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            trainer.fit()
    except TrainingError as error:
        stop("diverged", error=str(error))
        raise TrainingError(f"{error} (run folder kept: {run_dir})") from None
    except KeyboardInterrupt:
        stop("interrupted")
        raise KeyboardInterrupt(f"stopped after epoch {len(trainer.history)}, all saved; continue with: "
                                f"nnrun train --resume {run_dir}") from None
    summary["seconds"] = time.perf_counter() - started
    summary["status"] = "completed"
    finish(run_dir, config, data, model, trainer, summary)
    checkpoint.remove(run_dir)
    return run_dir, summary


METRICS = ["epoch", "lr", "train_loss", "train_error", "val_loss", "val_error", "seconds"]


def metrics_csv(history):
    """metrics.csv's text: a row per epoch (NaN left empty, as pandas writes it). Plain string
    formatting, not pandas, since the file is rewritten after every epoch."""
    def cell(value):
        return "" if value != value else repr(value)

    return "".join(",".join(row) + "\n" for row in
                   [METRICS] + [[cell(epoch[k]) for k in METRICS] for epoch in history])


def preprocess_arrays(data):
    return {"preprocess.shift": data.shift, "preprocess.scale": data.scale}


def finish(run_dir, config, data, model, trainer, summary):
    """Parameters, test predictions, plots and summary.json, once training is over."""
    params = os.path.join(run_dir, "parameters")
    runs.write_arrays(os.path.join(params, "last.npz"), {**trainer.last_state, **preprocess_arrays(data)})
    runs.write_arrays(os.path.join(params, "best.npz"), {**model.state_dict(), **preprocess_arrays(data)})
    test_loss, test_error, outputs = evaluate(model, data.test, data.task)
    runs.write_frame(os.path.join(run_dir, "predictions.csv"), predictions_frame(data, data.test, outputs))
    best = trainer.history[trainer.best_epoch - 1]
    summary.update(
        best_epoch=trainer.best_epoch, epochs_run=len(trainer.history), monitor=trainer.monitor,
        best={k: best[k] for k in ("train_loss", "train_error", "val_loss", "val_error")},
        final={k: trainer.history[-1][k] for k in ("train_loss", "train_error", "val_loss", "val_error")},
        test=test_metrics(data, test_loss, test_error, outputs))
    if config["log"]["plot"]:
        from .diagram import plot_architecture
        from .plots import plot_confusion, plot_curves

        plot_architecture(model, data.input_shape, os.path.join(run_dir, "architecture.png"), summary["name"],
                          config["dtype"])
        for metric in ("loss", "error"):
            plot_curves(trainer.history, metric, os.path.join(run_dir, f"{metric}.png"), summary["name"])
        if data.task == "classification" and len(data.test):
            plot_confusion(np.array(summary["test"]["confusion_matrix"]), data.classes,
                           os.path.join(run_dir, "confusion_matrix.png"), f"{summary['name']}: test split")
    runs.write_json(os.path.join(run_dir, "summary.json"), summary)


def test_metrics(data, loss, error, outputs):
    """Test loss/error, plus accuracy, per-class precision/recall and the confusion matrix for classifiers."""
    classify = data.task == "classification"
    metrics = {"loss": loss, "error": error, "samples": len(data.test)}
    metrics.update({"accuracy": 1 - error} if classify else {"mse": error})
    if classify and len(data.test):
        from .metrics import confusion_matrix, precision_recall_fscore_support

        true, predicted = data.test.Y.argmax(axis=1), outputs.argmax(axis=1)
        labels = np.arange(len(data.classes))
        precision, recall, f1, support = precision_recall_fscore_support(
            true, predicted, labels=labels, zero_division=0)
        metrics["per_class"] = {str(c): {"precision": p, "recall": r, "f1": f, "support": int(s)}
                                for c, p, r, f, s in zip(data.classes, precision, recall, f1, support)}
        metrics["confusion_matrix"] = confusion_matrix(true, predicted, labels=labels).tolist()
    return metrics


def predictions_frame(data, split, outputs):
    """Rows of the test split: source row, target, prediction (and class probabilities)."""
    import pandas as pd

    frame = {"row": split.index}
    if data.task == "classification":
        classes = np.array(data.classes, dtype=object)
        frame["target"] = classes[split.Y.argmax(axis=1)] if len(split.Y) else []
    else:
        frame.update({f"target{output_suffix(j, split.Y)}": split.Y[:, j] for j in range(split.Y.shape[1])})
    return pd.DataFrame({**frame, **output_columns(outputs, data)})


def output_suffix(j, outputs):
    """'' for a single output, ``_j`` when there are several."""
    return "" if outputs.shape[1] == 1 else f"_{j}"


def output_columns(outputs, data):
    """Prediction columns: a classifier's ``prediction`` (a class name) and ``p_<class>`` probabilities;
    a regressor's ``prediction`` (``prediction_j`` for several outputs)."""
    if data.task != "classification":
        return {f"prediction{output_suffix(j, outputs)}": outputs[:, j] for j in range(outputs.shape[1])}
    classes = data.classes
    columns = {"prediction": np.array(classes, dtype=object)[outputs.argmax(axis=1)] if len(outputs) else []}
    columns.update({f"p_{c}": outputs[:, j] for j, c in enumerate(classes)})
    return columns


def run_config(run_dir):
    """The resolved config a run folder saved; ConfigError if ``run_dir`` is not a run folder."""
    from .config import read_yaml, resolve

    path = os.path.join(run_dir, "config.yaml")
    if not os.path.isfile(path):
        raise ConfigError(f"{run_dir!r} is not a run folder (no config.yaml)")
    return resolve(read_yaml(path))


def load_run(run_dir, which="best"):
    """(config, data, model) of a finished run, with its ``best`` (or ``last``) parameters loaded."""
    config = run_config(run_dir)
    params_path = os.path.join(run_dir, "parameters", f"{which}.npz")
    if not os.path.isfile(params_path):
        raise ConfigError(f"{run_dir!r} has no parameters/{which}.npz (did the run finish?)")
    _, data, model, _ = build(config)
    try:
        arrays = runs.read_arrays(params_path)
    except (ValueError, OSError, EOFError):
        raise ConfigError(f"{params_path} is not an .npz file of plain arrays") from None
    wrong = [k for k, v in model.state_dict().items() if k not in arrays or arrays[k].shape != v.shape]
    if wrong:
        raise ConfigError(f"{params_path} does not fit the model in {os.path.join(run_dir, 'config.yaml')}: "
                          f"missing or misshapen {', '.join(wrong)}")
    model.load_state_dict(arrays)
    return config, data, model
