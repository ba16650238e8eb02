"""The worked numbers of the course seeds, reproduced with nnrun's own components.

Seed 000 (a NumPy MLP): its Linear, ReLU, Sigmoid and MSE examples. Seed 004 (a two-layer
classifier): the loss of a 3-class net whose scores are all zero is ln 3 = 1.0986122.
Expected values are worked out by hand here, never by calling the code under test.
"""
import math

import numpy as np
import pytest

from neural_networks.activations import initialize_activation
from neural_networks.config.schema import resolve
from neural_networks.workflow.build import build
from neural_networks.layers import initialize_layer
from neural_networks.losses import initialize_loss
from neural_networks.models import NeuralNetwork
from neural_networks.optimizers import initialize_optimizer

ONES = np.ones((2, 2))
SEED_004_LOSS = 1.0986121892929077  # seed 004's "correct_loss" for its toy data


def test_linear_example_forward_backward_and_one_sgd_step():
    X = np.array([[1., 3.], [2., 5.]])
    layer = initialize_layer("fully_connected", n_out=2)
    layer.forward(X)  # builds W (2, 2) and b (1, 2) = 0 in float64
    layer.parameters["W"][...] = [[2., 1.], [2., 1.]]
    assert np.array_equal(layer.parameters["b"], np.zeros((1, 2)))

    # Y = X W + b = [[1*2 + 3*2, 1*1 + 3*1], [2*2 + 5*2, 2*1 + 5*1]]
    np.testing.assert_array_equal(layer.forward(X), [[8., 4.], [14., 7.]])
    # dX = dY W^T: every row is [2 + 1, 2 + 1]
    np.testing.assert_array_equal(layer.backward(ONES), [[3., 3.], [3., 3.]])
    # dW = X^T dY: row i is the column sum of X's column i twice; db = the column sums of dY
    np.testing.assert_array_equal(layer.gradients["W"], [[3., 3.], [8., 8.]])
    np.testing.assert_array_equal(layer.gradients["b"], [[2., 2.]])

    W, b = layer.parameters["W"], layer.parameters["b"]
    initialize_optimizer("sgd", lr=0.05).step([("W", W, layer.gradients["W"], True),
                                               ("b", b, layer.gradients["b"], False)])
    assert layer.parameters["W"] is W and layer.parameters["b"] is b  # updated in place
    # W - 0.05 dW = [[2 - 0.15, 1 - 0.15], [2 - 0.4, 1 - 0.4]];  b - 0.05 db = -0.1
    np.testing.assert_allclose(W, [[1.85, 0.85], [1.6, 0.6]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(b, [[-0.1, -0.1]], rtol=0, atol=1e-15)


@pytest.mark.parametrize("as_layer", [False, True], ids=["activation", "layer"])
def test_relu_example(as_layer):
    X = np.array([[2., -2.], [-2., 2.]])
    relu = initialize_layer("relu") if as_layer else initialize_activation("relu")
    np.testing.assert_array_equal(relu.forward(X), [[2., 0.], [0., 2.]])
    dX = relu.backward(ONES) if as_layer else relu.backward(X, ONES)
    np.testing.assert_array_equal(dX, [[1., 0.], [0., 1.]])


@pytest.mark.parametrize("as_layer", [False, True], ids=["activation", "layer"])
def test_sigmoid_example(as_layer):
    # The seed's printed numbers are sigma(2) and sigma(-1): its code cell's input, [[2, -1], [-1, 2]]
    # (the prose above it says -2, but 0.26894142 = 1 / (1 + e)).
    X = np.array([[2., -1.], [-1., 2.]])
    sigmoid = initialize_layer("sigmoid") if as_layer else initialize_activation("sigmoid")
    np.testing.assert_allclose(sigmoid.forward(X), [[0.88079708, 0.26894142], [0.26894142, 0.88079708]],
                               rtol=0, atol=5e-9)
    dX = sigmoid.backward(ONES) if as_layer else sigmoid.backward(X, ONES)
    np.testing.assert_allclose(dX, [[0.10499359, 0.19661193], [0.19661193, 0.10499359]], rtol=0, atol=5e-9)
    # and the closed forms behind them: sigma(-1) = 1 / (1 + e), sigma'(-1) = e / (1 + e)^2
    assert sigmoid.forward(X)[0, 1] == pytest.approx(1 / (1 + math.e), abs=1e-15)
    assert dX[0, 1] == pytest.approx(math.e / (1 + math.e) ** 2, abs=1e-15)


@pytest.mark.parametrize("name", ["mse", "l2"])
def test_mse_example(name):
    Y_hat, Y = np.array([[1.], [1.]]), np.array([[1.5], [1.5]])
    loss = initialize_loss(name)
    assert loss.forward(Y, Y_hat) == 0.25  # ((-0.5)^2 + (-0.5)^2) / 2
    np.testing.assert_array_equal(loss.backward(Y, Y_hat), [[-0.5], [-0.5]])  # 2 (1 - 1.5) / 2


def zero_initialised_net(dtype):
    """Seed 004's toy shapes (5 samples, 4 features, 10 hidden units, 3 classes), every weight zero."""
    layers = [{"name": "fully_connected", "n_out": 10, "activation": "relu", "weight_init": "zeros"},
              {"name": "fully_connected", "activation": "softmax", "weight_init": "zeros"}]
    model = NeuralNetwork.from_config({"layers": layers, "loss": "cross_entropy"}, n_outputs=3,
                                      rng=np.random.default_rng(0))
    X = np.random.default_rng(0).standard_normal((5, 4)).astype(dtype)
    Y = np.eye(3, dtype=dtype)[[0, 1, 2, 2, 1]]
    return model, X, Y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_initialised_three_class_net_has_loss_ln3(dtype):
    model, X, Y = zero_initialised_net(dtype)
    Y_hat = model.forward(X, training=True)
    np.testing.assert_array_equal(Y_hat, np.full((5, 3), dtype(1) / 3))  # all scores 0: uniform
    loss = model.loss.forward(Y, Y_hat)
    assert abs(loss - SEED_004_LOSS) < 1e-6  # the seed asks for < 1e-4
    if dtype is np.float64:
        assert loss == pytest.approx(math.log(3), abs=1e-15)

    model.backward(Y, Y_hat)
    grads = {key: grad for key, _, grad, _ in model.named_parameters()}
    # dL/dscores = (1/3 - Y) / 5; the hidden activations are 0, so only the output bias moves:
    # db2 = column sums = (5/3 - class counts [1, 2, 2]) / 5
    np.testing.assert_allclose(grads["layers.1.b"], [[(5 / 3 - 1) / 5, (5 / 3 - 2) / 5, (5 / 3 - 2) / 5]],
                               rtol=1e-6)
    for key in ("layers.0.W", "layers.0.b", "layers.1.W"):
        assert not grads[key].any(), key


def test_zero_initialised_iris_config_starts_at_ln3():
    """The same through a config: an iris net with weight_init zeros starts at loss ln 3 on every split."""
    zeros = [{"name": "fully_connected", "n_out": 8, "activation": "relu", "weight_init": "zeros"},
             {"name": "fully_connected", "activation": "softmax", "weight_init": "zeros"}]
    _, data, model, _ = build(resolve({"dtype": "float64", "data": {"name": "iris"}, "model": {"layers": zeros}}))
    for split in (data.train, data.val, data.test):
        assert model.loss.forward(split.Y, model.forward(split.X)) == pytest.approx(math.log(3), abs=1e-12)
