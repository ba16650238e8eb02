"""A feed-forward network: a list of layers and a loss, built from config and back to config."""
import numpy as np

from .data import batches
from .config.errors import ConfigError
from .config.registry import Registry
from .layers import LAYERS
from .losses import initialize_loss

MODELS = Registry("model")
PREDICT_VALUES = 2 ** 20  # values in the widest layer output of a default evaluation batch (4 MB in float32)
PREDICT_ROWS = 1024       # and at most this many samples


@MODELS.register("feed_forward", "neural_network")
class NeuralNetwork:
    """Layers applied in order, trained on ``loss``.

    All randomness (initial weights, dropout masks) is drawn from the one generator ``rng``.
    When the last activation is the one the loss fuses with (softmax + cross-entropy,
    sigmoid + binary cross-entropy), ``backward`` starts from dL/dZ = (Y_hat - Y) / N.
    """

    def __init__(self, layers, loss="cross_entropy", rng=None):
        self.layers = list(layers)
        self.loss = initialize_loss(loss) if isinstance(loss, (str, dict)) else loss
        self.rng = rng if rng is not None else np.random.default_rng()
        for layer in self.layers:
            layer.rng = self.rng
        last = self.layers[-1].activation.name if self.layers else None
        self.fused = self.loss.fuses_with is not None and last == self.loss.fuses_with
        self.widest = None  # the most values one sample has in any layer's input or output (set by build)

    @classmethod
    def from_config(cls, config, n_outputs=None, rng=None):
        """``{loss: ..., layers: [...]}`` -> network. The last layer that has an ``n_out`` gets
        ``n_outputs`` if it leaves it out, also when activation or dropout layers follow it."""
        specs = [dict(LAYERS.resolve(spec)) for spec in config["layers"]]
        sized = [spec for spec in specs if "n_out" in spec]
        if sized and sized[-1]["n_out"] is None:
            sized[-1]["n_out"] = n_outputs
        layers = []
        for i, spec in enumerate(specs):
            try:
                layers.append(LAYERS.build(spec))
            except ConfigError as error:
                raise error.within(f"model.layers.{i}") from None
        return cls(layers, config.get("loss", "cross_entropy"), rng)

    def get_config(self):
        return {"loss": self.loss.config["name"] if len(self.loss.config) == 1 else dict(self.loss.config),
                "layers": [layer.get_config() for layer in self.layers]}

    def build(self, input_shape, dtype=np.float32):
        """Create every layer's parameters for samples of ``input_shape``; return the output shape."""
        X = np.zeros((1,) + tuple(input_shape), dtype=dtype)
        self.widest = X.size
        for i, layer in enumerate(self.layers):
            try:
                X = layer.forward(X, training=False)
            except MemoryError as error:  # e.g. n_out: 10000000 -- name the layer, not a traceback
                raise ConfigError(f"layer {i} ({layer.name}) does not fit in memory: {error}",
                                  f"model.layers.{i}") from None
            self.widest = max(self.widest, X.size)
        return X.shape[1:]

    def forward(self, X, training=False):
        for layer in self.layers:
            X = layer.forward(X, training)
        return X

    def backward(self, Y, Y_hat, input_gradient=True):
        """Backpropagate the loss of predictions ``Y_hat`` for targets ``Y``; fills the gradients.

        Returns dL/dX, or None with ``input_gradient=False`` (training never needs it).
        """
        last = len(self.layers) - 1
        if self.fused:
            dLdX = self.layers[last].backward_from_logits(self.loss.logits_gradient(Y, Y_hat),
                                                          input_gradient or last > 0)
            last -= 1
        else:
            dLdX = self.loss.backward(Y, Y_hat)
        for i in range(last, -1, -1):
            dLdX = self.layers[i].backward(dLdX, input_gradient or i > 0)
        return dLdX

    def predict(self, X, batch_size=None):
        """Outputs for ``X`` in evaluation mode, in batches of ``batch_size`` samples.

        By default a batch holds PREDICT_VALUES values in the widest layer output (at most PREDICT_ROWS
        samples): an MLP evaluates 1,024 samples at a time, a CNN whose first conv outputs 28x28x32 about
        40, so that its im2col columns stay in cache (at 1,024 such a CNN evaluates 2.8x slower).
        """
        if batch_size is None:
            if self.widest is None:
                self.build(X.shape[1:], X.dtype)
            batch_size = max(1, min(PREDICT_ROWS, PREDICT_VALUES // self.widest))
        return np.concatenate([self.forward(X[rows]) for rows in batches(len(X), batch_size)])

    def named_parameters(self):
        """``(key, parameter, gradient, decays)`` for every parameter; keys like ``layers.0.W``;
        ``decays``: whether weight decay applies (the layer lists it in ``decayed``)."""
        return [(f"layers.{i}.{k}", p, layer.gradients[k], k in layer.decayed)
                for i, layer in enumerate(self.layers) for k, p in layer.parameters.items()]

    def state_dict(self):
        """Every parameter and buffer (e.g. batch-norm running statistics) by key, as plain arrays."""
        return {f"layers.{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in {**layer.parameters, **layer.buffers}.items()}

    def load_state_dict(self, arrays):
        for i, layer in enumerate(self.layers):
            for store in (layer.parameters, layer.buffers):
                for k in store:
                    store[k][...] = arrays[f"layers.{i}.{k}"]

    def count_parameters(self):
        return int(sum(p.size for _, p, _, _ in self.named_parameters()))


def initialize_model(name="feed_forward", layers=(), loss="cross_entropy", n_outputs=None, rng=None):
    """Build the model registered as ``name`` from ``layers`` (specs) and ``loss``, as its ``from_config``."""
    try:
        model_class = MODELS[name]
    except ConfigError as error:
        raise error.within("name") from None
    return model_class.from_config({"layers": list(layers), "loss": loss}, n_outputs, rng)
