"""Finite-difference checks in float64 of every registered layer, activation and loss.

Everything is discovered from the registries: a new layer is checked through its
``gradcheck_cases``, a new activation or loss just by being registered.
"""
import numpy as np
import pytest

from neural_networks.activations import ACTIVATIONS
from neural_networks.gradcheck import (TOLERANCE, check_activation, check_layer, check_loss, numeric_gradient,
                                      relative_error)
from neural_networks.layers import LAYERS
from neural_networks.losses import LOSSES
from neural_networks.models import NeuralNetwork
from neural_networks.optimizers import initialize_optimizer

BATCH = 3
# Non-default arguments worth checking on top of each activation's defaults.
ACTIVATION_ARGS = {"leaky_relu": [{"alpha": 0.2}], "elu": [{"alpha": 0.5}, {"alpha": 2.0}]}


def away_from_kinks(shape, seed=0):
    """Standard normal samples with |x| >= 0.05, so that a step of 1e-6 never crosses relu's kink."""
    X = np.random.default_rng(seed).standard_normal(shape)
    return np.where(np.abs(X) < 0.05, np.copysign(0.5, X), X)


def one_hot_and_probabilities(n=BATCH, k=4, seed=0):
    """One-hot targets and predictions strictly inside (0, 1) whose rows sum to 1."""
    rng = np.random.default_rng(seed)
    Y = np.eye(k)[rng.integers(0, k, n)]
    E = np.exp(rng.standard_normal((n, k)))
    return Y, E / E.sum(axis=1, keepdims=True)


def layer_cases():
    return [pytest.param(name, kwargs, shape, id=f"{name}-case{i + 1}") for name in LAYERS.names()
            for i, (kwargs, shape) in enumerate(LAYERS[name].gradcheck_cases)]


def activation_cases():
    for name in ACTIVATIONS.names():
        for i, kwargs in enumerate([{}] + ACTIVATION_ARGS.get(name, [])):
            label = ",".join(f"{k}={v}" for k, v in kwargs.items()) or "default"
            yield pytest.param(name, kwargs, id=f"{name}-{label}")


def fused_losses():
    return [name for name in LOSSES.names() if LOSSES[name].fuses_with]


def test_the_tables_name_real_components():
    assert set(ACTIVATION_ARGS) <= set(ACTIVATIONS.names())
    assert fused_losses(), "no loss declares a fused path"


@pytest.mark.parametrize("name, kwargs, shape", layer_cases())
def test_layer_gradients(name, kwargs, shape):
    layer = LAYERS.build({"name": name, **kwargs})
    errors = check_layer(layer, away_from_kinks((BATCH,) + tuple(shape)))
    assert set(errors) == {"X", *layer.parameters}
    assert all(layer.parameters[k].dtype == np.float64 for k in layer.parameters)
    assert max(errors.values()) < TOLERANCE, errors


@pytest.mark.parametrize("name, kwargs", list(activation_cases()))
def test_activation_gradient(name, kwargs):
    activation = ACTIVATIONS.build({"name": name, **kwargs})
    assert check_activation(activation, 2 * away_from_kinks((BATCH, 5))) < TOLERANCE


@pytest.mark.parametrize("name", LOSSES.names())
def test_loss_gradient(name):
    Y, Y_hat = one_hot_and_probabilities()
    assert check_loss(LOSSES.build(name), Y, Y_hat) < TOLERANCE


@pytest.mark.parametrize("name", fused_losses())
def test_fused_logits_gradient_equals_the_chain_rule(name):
    loss = LOSSES.build(name)
    activation = ACTIVATIONS.build(loss.fuses_with)
    Y, _ = one_hot_and_probabilities(n=5)
    Z = 3 * np.random.default_rng(1).standard_normal(Y.shape)
    Y_hat = activation.forward(Z)
    chained = activation.backward(Z, loss.backward(Y, Y_hat))
    np.testing.assert_allclose(loss.logits_gradient(Y, Y_hat), chained, rtol=0, atol=1e-12)


