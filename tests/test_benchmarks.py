"""The benchmark's hand-written NumPy loop computes exactly what nnrun's Trainer computes, so timing one
against the other compares like with like (no timing is asserted)."""
import importlib.util
import pathlib

import numpy as np
import pytest

from neural_networks.data import Data, Split
from neural_networks.models import NeuralNetwork
from neural_networks.optimizers import initialize_optimizer
from neural_networks.trainer import Trainer

BENCHMARKS = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("sizes", [[6, 8, 5, 3], [4, 16, 3]])
def test_reference_loop_matches_nnrun_step_for_step(sizes):
    reference = load("reference")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, sizes[0])).astype(np.float32)
    Y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], 50)]
    layers = [{"name": "fully_connected", "n_out": n, "activation": "relu"} for n in sizes[1:-1]]
    layers.append({"name": "fully_connected", "activation": "softmax"})
    model = NeuralNetwork.from_config({"layers": layers}, sizes[-1], np.random.default_rng(1))
    model.build((sizes[0],), np.float32)
    params = [[layer.parameters["W"].copy(), layer.parameters["b"].copy()] for layer in model.layers]
    velocity = [[np.zeros_like(W), np.zeros_like(b)] for W, b in params]
    empty = Split(X[:0], Y[:0], np.arange(0))
    data = Data(Split(X, Y, np.arange(50)), empty, empty, "classification", list(range(sizes[-1])),
                None, None, (sizes[0],))
    optimizer = initialize_optimizer("sgd", lr=0.1, momentum=0.9)
    trainer = Trainer(model, optimizer, data, np.random.default_rng(2), batch_size=16)
    trainer.optimizer.start_epoch(0)
    ours = [trainer.train_epoch() for _ in range(3)]
    hand_rng = np.random.default_rng(2)
    theirs = [reference.train_epoch(params, velocity, X, Y, 16, 0.1, np.float32(0.9), hand_rng)
              for _ in range(3)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    for layer, (W, b) in zip(model.layers, params):
        np.testing.assert_allclose(layer.parameters["W"], W, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(layer.parameters["b"], b, rtol=1e-5, atol=1e-6)

