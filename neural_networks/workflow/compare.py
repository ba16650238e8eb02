"""Runs side by side: their curves, the best metric against a swept key, and a table best first.

Runs are coloured and labelled only by the config keys whose values differ between them, and
ordered by those values (numbers numerically: lr=0.003 before lr=0.01). Past ``PANEL_RUNS`` runs
the curves are split into small panels, one per value of one differing key, on a shared scale.
"""
import math
import numbers
import os

import numpy as np

from ..config.errors import ConfigError
from .plots import draw_history, figure, plain_log_axis, save
from .results import lookup, optional_columns, read_runs, runs_frame, short_keys, varying_keys
from .sweep import UNSAFE

PANEL_RUNS = 8      # more runs than this: one panel of curves per value of one key
PANEL_COLUMNS = 3   # panels per row (2 for four)


def natural(value):
    """A sort key that puts numbers in numeric order before text: 4 < 16 < 64, 0.003 < 0.01."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, "" if value is None else str(value))


def run_order(configs, keys):
    """Indices of the runs sorted by their ``keys`` values, numbers numerically."""
    return sorted(range(len(configs)), key=lambda i: [natural(lookup(configs[i], k)) for k in keys])


def label(config, keys, short, fallback):
    """``lr=0.01, n_out=16``: the run's values of ``keys``, or ``fallback`` when no key differs."""
    return ", ".join(f"{short[k]}={shown(lookup(config, k))}" for k in keys) or fallback


FEW = 12  # values that still get a tick (and a legend line) each


def few(values):
    """Whether ``values`` are a handful of hand-picked ones (a grid's), not sampled from a range."""
    values = list(dict.fromkeys(values))
    return len(values) <= FEW and all(not isinstance(v, float) or v != v or float(f"{v:.3g}") == v for v in values)


def shown(value):
    """A value for a legend: floats to 3 significant digits (sampled learning rates are long)."""
    return f"{value:.3g}" if isinstance(value, float) else value


def panel_key(configs, varying, by):
    """The key to split many runs' curves by: a differing key other than the ``--by`` ones, the one
    with the fewest values (at least two); None when no key qualifies."""
    counts = {k: len({repr(lookup(c, k)) for c in configs}) for k in varying if k not in by}
    counts = {k: n for k, n in counts.items() if 1 < n < len(configs)}
    return min(counts, key=counts.get) if counts else None


def colors(n):
    from matplotlib import colormaps

    return colormaps["tab10"](np.arange(n)) if n <= 10 else colormaps["viridis"](np.linspace(0, 0.95, n))


def plot_curves(ax, histories, labels, metric, palette, legend=True):
    """Validation (solid) and training (dashed) curves of ``metric``'s quantity, a colour per label."""
    quantity = metric.split("_", 1)[1]
    labelled = set()
    for history, name in zip(histories, labels):
        shown = None if name in labelled else name  # one legend entry per label
        labelled.add(name)
        has_val = history[f"val_{quantity}"].notna().any()
        draw_history(ax, history["epoch"], history[f"train_{quantity}"], history[f"val_{quantity}"],
                     palette[name], train_label=None if has_val else shown, val_label=shown)
    ax.xaxis.get_major_locator().set_params(integer=True)
    if quantity == "loss" and all((h["train_loss"] > 0).all() for h in histories if len(h)):
        plain_log_axis(ax)
    if legend and len(palette) <= 12:
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)


