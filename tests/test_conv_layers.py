"""Convolution, pooling, batch-norm and Elman layers against direct loop implementations of their
definitions (seed 002's Problem 6, seed 000's Conv1d), finite differences, and the configs that use them.
"""
import json
import os
import struct

import numpy as np
import pytest

from conftest import REPO, nnrun

from neural_networks.config.schema import resolve
from neural_networks.datasets import initialize_dataset
from neural_networks.config.errors import ConfigError
from neural_networks.workflow.build import build
from neural_networks.layers import LAYERS, initialize_layer



def normal(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def problem6_convolution(inputs, kernel):
    """Seed 002, Problem 6: torch.conv2d's default (no padding, stride 1) written as loops, NCHW."""
    batch, in_channels, height, width = inputs.shape
    out_channels, _, kernel_h, kernel_w = kernel.shape
    out = np.zeros((batch, out_channels, height - kernel_h + 1, width - kernel_w + 1))
    for b in range(batch):
        for oc in range(out_channels):
            for oh in range(out.shape[2]):
                for ow in range(out.shape[3]):
                    for ic in range(in_channels):
                        for kh in range(kernel_h):
                            for kw in range(kernel_w):
                                out[b, oc, oh, ow] += inputs[b, ic, oh + kh, ow + kw] * kernel[oc, ic, kh, kw]
    return out


def direct_convolution(X, W, stride, pads, dilation):
    """Z[n, p, q, o] = sum over taps and channels of the padded X, by loops over every output pixel."""
    Xp = np.pad(X, ((0, 0), pads[0], pads[1], (0, 0)))
    kh, kw = W.shape[:2]
    rows = (Xp.shape[1] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    cols = (Xp.shape[2] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    Z = np.zeros((X.shape[0], rows, cols, W.shape[3]))
    for p in range(rows):
        for q in range(cols):
            for i in range(kh):
                for j in range(kw):
                    Z[:, p, q] += Xp[:, p * stride[0] + i * dilation[0], q * stride[1] + j * dilation[1]] @ W[i, j]
    return Z


def built(name, X, **kwargs):
    layer = initialize_layer(name, **kwargs)
    layer.rng = np.random.default_rng(0)
    layer.forward(X)
    return layer


def test_conv2d_is_seed_002_problem_6():
    inputs, kernel = normal(2, 3, 9, 8), normal(4, 3, 5, 3, seed=1)
    layer = built("conv2d", inputs.transpose(0, 2, 3, 1), n_out=4, kernel_shape=[5, 3], pad="valid")
    layer.parameters["W"][...] = kernel.transpose(2, 3, 1, 0)  # (O, C, kh, kw) -> (kh, kw, C, O)
    Z = layer.forward(inputs.transpose(0, 2, 3, 1))
    np.testing.assert_allclose(Z.transpose(0, 3, 1, 2), problem6_convolution(inputs, kernel), atol=1e-12)


@pytest.mark.parametrize("kwargs, pads", [
    ({"kernel_shape": 3, "pad": "same"}, [(1, 1), (1, 1)]),
    ({"kernel_shape": [2, 3], "stride": 2, "pad": "same"}, [(0, 1), (1, 1)]),  # 7 rows: ceil(7 / 2) = 4 outputs
    ({"kernel_shape": 3, "stride": [2, 1], "pad": [2, 1], "dilation": 2}, [(2, 2), (1, 1)]),
    ({"kernel_shape": [1, 4], "stride": [1, 3], "pad": "valid", "dilation": [1, 2]}, [(0, 0), (0, 0)]),
])
def test_conv2d_matches_loops_with_stride_padding_and_dilation(kwargs, pads):
    X = normal(3, 7, 9, 2)
    layer = built("conv2d", X, n_out=3, activation="relu", **kwargs)
    W, b = layer.parameters["W"], layer.parameters["b"]
    stride, dilation = (np.broadcast_to(kwargs.get(k, 1), 2) for k in ("stride", "dilation"))
    expected = np.maximum(direct_convolution(X, W, stride, pads, dilation) + b, 0)
    np.testing.assert_allclose(layer.forward(X), expected, atol=1e-12)


@pytest.mark.parametrize("name, kwargs, shape", [
    ("conv2d", {"n_out": 4, "kernel_shape": 3, "pad": "same"}, (9, 8, 3)),
    ("conv2d", {"n_out": 3, "kernel_shape": [2, 3], "pad": "same", "dilation": [2, 1]}, (7, 6, 2)),
    ("conv2d", {"n_out": 2, "kernel_shape": 3, "pad": [1, 0]}, (5, 6, 2)),
    ("conv1d", {"n_out": 2, "kernel_shape": 5, "pad": 3}, (11, 3)),
    ("conv1d", {"n_out": 3, "kernel_shape": 3, "dilation": 2, "pad": "valid"}, (12, 2)),
])
@pytest.mark.parametrize("chunk_rows", [4096, 7])
def test_stride_1_input_gradient_is_the_general_col2im(monkeypatch, name, kwargs, shape, chunk_rows):
    """The stride-1 'full' correlation (in chunks of any size) gives the numbers of col2im."""
    from neural_networks.layers import conv
    from neural_networks.layers.windows import Windows

    X, layer = normal(5, *shape), initialize_layer(name, **kwargs)
    layer.rng = np.random.default_rng(0)
    dZ = normal(*layer.forward(X).shape, seed=1)
    monkeypatch.setattr(conv, "CHUNK_ROWS", chunk_rows)
    assert layer.cache["windows"].full() is not None
    fast = layer.backward(dZ)
    monkeypatch.setattr(Windows, "full", lambda windows: None)
    np.testing.assert_allclose(fast, layer.backward(dZ), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs", [{"stride": 2}, {"kernel_shape": 2, "pad": 2},
                                    {"kernel_shape": [3, 2], "pad": [0, 2]}])
def test_strides_and_pads_past_the_kernel_take_col2im(kwargs):
    layer = built("conv2d", normal(2, 6, 6, 1), n_out=1, **kwargs)
    assert layer.cache["windows"].full() is None


def test_conv1d_is_seed_000_conv1d():
    """Seed 000: Conv1d(kernel_size=2, pad_length=3) holds 1 + 2 * 2 weights, pads 3 zeros on both sides
    and computes F[i, tau] = sum_t' S_p[i, tau + t'] K[t'] + b."""
    S = normal(4, 16)
    layer = built("conv1d", S[:, :, None], n_out=1, kernel_shape=5, pad=3, weight_init="zeros")
    assert layer.parameters["W"].shape == (5, 1, 1) and not layer.parameters["W"].any()
    K, b = normal(5, seed=1), 0.3
    layer.parameters["W"][:, 0, 0], layer.parameters["b"][...] = K, b
    S_p = np.pad(S, ((0, 0), (3, 3)))
    expected = np.array([[S_p[i, tau:tau + 5] @ K + b for tau in range(16 + 6 - 5 + 1)] for i in range(4)])
    np.testing.assert_allclose(layer.forward(S[:, :, None])[:, :, 0], expected, atol=1e-12)


def pool_loops(X, k, s, pads, mode):
    """Max or mean (zeros of the padding included) of every window, by loops over output pixels."""
    Xp = np.pad(X, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=-np.inf if mode == "max" else 0)
    rows, cols = ((Xp.shape[a + 1] - k[a]) // s[a] + 1 for a in range(2))
    reduce = np.max if mode == "max" else np.mean
    return np.stack([np.stack([reduce(Xp[:, p * s[0]:p * s[0] + k[0], q * s[1]:q * s[1] + k[1]], axis=(1, 2))
                               for q in range(cols)], axis=1) for p in range(rows)], axis=1)


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("kwargs, k, s, pads", [
    ({"kernel_shape": 2}, (2, 2), (2, 2), [(0, 0), (0, 0)]),
    ({"kernel_shape": 3, "stride": 1, "pad": "same"}, (3, 3), (1, 1), [(1, 1), (1, 1)]),
    ({"kernel_shape": [2, 3], "stride": [1, 2], "pad": 1}, (2, 3), (1, 2), [(1, 1), (1, 1)]),
])
def test_pool2d_matches_loops(mode, kwargs, k, s, pads):
    X = normal(2, 6, 7, 3)
    layer = built("pool2d", X, mode=mode, **kwargs)
    np.testing.assert_allclose(layer.forward(X), pool_loops(X, k, s, pads, mode), atol=1e-12)


def test_pool1d_and_global_average_pool():
    X = normal(2, 9, 3)
    pooled = built("pool1d", X, kernel_shape=3, mode="max").forward(X)
    np.testing.assert_array_equal(pooled, X.reshape(2, 3, 3, 3).max(axis=2))
    np.testing.assert_allclose(built("global_average_pool", X).forward(X), X.mean(axis=1))


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("kwargs, shape", [({"kernel_shape": 2}, (6, 8, 3)),
                                           ({"kernel_shape": 2, "pad": "same"}, (5, 7, 2)),
                                           ({"kernel_shape": [2, 3], "stride": 3}, (7, 9, 2))])
def test_disjoint_pool_windows_write_the_gradient_the_summing_path_adds(mode, kwargs, shape):
    X = np.round(normal(3, *shape), 1)  # ties within windows too
    layer = built("pool2d", X, mode=mode, **kwargs)
    dY = normal(*layer.forward(X).shape, seed=1)
    assert layer.cache["windows"].disjoint
    written = layer.backward(dY)
    layer.cache["windows"].disjoint = False
    np.testing.assert_array_equal(written, layer.backward(dY))


def test_max_pool_sends_a_tied_gradient_to_the_first_maximum_only():
    X = np.zeros((1, 2, 2, 1))
    layer = built("pool2d", X, kernel_shape=2, mode="max")
    dX = layer.backward(np.ones((1, 1, 1, 1)))
    np.testing.assert_array_equal(dX[0, :, :, 0], [[1, 0], [0, 0]])


def test_batchnorm_normalizes_in_training_and_uses_running_statistics_in_evaluation():
    X = (3 + 2 * normal(16, 5, 5, 4)).astype(np.float32)
    layer = built("batchnorm", X, momentum=0.8)
    assert set(layer.buffers) == {"running_mean", "running_var"}
    Y = layer.forward(X, training=True)  # the second training step
    assert Y.dtype == np.float32
    np.testing.assert_allclose(Y.reshape(-1, 4).mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Y.reshape(-1, 4).std(axis=0), 1, atol=1e-3)
    mean, var = X.reshape(-1, 4).mean(axis=0), X.reshape(-1, 4).var(axis=0, ddof=1)
    expected_mean = 0.8 * (0.8 * 0 + 0.2 * mean) + 0.2 * mean
    expected_var = 0.8 * (0.8 * 1 + 0.2 * var) + 0.2 * var
    np.testing.assert_allclose(layer.buffers["running_mean"][0], expected_mean, rtol=1e-5)
    np.testing.assert_allclose(layer.buffers["running_var"][0], expected_var, rtol=1e-5)
    layer.parameters["gamma"][...], layer.parameters["beta"][...] = 2, 1
    before = {k: v.copy() for k, v in layer.buffers.items()}
    Y_eval = layer.forward(X[:2], training=False)  # fixed statistics: no update, no dependence on the batch
    np.testing.assert_array_equal(layer.buffers["running_mean"], before["running_mean"])
    expected = 2 * (X[:2] - expected_mean) / np.sqrt(expected_var + 1e-5) + 1
    np.testing.assert_allclose(Y_eval, expected, rtol=1e-4, atol=1e-4)


def test_batchnorm_running_statistics_are_saved_with_the_model():
    from neural_networks.models import initialize_model

    model = initialize_model(layers=[{"name": "batchnorm"}, {"name": "fully_connected", "activation": "softmax"}],
                             n_outputs=2, rng=np.random.default_rng(0))
    model.build((3,))
    model.forward(normal(8, 3) + 5, training=True)
    state = model.state_dict()
    assert {"layers.0.running_mean", "layers.0.running_var", "layers.0.gamma"} <= set(state)
    assert state["layers.0.running_mean"].mean() > 0.4  # moved 10% of the way towards 5


def test_predict_batches_a_cnn_small_and_an_mlp_large_with_the_same_outputs(monkeypatch):
    """A conv net evaluates a few dozen samples at a time (its columns stay in cache), an MLP 1,024;
    the outputs do not depend on the batches."""
    from neural_networks import models

    cnn = models.initialize_model(layers=[{"name": "conv2d", "n_out": 32, "kernel_shape": 3}, {"name": "batchnorm"},
                                          {"name": "flatten"}, {"name": "fully_connected", "activation": "softmax"}],
                                  n_outputs=3, rng=np.random.default_rng(0))
    mlp = models.initialize_model(layers=[{"name": "fully_connected", "n_out": 64, "activation": "relu"},
                                          {"name": "fully_connected", "activation": "softmax"}],
                                  n_outputs=3, rng=np.random.default_rng(0))
    X = normal(100, 28, 28, 1).astype(np.float32)
    whole = cnn.predict(X, 100)
    seen = []
    monkeypatch.setattr(models, "batches", lambda n, size: seen.append(size) or [slice(i, i + size)
                                                                            for i in range(0, n, size)])
    np.testing.assert_allclose(cnn.predict(X), whole, rtol=1e-5, atol=1e-7)
    assert cnn.widest == 28 * 28 * 32
    mlp.predict(X.reshape(100, -1))
    assert seen == [models.PREDICT_VALUES // (28 * 28 * 32), models.PREDICT_ROWS]


@pytest.mark.parametrize("return_sequences", [False, True])
def test_elman_matches_a_loop_over_time_and_samples(return_sequences):
    X = normal(3, 5, 2)
    layer = built("elman", X, n_out=4, return_sequences=return_sequences)
    W_x, W_h, b = (layer.parameters[k] for k in ("W_x", "W_h", "b"))
    states = np.zeros((3, 5, 4))
    for n in range(3):
        h = np.zeros(4)
        for t in range(5):
            h = np.tanh(X[n, t] @ W_x + h @ W_h + b[0])
            states[n, t] = h
    expected = states if return_sequences else states[:, -1]
    np.testing.assert_allclose(layer.forward(X), expected, atol=1e-12)


def test_conv_weight_fans_count_the_kernel():
    layer = built("conv2d", np.zeros((1, 8, 8, 4), np.float32), n_out=8, kernel_shape=[3, 5],
                  weight_init="xavier_uniform")
    limit = np.sqrt(6 / (15 * 4 + 15 * 8))
    assert layer.parameters["W"].shape == (3, 5, 4, 8)
    assert limit * 0.9 < np.abs(layer.parameters["W"]).max() <= limit


def test_bad_shapes_and_options_are_reported():
    with pytest.raises(ValueError, match="kernel of \\[5, 5\\] .* does not fit an input of \\[3, 3\\]"):
        built("conv2d", np.zeros((1, 3, 3, 1)), n_out=2, kernel_shape=5, pad="valid")
    with pytest.raises(ValueError, match="pool1d takes inputs \\(batch, length, channels\\)"):
        built("pool1d", np.zeros((1, 4, 4, 1)))
    with pytest.raises(ConfigError, match="pad"):
        LAYERS.resolve({"name": "conv2d", "n_out": 2, "pad": "full"})
    with pytest.raises(ConfigError, match="mode"):
        LAYERS.resolve({"name": "pool2d", "mode": "maximum"})
    config = resolve({"data": {"name": "digits", "shape": [8, 8, 1]},
                      "model": {"layers": [{"name": "conv2d", "n_out": 2, "kernel_shape": 9, "pad": "valid"},
                                           {"name": "flatten"},
                                           {"name": "fully_connected", "activation": "softmax"}]}})
    with pytest.raises(ConfigError, match="model.layers.*inputs of shape \\[8, 8, 1\\].*does not fit"):
        build(config)  # the CLI prints this one line and exits 2


def test_bit_sequence_labels():
    data = initialize_dataset("bit_sequence", n_samples=50, length=6).load(np.random.default_rng(0))
    np.testing.assert_array_equal(data.y, data.X.sum(axis=1) % 2)
    counts = initialize_dataset("bit_sequence", n_samples=50, length=6, target="count")
    counts = counts.load(np.random.default_rng(0))
    np.testing.assert_array_equal(np.asarray(counts.classes)[counts.y], counts.X.sum(axis=1))


def train(tmp_path, config, *options):
    """``nnrun train`` in a subprocess; returns the run's summary.json as a dict."""
    result = nnrun("train", os.path.join(REPO, "configs", config), "--save-dir", tmp_path,
                   "--set", "log.plot=false", "--quiet", *options, env={"OPENBLAS_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    with open(os.path.join(result.stdout.strip().splitlines()[-1], "summary.json")) as f:
        return json.load(f)


def write_idx(path, array):
    """An IDX file: two zero bytes, the type code (0x08 unsigned bytes), the rank, each size big-endian."""
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape))
        f.write(array.astype(np.uint8).tobytes())


def test_mnist_cnn_config_trains_on_an_idx_folder(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.arange(120) % 2
    images = rng.integers(0, 60, (120, 28, 28))
    images[labels == 1, 8:20, 12:16] = 255  # class 1 carries a bright bar
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    summary = train(tmp_path, "mnist_cnn.yaml", "--set", f"data.path={tmp_path}", "--epochs", "2")
    assert summary["epochs_run"] == 2 and summary["test"]["samples"] == 12
    assert summary["test"]["accuracy"] >= 0.9


def test_digits_cnn_config_trains_from_the_cli(tmp_path):
    summary = train(tmp_path, "digits_cnn.yaml", "--epochs", "2")
    assert summary["parameters"] == 16 * 10 + 32 * (9 * 16 + 1) + (4 * 4 * 32 + 1) * 10
    assert summary["test"]["accuracy"] > 0.85


def test_sequence_rnn_config_learns_to_count(tmp_path):
    summary = train(tmp_path, "sequence_rnn.yaml", "--set", "data.n_samples=1000", "--epochs", "20")
    assert summary["test"]["accuracy"] >= 0.95
