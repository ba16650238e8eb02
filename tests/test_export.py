"""nnrun export: ONNX models that compute nnrun's own outputs, TensorBoard events and MLflow runs that
hold the run folder's numbers, and a sweep exported run by run."""
import os
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from neural_networks.config.errors import ConfigError
from neural_networks.config.schema import resolve
from neural_networks.layers import LAYERS, Layer
from neural_networks.models import NeuralNetwork
from neural_networks.workflow.build import build
from neural_networks.workflow.experiment import run
from neural_networks.workflow.export import export
from neural_networks.workflow.export.onnx import build_model
from neural_networks.workflow.loading import load_run

MLP = {"name": "mlp", "data": {"name": "iris", "batch_size": 16},
       "model": {"layers": [{"name": "fully_connected", "n_out": 8, "activation": "gelu"},
                            {"name": "dropout", "p": 0.2},
                            {"name": "fully_connected", "n_out": 6, "activation": {"name": "leaky_relu", "alpha": 0.1}},
                            {"name": "elu"}, {"name": "fully_connected", "activation": "softmax"}]}}
CNN = {"name": "cnn", "data": {"name": "digits", "shape": [8, 8, 1], "preprocess": "normalize", "batch_size": 64},
       "model": {"layers": [{"name": "conv2d", "n_out": 4, "kernel_shape": 3, "activation": "relu"},
                            {"name": "batchnorm"},
                            {"name": "pool2d", "kernel_shape": 3, "stride": 2, "mode": "average", "pad": "same"},
                            {"name": "conv2d", "n_out": 3, "kernel_shape": [2, 3], "stride": [2, 1], "pad": [1, 0],
                             "activation": "tanh"},
                            {"name": "pool2d", "kernel_shape": 2, "stride": 1, "mode": "max", "pad": "same"},
                            {"name": "flatten"}, {"name": "fully_connected", "activation": "softmax"}]}}
RNN = {"name": "rnn", "data": {"name": "bit_sequence", "n_samples": 200, "length": 5, "target": "count",
                               "shape": [5, 1]},
       "model": {"layers": [{"name": "elman", "n_out": 6, "return_sequences": True},
                            {"name": "elman", "n_out": 4, "activation": "sigmoid"},
                            {"name": "fully_connected", "activation": "softmax"}]}}
SINE = {"name": "sine", "data": {"name": "sinewave", "n_samples": 80, "shape": [1, 1]},
        "model": {"loss": "mse", "layers": [{"name": "conv1d", "n_out": 2, "kernel_shape": 1},
                                            {"name": "pool1d", "kernel_shape": 1, "mode": "average"},
                                            {"name": "global_average_pool"}, {"name": "sigmoid"},
                                            {"name": "fully_connected"}]}}


def trained(tmp_path, config, epochs=3):
    config = {**config, "optimizer": {"name": "adam", "lr": 0.01}, "train": {"epochs": epochs},
              "log": {"save_dir": str(tmp_path), "plot": False}}
    run_dir, _ = run(resolve(config), ["optimizer.lr=0.01"])
    return run_dir


def raw_inputs(data, split):
    """The test split as predict reads it: raw features, one flattened row per sample."""
    return split.X.reshape(len(split.X), -1).astype(np.float64) * data.scale + data.shift


@pytest.mark.parametrize("config", [MLP, CNN, RNN, SINE], ids=["mlp", "cnn", "rnn", "conv1d-regression"])
def test_onnx_matches_nnrun(tmp_path, config):
    import onnxruntime

    run_dir = trained(tmp_path, config)
    [path] = export(run_dir, "onnx")
    assert path == os.path.join(run_dir, "model.onnx")
    cfg, data, model = load_run(run_dir)
    raw = raw_inputs(data, data.test)
    ours = model.predict(data.transform(raw, np.float32))
    session = onnxruntime.InferenceSession(path)
    theirs = session.run(None, {"features": raw.astype(np.float32)})[0]
    assert theirs.shape == ours.shape
    assert np.abs(theirs - ours).max() < 1e-5
    if data.task == "classification":
        assert session.get_outputs()[0].name == "probabilities"
        np.testing.assert_allclose(theirs.sum(axis=1), 1, atol=1e-5)
    with pytest.raises(ConfigError, match="already exists"):  # never overwritten
        export(run_dir, "onnx")


CASES = [(name, kwargs, shape) for name in LAYERS.names() for kwargs, shape in LAYERS[name].gradcheck_cases]


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_every_layer_and_activation_exports(name, kwargs, shape):
    """Each registered layer (every activation is one too), in each of its gradient-check settings, computes
    in onnxruntime what it computes in nnrun, also with preprocessing in front and a Flatten behind."""
    import onnxruntime

    rng = np.random.default_rng(0)
    model = NeuralNetwork([LAYERS.build({"name": name, **kwargs}), LAYERS.build("flatten")], "mse", rng)
    out = model.build(shape)
    for layer in model.layers:  # statistics that are not the identity
        for key, value in {**layer.parameters, **layer.buffers}.items():
            value[...] = rng.uniform(0.5, 1.5, value.shape) if key in ("running_var", "gamma") else rng.normal(
                size=value.shape)
    n = int(np.prod(shape))
    data = SimpleNamespace(input_shape=shape, shift=rng.normal(size=n), scale=rng.uniform(0.5, 2, n),
                           task="regression", n_outputs=int(np.prod(out)))
    raw = rng.normal(size=(5, n))
    ours = model.predict(((raw - data.shift) / data.scale).astype(np.float32).reshape((5,) + tuple(shape)))
    session = onnxruntime.InferenceSession(build_model(model, data).SerializeToString())
    theirs = session.run(None, {"features": raw.astype(np.float32)})[0]
    np.testing.assert_allclose(theirs, ours, atol=1e-5, rtol=1e-5)