def plot_against(ax, frame, key, metric, others, short):
    """Best ``metric`` against ``key`` (columns of ``frame``): a line per combination of ``others``.

    Numbers spanning a decade or more get a log axis (learning rates); other values are categories.
    """
    numeric = all(natural(v)[0] == 0 for v in frame[key])
    others = [k for k in others if few(frame[k])]  # a sampled key would give a line per run
    groups = frame.groupby(others, dropna=False, sort=False) if others else [((), frame)]
    groups = sorted(groups, key=lambda group: [natural(v) for v in np.atleast_1d(group[0])])
    from matplotlib import colormaps

    shades = colormaps["Dark2"](np.arange(len(groups)) % 8)  # not the curves' colours: other keys
    for (other_values, group), shade in zip(groups, shades):
        group = group.sort_values(key) if numeric else group
        other_values = other_values if isinstance(other_values, tuple) else (other_values,)
        name = ", ".join(f"{short[k]}={shown(v)}" for k, v in zip(others, other_values)) or None
        ax.plot(group[key] if numeric else group[key].astype(str), group[f"best_{metric}"], "s-", color=shade,
                label=name)
    values = sorted(set(frame[key])) if numeric else []
    if numeric and values[0] > 0 and values[-1] >= 10 * values[0]:
        ax.set_xscale("log")
    if 0 < len(values) and few(values):  # a tick at each value tried
        ax.set_xticks(values, [f"{v:g}" for v in values])
        ax.minorticks_off()
    ax.set(xlabel=key, ylabel=f"best {metric}", title=f"best {metric} against {short[key]}")
    if others:
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)


def draw(path, run_dirs, loaded, frame, varying, by, short, metric):
    """The comparison figure: the curves (in panels past PANEL_RUNS runs), then a plot per ``by`` key."""
    configs = [config for config, _, _ in loaded]
    order = run_order(configs, varying)
    split = panel_key(configs, varying, by) if len(run_dirs) > PANEL_RUNS else None
    colour_keys = [k for k in varying if k != split]
    labels = [label(c, colour_keys, short, os.path.basename(r)) for r, c in zip(run_dirs, configs)]
    palette = dict(zip(dict.fromkeys(labels[i] for i in order), colors(len(set(labels)))))
    panels = {}
    for i in order:
        panels.setdefault(None if split is None else lookup(configs[i], split), []).append(i)
    panels = dict(sorted(panels.items(), key=lambda item: natural(item[0])))
    cells = len(panels) + len(by)
    columns = 2 if cells == 4 else min(cells, PANEL_COLUMNS)
    rows = math.ceil(cells / columns)
    width = 4.2 if cells > 1 else 6.5
    fig = figure(figsize=(width * columns + (1.6 if len(panels) > 1 else 0), 3.6 * rows + 0.4),
                 layout="constrained")
    grid = fig.add_gridspec(rows, columns)
    first = fig.add_subplot(grid[0])
    curves = [first] + [fig.add_subplot(grid[i], sharex=first, sharey=first) for i in range(1, len(panels))]
    quantity = metric.split("_", 1)[1]
    for ax, (value, members) in zip(curves, panels.items()):
        plot_curves(ax, [loaded[i][2] for i in members], [labels[i] for i in members], metric, palette,
                    legend=len(panels) == 1)
        ax.set(xlabel="epoch", ylabel=quantity,
               title=f"{short[split]}={value}" if split else f"{quantity}: validation solid, training dashed")
    if len(panels) > 1:
        fig.suptitle(f"{quantity} per {short[split]}: validation solid, training dashed")
        handles = [first.plot([], [], "-", color=palette[name])[0] for name in palette]
        fig.legend(handles, list(palette), loc="outside right center", fontsize="small")
    for i, key in enumerate(by, start=len(panels)):
        plot_against(fig.add_subplot(grid[i]), frame, key, metric, [k for k in varying if k != key], short)
    save(fig, path)


def compare(run_dirs, metric="val_loss", by=(), path=None):
    """The runs' table sorted by best ``metric``, with a column per differing (or ``by``) config key.

    With ``path``, also draw there the curves and, per ``by`` key, the best metric against it.
    A damaged run is left out of the plot and listed last with status ``damaged`` (the reasons in
    ``frame.attrs["damaged"]``).
    """
    import pandas as pd

    run_dirs, loaded, damaged = read_runs(run_dirs)
    varying = varying_keys([config for config, _, _ in loaded])
    short = short_keys(list(dict.fromkeys([*by, *varying])))
    frame = runs_frame(run_dirs, loaded, list(short), metric)
    for key in by:
        if frame[key].isna().all():
            raise ConfigError(f"no run has the config key {key!r}; keys that differ: {', '.join(varying) or 'none'}")
    if path:
        draw(path, run_dirs, loaded, frame, varying, by, short, metric)
    if damaged:
        frame = pd.concat([frame, pd.DataFrame({"run": list(damaged), "status": "damaged"})], ignore_index=True)
    frame.attrs["damaged"] = list(damaged.values())
    return frame


