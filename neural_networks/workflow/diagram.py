"""The network drawn as a computational graph, data flowing top to bottom.

Values are ellipses (their shape), operations are boxes (the layer, its activation and parameter
count), as in the course's hand-drawn graphs. A small fully connected net (every layer at most
``MAX_UNITS`` wide) is drawn unit by unit instead: circles joined by its weights.

A *trained* network (a run's saved weights) is drawn to show what it learned: unit by unit up to
``MAX_TRAINED_UNITS`` per layer, line width ~ |w| and colour the sign of w; on 2 input features each
first-layer unit is a small map of its output over the input plane, drawn where the unit is (as in
TensorFlow Playground). A larger trained net is the graph with each layer's weights as a heat map
(W as a (fan_in, n_out) matrix) beside its box. Blue is > 0 and red < 0 throughout.
"""
import numpy as np

from .plots import figure, save
from .model_table import layer_rows, shape_text

MAX_UNITS = 12
MAX_TRAINED_UNITS = 32
MAP_GRID = 48  # grid points per side of each unit's map


def draws_units(model, rows, limit=MAX_UNITS):
    """True when every value is a vector of at most ``limit`` and every layer is dense or element-wise."""
    if any(len(row.shape) != 1 or row.shape[0] > limit for row in rows):
        return False
    return all(set(layer.parameters) <= {"W", "b"} and (layer.parameters or before.shape == after.shape)
               for layer, before, after in zip(model.layers, rows, rows[1:]))


def plot_architecture(model, input_shape, path, title="", dtype=np.float32, data=None):
    """Write the diagram of ``model`` (built for samples of ``input_shape``) to the PNG ``path``;
    with ``data`` (the run's :class:`~neural_networks.data.Data`), as a trained network."""
    rows = layer_rows(model, input_shape, dtype)
    if data is None:
        fig = (_draw_units if draws_units(model, rows) else _draw_graph)(model, rows, model.loss.name)
    elif draws_units(model, rows, MAX_TRAINED_UNITS):
        fig = _draw_units(model, rows, model.loss.name, unit_maps(model, data))
    else:
        fig = _draw_graph(model, rows, model.loss.name, trained=True)
    fig.axes[0].set_title(f"{title}: trained weights" if data is not None else title)
    save(fig, path)


def unit_maps(model, data):
    """(row of the diagram, maps (units, MAP_GRID, MAP_GRID)): each unit's output of the first layer
    with weights over the plane of the 2 raw input features; None for other inputs."""
    from .boundary import Plane
    from .weight_images import first_layer, layer_output

    if tuple(data.input_shape) != (2,):
        return None
    index, _ = first_layer(model)
    plane = Plane(data)
    outputs = layer_output(model, index, plane.grid(plane.extent(), MAP_GRID))
    return index + 1, np.moveaxis(outputs.reshape(MAP_GRID, MAP_GRID, -1), 2, 0)


def _label(row):
    """The operation's text: kind, its arguments, activation, parameter count."""
    text = row.kind.replace("(", "\n(", 1) + (f"\n{row.activation}" if row.activation else "")
    return text + (f"\n{row.parameters:,} parameters" if row.parameters else "")


def _draw_graph(model, rows, loss, trained=False):
    """Alternating value ellipses and operation boxes down the middle, joined by arrows; ``trained``:
    each layer's weights as a heat map beside its box."""
    nodes = [("value", f"X  {shape_text(rows[0].shape)}", None, None)]
    for layer, row in zip(model.layers, rows[1:]):
        nodes.append(("op", _label(row), row.parameters, layer.parameters.get("W") if trained else None))
        nodes.append(("value", shape_text(row.shape), None, None))
    nodes[-1] = ("value", f"Ŷ  {shape_text(rows[-1].shape)}", None, None)
    if loss:
        nodes += [("op", f"{loss} loss\n(with targets Y)", None, None), ("value", "L", None, None)]
    # Laid out in inches (one data unit = one inch) so that boxes of several lines never meet the arrows.
    heights = [0.16 * text.count("\n") + 0.32 for _, text, _, _ in nodes]
    gap = 0.32
    tops = np.concatenate([[0.0], -np.cumsum(np.add(heights, gap))[:-1]])
    total = -tops[-1] + heights[-1]
    fig = figure(figsize=(4.5 + 2.5 * trained, total))
    ax = fig.add_axes([0, 0, 1, 1])
    for i, ((kind, text, parameters, W), top, height) in enumerate(zip(nodes, tops, heights)):
        if kind == "value":
            style = dict(boxstyle="round,pad=0.35,rounding_size=0.8", fc="#fff6d5", ec="#a08020")
        else:
            style = dict(boxstyle="square,pad=0.5", fc="#d8e6f5" if parameters else "#eeeeee", ec="#305080")
        ax.text(0, top - height / 2, text, ha="center", va="center", fontsize=9, bbox=style, zorder=3)
        if W is not None:
            _weight_map(ax, W, top, height)
        if i:
            ax.annotate("", xy=(0, top), xytext=(0, top + gap),
                        arrowprops=dict(arrowstyle="-|>", color="#555555", shrinkA=0, shrinkB=0), zorder=1)
    ax.set_xlim(-2.25, 2.25 + 2.5 * trained)
    ax.set_ylim(-total, 0)
    ax.axis("off")
    return fig


