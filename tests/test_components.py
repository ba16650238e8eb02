"""Numbers, not smoke: initializers, optimizers, schedulers, activations and losses against values
worked out by hand, float32 kept float32 everywhere, and ConfigError messages that help.
"""
import math
import warnings

import numpy as np
import pytest
from conftest import Watched

from neural_networks.activations import ACTIVATIONS, initialize_activation
from neural_networks.config.schema import resolve
from neural_networks.config.errors import ConfigError
from neural_networks.layers import initialize_layer
from neural_networks.losses import LOSSES, initialize_loss
from neural_networks.optimizers import OPTIMIZERS, initialize_optimizer
from neural_networks.schedulers import initialize_scheduler
from neural_networks.weights import WEIGHTS, initialize_weights


@pytest.fixture
def strict():
    """Any warning, or NumPy overflow, division by zero or invalid operation, fails the test
    (underflow to 0, as exp(-1000), is exact enough and NumPy ignores it by default)."""
    with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def sample(name, shape=(400, 500), gain=1.0, dtype=np.float64, **kwargs):
    """An initializer's draw for a (fan_in, fan_out) weight matrix."""
    return initialize_weights(name, **kwargs)(shape, shape[0], shape[-1], gain, np.random.default_rng(0), dtype)


# ---------------------------------------------------------------- initializers