# the columns left out first when a comparison's table is wider than the terminal
OPTIONAL = ("test_error", "status", "seconds", "epochs")


def compare_table(frame, width=None):
    """The comparison table for the terminal: runs named inside their common folder (said above the
    table), config keys by their short names, fitted to ``width`` (default: the terminal's)."""
    from .tables import format_frame

    first_metric = next(c for c in frame.columns if c.startswith("best_") and c != "best_epoch")
    keys = list(frame.columns[2:list(frame.columns).index(first_metric)])
    runs = [os.path.normpath(r) for r in frame["run"]]
    parent = os.path.commonpath(runs) if len(runs) > 1 else os.path.dirname(runs[0])
    if parent in runs:
        parent = os.path.dirname(parent)
    frame = frame.assign(run=[os.path.relpath(r, parent) if parent else r for r in runs])
    frame = frame.rename(columns=short_keys(keys))
    heading = f"runs in {parent}, best first:" if parent else "runs, best first:"
    return heading + "\n" + format_frame(frame, width, optional_columns(frame, OPTIONAL))



def default_output(runs, save_dir="experiments"):
    """``experiments/compare-<what was compared>.png``, with -1, -2, ... rather than overwriting."""
    from .files import unique_path

    names = [UNSAFE.sub("_", os.path.basename(os.path.normpath(r))).strip("_") or "runs" for r in runs]
    stem = "compare-" + "-".join(names)[:60]
    return unique_path(os.path.join(save_dir, f"{stem}.png"))


def axis_values(values, log=False):
    """A parallel-coordinates axis: (positions in [0, 1], tick positions, tick labels). Numbers are
    scaled between their extremes (log-scaled with ``log``); anything else is a category, evenly spaced."""
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) and v == v for v in values)
    if not numeric:
        names = sorted({str(v) for v in values})
        spacing = max(len(names) - 1, 1)
        return np.array([names.index(str(v)) / spacing for v in values]), \
            [i / spacing for i in range(len(names))], names
    x = np.log10(np.asarray(values, dtype=float)) if log else np.asarray(values, dtype=float)
    low, high = x.min(), x.max()
    span = high - low or 1.0
    ticks = np.linspace(low, high, 3) if high > low else np.array([low])
    labels = [f"{10 ** t if log else t:.3g}" for t in ticks]
    return (x - low) / span, list((ticks - low) / span), labels


def plot_parallel(frame, keys, metric, path, log_keys=()):
    """Parallel coordinates: an axis per swept key and one for the best ``metric``; a line per run,
    coloured by the metric (dark = low = good), the best run drawn thickest."""
    from matplotlib import colormaps

    from .plots import figure, save

    frame = frame[frame[f"best_{metric}"].notna()].reset_index(drop=True)
    short = short_keys(list(keys))
    columns = [*keys, f"best_{metric}"]
    axes_data = [axis_values(list(frame[c]), c in log_keys) for c in columns]
    fig = figure(figsize=(max(5.0, 2.2 * len(columns)), 4.2))
    ax = fig.subplots()
    scores = axes_data[-1][0]
    order = np.argsort(-scores)  # the best last, on top
    cmap = colormaps["viridis"]
    for rank, i in enumerate(order):
        best = rank == len(order) - 1
        ax.plot(range(len(columns)), [a[0][i] for a in axes_data], color=cmap(scores[i] * 0.9),
                lw=2.6 if best else 1.0, alpha=1 if best else 0.7, zorder=3 if best else 2)
    for j, (_, ticks, labels) in enumerate(axes_data):
        ax.axvline(j, color="0.3", lw=0.8)
        for t, label in zip(ticks, labels):
            ax.text(j + 0.04, t, label, fontsize=8, va="center", ha="left",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5})
    names = [short.get(c, c) + (" (log)" if c in log_keys else "") for c in keys] + [f"best {metric}"]
    ax.set_xticks(range(len(columns)), names)
    ax.set_yticks([])
    ax.set_xlim(-0.2, len(columns) - 0.4)
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"{len(frame)} runs: each line one run, colour by best {metric} (dark = lower)")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    save(fig, path)
