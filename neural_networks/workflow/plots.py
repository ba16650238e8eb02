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


def number_text(value):
    """A tick label a reader reads at a glance: 0.6, 0.01, 20, 1e-3 (never 6x10^-1)."""
    if value == 0:
        return "0"
    text = f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.0e}"
    return text.replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")


def plain_log_axis(ax):
    """A log scale on ``ax``'s y axis labelled with plain numbers. Within two decades the 2x and 5x
    minor ticks are labelled too, so that a short axis still shows its values."""
    from matplotlib.ticker import FuncFormatter

    ax.set_yscale("log")
    axis = ax.yaxis

    def minor(value, _):
        low, high = sorted(axis.get_view_interval())
        first = f"{value:.0e}"[0]
        return number_text(value) if high < 100 * low and first in "25" else ""

    axis.set_major_formatter(FuncFormatter(lambda value, _: number_text(value)))
    axis.set_minor_formatter(FuncFormatter(minor))


def draw_history(ax, epochs, train, val, color=None, train_label=None, val_label=None):
    """One run's curves, the same in every picture: training dashed, validation solid (left out
    when the run has no validation split)."""
    ax.plot(epochs, train, "--", color=color, lw=1.0, label=train_label)
    if not np.all(np.isnan(np.asarray(val, dtype=float))):
        ax.plot(epochs, val, "-", color=color, lw=1.4, label=val_label)


def plot_curves(history, metric, path, title="", best_epoch=None, log=False, ylabel=None):
    """Training vs validation ``metric`` ('loss' or 'error') per epoch, on a log axis when ``log``
    (and every value is positive), with the best epoch marked."""
    fig = figure(figsize=(6, 4))
    ax = fig.subplots()
    draw_history(ax, [row["epoch"] for row in history], [row[f"train_{metric}"] for row in history],
                 [row[f"val_{metric}"] for row in history], train_label="training", val_label="validation")
    if best_epoch:
        ax.axvline(best_epoch, color="0.4", lw=0.9, ls=":", label=f"best epoch ({best_epoch})")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or metric)
    ax.xaxis.get_major_locator().set_params(integer=True)
    if log and all(row[f"train_{metric}"] > 0 for row in history):
        plain_log_axis(ax)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, path)


def plot_confusion(matrix, classes, path, title=""):
    """A confusion matrix: rows are true classes, columns predicted ones (labels slanted only when long)."""
    size = max(4, 0.5 * len(classes) + 2)
    fig = figure(figsize=(size, size))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues")
    ticks = np.arange(len(classes))
    names = [str(c) for c in classes]
    slanted = max(len(n) for n in names) > 3
    ax.set_xticks(ticks, names, rotation=45 if slanted else 0, ha="right" if slanted else "center")
    ax.set_yticks(ticks, names)
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if count > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    save(fig, path)


def plot_predictions(X, Y, outputs, path, title=""):
    """A regression's test predictions: predicted against true (the diagonal is perfect), and for one
    input and one output, the fitted curve over the data as well."""
    curve = X.ndim == 2 and X.shape[1] == 1 and Y.shape[1] == 1
    fig = figure(figsize=(10 if curve else 5, 4.2), layout="constrained")
    axes = fig.subplots(1, 2 if curve else 1, squeeze=False)[0]
    ax = axes[0]
    low, high = float(min(Y.min(), outputs.min())), float(max(Y.max(), outputs.max()))
    ax.plot([low, high], [low, high], color="0.6", lw=1, label="perfect")
    for j in range(Y.shape[1]):
        ax.plot(Y[:, j], outputs[:, j], ".", alpha=0.7, label=f"output {j}" if Y.shape[1] > 1 else "test samples")
    ax.set(xlabel="true", ylabel="predicted", title="predicted against true")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    if curve:
        ax = axes[1]
        order = np.argsort(X[:, 0])
        ax.plot(X[:, 0], Y[:, 0], ".", color="0.55", label="test data")
        ax.plot(X[order, 0], outputs[order, 0], "-", color="C3", lw=1.8, label="model")
        ax.set(xlabel="input", ylabel="output", title="the fitted curve")
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    save(fig, path)