@pytest.mark.parametrize("name", WEIGHTS.names())
@pytest.mark.parametrize("shape", [(5, 7), (3, 3, 2, 4)], ids=["dense", "kernel"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_initializer_gives_its_shape_and_dtype(name, shape, dtype):
    W = sample(name, shape, dtype=dtype)
    assert W.shape == shape and W.dtype == dtype and np.isfinite(W).all()


@pytest.mark.parametrize("name, std", [
    ("he_normal", math.sqrt(2) / math.sqrt(400)),        # gain / sqrt(fan_in), gain sqrt 2 (relu)
    ("he_uniform", math.sqrt(2) / math.sqrt(400)),       # U(-a, a) has std a / sqrt 3 = gain / sqrt(fan_in)
    ("xavier_normal", math.sqrt(2) * math.sqrt(2 / 900)),
    ("xavier_uniform", math.sqrt(2) * math.sqrt(2 / 900))])
def test_scaled_initializers_have_the_right_spread(name, std):
    W = sample(name, gain=math.sqrt(2))  # 200,000 draws: the sample std is within ~0.5 % of the true one
    assert W.std() == pytest.approx(std, rel=0.02)
    assert abs(W.mean()) < 4 * std / math.sqrt(W.size)


@pytest.mark.parametrize("name, bound", [("xavier_uniform", 5 / 3 * math.sqrt(6 / 900)),
                                         ("he_uniform", 5 / 3 * math.sqrt(3 / 400))])
def test_uniform_initializers_fill_their_bounds(name, bound):
    W = sample(name, gain=5 / 3)  # tanh's gain
    assert np.abs(W).max() <= bound
    assert W.max() > 0.999 * bound and W.min() < -0.999 * bound


def test_a_layer_passes_its_activations_gain():
    for activation, gain in [("relu", math.sqrt(2)), ("tanh", 5 / 3), ("linear", 1.0), ("sigmoid", 1.0),
                             ({"name": "leaky_relu", "alpha": 0.2}, math.sqrt(2 / 1.04))]:
        layer = initialize_layer("fully_connected", n_out=4, activation=activation, weight_init="identity")
        layer.forward(np.ones((1, 4)))
        np.testing.assert_allclose(layer.parameters["W"], gain * np.eye(4), rtol=1e-15)
        assert layer.activation.gain == pytest.approx(gain, rel=1e-15)
    layer = initialize_layer("fully_connected", n_out=300, activation="relu", weight_init="he_normal")
    layer.forward(np.ones((1, 500)))
    assert layer.parameters["W"].std() == pytest.approx(math.sqrt(2 / 500), rel=0.02)


def test_identity_initializer():
    np.testing.assert_array_equal(sample("identity", (3, 5)), np.eye(3, 5))
    np.testing.assert_array_equal(sample("identity", (4, 2), gain=2.0), 2 * np.eye(4, 2))
    kernel = sample("identity", (3, 3, 2, 2))  # channel c -> channel c at the centre tap only
    np.testing.assert_array_equal(kernel[1, 1], np.eye(2))
    assert np.count_nonzero(kernel) == 2


@pytest.mark.parametrize("sparsity, zeros", [(0.3, 3), (0.9, 9), (0.25, 3), (0.0, 0)])
def test_sparse_initializer_zeroes_a_fraction_of_every_column(sparsity, zeros):
    W = sample("sparse", (10, 50), sparsity=sparsity, std=0.5)
    assert ((W == 0).sum(axis=0) == zeros).all()  # ceil(sparsity * fan_in) per output unit
    assert W[W != 0].std() == pytest.approx(0.5, rel=0.15)
    assert len({tuple(np.flatnonzero(column == 0)) for column in W.T}) > 1 or zeros == 0  # rows drawn per column


def test_constant_ones_zeros_uniform_normal():
    assert (sample("constant", (3, 4), value=0.7) == 0.7).all()
    assert (sample("ones", (3, 4)) == 1).all() and not sample("zeros", (3, 4)).any()
    U = sample("uniform", low=-0.2, high=0.6)
    assert U.min() >= -0.2 and U.max() < 0.6 and U.mean() == pytest.approx(0.2, abs=0.002)
    N = sample("normal", mean=1.0, std=0.1)
    assert N.mean() == pytest.approx(1.0, abs=0.001) and N.std() == pytest.approx(0.1, rel=0.02)


# ---------------------------------------------------------------- optimizers

G = np.array([0.5, -1.0])


def run_steps(grads, W=(1.0, 2.0), decays=True, **kwargs):
    """The parameter after one ``step`` per gradient, checked to be updated in place."""
    optimizer = initialize_optimizer(**kwargs)
    W = np.array(W, dtype=np.float64)
    original = W
    for grad in grads:
        optimizer.step([("W", W, np.array(grad, dtype=np.float64), decays)])
    assert W is original
    return W


def test_sgd_plain():
    np.testing.assert_allclose(run_steps([G, G], name="sgd", lr=0.1), [1 - 0.1, 2 + 0.2], rtol=1e-15)


def test_sgd_momentum():
    # v1 = g, v2 = 0.9 g + g = 1.9 g, v3 = 0.9 * 1.9 g + g = 2.71 g;  W -= 0.1 v each step
    W = run_steps([G, G, G], name="sgd", lr=0.1, momentum=0.9)
    np.testing.assert_allclose(W, np.array([1.0, 2.0]) - 0.1 * (1 + 1.9 + 2.71) * G, rtol=1e-14)


def test_sgd_nesterov():
    # W -= 0.1 (g + 0.9 v) with v after the step: 1.9 g, then 2.71 g
    W = run_steps([G, G], name="sgd", lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(W, np.array([1.0, 2.0]) - 0.1 * (1.9 + 2.71) * G, rtol=1e-14)


def test_sgd_clip_norm_scales_all_gradients_together():
    optimizer = initialize_optimizer("sgd", lr=0.1, clip_norm=1.0)
    W, b = np.zeros(1), np.zeros(1)
    optimizer.step([("W", W, np.array([3.0]), True), ("b", b, np.array([4.0]), False)])  # global norm 5 -> 1
    np.testing.assert_allclose([W[0], b[0]], [-0.1 * 0.6, -0.1 * 0.8], rtol=1e-15)
    np.testing.assert_allclose(run_steps([[0.3, 0.4]], W=(0, 0), name="sgd", lr=0.1, clip_norm=1.0),
                               [-0.03, -0.04], rtol=1e-15)  # norm 0.5 < 1: not touched


def test_sgd_weight_decay_is_the_l2_penalty_on_weights_only():
    # L + wd ||W||^2 adds 2 wd W to the gradient of a weight matrix, not of a bias
    assert run_steps([[0.0]], W=(1.0,), decays=True, name="sgd", lr=0.1, weight_decay=0.1)[0] == \
        pytest.approx(1 - 0.1 * 2 * 0.1 * 1.0, rel=1e-15)
    assert run_steps([[0.0]], W=(1.0,), decays=False, name="sgd", lr=0.1, weight_decay=0.1)[0] == 1.0


def test_adam_against_hand_computed_steps():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 0.01  # a large eps pins down where it enters
    g1, g2, g3 = 0.5, -1.0, 0.25
    m = s = 0.0
    W, expected = [1.0], 1.0
    for t, g in enumerate([g1, g2, g3], start=1):
        m, s = b1 * m + (1 - b1) * g, b2 * s + (1 - b2) * g * g
        expected -= lr * (m / (1 - b1 ** t)) / (math.sqrt(s / (1 - b2 ** t)) + eps)
    assert run_steps([[g1], [g2], [g3]], W=W, name="adam", lr=lr, beta1=b1, beta2=b2, eps=eps)[0] == \
        pytest.approx(expected, rel=1e-14)
    # the first step of Adam moves each weight by lr * g / (|g| + eps): about lr, whatever |g|
    np.testing.assert_allclose(run_steps([G], name="adam", lr=0.1, eps=0.01),
                               [1 - 0.1 * 0.5 / 0.51, 2 + 0.1 * 1.0 / 1.01], rtol=1e-14)


def test_optimizer_state_dict_round_trip():
    grads = [G, -2 * G, 0.5 * G]
    straight = run_steps(grads, name="adam", lr=0.1)
    first = initialize_optimizer("adam", lr=0.1)
    W = np.array([1.0, 2.0])
    first.step([("W", W, G, True)])
    resumed = initialize_optimizer("adam", lr=0.1)
    resumed.load_state_dict(first.state_dict())
    for grad in grads[1:]:
        resumed.step([("W", W, grad, True)])
    np.testing.assert_array_equal(W, straight)


# ---------------------------------------------------------------- schedulers

@pytest.mark.parametrize("spec, expected", [
    ({"name": "constant"}, [1, 1, 1, 1, 1]),
    ({"name": "exponential", "decay": 0.5, "stage_length": 2}, [1, 0.5 ** 0.5, 0.5, 0.5 ** 1.5, 0.25]),
    ({"name": "exponential", "decay": 0.5, "stage_length": 2, "staircase": True}, [1, 1, 0.5, 0.5, 0.25]),
    ({"name": "exponential", "decay": 0.9}, [1, 0.9, 0.81, 0.729, 0.6561]),
    ({"name": "step", "step_size": 2, "gamma": 0.1}, [1, 1, 0.1, 0.1, 0.01]),
    ({"name": "cosine", "period": 4, "min_lr": 0.1},  # 0.1 + 0.9 (1 + cos(pi t / 4)) / 2, t = epoch mod 4
     [1, 0.1 + 0.45 * (1 + math.sqrt(0.5)), 0.55, 0.1 + 0.45 * (1 - math.sqrt(0.5)), 1])])
def test_scheduler_rates(spec, expected):
    scheduler = initialize_scheduler(spec)
    np.testing.assert_allclose([scheduler(1.0, epoch) for epoch in range(5)], expected, rtol=1e-14)


def test_reduce_on_plateau():
    scheduler = initialize_scheduler("reduce_on_plateau", factor=0.5, patience=1, min_delta=0.01, min_lr=0.3)
    metrics = [None, 1.0, 0.9, 0.895, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85]
    # 0.895 is no improvement (min_delta 0.01); the second bad epoch in a row halves the lr;
    # 0.8 improves; two more bad epochs halve again, to 0.25, held at min_lr 0.3 (and again, 0.125)
    expected = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3]
    assert [scheduler(1.0, epoch, metric) for epoch, metric in enumerate(metrics)] == expected
    saved = scheduler.state_dict()
    again = initialize_scheduler("reduce_on_plateau", factor=0.5, patience=1, min_delta=0.01, min_lr=0.3)
    again.load_state_dict(saved)
    assert again.state_dict() == saved == {"best": 0.8, "bad_epochs": 0, "scale": 0.125}


# ---------------------------------------------------------------- activations and losses

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_saturates_exactly_without_warnings(strict, dtype):
    sigmoid = initialize_activation("sigmoid")
    Z = np.array([-1000, -40, 0, 40, 1000], dtype=dtype)
    S = sigmoid.forward(Z)
    assert S[0] == 0 and S[-1] == 1 and S[2] == 0.5 and S.dtype == dtype
    np.testing.assert_allclose(S + sigmoid.forward(-Z), 1, rtol=0, atol=np.finfo(dtype).eps)  # s(-z) = 1 - s(z)
    dZ = sigmoid.backward(Z, np.ones_like(Z))
    assert dZ[0] == 0 and dZ[-1] == 0 and dZ[2] == 0.25


@pytest.mark.parametrize("name", ACTIVATIONS.names())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_stay_finite_for_huge_inputs(strict, name, dtype):
    activation = initialize_activation(name)
    Z = np.array([[-1e30, -1000, -1, 0, 1, 1000, 1e30]], dtype=dtype)
    Y, dZ = activation.forward(Z), activation.backward(Z, np.ones_like(Z))
    assert np.isfinite(Y).all() and np.isfinite(dZ).all()


def test_softmax_of_large_logits(strict):
    softmax = initialize_activation("softmax")
    expected = np.exp([0, 1, 2]) / np.exp([0, 1, 2]).sum()
    for shift in (1000, -1000, 1e30):
        S = softmax.forward(np.array([[shift, shift + 1, shift + 2]]) if shift != 1e30 else
                            np.array([[-1e30, 0.0, 1e30]]))
        if shift == 1e30:
            np.testing.assert_array_equal(S, [[0, 0, 1]])
        else:
            np.testing.assert_allclose(S[0], expected, rtol=1e-12)
    S = softmax.forward(np.array([[1000, 1001, 1002]], dtype=np.float32))
    assert S.dtype == np.float32 and abs(S.sum() - 1) < 1e-6


def test_elu_gelu_leaky_relu_values():
    Z = np.array([-2.0, 0.5])
    np.testing.assert_allclose(initialize_activation("elu", alpha=0.5).forward(Z), [0.5 * (math.exp(-2) - 1), 0.5])
    np.testing.assert_allclose(initialize_activation("leaky_relu", alpha=0.1).forward(Z), [-0.2, 0.5])
    phi = [0.5 * z * (1 + math.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3))) for z in Z]
    np.testing.assert_allclose(initialize_activation("gelu").forward(Z), phi, rtol=1e-15)
    np.testing.assert_allclose(initialize_activation("tanh").backward(Z, np.ones(2)), 1 - np.tanh(Z) ** 2)


