"""A model at a glance, like Keras's ``model.summary()``: every layer's output shape and parameter count."""
from dataclasses import dataclass

import numpy as np

from .tables import format_table, wrap_text

# Layer arguments the table shows in columns of their own (or as the output shape), not beside the kind.
_OWN_COLUMNS = ("name", "n_out", "activation", "weight_init")


@dataclass
class LayerRow:
    name: str            # ``layers.<i>``, the prefix of the layer's keys in parameters/*.npz
    kind: str            # registered name with its other arguments, e.g. ``dropout(p=0.5)``
    activation: str      # "" when linear
    shape: tuple         # one sample's output shape (no batch axis)
    parameters: int      # trained numbers (``layer.parameters``)
    buffers: int         # saved, untrained numbers (``layer.buffers``, e.g. running statistics)
    initializer: str     # the weight initializer, "" for a layer without weights (batch norm has none)


def spec_text(spec, skip=("name",)):
    """``{name: sgd, lr: 0.1, nesterov: false}`` -> ``sgd(lr=0.1, nesterov=False)``; None values left out."""
    if not isinstance(spec, dict):
        return str(spec)
    args = ", ".join(f"{k}={spec_text(v)}" for k, v in spec.items() if k not in skip and v is not None)
    return f"{spec['name']}({args})" if args else str(spec["name"])


def layer_rows(model, input_shape, dtype=np.float32):
    """An ``input`` row, then one row per layer; shapes come from running a zeros sample through the layers."""
    X = np.zeros((1,) + tuple(input_shape), dtype=dtype)
    rows = [LayerRow("input", "", "", tuple(input_shape), 0, 0, "")]
    for i, layer in enumerate(model.layers):
        X = layer.forward(X, training=False)
        nonlinearity = getattr(layer, "cell", layer.activation)  # a recurrent layer's acts inside its loop
        rows.append(LayerRow(
            f"layers.{i}", spec_text(layer.get_config(), _OWN_COLUMNS),
            "" if nonlinearity.name == "linear" else spec_text(nonlinearity.config),
            X.shape[1:], sum(p.size for p in layer.parameters.values()),
            sum(b.size for b in layer.buffers.values()),
            spec_text(layer.weight_init.config) if layer.decayed else ""))
    return rows


def initializer_text(rows):
    """``he_uniform (layers.0, layers.2), zeros (layers.4)``: each initializer with the layers using it."""
    users = {}
    for row in rows:
        if row.initializer:
            users.setdefault(row.initializer, []).append(row.name)
    return ", ".join(f"{init} ({', '.join(names)})" for init, names in users.items()) or "none (no parameters)"


def shape_text(shape):
    return "[" + ", ".join(str(n) for n in shape) + "]"


def format_summary(config, data, model, width=None):
    """The summary table with the data above and the totals, initializers, loss and optimizer below,
    every line fitting ``width`` (default: the terminal's) columns."""
    rows = layer_rows(model, data.input_shape, np.dtype(config["dtype"]))
    header = ["layer", "kind", "activation", "output shape", "parameters"]
    lines = [[r.name, r.kind, r.activation, shape_text(r.shape), r.parameters] for r in rows]
    classes = f", {len(data.classes)} classes" if data.task == "classification" else ", regression"
    total = sum(r.parameters for r in rows)
    buffers = sum(r.buffers for r in rows)
    prose = [f"model {config['name']!r}: data {config['data']['name']} ({len(data.train):,} train / "
             f"{len(data.val):,} validation / {len(data.test):,} test samples{classes}), {config['dtype']}",
             f"total parameters: {total:,}" + (f" (+ {buffers:,} saved buffer values)" if buffers else ""),
             f"initializer: {initializer_text(rows)}",
             f"loss: {spec_text(model.loss.config)}",
             f"optimizer: {spec_text(config['optimizer'])}"]
    text = [prose[0], *format_table(header, lines, width), *prose[1:]]
    return "\n".join(wrap_text(line, width) for line in text)