def train_a_few_steps(loss_name, fused, steps=4):
    """A small float64 network trained with sgd + momentum; its parameters afterwards."""
    loss = LOSSES.build(loss_name)
    layers = [{"name": "fully_connected", "n_out": 5, "activation": "tanh"},
              {"name": "fully_connected", "activation": loss.fuses_with}]
    model = NeuralNetwork.from_config({"layers": layers, "loss": loss_name}, n_outputs=3,
                                      rng=np.random.default_rng(0))
    model.build((4,), np.float64)
    assert model.fused  # the last activation is the one the loss fuses with
    model.fused = fused
    optimizer = initialize_optimizer("sgd", lr=0.5, momentum=0.9)
    X = np.random.default_rng(2).standard_normal((8, 4))
    Y, _ = one_hot_and_probabilities(n=8, k=3, seed=3)
    for _ in range(steps):
        model.backward(Y, model.forward(X, training=True))
        optimizer.step(model.named_parameters())
    return {key: param.copy() for key, param, _, _ in model.named_parameters()}


@pytest.mark.parametrize("name", fused_losses())
def test_fused_training_matches_the_unfused_path(name):
    fused, unfused = train_a_few_steps(name, True), train_a_few_steps(name, False)
    start = train_a_few_steps(name, True, steps=0)
    for key in fused:
        assert not np.allclose(fused[key], start[key])  # the steps did move every parameter
        np.testing.assert_allclose(fused[key], unfused[key], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", fused_losses())
def test_network_backward_matches_finite_differences(name):
    """The whole model's backward (fused path) against central differences of its loss."""
    loss = LOSSES.build(name)
    model = NeuralNetwork.from_config(
        {"layers": [{"name": "fully_connected", "n_out": 5, "activation": "gelu"},
                    {"name": "fully_connected", "activation": loss.fuses_with}], "loss": name},
        n_outputs=3, rng=np.random.default_rng(0))
    X = np.random.default_rng(4).standard_normal((BATCH, 4))
    Y, _ = one_hot_and_probabilities(k=3)
    model.backward(Y, model.forward(X, training=True))
    for key, param, grad, _ in model.named_parameters():
        numeric = numeric_gradient(lambda: model.loss.forward(Y, model.forward(X)), param)
        assert relative_error(grad, numeric) < TOLERANCE, key


def test_check_network_passes_a_config_model_on_its_own_data():
    """What ``nnrun gradcheck`` runs: every layer of a config's float64 model, on that config's data."""
    from neural_networks.config.schema import resolve
    from neural_networks.workflow.build import build
    from neural_networks.gradcheck import check_network

    layers = [{"name": "flatten"}, {"name": "dropout", "p": 0.25},
              {"name": "fully_connected", "n_out": 6, "activation": {"name": "leaky_relu", "alpha": 0.1}},
              {"name": "elu"}, {"name": "fully_connected", "activation": "softmax"}]
    config = resolve({"dtype": "float64", "data": {"name": "iris", "shape": [2, 2]}, "model": {"layers": layers}})
    _, data, model, _ = build(config)
    rows = check_network(model, data.train.X[:BATCH].copy(), data.train.Y[:BATCH])
    assert [(index, key) for index, _, key, *_ in rows] == [
        (0, "X"), (1, "X"), (2, "X"), (2, "W"), (2, "b"), (3, "X"), (4, "X"), (4, "W"), (4, "b"), ("", "Y_hat")]
    assert max(row[3] for row in rows) < TOLERANCE


@pytest.mark.parametrize("name, kwargs, shape", layer_cases())
def test_weight_decay_shrinks_exactly_the_parameters_a_layer_declares(name, kwargs, shape):
    """With zero gradients, one SGD step with weight_decay wd maps a declared weight W to
    (1 - 2 lr wd) W and leaves every other parameter (biases, gamma, beta) as it was."""
    layer = LAYERS.build({"name": name, **kwargs})
    layer.forward(away_from_kinks((BATCH,) + tuple(shape)))
    model = NeuralNetwork([layer], "mse")
    # every parameter is a weight except the shifts and scales: biases, batchnorm's gamma and beta
    assert set(layer.decayed) == set(layer.parameters) - {"b", "gamma", "beta"}
    before = {key: param.copy() for key, param, _, _ in model.named_parameters()}
    for _, _, grad, _ in model.named_parameters():
        grad[...] = 0
    initialize_optimizer("sgd", lr=0.5, weight_decay=0.1).step(model.named_parameters())
    for key, param, _, decays in model.named_parameters():
        assert decays == (key.rsplit(".", 1)[1] in layer.decayed)
        np.testing.assert_allclose(param, before[key] * (0.9 if decays else 1.0), rtol=1e-12)