def test_cross_entropy_values():
    Y = np.array([[1., 0, 0], [0, 1, 0]])
    P = np.array([[0.5, 0.25, 0.25], [0.2, 0.6, 0.2]])
    loss = initialize_loss("cross_entropy")
    assert loss.forward(Y, P) == pytest.approx(-(math.log(0.5) + math.log(0.6)) / 2, rel=1e-15)
    np.testing.assert_allclose(loss.backward(Y, P), [[-1, 0, 0], [0, -1 / 1.2, 0]], rtol=1e-15)  # -Y / (N P)
    np.testing.assert_allclose(loss.logits_gradient(Y, P), (P - Y) / 2, rtol=1e-15)


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probability_losses_stay_finite_at_zero_and_one(strict, name, dtype):
    loss = initialize_loss(name)
    Y = np.array([[1, 0, 0], [0, 1, 0]], dtype=dtype)
    P = np.array([[0, 1, 0], [0, 1, 0]], dtype=dtype)  # a certain and wrong first row
    value = loss.forward(Y, P)
    assert math.isfinite(value) and value > 10
    assert np.isfinite(loss.backward(Y, P)).all()


def test_binary_cross_entropy_values():
    Y, P = np.array([[1.], [0.]]), np.array([[0.8], [0.3]])
    loss = initialize_loss("bce")
    assert loss.forward(Y, P) == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2, rel=1e-15)
    # (P - Y) / (N P (1 - P))
    np.testing.assert_allclose(loss.backward(Y, P), [[-0.2 / (2 * 0.16)], [0.3 / (2 * 0.21)]], rtol=1e-14)


