"""Per-layer diagnostics: values computed by hand on a tiny network, the warnings, the run folder's files."""
import base64
import json
import os

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from neural_networks.callbacks import standard_callbacks
from neural_networks.data import Data, Split
from neural_networks.diagnostics import COLUMNS, Diagnostics, probe_rows, warnings
from neural_networks.models import NeuralNetwork
from neural_networks.optimizers import initialize_optimizer
from neural_networks.trainer import Trainer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IRIS = os.path.join(REPO, "configs", "iris.yaml")


def tiny_trainer(lr=0.1):
    """2 inputs -> 2 ReLU units (the second always negative: dead) -> 2-class softmax; 4 samples, one batch."""
    X = np.array([[1.0, 2.0], [2.0, 1.0], [0.5, 0.5], [3.0, 1.0]])
    Y = np.eye(2)[[0, 1, 0, 1]]
    model = NeuralNetwork.from_config({"layers": [{"name": "fully_connected", "n_out": 2, "activation": "relu"},
                                                  {"name": "fully_connected", "activation": "softmax"}]},
                                      2, np.random.default_rng(0))
    model.build((2,), np.float64)
    model.layers[0].parameters["W"][...] = [[0.5, -1.0], [-0.25, -1.0]]
    model.layers[0].parameters["b"][...] = [[0.1, -0.5]]
    model.layers[1].parameters["W"][...] = [[1.0, -1.0], [2.0, 0.5]]
    empty = Split(X[:0], Y[:0], np.arange(0))
    data = Data(Split(X, Y, np.arange(4)), empty, empty, "classification", [0, 1], None, None, (2,))
    optimizer = initialize_optimizer({"name": "sgd", "lr": lr, "momentum": 0.0})
    diagnostics = Diagnostics()
    trainer = Trainer(model, optimizer, data, np.random.default_rng(0), batch_size=4, epochs=1,
                      callbacks=[*standard_callbacks(), diagnostics])
    return trainer, diagnostics, X, Y


