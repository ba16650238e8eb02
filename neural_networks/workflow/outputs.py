"""What a finished run writes: parameters, test predictions and metrics, plots, the final summary.json."""
import os

import numpy as np

from . import files
from ..callbacks import BestState, monitored
from ..diagnostics import Diagnostics, labels, warnings
from ..metrics import METRICS
from ..trainer import evaluate


def preprocess_arrays(data):
    """The fitted preprocessing (x - shift) / scale, saved beside the parameters so a run predicts raw inputs."""
    return {"preprocess.shift": data.shift, "preprocess.scale": data.scale}


def finish(run_dir, config, data, model, trainer, summary):
    """Parameters, test predictions, plots and summary.json, once training is over (the model holds
    the best epoch's state, the trainer's :class:`BestState` the last one)."""
    params = os.path.join(run_dir, "parameters")
    best_state = trainer.callback(BestState)
    files.write_arrays(os.path.join(params, "last.npz"), {**best_state.last_state, **preprocess_arrays(data)})
    files.write_arrays(os.path.join(params, "best.npz"), {**model.state_dict(), **preprocess_arrays(data)})
    test_loss, test_error, outputs = evaluate(model, data.test, data.task)
    files.write_frame(os.path.join(run_dir, "predictions.csv"), predictions_frame(data, data.test, outputs))
    best = trainer.history[best_state.epoch - 1]
    summary.update(
        best_epoch=best_state.epoch, epochs_run=len(trainer.history), monitor=monitored(best_state.monitor, data),
        best={k: best[k] for k in METRICS}, final={k: trainer.history[-1][k] for k in METRICS},
        test=test_metrics(data, test_loss, test_error, outputs))
    diagnostics = trainer.callback(Diagnostics)
    summary["warnings"] = warnings(diagnostics.rows, labels(model)) if diagnostics else []
    if config["log"]["plot"]:
        from .diagram import plot_architecture
        from .images import image_shape
        from .plots import plot_confusion, plot_curves, plot_predictions
        from .weight_images import plot_weights

        plot_architecture(model, data.input_shape, os.path.join(run_dir, "architecture.png"), summary["name"],
                          config["dtype"], data)
        regression = data.task != "classification"
        for metric in ("loss", "error"):  # a regression's error is its MSE: a log axis, as for the loss
            plot_curves(trainer.history, metric, os.path.join(run_dir, f"{metric}.png"), summary["name"],
                        best_epoch=best_state.epoch, log=metric == "loss" or regression,
                        ylabel="error (mean squared)" if regression and metric == "error" else None)
        if not regression and len(data.test):
            plot_confusion(np.array(summary["test"]["confusion_matrix"]), data.classes,
                           os.path.join(run_dir, "confusion_matrix.png"), f"{summary['name']}: test split")
        if regression and len(data.test):
            plot_predictions(raw_inputs(data, data.test.X), data.test.Y, outputs,
                             os.path.join(run_dir, "predictions.png"), f"{summary['name']}: test split")
        shape = image_shape(config, data)
        plot_boundaries(run_dir, data, model, trainer, summary, shape)
        if shape:
            plot_weights(model, data, shape, os.path.join(run_dir, "weights.png"), f"{summary['name']}: first layer")
        if diagnostics and diagnostics.rows:
            from .diagnostics_plot import plot_diagnostics

            plot_diagnostics(diagnostics.rows, diagnostics.histograms, labels(model),
                             os.path.join(run_dir, "diagnostics.png"), summary["name"])
    files.write_json(os.path.join(run_dir, "summary.json"), summary)


def plot_boundaries(run_dir, data, model, trainer, summary, image_shape):
    """decision_boundary.png (the saved, best epoch's model) and .gif (the frames kept while training;
    2 features only: on more, the PNG is drawn on a plane of principal components)."""
    from .boundary import BoundaryFrames, applies, applies_in_projection, plot_decision_boundary, write_gif

    if not (applies(data) or applies_in_projection(data, image_shape)):
        return
    plot_decision_boundary(model, data, os.path.join(run_dir, "decision_boundary.png"),
                           f"{summary['name']}: class regions at the best epoch ({summary['best_epoch']})")
    frames = trainer.callback(BoundaryFrames)
    if frames and frames.epochs:
        write_gif(frames, trainer.history, os.path.join(run_dir, "decision_boundary.gif"), summary["name"])


def raw_inputs(data, X):
    """Inputs as the data gave them, before the fitted preprocessing X' = (X - shift) / scale."""
    return X.reshape(len(X), -1) * data.scale + data.shift


def test_metrics(data, loss, error, outputs):
    """Test loss/error, plus accuracy, per-class precision/recall and the confusion matrix for classifiers."""
    classify = data.task == "classification"
    metrics = {"loss": loss, "error": error, "samples": len(data.test)}
    metrics.update({"accuracy": 1 - error} if classify else {"mse": error})
    if classify and len(data.test):
        from ..metrics import confusion_matrix, precision_recall_fscore_support

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