def test_mse_sums_outputs_and_averages_samples():
    Y, Y_hat = np.array([[1., 2], [3, 4]]), np.ones((2, 2))
    loss = initialize_loss("mse")
    assert loss.forward(Y, Y_hat) == (0 + 1 + 4 + 9) / 2
    np.testing.assert_array_equal(loss.backward(Y, Y_hat), [[0, -1], [-2, -3]])  # 2 (Y_hat - Y) / N


# ---------------------------------------------------------------- float32 stays float32

@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_activations_keep_float32(name):
    Z = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    activation = initialize_activation(name)
    assert activation.forward(Z).dtype == activation.backward(Z, Z).dtype == np.float32


@pytest.mark.parametrize("name", LOSSES.names())
def test_losses_keep_float32(name):
    Y = np.eye(3, dtype=np.float32)[[0, 2]]
    P = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], dtype=np.float32)
    loss = initialize_loss(name)
    assert isinstance(loss.forward(Y, P), float)
    assert loss.backward(Y, P).dtype == np.float32
    if loss.fuses_with:
        assert loss.logits_gradient(Y, P).dtype == np.float32


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_optimizers_update_float32_in_float32(name):
    Watched.upcasts = []
    W = np.ones((2, 3), dtype=np.float32).view(Watched)
    optimizer = initialize_optimizer(name, clip_norm=1.0, weight_decay=0.01)
    for _ in range(3):
        optimizer.step([("layers.0.W", W, np.full((2, 3), 5, dtype=np.float32), True)])
    assert Watched.upcasts == [] and W.dtype == np.float32
    assert all(state.dtype == np.float32 for state in optimizer.state.values() if state.ndim)


