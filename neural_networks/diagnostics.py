"""Per-layer diagnostics: what happens inside the network while it learns, measured once per epoch.

Each layer ``l`` with output Y (its activation applied) is measured on a fixed probe batch of up to
``PROBE`` training samples, in evaluation mode:

- ``activation_mean``, ``activation_std``: mean and standard deviation of every element of Y;
- ``dead_fraction`` (ReLU): the fraction of units (the last axis: neurons, or conv channels) whose
  output is 0 for every probe sample and position; such a unit gets no gradient and never recovers;
- ``saturated_fraction`` (sigmoid, tanh): the fraction of outputs within 1% of the range from a
  bound (sigmoid y < 0.01 or y > 0.99; tanh |y| > 0.98), where f'(z) is nearly 0.

Layers with weights (the parameters weight decay applies to: ``W``, or ``W_x`` and ``W_h``) also get

- ``grad_norm``: ||dL/dW||_2 (all the layer's weights as one vector), averaged over the epoch's batches;
- ``weight_norm``: ||W||_2 at the end of the epoch;
- ``update_ratio``: ||W_after - W_before|| / ||W_before|| over the epoch's last optimizer step;
  about 1e-3 is the classic healthy value (CS231n), 1e-1 means the lr is far too high.

The probe is drawn once, from a generator derived from the run's seed (its seed sequence with one
more spawn key), not from the run's generator itself: the training stream is the same with or
without diagnostics, and a resumed run draws the same probe. Measuring only reads the network,
so training stays bit-exact.
"""
import math

import numpy as np

from .callbacks import Callback

PROBE = 512
PROBE_KEY = 0x5052  # the spawn key that makes the probe's generator a child of the run's
COLUMNS = ["epoch", "layer", "name", "activation_mean", "activation_std", "dead_fraction",
           "saturated_fraction", "grad_norm", "weight_norm", "update_ratio"]
DEAD = ("relu",)
SATURATING = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
SATURATION_MARGIN = 0.01  # "within 1% of the bounds": 1% of the output range
STATS_CHUNK = 2 ** 16  # values per float64 chunk of the moments
HISTOGRAM_VALUES = 2000  # activation values kept per layer for the histograms of the first and last epoch


def output_activation(layer):
    """The name of the function whose values the layer outputs: its activation, or a recurrent cell's."""
    name = layer.activation.name
    return getattr(layer, "cell", layer.activation).name if name == "linear" else name


def norm(arrays):
    """||(a_1, a_2, ...)||_2: the L2 norm of the arrays taken together as one vector (in float64)."""
    return math.sqrt(sum(float(np.vdot(a, a)) for a in arrays))


def probe_rows(n, rng):
    """Up to PROBE sorted row indices of n training samples, drawn from a child of ``rng``'s seed."""
    seeds = rng.bit_generator.seed_seq
    child = np.random.default_rng(np.random.SeedSequence(seeds.entropy, spawn_key=(*seeds.spawn_key, PROBE_KEY)))
    return np.sort(child.choice(n, min(n, PROBE), replace=False))


def activation_stats(activation, Y):
    """(mean, std, dead fraction or None, saturated fraction or None) of a layer's outputs ``Y``.

    The moments are summed in float64 over chunks of STATS_CHUNK values (two passes: the mean, then
    the squared deviations from it), so that no float64 copy of a large conv output is made."""
    flat = Y.reshape(-1)
    chunks = [flat[start:start + STATS_CHUNK] for start in range(0, len(flat), STATS_CHUNK)]
    mean = sum(chunk.sum(dtype=np.float64) for chunk in chunks) / max(len(flat), 1)
    squares = sum(float(np.vdot(d, d)) for d in (chunk.astype(np.float64) - mean for chunk in chunks))
    dead = saturated = None
    if activation in DEAD:  # a unit is dead when it is 0 everywhere: its largest and smallest value are 0
        units = Y.reshape(-1, Y.shape[-1])
        dead = float(np.mean((units.max(axis=0) == 0) & (units.min(axis=0) == 0)))
    if activation in SATURATING:
        low, high = SATURATING[activation]
        margin = SATURATION_MARGIN * (high - low)
        saturated = float(np.count_nonzero((Y < low + margin) | (Y > high - margin)) / Y.size)
    return float(mean), math.sqrt(squares / max(len(flat), 1)), dead, saturated


def sample_values(Y, count=HISTOGRAM_VALUES):
    """At most ``count`` of Y's values, evenly spaced through it, for a histogram."""
    flat = np.asarray(Y, dtype=np.float64).reshape(-1)
    return flat[np.linspace(0, len(flat) - 1, min(count, len(flat))).astype(int)] if len(flat) else flat


