"""Runs side by side: overlaid training/validation curves, and the best metric against a swept key."""
import numpy as np

from ..config.errors import ConfigError
from .results import lookup, read_runs, runs_frame, short_keys, varying_keys


def plot_curves(ax, histories, names, metric):
    """Validation (solid) and training (dashed) curves of ``metric``'s quantity; runs named alike share a colour."""
    quantity = metric.split("_", 1)[1]
    palette = dict(zip(dict.fromkeys(names), colors(len(set(names)))))
    labelled = set()
    for history, name in zip(histories, names):
        label = None if name in labelled else name  # one legend entry per name
        labelled.add(name)
        has_val = history[f"val_{quantity}"].notna().any()
        ax.plot(history["epoch"], history[f"train_{quantity}"], "--", color=palette[name], lw=0.8,
                label=None if has_val else label)
        if has_val:
            ax.plot(history["epoch"], history[f"val_{quantity}"], "-", color=palette[name], lw=1.3, label=label)
    ax.set(xlabel="epoch", ylabel=quantity, title=f"{quantity}: validation solid, training dashed")
    ax.xaxis.get_major_locator().set_params(integer=True)
    if quantity == "loss" and all((h["train_loss"] > 0).all() for h in histories):
        ax.set_yscale("log")
    if len(palette) <= 12:
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)


def colors(n):
    from matplotlib import colormaps

    return colormaps["tab10"](np.arange(n)) if n <= 10 else colormaps["viridis"](np.linspace(0, 1, n))


def plot_against(ax, frame, key, metric, others, short):
    """Best ``metric`` against ``key`` (columns of ``frame``): a line per combination of ``others``.

    Numbers spanning a decade or more get a log axis (learning rates); other values are categories.
    """
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in frame[key])
    groups = frame.groupby(others, dropna=False, sort=True) if others else [((), frame)]
    for other_values, group in groups:
        group = group.sort_values(key) if numeric else group
        other_values = other_values if isinstance(other_values, tuple) else (other_values,)
        label = ", ".join(f"{short[k]}={v}" for k, v in zip(others, other_values)) or None
        ax.plot(group[key] if numeric else group[key].astype(str), group[f"best_{metric}"], "o-", label=label)
    values = sorted(set(frame[key])) if numeric else []
    if numeric and values[0] > 0 and values[-1] >= 10 * values[0]:
        ax.set_xscale("log")
    if 0 < len(values) <= 12:  # a tick at each value tried
        ax.set_xticks(values, [f"{v:g}" for v in values])
        ax.minorticks_off()
    ax.set(xlabel=key, ylabel=f"best {metric}", title=f"best {metric} against {short[key]}")
    if others:
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)


def compare(run_dirs, metric="val_loss", by=(), path=None):
    """The runs' table sorted by best ``metric``, with a column per differing (or ``by``) config key.

    With ``path``, also draw there the curves and, per ``by`` key, the best metric against it.
    A damaged run is left out of the plot and listed last with status ``damaged`` (the reasons in
    ``frame.attrs["damaged"]``).
    """
    import pandas as pd

    run_dirs, loaded, damaged = read_runs(run_dirs)
    configs = [config for config, _, _ in loaded]
    varying = varying_keys(configs)
    short = short_keys(list(dict.fromkeys([*by, *varying])))
    frame = runs_frame(run_dirs, loaded, list(short), metric)
    for key in by:
        if frame[key].isna().all():
            raise ConfigError(f"no run has the config key {key!r}; keys that differ: {', '.join(varying) or 'none'}")
    if path:
        from .plots import figure, save

        shown = [k for k in short if k in varying][:1 if len(run_dirs) > 10 else None]  # many runs: colour by one key
        names = [", ".join(f"{short[k]}={lookup(c, k)}" for k in shown) or run_dir
                 for run_dir, c in zip(run_dirs, configs)]
        fig = figure(figsize=(6.5 + 4.5 * len(by), 4.2))
        axes = fig.subplots(1, 1 + len(by), squeeze=False)
        plot_curves(axes[0][0], [metrics for _, _, metrics in loaded], names, metric)
        for ax, key in zip(axes[0][1:], by):
            plot_against(ax, frame, key, metric, [k for k in varying if k != key], short)
        fig.tight_layout()
        save(fig, path)
    if damaged:
        frame = pd.concat([frame, pd.DataFrame({"run": list(damaged), "status": "damaged"})], ignore_index=True)
    frame.attrs["damaged"] = list(damaged.values())
    return frame