def test_onnx_refuses_an_unknown_layer():
    _, data, model, _ = build(resolve(MLP))

    class Mystery(Layer):
        name = "mystery"

    model.layers.insert(1, Mystery())
    with pytest.raises(ConfigError, match=r"no form for layer 1 \(mystery\); it covers .*fully_connected"):
        build_model(model, data)


def test_tensorboard_holds_the_metrics(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir = trained(tmp_path, MLP)
    export(run_dir, "tensorboard", str(tmp_path / "tb"))
    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0, "histograms": 0})
    events.Reload()
    metrics = pd.read_csv(os.path.join(run_dir, "metrics.csv"))
    for tag, column in [("loss/val", "val_loss"), ("error/train", "train_error"), ("lr", "lr")]:
        scalars = events.Scalars(tag)
        assert [s.step for s in scalars] == list(metrics["epoch"])
        np.testing.assert_allclose([s.value for s in scalars], metrics[column], rtol=1e-6)
    diagnostics = pd.read_csv(os.path.join(run_dir, "diagnostics.csv"))  # the run's own, per layer and epoch
    first = diagnostics[diagnostics["layer"] == 0]
    np.testing.assert_allclose([s.value for s in events.Scalars("diagnostics/0.fully_connected/grad_norm")],
                               first["grad_norm"], rtol=1e-6)
    assert "weights/layers.0.W" in events.Tags()["histograms"]
    from tensorboard.plugins.hparams import plugin_data_pb2

    session = plugin_data_pb2.HParamsPluginData.FromString(
        events.summary_metadata["_hparams_/session_start_info"].plugin_data.content).session_start_info
    assert session.hparams["optimizer.lr"].number_value == 0.01  # the run's --set overrides
    assert [s.value for s in events.Scalars("best/val_loss")] == pytest.approx([metrics["val_loss"].min()])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SQLAlchemy's, inside MLflow's store
def test_mlflow_run_holds_config_metrics_and_artifacts(tmp_path):
    from mlflow.tracking import MlflowClient

    run_dir = trained(tmp_path, MLP)
    [run_id] = export(run_dir, "mlflow")
    uri = "sqlite:///" + str(tmp_path / "mlruns" / "mlflow.db")  # the default: beside the run folder
    client = MlflowClient(uri)
    logged = client.get_run(run_id)
    assert logged.data.params["optimizer.lr"] == "0.01"
    assert logged.data.params["model.layers.0.n_out"] == "8"
    metrics = pd.read_csv(os.path.join(run_dir, "metrics.csv"))
    history = client.get_metric_history(run_id, "val_loss")
    assert sorted(m.step for m in history) == list(metrics["epoch"])
    np.testing.assert_allclose([m.value for m in sorted(history, key=lambda m: m.step)], metrics["val_loss"])
    names = {a.path for a in client.list_artifacts(run_id)}
    assert {"config.yaml", "summary.json", "parameters"} <= names
    assert {a.path for a in client.list_artifacts(run_id, "parameters")} == {"parameters/best.npz",
                                                                             "parameters/last.npz"}
    assert logged.info.status == "FINISHED"
    assert client.get_experiment(logged.info.experiment_id).name == "nnrun"
    assert export(run_dir, "mlflow") == [run_id]  # logged once


def test_a_sweep_exports_every_run(tmp_path, run_cli):
    sweep_dir = tmp_path / "sweep"
    for lr in (0.01, 0.1):
        config = {**SINE, "name": f"lr={lr}", "optimizer": {"name": "sgd", "lr": lr}, "train": {"epochs": 2},
                  "log": {"save_dir": str(sweep_dir), "plot": False}}
        run(resolve(config))
    result = run_cli("export", sweep_dir, "--to", "onnx", "-o", tmp_path / "models")
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path / "models")) == ["lr=0.01.onnx", "lr=0.1.onnx"]
    assert export(str(sweep_dir), "onnx") == [str(sweep_dir / run / "model.onnx") for run in ("lr=0.01", "lr=0.1")]
    export(str(sweep_dir), "tensorboard")
    assert sorted(os.listdir(sweep_dir / "tensorboard")) == ["lr=0.01", "lr=0.1"]


def test_export_errors_are_one_line(tmp_path, run_cli):
    result = run_cli("export", tmp_path, "--to", "onnx")
    assert result.returncode == 2 and "no run folders" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = run_cli("export", tmp_path, "--to", "onnx", "--tracking-uri", "x")
    assert result.returncode == 2 and "--tracking-uri" in result.stderr
