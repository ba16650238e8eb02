"""A model's scores on its splits, and the one way they are written for a person."""
from ..trainer import evaluate

SPLITS = ("train", "val", "test")


def score_text(task, error):
    """``accuracy 0.9667`` for a classifier (1 - error), ``mse 0.0123`` for a regressor."""
    return f"accuracy {1 - error:.4f}" if task == "classification" else f"mse {error:.4g}"


def split_scores(data, model):
    """``[(split, loss, error, samples), ...]`` of ``model`` on the train, validation and test splits."""
    return [(name, *evaluate(model, getattr(data, name), data.task)[:2], len(getattr(data, name)))
            for name in SPLITS]


def result_line(summary):
    """The line ``nnrun train`` ends with: the best epoch and the test scores of the saved model."""
    test = summary["test"]
    return (f"best epoch {summary['best_epoch']}/{summary['epochs_run']}, test loss {test['loss']:.4g}, "
            f"test {score_text(summary['task'], test['error'])}, {summary['seconds']:.2f} s")
