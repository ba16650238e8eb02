"""Figures of a run, drawn with matplotlib's file-only Agg backend (imported only when drawing)."""
import numpy as np


def figure(**kwargs):
    """A new matplotlib Figure, outside pyplot's global state: safe in threads (Dask workers),
    and freed when no longer referenced."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def save(fig, path):
    """Write a figure as PNG, atomically."""
    from .files import atomic_write

    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100, bbox_inches="tight"), mode="wb")


def plot_curves(history, metric, path, title=""):
    """Training vs validation ``metric`` ('loss' or 'error') per epoch."""
    fig = figure(figsize=(6, 4))
    ax = fig.subplots()
    epochs = [row["epoch"] for row in history]
    for split, style in (("train", "-"), ("val", "--")):
        values = [row[f"{split}_{metric}"] for row in history]
        if not np.all(np.isnan(values)):
            ax.plot(epochs, values, style, label={"train": "training", "val": "validation"}[split])
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    if metric == "loss" and all(row["train_loss"] > 0 for row in history):
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, path)


def plot_confusion(matrix, classes, path, title=""):
    """A confusion matrix: rows are true classes, columns predicted ones."""
    size = max(4, 0.5 * len(classes) + 2)
    fig = figure(figsize=(size, size))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues")
    ticks = np.arange(len(classes))
    ax.set_xticks(ticks, [str(c) for c in classes], rotation=45, ha="right")
    ax.set_yticks(ticks, [str(c) for c in classes])
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if count > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    save(fig, path)