def test_values_match_the_formulas_by_hand():
    trainer, diagnostics, X, Y = tiny_trainer()
    W1, b1 = (trainer.model.layers[0].parameters[k].copy() for k in ("W", "b"))
    W2, b2 = (trainer.model.layers[1].parameters[k].copy() for k in ("W", "b"))
    # one step of backprop by hand: softmax + cross-entropy, dZ2 = (P - Y) / N
    Z1 = X @ W1 + b1
    H = np.maximum(Z1, 0)
    Z2 = H @ W2 + b2
    P = np.exp(Z2 - Z2.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    dZ2 = (P - Y) / 4
    dW2 = H.T @ dZ2
    dW1 = X.T @ ((dZ2 @ W2.T) * (Z1 > 0))
    trainer.fit()
    rows = diagnostics.rows
    assert [(r["epoch"], r["layer"], r["name"]) for r in rows] == [(1, 0, "fully_connected"), (1, 1, "fully_connected")]
    assert list(rows[0]) == COLUMNS
    # after the step, the probe (all 4 samples) goes through the updated weights
    H_after = np.maximum(X @ (W1 - 0.1 * dW1) + (b1 - 0.1 * ((dZ2 @ W2.T) * (Z1 > 0)).sum(0)), 0)
    assert rows[0]["activation_mean"] == pytest.approx(H_after.mean())
    assert rows[0]["activation_std"] == pytest.approx(H_after.std())
    assert rows[0]["dead_fraction"] == 0.5 and rows[0]["saturated_fraction"] is None
    assert rows[1]["dead_fraction"] is None  # softmax is neither ReLU nor sigmoid/tanh
    for row, W, dW in ((rows[0], W1, dW1), (rows[1], W2, dW2)):
        assert row["grad_norm"] == pytest.approx(np.linalg.norm(dW))
        assert row["weight_norm"] == pytest.approx(np.linalg.norm(W - 0.1 * dW))
        assert row["update_ratio"] == pytest.approx(0.1 * np.linalg.norm(dW) / np.linalg.norm(W))


def test_saturation_of_tanh_and_sigmoid():
    from neural_networks.diagnostics import activation_stats

    assert activation_stats("tanh", np.array([[0.99, -0.985], [0.5, 0.0]]))[3] == 0.5
    assert activation_stats("sigmoid", np.array([[0.995, 0.005, 0.5, 0.02]]))[3] == 0.5


def test_probe_comes_from_a_child_of_the_seed_and_leaves_the_run_generator_alone():
    rng = np.random.default_rng(7)
    state = rng.bit_generator.state
    rows = probe_rows(1000, rng)
    assert len(rows) == 512 and np.all(np.diff(rows) > 0)
    assert rng.bit_generator.state == state
    assert np.array_equal(rows, probe_rows(1000, np.random.default_rng(7)))
    assert not np.array_equal(rows, probe_rows(1000, np.random.default_rng(8)))
    assert np.array_equal(probe_rows(30, rng), np.arange(30))


def test_warning_sentences():
    def row(epoch, layer, **values):
        return {"epoch": epoch, "layer": layer, "name": "fully_connected", "dead_fraction": None,
                "saturated_fraction": None, "grad_norm": None, "update_ratio": None, **values}

    rows = [row(e, 0, dead_fraction=d, grad_norm=1e-6, update_ratio=0.2) for e, d in ((1, .1), (2, .6), (3, .62))]
    rows += [row(e, 1, saturated_fraction=.7, grad_norm=1.0, update_ratio=1e-3) for e in (1, 2, 3)]
    assert warnings(rows, ["relu", "tanh"]) == [
        "layer 0 (relu): 62% of units dead since epoch 2; try a lower lr, he_uniform or leaky_relu",
        "layer 0: update ratio 2e-01, far above 1e-3: lr is probably too high",
        "layer 1 (tanh): 70% of outputs saturated at epoch 3; try standardized inputs, xavier_uniform or a lower lr",
        "gradient norm of layer 0 is 1e-06 of layer 1's: vanishing gradients"]


def test_planted_dead_relu_network_is_flagged(tmp_path):
    """Raw iris measurements are all positive: constant negative weights make every ReLU input negative."""
    result = CliRunner().invoke(main, [
        "train", IRIS, "--save-dir", str(tmp_path), "--epochs", "3", "--set", "data.preprocess=none",
        "--set", "model.layers.0.weight_init={name: constant, value: -0.5}"])
    assert result.exit_code == 0, result.output
    run_dir = result.stdout.strip().splitlines()[-1]
    summary = json.load(open(os.path.join(run_dir, "summary.json")))
    expected = "layer 0 (relu): 100% of units dead since epoch 1; try a lower lr, he_uniform or leaky_relu"
    assert expected in summary["warnings"]
    assert f"warning: {expected}" in result.stdout
    frame = pd.read_csv(os.path.join(run_dir, "diagnostics.csv"))
    assert list(frame.columns) == COLUMNS and len(frame) == 3 * 2
    assert (frame[frame.layer == 0].dead_fraction == 1.0).all()
    assert frame[frame.layer == 1].dead_fraction.isna().all()
    png = open(os.path.join(run_dir, "diagnostics.png"), "rb").read()
    assert png[:4] == b"\x89PNG"
    report = CliRunner().invoke(main, ["report", run_dir])
    assert report.exit_code == 0, report.output
    page = open(os.path.join(run_dir, "report.html")).read()
    assert base64.b64encode(png).decode("ascii") in page and expected in page


def test_diagnostics_off_writes_no_files_and_trains_the_same(tmp_path):
    def train(*extra):
        result = CliRunner().invoke(main, ["train", IRIS, "--save-dir", str(tmp_path), "--epochs", "2", "--quiet",
                                           "--set", "log.plot=false", *extra])
        return result.stdout.strip().splitlines()[-1]

    on, off = train(), train("--set", "log.diagnostics=false")
    assert os.path.isfile(os.path.join(on, "diagnostics.csv"))
    assert not os.path.exists(os.path.join(off, "diagnostics.csv"))
    assert json.load(open(os.path.join(off, "summary.json")))["warnings"] == []
    for name in ("best.npz", "last.npz"):
        got, want = (np.load(os.path.join(d, "parameters", name)) for d in (on, off))
        assert all(np.array_equal(got[k], want[k]) for k in got.files)


def test_a_recurrent_layer_is_measured_by_its_cell_activation():
    from neural_networks.diagnostics import labels, output_activation
    from neural_networks.layers import initialize_layer

    assert output_activation(initialize_layer("elman", n_out=2)) == "tanh"
    assert output_activation(initialize_layer("relu")) == "relu"
    model = NeuralNetwork([initialize_layer("elman", n_out=2, activation="sigmoid"), initialize_layer("flatten")])
    assert labels(model) == ["sigmoid", "flatten"]
