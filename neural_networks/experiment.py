"""One experiment end to end: config -> data, model, optimizer -> training -> the run folder."""
import os
import platform
import time

import numpy as np

from . import runs
from .config import check_name
from .data import load_data
from .errors import ConfigError, TrainingError
from .models import NeuralNetwork
from .optimizers import initialize_optimizer
from .trainer import Trainer, evaluate

PROBABILITY_OUTPUTS = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}


def build(config):
    """(rng, data, model, optimizer) for a resolved config; the same config gives the same objects."""
    dtype = np.dtype(config["dtype"])
    rng = np.random.default_rng(config["seed"])
    data = load_data(config["data"], rng, dtype)
    model = NeuralNetwork.from_config(config["model"], data.n_outputs, rng)
    if not model.layers:
        raise ConfigError("the model needs at least one layer", "model.layers")
    wanted = PROBABILITY_OUTPUTS.get(model.loss.name)
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
    except (ValueError, IndexError) as error:
        raise ConfigError(f"the layers do not fit inputs of shape {list(data.input_shape)}: {error}",
                          "model.layers") from None
    if tuple(output_shape) != data.train.Y.shape[1:]:
        raise ConfigError(f"the model outputs shape {list(output_shape)} but the targets have "
                          f"{list(data.train.Y.shape[1:])}", "model.layers")
    return rng, data, model, initialize_optimizer(config["optimizer"])


def versions():
    import numpy

    from . import __version__

    return {"nnrun": __version__, "numpy": numpy.__version__, "python": platform.python_version()}


def run(config, overrides=(), progress=False, log=print):
    """Train the resolved ``config``; return (run folder, summary). Files appear as training goes."""
    check_name(config["name"])
    rng, data, model, optimizer = build(config)
    run_dir = runs.create_run_dir(config["log"]["save_dir"], config["name"])
    runs.write_yaml(os.path.join(run_dir, "config.yaml"), config)
    os.mkdir(os.path.join(run_dir, "parameters"))
    started = time.perf_counter()
    history = []

    def on_epoch(row):
        history.append(row)
        runs.write_frame(os.path.join(run_dir, "metrics.csv"), metrics_frame(history))

    trainer = Trainer(model, optimizer, data, rng, batch_size=config["data"]["batch_size"],
                      epochs=config["train"]["epochs"], early_stopping=config["train"]["early_stopping"],
                      monitor=config["train"]["monitor"], progress=progress, on_epoch=on_epoch)
    summary = {"name": os.path.basename(run_dir), "run_dir": run_dir, "status": "completed",
               "dataset": config["data"]["name"], "task": data.task, "seed": config["seed"],
               "overrides": list(overrides), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
               "versions": versions(), "parameters": model.count_parameters()}
    try:
        trainer.fit()
    except TrainingError as error:
        summary.update(status="diverged", error=str(error), epochs_run=len(history),
                       seconds=time.perf_counter() - started)
        runs.write_json(os.path.join(run_dir, "summary.json"), summary)
        raise TrainingError(f"{error} (run folder kept: {run_dir})") from None
    summary["seconds"] = time.perf_counter() - started
    finish(run_dir, config, data, model, trainer, summary)
    return run_dir, summary


def metrics_frame(history):
    import pandas as pd

    columns = ["epoch", "lr", "train_loss", "train_error", "val_loss", "val_error", "seconds"]
    return pd.DataFrame(history, columns=columns)


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
        from .plots import plot_confusion, plot_curves

        for metric in ("loss", "error"):
            plot_curves(trainer.history, metric, os.path.join(run_dir, f"{metric}.png"), summary["name"])
        if data.task == "classification" and len(data.test):
            plot_confusion(np.array(summary["test"]["confusion_matrix"]), data.classes,
                           os.path.join(run_dir, "confusion_matrix.png"), f"{summary['name']}: test split")
    runs.write_json(os.path.join(run_dir, "summary.json"), summary)


def test_metrics(data, loss, error, outputs):
    """Test loss/error, plus accuracy, per-class precision/recall and the confusion matrix for classifiers."""
    metrics = {"loss": loss, "error": error, "samples": len(data.test)}
    if data.task == "classification" and len(data.test):
        from .metrics import confusion_matrix, precision_recall_fscore_support

        true, predicted = data.test.Y.argmax(axis=1), outputs.argmax(axis=1)
        labels = np.arange(len(data.classes))
        precision, recall, f1, support = precision_recall_fscore_support(
            true, predicted, labels=labels, zero_division=0)
        metrics["accuracy"] = 1 - error
        metrics["per_class"] = {str(c): {"precision": p, "recall": r, "f1": f, "support": int(s)}
                                for c, p, r, f, s in zip(data.classes, precision, recall, f1, support)}
        metrics["confusion_matrix"] = confusion_matrix(true, predicted, labels=labels).tolist()
    else:
        metrics["mse"] = error
    return metrics


def predictions_frame(data, split, outputs):
    """Rows of the test split: source row, target, prediction (and class probabilities)."""
    import pandas as pd

    frame = {"row": split.index}
    if data.task == "classification":
        classes = np.array(data.classes, dtype=object)
        frame["target"] = classes[split.Y.argmax(axis=1)] if len(split.Y) else []
        frame.update(prediction_columns(outputs, data.classes))
    else:
        for j in range(outputs.shape[1]):
            suffix = "" if outputs.shape[1] == 1 else f"_{j}"
            frame[f"target{suffix}"] = split.Y[:, j]
            frame[f"prediction{suffix}"] = outputs[:, j]
    return pd.DataFrame(frame)


def prediction_columns(outputs, classes):
    """``prediction`` (a class name) and ``p_<class>`` probability columns for classifier outputs."""
    columns = {"prediction": np.array(classes, dtype=object)[outputs.argmax(axis=1)] if len(outputs) else []}
    columns.update({f"p_{c}": outputs[:, j] for j, c in enumerate(classes)})
    return columns


def load_run(run_dir, which="best"):
    """(config, data, model) of a finished run, with its ``best`` (or ``last``) parameters loaded."""
    from .config import read_yaml, resolve

    config_path = os.path.join(run_dir, "config.yaml")
    params_path = os.path.join(run_dir, "parameters", f"{which}.npz")
    if not os.path.isfile(config_path):
        raise ConfigError(f"{run_dir!r} is not a run folder (no config.yaml)")
    if not os.path.isfile(params_path):
        raise ConfigError(f"{run_dir!r} has no parameters/{which}.npz (did the run finish?)")
    config = resolve(read_yaml(config_path))
    _, data, model, _ = build(config)
    model.load_state_dict(runs.read_arrays(params_path))
    return config, data, model