# ---------------------------------------------------------------- ConfigError messages

@pytest.mark.parametrize("config, words", [
    ({"model": {"layers": [{"name": "fully_conected"}]}},
     ["model.layers.0.name", "'fully_conected'", "did you mean 'fully_connected'", "flatten"]),
    ({"model": {"layers": [{"name": "fully_connected", "n_ot": 3}]}},
     ["model.layers.0.n_ot", "did you mean 'n_out'", "allowed: n_out, activation, weight_init"]),
    ({"model": {"layers": [{"name": "fully_connected", "n_out": "three"}]}},
     ["model.layers.0.n_out", "'three'", "integer"]),
    ({"model": {"layers": [{"name": "dense", "n_out": 3, "activation": "rellu"}]}},
     ["model.layers.0.activation.name", "'rellu'", "did you mean 'relu'"]),
    ({"model": {"layers": [{"name": "dense", "weight_init": "kaiming_norml"}]}},
     ["model.layers.0.weight_init.name", "'kaiming_norml'", "did you mean 'kaiming_normal'"]),
    ({"optimzer": {"name": "sgd"}}, ["optimzer", "did you mean 'optimizer'"]),
    ({"optimizer": {"name": "adamm"}}, ["optimizer.name", "'adamm'", "did you mean 'adam'", "sgd"]),
    ({"optimizer": {"name": "sgd", "lr": -1}}, ["optimizer.lr", "-1", "(0, inf)"]),
    ({"optimizer": {"name": "sgd", "lr_scheduler": {"name": "exponential", "decay": 1.5}}},
     ["optimizer.lr_scheduler.decay", "1.5", "(0, 1]"]),
    ({"optimizer": {"lr": 0.1}}, ["optimizer", "{'lr': 0.1}", "'name'", "adam, sgd"]),
    ({"model": {"layers": [{"n_out": 3}]}}, ["model.layers.0", "'name'", "fully_connected"]),
    ({"data": {"name": "irsi"}}, ["data.name", "'irsi'", "did you mean 'iris'"]),
    ({"data": {"name": "iris", "batch_sise": 8}}, ["data.batch_sise", "did you mean 'batch_size'"]),
    ({"data": {"name": "iris", "preprocess": "standardise"}},
     ["data.preprocess", "'standardise'", "did you mean 'standardize'"]),
    ({"train": {"early_stopping": {"metric": "val_los"}}},
     ["train.early_stopping.metric", "'val_los'", "did you mean 'val_loss'"]),
    ({"dtype": "float16"}, ["dtype", "'float16'", "'float32', 'float64'"]),
])
def test_config_errors_name_key_value_and_the_fix(config, words):
    with pytest.raises(ConfigError) as caught:
        resolve(config)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("build, name", [(initialize_layer, "dense2"), (initialize_activation, "relu6"),
                                         (initialize_loss, "crossentropy"), (initialize_optimizer, "sgdd"),
                                         (initialize_weights, "he_norml"), (initialize_scheduler, "cosin")])
def test_initialize_functions_refuse_unknown_names_with_a_suggestion(build, name):
    with pytest.raises(ValueError, match="did you mean") as caught:  # ConfigError is a ValueError
        build(name)
    assert isinstance(caught.value, ConfigError) and repr(name) in str(caught.value)


# ---------------------------------------------------------------- dropout and the model

