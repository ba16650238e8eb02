"""Training in float32 never makes a float64 array (not even a temporary); float64 on request stays float64.

The inputs, parameters and gradients are wrapped in ``Watched``, an ndarray subclass that sees every
ufunc NumPy runs on them and on everything computed from them (matmul, reductions and element-wise
math are all ufuncs), and records each one whose result is a float64 array.
"""
import numpy as np
import pytest

from conftest import Watched

from neural_networks.activations import ACTIVATIONS
from neural_networks.data import Data, Split
from neural_networks.layers import LAYERS
from neural_networks.models import NeuralNetwork
from neural_networks.optimizers import OPTIMIZERS, initialize_optimizer
from neural_networks.trainer import Trainer


def watch(arrays):
    """Replace every array of a dict by a Watched view of it (same memory)."""
    for key, value in arrays.items():
        arrays[key] = value.view(Watched)


def all_activations_model():
    """Dense layers separated by every registered activation (and dropout), ending in softmax."""
    layers = [{"name": "fully_connected", "n_out": 6}, {"name": "dropout", "p": 0.2}]
    for name in ACTIVATIONS.names():
        if name != "softmax":
            layers += [{"name": name}, {"name": "fully_connected", "n_out": 6, "activation": name}]
    return layers + [{"name": "fully_connected", "activation": "softmax"}]


def train(layers, loss, optimizer, dtype, X, Y, epochs=2):
    """Train a few steps through the Trainer with every array Watched; return (model, optimizer)."""
    rng = np.random.default_rng(0)
    X, Y = X.astype(dtype).view(Watched), Y.astype(dtype).view(Watched)
    model = NeuralNetwork.from_config({"layers": layers, "loss": loss}, Y.shape[1], rng)
    model.build(X.shape[1:], dtype)
    for layer in model.layers:
        watch(layer.parameters)
        watch(layer.gradients)
    optimizer = initialize_optimizer(optimizer)
    split, empty = Split(X[:12], Y[:12], np.arange(12)), Split(X[12:], Y[12:], np.arange(12, len(X)))
    data = Data(split, empty, empty, "classification", [0, 1, 2], None, None, X.shape[1:])
    Trainer(model, optimizer, data, rng, batch_size=4, epochs=epochs).fit()
    return model, optimizer


def arrays_of(model, optimizer):
    """Every parameter, gradient, optimizer state array and layer cache, by name."""
    arrays = {f"optimizer.{k}": v for k, v in optimizer.state.items() if np.ndim(v)}
    for i, layer in enumerate(model.layers):
        for kind in ("parameters", "gradients", "cache"):
            arrays.update({f"layers.{i}.{kind}.{k}": v for k, v in getattr(layer, kind).items()
                           if isinstance(v, np.ndarray)})
    return arrays


def data(rng=np.random.default_rng(1)):
    X = rng.standard_normal((16, 5))
    return X, np.eye(3)[rng.integers(0, 3, 16)]


OPTIMIZER_CASES = [{"name": name} for name in OPTIMIZERS.names()] + [
    {"name": "sgd", "momentum": 0.9}, {"name": "sgd", "momentum": 0.9, "nesterov": True},
    {"name": "sgd", "momentum": 0.5, "weight_decay": 1e-3, "clip_norm": 0.1},
    {"name": "adam", "weight_decay": 1e-3, "clip_norm": 0.1}]


@pytest.mark.parametrize("spec", OPTIMIZER_CASES, ids=lambda spec: "-".join(map(str, spec.values())))
def test_float32_training_never_makes_float64_arrays(spec):
    Watched.upcasts = []
    X, Y = data()
    model, optimizer = train(all_activations_model(), "cross_entropy", spec, np.float32, X, Y)
    assert Watched.upcasts == []
    wrong = {k: v.dtype for k, v in arrays_of(model, optimizer).items() if v.dtype != np.float32}
    assert wrong == {}
    assert model.predict(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("loss, output", [("mse", "linear"), ("binary_cross_entropy", "sigmoid")])
def test_float32_holds_for_other_losses(loss, output):
    Watched.upcasts = []
    X, Y = data()
    layers = [{"name": "fully_connected", "n_out": 4, "activation": "tanh"},
              {"name": "fully_connected", "activation": output}]
    model, optimizer = train(layers, loss, {"name": "sgd", "momentum": 0.9}, np.float32, X, Y)
    assert Watched.upcasts == []
    assert {v.dtype for v in arrays_of(model, optimizer).values()} == {np.dtype(np.float32)}


@pytest.mark.parametrize("name", LAYERS.names())
def test_every_layer_keeps_float32(name):
    """Each registered layer, on its own gradient-check cases, in float32: outputs, dX, gradients."""
    for kwargs, shape in LAYERS[name].gradcheck_cases:
        Watched.upcasts = []
        layer = LAYERS.build({"name": name, **kwargs})
        layer.rng = np.random.default_rng(0)
        X = np.random.default_rng(1).standard_normal((2,) + tuple(shape)).astype(np.float32).view(Watched)
        Y = layer.forward(X, training=True)
        dX = layer.backward(np.ones_like(Y))
        assert Watched.upcasts == []
        assert {Y.dtype, dX.dtype, *(g.dtype for g in layer.gradients.values())} == {np.dtype(np.float32)}


def test_float64_on_request_stays_float64():
    X, Y = data()
    model, optimizer = train(all_activations_model(), "cross_entropy", {"name": "adam"}, np.float64, X, Y)
    assert {v.dtype for v in arrays_of(model, optimizer).values()} == {np.dtype(np.float64)}
    assert model.predict(X).dtype == np.float64