def _weight_map(ax, W, top, height):
    """W as a (fan_in, n_out) heat map, blue > 0, red < 0, white 0, to the right of a box at ``top``."""
    W = W.reshape(-1, W.shape[-1])
    limit = max(float(np.abs(W).max()), 1e-12)
    inset = ax.inset_axes([2.3, top - max(height, 0.5), 2.3, max(height, 0.5)], transform=ax.transData)
    inset.imshow(W.T, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel(f"W: {W.shape[0]} in x {W.shape[1]} out, |w| ≤ {limit:.2g}", fontsize=7, labelpad=1)


def _draw_units(model, rows, loss, maps=None):
    """Rows of unit circles; dense weights as lines (width ~ |w|, blue > 0, red < 0), element-wise as ticks."""
    from matplotlib.collections import LineCollection

    widest = max(row.shape[0] for row in rows)
    fig = figure(figsize=(max(4.0, 0.55 * widest + 2.5), 1.3 * len(rows) + 0.5))
    ax = fig.subplots()

    def xs(row):
        return np.arange(row.shape[0]) - (row.shape[0] - 1) / 2

    for i, (layer, before, after) in enumerate(zip(model.layers, rows, rows[1:])):
        x0, x1, y0, y1 = xs(before), xs(after), -i, -i - 1
        if "W" in layer.parameters:
            W = layer.parameters["W"]
            a, b = np.meshgrid(np.arange(len(x0)), np.arange(len(x1)), indexing="ij")
            segments = np.stack([np.stack([x0[a], np.full(a.shape, y0)], -1),
                                 np.stack([x1[b], np.full(b.shape, y1)], -1)], axis=2).reshape(-1, 2, 2)
            strength = np.abs(W).ravel() / max(np.abs(W).max(), 1e-12)
            colors = np.where(W.ravel()[:, None] > 0, [[0.15, 0.35, 0.75]], [[0.8, 0.2, 0.15]])
            ax.add_collection(LineCollection(segments, linewidths=0.3 + 2.2 * strength,
                                             colors=np.column_stack([colors, 0.25 + 0.6 * strength]), zorder=1))
        else:
            ax.add_collection(LineCollection([[(x, y0), (x, y1)] for x in x0], colors="#999999", zorder=1))
    for i, row in enumerate(rows):
        ax.scatter(xs(row), np.full(row.shape[0], -i), s=260, c="#fff6d5" if i == 0 else "#d8e6f5",
                   edgecolors="#305080", zorder=3)
        label = "input" if i == 0 else _label(row).replace("\n", ", ")
        ax.text(-widest / 2 - 0.6, -i, f"{label}\n{shape_text(row.shape)}", ha="right", va="center", fontsize=8)
    if maps is not None:
        _unit_maps(ax, xs(rows[maps[0]]), -maps[0], maps[1])
    legend = "weights: blue > 0, red < 0, width ~ |w|"
    if maps is not None:
        legend += "\neach unit's map: its output over the input plane (blue > 0, red < 0)"
    ax.text(0, -len(rows) + 0.45, (f"→ {loss} loss\n" if loss else "") + legend, ha="center", va="center", fontsize=8)
    ax.set_xlim(-widest / 2 - 0.6, widest / 2 + 0.2)
    ax.set_ylim(-len(rows) + 0.2, 0.6)
    ax.axis("off")
    return fig


def _unit_maps(ax, xs, y, maps):
    """Each unit's output map (MAP_GRID², lowest input-plane row first) in place of its circle."""
    for x, values in zip(xs, maps):
        limit = max(float(np.abs(values).max()), 1e-12)
        inset = ax.inset_axes([x - 0.42, y - 0.42, 0.84, 0.84], transform=ax.transData, zorder=4)
        inset.imshow(values, origin="lower", cmap="RdBu", vmin=-limit, vmax=limit, interpolation="bilinear")
        inset.set_xticks([])
        inset.set_yticks([])
