"""diagnostics.png: the per-layer diagnostics of a run (see :mod:`neural_networks.diagnostics`) in one figure.

Top row, one line per layer over the epochs: the gradient norm (log scale), the update ratio
(log scale, the healthy band around 1e-3 shaded) and the dead (ReLU, solid) or saturated
(sigmoid/tanh, dashed) fraction. Bottom row: each layer's activation histogram at the first and
the last epoch, so that a layer collapsing to zero, or piling up at its bounds, shows at a glance.
"""
import numpy as np

from .plots import figure, save

BAND = (1e-4, 1e-2)  # update ratios within a factor of 10 of 1e-3
MOST_HISTOGRAMS = 8  # more layers than this: the histograms of the first eight


def series(rows, layer, column):
    """(epochs, values) of one layer's column, leaving out epochs where it does not apply."""
    points = [(row["epoch"], row[column]) for row in rows if row["layer"] == layer and row[column] is not None]
    return [p[0] for p in points], [p[1] for p in points]


def curves(ax, rows, layers, labels, column, log=True, style="-"):
    """One line per layer that has ``column``; returns whether any was drawn."""
    drawn = False
    for i in layers:
        epochs, values = series(rows, i, column)
        if values and (not log or any(v > 0 for v in values)):
            ax.plot(epochs, values, style, marker="." if len(epochs) < 30 else None,
                    label=f"{i} {labels[i]}", color=f"C{i % 10}")
            drawn = True
    if log and drawn:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    return drawn


def plot_diagnostics(rows, histograms, labels, path, title=""):
    """Draw the diagnostics ``rows`` and activation ``histograms`` (first/last epoch) to ``path``."""
    layers = sorted({row["layer"] for row in rows})
    shown = layers[:MOST_HISTOGRAMS]
    fig = figure(figsize=(max(12, 2.2 * len(shown)), 7.5), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.2, 1])
    grad, ratio, fraction = top.subplots(1, 3)

    if curves(grad, rows, layers, labels, "grad_norm"):
        grad.legend(fontsize=8, title="layer", title_fontsize=8)
    grad.set_title("weight gradient norm (mean over the epoch)")

    ratio.axhspan(*BAND, color="tab:green", alpha=0.12, label="healthy: 1e-4 to 1e-2")
    ratio.axhline(1e-3, color="tab:green", lw=0.8)
    curves(ratio, rows, layers, labels, "update_ratio")
    ratio.set_yscale("log")
    ratio.set_title("update ratio |dW| / |W| (last step)")
    ratio.legend(fontsize=8)

    dead = curves(fraction, rows, layers, labels, "dead_fraction", log=False)
    saturated = curves(fraction, rows, layers, labels, "saturated_fraction", log=False, style="--")
    fraction.set_ylim(-0.03, 1.03)
    fraction.set_title("dead units (solid), saturated outputs (dashed)")
    if dead or saturated:
        fraction.legend(fontsize=8, title="layer", title_fontsize=8)
    else:
        fraction.text(0.5, 0.5, "no ReLU, sigmoid or tanh layer", ha="center", va="center",
                      transform=fraction.transAxes, color="gray")

    axes = np.atleast_1d(bottom.subplots(1, len(shown)))
    first, last = histograms["first"], histograms["last"]
    for ax, i in zip(axes, shown):
        values = [first["values"][i], last["values"][i]]
        low, high = min(v.min() for v in values), max(v.max() for v in values)
        bins = np.linspace(low, high if high > low else low + 1, 31)
        ax.hist(values[0], bins, alpha=0.5, color="tab:blue", label=f"epoch {first['epoch']}")
        ax.hist(values[1], bins, alpha=0.5, color="tab:orange", label=f"epoch {last['epoch']}")
        ax.set_title(f"layer {i} ({labels[i]})", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    axes[0].legend(fontsize=8)
    bottom.suptitle("activations on the probe batch: first and last epoch", fontsize=10)
    fig.suptitle(f"{title}: per-layer diagnostics" if title else "per-layer diagnostics")
    save(fig, path)