class Diagnostics(Callback):
    """Measures every layer once per epoch (see the module); ``rows`` holds a dict per epoch per layer
    (``COLUMNS``, None where a value does not apply), ``histograms`` the activation values of the
    first and the latest epoch. Both are saved in checkpoints, so a resumed run continues them."""

    key = "diagnostics"

    def __init__(self):
        self.rows, self.histograms = [], {"first": None, "last": None}
        self.probe = None

    def on_train_begin(self, trainer):
        train = trainer.data.train
        self.probe = train.X.take(probe_rows(len(train), trainer.rng), axis=0)
        self.weighted = [i for i, layer in enumerate(trainer.model.layers) if layer.decayed]

    def weights(self, trainer, i):
        layer = trainer.model.layers[i]
        return [layer.parameters[k] for k in layer.decayed]

    def on_epoch_begin(self, trainer, epoch):
        self.grad_sums = dict.fromkeys(self.weighted, 0.0)
        self.steps = 0
        self.snapshot(trainer)

    def snapshot(self, trainer):
        """Copies of the weights, taken just before the epoch's last step."""
        self.before = {i: [W.copy() for W in self.weights(trainer, i)] for i in self.weighted}

    def on_batch_end(self, trainer, batch):
        layers = trainer.model.layers
        for i in self.weighted:
            self.grad_sums[i] += norm([layers[i].gradients[k] for k in layers[i].decayed])
        self.steps += 1
        if batch["index"] == batch["batches"] - 2:
            self.snapshot(trainer)

    def on_epoch_end(self, trainer, row):
        X, values = self.probe, []
        for i, layer in enumerate(trainer.model.layers):
            X = layer.forward(X, training=False)
            mean, std, dead, saturated = activation_stats(output_activation(layer), X)
            measured = {"epoch": row["epoch"], "layer": i, "name": layer.name, "activation_mean": mean,
                        "activation_std": std, "dead_fraction": dead, "saturated_fraction": saturated,
                        "grad_norm": None, "weight_norm": None, "update_ratio": None}
            if i in self.weighted:
                weights = self.weights(trainer, i)
                before = norm(self.before[i])
                measured.update(grad_norm=self.grad_sums[i] / max(self.steps, 1), weight_norm=norm(weights),
                                update_ratio=norm([W - B for W, B in zip(weights, self.before[i])]) / before
                                if before > 0 else None)
            self.rows.append(measured)
            values.append(sample_values(X))
        self.histograms["last"] = {"epoch": row["epoch"], "values": values}
        if self.histograms["first"] is None:
            self.histograms["first"] = self.histograms["last"]

    def state_dict(self):
        return {"rows": self.rows, "histograms": {
            when: None if h is None else {"epoch": h["epoch"], **{str(i): v for i, v in enumerate(h["values"])}}
            for when, h in self.histograms.items()}}

    def load_state_dict(self, state):
        self.rows = [dict(row) for row in state["rows"]]
        for when, h in state["histograms"].items():
            self.histograms[when] = None if h is None else {
                "epoch": h["epoch"], "values": [np.asarray(h[str(i)]) for i in range(len(h) - 1)]}


def warnings(rows, labels):
    """Plain sentences about what the rows show went wrong; ``labels[i]`` names layer i (its activation).

    - dead ReLUs: at least half the units of a ReLU layer dead at the end, with the epoch since when;
    - saturation: at least half a sigmoid/tanh layer's outputs saturated at the end;
    - update ratio: the median over the later half of the epochs above 5e-2 (lr too high) or below
      1e-6 (lr too low);
    - vanishing or exploding gradients: the first weighted layer's gradient norm under 1e-4 or over
      1e4 times the last's, in the final epoch.
    """
    if not rows:
        return []
    found, last_epoch = [], rows[-1]["epoch"]
    layers = sorted({row["layer"] for row in rows})
    for i in layers:
        mine = [row for row in rows if row["layer"] == i]
        final, label = mine[-1], f"layer {i} ({labels[i]})"
        if final["dead_fraction"] is not None and final["dead_fraction"] >= 0.5:
            since = final["epoch"]
            for row in reversed(mine):
                if row["dead_fraction"] < 0.5:
                    break
                since = row["epoch"]
            found.append(f"{label}: {final['dead_fraction']:.0%} of units dead since epoch {since}; "
                         "try a lower lr, he_uniform or leaky_relu")
        if final["saturated_fraction"] is not None and final["saturated_fraction"] >= 0.5:
            found.append(f"{label}: {final['saturated_fraction']:.0%} of outputs saturated at epoch {last_epoch}; "
                         "try standardized inputs, xavier_uniform or a lower lr")
        ratios = [row["update_ratio"] for row in mine if row["update_ratio"] is not None]
        if ratios:
            median = float(np.median(ratios[len(ratios) // 2:]))  # the later half: past the first big steps
            if median > 5e-2:
                found.append(f"layer {i}: update ratio {median:.0e}, far above 1e-3: lr is probably too high")
            elif median < 1e-6:
                found.append(f"layer {i}: update ratio {median:.0e}, far below 1e-3: lr is probably too low")
    final = {row["layer"]: row["grad_norm"] for row in rows if row["epoch"] == last_epoch and row["grad_norm"]}
    if len(final) >= 2:
        first, last = min(final), max(final)
        ratio = final[first] / final[last]
        if ratio < 1e-4 or ratio > 1e4:
            kind = "vanishing" if ratio < 1e-4 else "exploding"
            found.append(f"gradient norm of layer {first} is {ratio:.0e} of layer {last}'s: {kind} gradients")
    return found


def labels(model):
    """What the warnings call each layer: its activation, or its name when it has none (``relu``, ``conv2d``)."""
    names = [(layer.name, output_activation(layer)) for layer in model.layers]
    return [name if activation == "linear" else activation for name, activation in names]
