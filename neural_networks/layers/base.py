"""The layer contract: ``Y = forward(X)``, ``dX = backward(dLdY, input_gradient=True)``, ``parameters``,
``gradients`` and ``decayed``.

- ``parameters`` and ``gradients`` are dicts with the same keys and shapes, created once by ``build``.
- **One rule for gradients:** ``backward`` writes into the arrays of ``gradients`` (``out=`` or
  ``[...] =``), never replaces them, so that optimizers and callbacks may keep references to them.
- ``backward(dLdY, input_gradient=False)`` may skip dL/dX and return None: nothing consumes the
  first layer's input gradient while training.
- ``decayed`` names the parameters that are weights (weight decay shrinks them); biases and
  normalization scales/shifts are not listed.
"""
import inspect

import numpy as np

from ..activations import ACTIVATIONS, initialize_activation
from ..config.registry import Registry
from ..weights import initialize_weights

LAYERS = Registry("layer")


class ShapeError(ValueError):
    """A layer cannot take an input of this shape (raised on purpose, so that building a model from a
    config can name the input shape; any other exception from a layer is a bug and is not caught)."""


class Layer:
    """Base class of every layer.

    A layer computes ``Z = transform(X)`` (its own math, in ``_forward``/``_backward``)
    and then its optional activation ``Y = f(Z)``. The first ``forward`` creates the
    parameters from ``X.shape`` in ``X``'s float dtype, drawing from ``self.rng``
    (the model hands every layer its one seeded generator).
    """

    # (constructor kwargs, one sample's input shape) pairs that the registry-driven finite-difference
    # tests build and check; a layer with options lists a case per option that changes its math.
    gradcheck_cases = [({}, (3, 4))]
    decayed = ()  # names of the parameters that weight decay applies to

    def __init__(self, activation=None, weight_init=None):
        self.activation = initialize_activation(activation)
        self.weight_init = initialize_weights(weight_init or "xavier_uniform")
        self.parameters, self.gradients, self.cache = {}, {}, {}
        self.buffers = {}  # non-trained state saved with the parameters (e.g. running statistics)
        self.rng = np.random.default_rng()
        self.built = False

    def init_parameters(self, input_shape, dtype):
        """The layer's parameter arrays for one sample of shape ``input_shape``; none by default."""
        return {}

    def init_weight(self, shape, fan_in, fan_out, dtype):
        return self.weight_init(shape, fan_in, fan_out, self.activation.gain, self.rng, dtype)

    @staticmethod
    def column_sums(A, out=None):
        """1^T A: the sums down the columns of a 2-D array, shape (1, columns), as a matrix-vector
        product (BLAS's product is several times faster than ``A.sum(axis=0)`` on a tall array)."""
        return np.matmul(np.ones((1, len(A)), A.dtype), A, out=out)

    def build(self, input_shape, dtype):
        self.parameters = self.init_parameters(tuple(input_shape), dtype)
        self.gradients = {k: np.zeros_like(v) for k, v in self.parameters.items()}
        self.built = True

    def forward(self, X, training=True):
        if not self.built:
            self.build(X.shape[1:], X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64)
        Z = self._forward(X, training)
        if self.activation.name == "linear":
            return Z
        self.cache["Z"] = Z
        return self.activation.forward(Z)

    def backward(self, dLdY, input_gradient=True):
        """Fill ``self.gradients`` and return dL/dX, through the activation first.

        With ``input_gradient=False`` (the first layer, while training) a layer may skip dL/dX
        and return None: for a dense layer that saves a third of its backward arithmetic.
        """
        if self.activation.name != "linear":
            dLdY = self.activation.backward(self.cache["Z"], dLdY)
        return self.backward_from_logits(dLdY, input_gradient)

    def backward_from_logits(self, dLdZ, input_gradient=True):
        """``backward`` given dL/dZ directly: the fused softmax + cross-entropy path."""
        return self._backward(dLdZ, input_gradient)

    def _forward(self, X, training):
        return X

    def _backward(self, dZ, input_gradient):
        """dL/dX from dL/dZ, writing the parameters' gradients into ``self.gradients``."""
        return dZ

    def get_config(self):
        return dict(self.config)

    def __repr__(self):
        return f"{type(self).__name__}({self.config if hasattr(self, 'config') else ''})"


class ActivationLayer(Layer):
    """An activation used as a layer of its own, e.g. ``{name: relu}`` after a linear layer."""


def _activation_layer(name):
    """Register a layer class for the activation ``name`` that takes the activation's own keys."""
    activation_class = ACTIVATIONS[name]

    def __init__(self, **kwargs):
        Layer.__init__(self, activation={"name": name, **kwargs})

    __init__.__signature__ = inspect.signature(activation_class.__init__)
    doc = f"The {name} activation as a layer: {activation_class.__doc__}"
    cls = type(f"{activation_class.__name__}Layer", (ActivationLayer,),
               {"__init__": __init__, "__doc__": doc})
    LAYERS.register(name, *ACTIVATIONS.aliases(name))(cls)


def register_activation_layers():
    """Make every registered activation usable as a layer (called once the layers are imported)."""
    for name in ACTIVATIONS.names():
        if name not in LAYERS:
            _activation_layer(name)