def test_inverted_dropout_statistics_and_evaluation():
    layer = initialize_layer("dropout", p=0.3)
    layer.rng = np.random.default_rng(0)
    X = np.ones((400, 500), dtype=np.float32)
    Y = layer.forward(X, training=True)
    assert Y.dtype == np.float32
    assert (Y == 0).mean() == pytest.approx(0.3, abs=0.005)
    np.testing.assert_allclose(Y[Y != 0], 1 / 0.7, rtol=1e-6)  # kept units scaled by 1 / (1 - p)
    assert Y.mean() == pytest.approx(1.0, abs=0.01)  # E[Y] = X
    np.testing.assert_array_equal(layer.backward(np.full_like(X, 2.0)), 2 * Y)  # the same mask
    assert layer.forward(X, training=False) is X


def iris_sized_model(seed=0):
    from neural_networks.models import NeuralNetwork

    config = {"loss": "cross_entropy",
              "layers": [{"name": "fully_connected", "n_out": 16, "activation": "relu"},
                         {"name": "dropout", "p": 0.2}, {"name": "fully_connected", "activation": "softmax"}]}
    model = NeuralNetwork.from_config(config, n_outputs=3, rng=np.random.default_rng(seed))
    model.build((4,), np.float32)
    return model


def test_model_config_and_state_round_trip():
    from neural_networks.models import NeuralNetwork

    model = iris_sized_model()
    assert model.count_parameters() == 4 * 16 + 16 + 16 * 3 + 3
    assert [key for key, _, _, _ in model.named_parameters()] == ["layers.0.W", "layers.0.b", "layers.2.W", "layers.2.b"]
    assert model.get_config()["layers"][2]["n_out"] == 3  # filled in from the data
    copy = NeuralNetwork.from_config(model.get_config(), rng=np.random.default_rng(1))
    copy.build((4,), np.float32)
    assert copy.get_config() == model.get_config()
    copy.load_state_dict(model.state_dict())
    X = np.random.default_rng(2).standard_normal((50, 4)).astype(np.float32)
    np.testing.assert_array_equal(copy.forward(X), model.forward(X))
    # in batches, in evaluation mode (BLAS may round a batch of 7 differently from one of 50)
    np.testing.assert_allclose(model.predict(X, batch_size=7), model.forward(X), rtol=1e-6)


def test_same_seed_same_model_and_dropout_masks():
    X = np.ones((8, 4), dtype=np.float32)
    first, second = iris_sized_model(seed=3), iris_sized_model(seed=3)
    np.testing.assert_array_equal(first.forward(X, training=True), second.forward(X, training=True))
    assert not np.array_equal(iris_sized_model(seed=4).forward(X), first.forward(X))


def test_a_softmax_layer_after_the_last_dense_layer_is_the_same_model():
    """[dense, softmax layer] (seed 000's SimpleNN style): the dense layer gets n_out from the data,
    and the network computes and trains exactly as one dense layer with activation softmax."""
    from neural_networks.models import NeuralNetwork

    split = NeuralNetwork.from_config({"layers": [{"name": "fully_connected"}, {"name": "softmax"}]},
                                      n_outputs=3, rng=np.random.default_rng(0))
    joined = NeuralNetwork.from_config({"layers": [{"name": "fully_connected", "activation": "softmax"}]},
                                       n_outputs=3, rng=np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((6, 4))
    Y = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    for model in (split, joined):
        model.build((4,), np.float64)
        model.backward(Y, model.forward(X, training=True))
    assert split.fused and joined.fused
    np.testing.assert_array_equal(split.forward(X), joined.forward(X))
    for (_, _, a, _), (_, _, b, _) in zip(split.named_parameters(), joined.named_parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-14)


# ---------------------------------------------------------------- every argument is declared

def constructor_arguments():
    from neural_networks.config.validation import arguments
    from neural_networks.workflow.components import REGISTRIES

    return [pytest.param(registry[name], parameter, id=f"{name}.{parameter.name}")
            for registry in REGISTRIES.values() for name in registry.names()
            for parameter in arguments(registry[name])]


@pytest.mark.parametrize("cls, parameter", constructor_arguments())
def test_every_registered_constructor_argument_has_a_type_annotation(cls, parameter):
    """The annotation is the argument's schema: the validator, ``nnrun components`` and the
    JSON Schema read it, so an argument without one would be accepted unchecked."""
    assert parameter.annotation is not parameter.empty, f"{cls.__name__}({parameter.name}) has no annotation"
