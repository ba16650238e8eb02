"""The command line end to end: the run folder it writes, its overrides, its errors and exit codes."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from conftest import REPO

from neural_networks.config.schema import load_config
from neural_networks.datasets import initialize_dataset
from neural_networks.workflow.components import REGISTRIES
IRIS = os.path.join(REPO, "configs", "iris.yaml")
METRICS = ["epoch", "lr", "train_loss", "train_error", "val_loss", "val_error", "seconds"]


def nnrun(*args):
    """Run the CLI in-process; return click's result (stdout and stderr apart)."""
    return CliRunner().invoke(main, [str(a) for a in args])


def train(save_dir, *args, epochs=3, plot="false"):
    """``nnrun train`` of the iris config into ``save_dir``; returns (result, run folder or None)."""
    result = nnrun("train", IRIS, "--save-dir", save_dir, "--epochs", epochs, "--quiet",
                   "--set", f"log.plot={plot}", *args)
    lines = result.stdout.strip().splitlines()
    return result, (lines[-1] if result.exit_code == 0 else None)


def numbers(metrics_csv):
    """metrics.csv without its wall-clock column."""
    return pd.read_csv(metrics_csv).drop(columns="seconds")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """One short iris run shared by the tests that only read it."""
    result, path = train(tmp_path_factory.mktemp("runs"), epochs=4, plot="true")
    assert result.exit_code == 0, result.output
    return path


class TestRunFolder:
    def test_last_stdout_line_is_the_run_folder(self, tmp_path):
        result = nnrun("train", IRIS, "--save-dir", tmp_path, "--epochs", 2)
        assert result.exit_code == 0, result.output
        lines = result.stdout.strip().splitlines()
        assert lines[-1] == str(tmp_path / "iris") and os.path.isdir(lines[-1])
        assert "test accuracy" in lines[-2]  # the short result just before it, without --quiet

    def test_config_yaml_is_the_resolved_config(self, run_dir):
        with open(os.path.join(run_dir, "config.yaml")) as f:
            saved = yaml.safe_load(f)
        overrides = ["train.epochs=4", f"log.save_dir={os.path.dirname(run_dir)}", "log.plot=true"]
        expected = load_config(IRIS, overrides + ["model.layers.1.n_out=3"])  # the size iris's 3 classes give
        assert saved == expected
        assert saved["optimizer"]["nesterov"] is False  # defaults are filled in
        assert saved["model"]["layers"][1]["weight_init"] == "xavier_uniform"

    def test_metrics_csv_has_a_row_per_epoch(self, run_dir):
        metrics = pd.read_csv(os.path.join(run_dir, "metrics.csv"))
        assert list(metrics.columns) == METRICS
        assert metrics["epoch"].tolist() == [1, 2, 3, 4]
        assert np.all(np.isfinite(metrics.to_numpy())) and np.all(metrics["seconds"] >= 0)
        assert metrics["train_error"].between(0, 1).all() and metrics["lr"].iloc[0] == 0.05

    @pytest.mark.parametrize("png", ["loss.png", "error.png", "confusion_matrix.png"])
    def test_plots_are_non_empty_pngs(self, run_dir, png):
        with open(os.path.join(run_dir, png), "rb") as f:
            content = f.read()
        assert content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) > 1000

    @pytest.mark.parametrize("which", ["best", "last"])
    def test_parameters_load_without_pickle(self, run_dir, which):
        with np.load(os.path.join(run_dir, "parameters", f"{which}.npz"), allow_pickle=False) as arrays:
            shapes = {k: arrays[k].shape for k in arrays.files}
            assert all(arrays[k].dtype.kind == "f" for k in arrays.files)
        weights = sorted(shape for key, shape in shapes.items() if not key.startswith("preprocess"))
        assert weights == sorted([(4, 16), (1, 16), (16, 3), (1, 3)])
        assert shapes["preprocess.shift"] == shapes["preprocess.scale"] == (4,)

    def test_predictions_csv(self, run_dir):
        predictions = pd.read_csv(os.path.join(run_dir, "predictions.csv"))
        classes = ["setosa", "versicolor", "virginica"]
        assert list(predictions.columns) == ["row", "target", "prediction"] + [f"p_{c}" for c in classes]
        assert len(predictions) == 30 and predictions["row"].is_unique
        probabilities = predictions[[f"p_{c}" for c in classes]].to_numpy()
        np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
        np.testing.assert_array_equal(np.array(classes)[probabilities.argmax(axis=1)], predictions["prediction"])
        iris = initialize_dataset("iris").load(None)
        assert predictions["target"].tolist() == [classes[iris.y[r]] for r in predictions["row"]]

    def test_summary_json(self, run_dir):
        with open(os.path.join(run_dir, "summary.json")) as f:
            summary = json.load(f)
        metrics = pd.read_csv(os.path.join(run_dir, "metrics.csv"))
        best = int(metrics["val_loss"].idxmin()) + 1
        assert summary["best_epoch"] == best and summary["epochs_run"] == 4 and summary["status"] == "completed"
        assert summary["best"]["val_loss"] == pytest.approx(metrics["val_loss"].min())
        assert summary["seed"] == 0 and {"nnrun", "numpy", "python"} <= set(summary["versions"])
        test = summary["test"]
        predictions = pd.read_csv(os.path.join(run_dir, "predictions.csv"))
        accuracy = float(np.mean(predictions["target"] == predictions["prediction"]))
        assert test["samples"] == 30 and test["accuracy"] == pytest.approx(accuracy)
        assert test["error"] == pytest.approx(1 - accuracy) and test["loss"] > 0
        for name in ("setosa", "versicolor", "virginica"):
            truth, guess = predictions["target"] == name, predictions["prediction"] == name
            assert test["per_class"][name]["recall"] == pytest.approx((truth & guess).sum() / truth.sum())
            assert 0 <= test["per_class"][name]["precision"] <= 1
        assert np.sum(test["confusion_matrix"]) == 30


def test_rerun_from_saved_config_reproduces_the_metrics(run_dir):
    result = nnrun("train", os.path.join(run_dir, "config.yaml"), "--quiet")
    assert result.exit_code == 0, result.output
    again = result.stdout.strip().splitlines()[-1]
    assert again == run_dir + "-1"
    pd.testing.assert_frame_equal(numbers(os.path.join(run_dir, "metrics.csv")),
                                  numbers(os.path.join(again, "metrics.csv")))


def test_overrides_change_the_saved_config(tmp_path):
    result, path = train(tmp_path, "--set", "optimizer=adam",              # a component by name ...
                         "--set", "optimizer.lr=1e-2",                      # ... then nested, a YAML 1.2 float
                         "--set", "model.layers.0.n_out=8",                 # list index
                         "--set", "model.layers.0.activation=tanh",
                         "--set", "optimizer.beta1=0.8", "--set", "train.early_stopping=null",
                         "--name", "tuned", "--seed", 7, epochs=2)
    assert result.exit_code == 0, result.output
    assert path == str(tmp_path / "tuned")
    with open(os.path.join(path, "config.yaml")) as f:
        saved = yaml.safe_load(f)
    assert saved["name"] == "tuned" and saved["seed"] == 7 and saved["train"]["epochs"] == 2
    assert saved["model"]["layers"][0]["n_out"] == 8 and saved["model"]["layers"][0]["activation"] == "tanh"
    assert saved["optimizer"]["name"] == "adam" and saved["optimizer"]["lr"] == 0.01
    assert saved["optimizer"]["beta1"] == 0.8 and saved["train"]["early_stopping"] is None
    assert saved["log"]["save_dir"] == str(tmp_path)
    with np.load(os.path.join(path, "parameters", "best.npz")) as arrays:
        assert arrays["layers.0.W"].shape == (4, 8)
    assert len(pd.read_csv(os.path.join(path, "metrics.csv"))) == 2


@pytest.fixture
def sine_config(tmp_path):
    """A tiny regression config that needs neither scikit-learn nor matplotlib (fast subprocesses)."""
    path = tmp_path / "sine.yaml"
    path.write_text("data: {name: sinewave, n_samples: 60, batch_size: 16}\n"
                    "model: {loss: mse, layers: [{name: fully_connected, n_out: 8, activation: tanh},\n"
                    "                            {name: fully_connected}]}\n"
                    "train: {epochs: 3}\nlog: {plot: false}\n")
    return path


def test_overrides_refine_defaults_the_file_leaves_out(tmp_path, sine_config):
    result = nnrun("train", sine_config, "--save-dir", tmp_path, "--quiet", "--set", "optimizer.lr=0.01",
                   "--set", "data.batch_size=8", "--set", "model.layers.1.activation=linear")
    assert result.exit_code == 0, result.output
    with open(tmp_path / "sine" / "config.yaml") as f:
        saved = yaml.safe_load(f)
    assert saved["optimizer"]["name"] == "sgd" and saved["optimizer"]["lr"] == 0.01
    assert saved["optimizer"]["momentum"] == 0.9  # the rest of the default optimizer is kept
    assert saved["data"]["name"] == "sinewave" and saved["data"]["batch_size"] == 8
    assert saved["model"]["layers"][1] == {"name": "fully_connected", "n_out": 1, "activation": "linear",
                                           "weight_init": "xavier_uniform"}  # n_out: the data's one target


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_reaches_the_saved_parameters(tmp_path, dtype):
    result, path = train(tmp_path, "--set", f"dtype={dtype}", epochs=1)
    assert result.exit_code == 0, result.output
    with np.load(os.path.join(path, "parameters", "best.npz")) as arrays:
        assert {arrays[k].dtype for k in arrays.files if k.startswith("layers")} == {np.dtype(dtype)}


def test_seed_changes_the_run(tmp_path):
    (_, a), (_, b), (_, c) = (train(tmp_path, "--seed", s, epochs=2) for s in (1, 1, 2))
    assert numbers(f"{a}/metrics.csv").equals(numbers(f"{b}/metrics.csv"))
    assert not numbers(f"{a}/metrics.csv").equals(numbers(f"{c}/metrics.csv"))


def test_same_name_twice_gets_two_folders(tmp_path):
    (_, first), (_, second) = train(tmp_path, epochs=1), train(tmp_path, epochs=1)
    assert (first, second) == (str(tmp_path / "iris"), str(tmp_path / "iris-1"))
    assert sorted(os.listdir(tmp_path)) == ["iris", "iris-1"]


def test_concurrent_runs_with_one_name_get_their_own_folders(tmp_path, sine_config, nnrun_process):
    args = ["train", sine_config, "--save-dir", tmp_path / "runs", "--quiet", "--name", "same"]
    processes = [nnrun_process(*args) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    folders = {out.strip().splitlines()[-1] for out, _ in outputs}
    assert folders == {str(tmp_path / "runs" / "same"), str(tmp_path / "runs" / "same-1")}
    first, second = (numbers(os.path.join(folder, "metrics.csv")) for folder in folders)
    assert len(first) == 3 and first.equals(second)


@pytest.mark.parametrize("name", ["a/b", "../escape", "..", "/tmp/abs", ".hidden", "-x", "a\\b"])
def test_a_name_cannot_leave_save_dir(tmp_path, name):
    save_dir = tmp_path / "runs"
    result, _ = train(save_dir, "--name", name, epochs=1)
    assert result.exit_code == 2 and "not a valid run name" in result.stderr
    assert os.listdir(tmp_path) == []


def bad_config(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


def csv_with_text_column(tmp_path):
    (tmp_path / "t.csv").write_text("size,colour,label\n" + "".join(f"{i},red,{i % 2}\n" for i in range(20)))
    return bad_config(tmp_path, f"data: {{name: csv, path: {tmp_path / 't.csv'}}}\n")


BAD = {  # id: (config path from tmp_path, extra arguments, words the one error line must hold)
    "unknown-layer": (lambda t: IRIS, ["--set", "model.layers.0.name=dense2"], "unknown layer 'dense2'"),
    "misspelled-key": (lambda t: IRIS, ["--set", "optimizer.lrr=0.1"], "did you mean 'lr'"),
    "misspelled-section": (lambda t: bad_config(t, "optimiser: {name: sgd}\n"), [], "did you mean 'optimizer'"),
    "wrong-type": (lambda t: IRIS, ["--set", "data.batch_size=many"], "data.batch_size: 'many' is not an integer"),
    "list-index": (lambda t: IRIS, ["--set", "model.layers.5.n_out=3"], "no item 5"),
    "missing-file": (lambda t: t / "nowhere.yaml", [], "does not exist"),
    "directory": (lambda t: t, [], "is a folder"),
    "invalid-yaml": (lambda t: bad_config(t, "model: {layers: [1\n"), [], "not valid YAML"),
    "python-tag": (lambda t: bad_config(t, "name: !!python/object/apply:os.system ['echo hacked']\n"), [],
                   "not valid YAML"),
    "not-a-mapping": (lambda t: bad_config(t, "- 1\n- 2\n"), [], "mapping"),
    "csv-text-column": (csv_with_text_column, [], "t.csv: colour"),
    "csv-missing": (lambda t: IRIS, ["--set", "data={name: csv, path: nowhere.csv}"], "data.path: CSV file"),
    "splits": (lambda t: IRIS, ["--set", "data.validation_split=0.5", "--set", "data.test_split=0.5"],
               "must be below 1"),
    "wrong-shape": (lambda t: IRIS, ["--set", "data.shape=[3, 2]"], "data.shape: [3, 2] does not hold the 4"),
    "bad-override": (lambda t: IRIS, ["--set", "optimizer.lr"], "KEY=VALUE"),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_bad_config_is_one_line_exit_2_and_no_run_folder(tmp_path, case):
    path, extra, words = case
    save_dir = tmp_path / "runs"
    result = nnrun("train", path(tmp_path), "--save-dir", save_dir, "--epochs", 1, *extra)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert not save_dir.exists()


@pytest.mark.parametrize("args, words", [
    (["train", IRIS, "--seed", "abc"], "'abc' is not a valid integer"),
    (["train"], "missing CONFIG (or --resume RUN)"),
    (["trian", IRIS], "Did you mean 'train'"),
    (["train", IRIS, "--bogus"], "No such option '--bogus'"),
], ids=["option-type", "missing-argument", "command", "option"])
def test_usage_errors_are_one_line_exit_2(args, words):
    result = nnrun(*args)
    lines = result.stderr.splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and words in lines[0] and "--help" in lines[0]


def test_python_tag_is_never_run(tmp_path):
    marker = tmp_path / "hacked"
    config = bad_config(tmp_path, f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    assert nnrun("train", config, "--save-dir", tmp_path / "runs").exit_code == 2
    assert not marker.exists()


class TestDivergence:
    def test_diverging_run_exits_1_and_keeps_its_folder(self, tmp_path):
        result, _ = train(tmp_path, "--set", "optimizer.lr=50", "--set", "optimizer.lr_scheduler=null",
                          "--name", "boom", epochs=10)
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and "optimizer.lr" in lines[0], result.stderr
        epoch = int(re.search(r"loss became (?:nan|inf|-inf) at epoch (\d+)", lines[0]).group(1))
        folder = tmp_path / "boom"
        assert str(folder) in lines[0] and epoch > 1
        assert len(pd.read_csv(folder / "metrics.csv")) == epoch - 1  # the epochs before it diverged
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["status"] == "diverged" and summary["epochs_run"] == epoch - 1
        assert (folder / "config.yaml").exists()

    def test_diverging_in_the_first_epoch_still_writes_metrics(self, tmp_path):
        result, _ = train(tmp_path, "--set", "optimizer.lr=1e6", "--name", "boom", epochs=3)
        assert result.exit_code == 1 and "epoch 1" in result.stderr
        assert list(pd.read_csv(tmp_path / "boom" / "metrics.csv").columns) == METRICS


def test_evaluate_reports_the_summary_numbers(run_dir):
    result = nnrun("evaluate", run_dir)
    assert result.exit_code == 0, result.output
    header, rule, *lines = result.stdout.splitlines()
    assert header.split() == ["split", "loss", "accuracy", "samples"] and set(rule) == {"-"}
    rows = {line.split()[0]: line.split() for line in lines[:-1]}
    assert set(rows) == {"train", "val", "test"}
    with open(os.path.join(run_dir, "summary.json")) as f:
        test = json.load(f)["test"]
    assert float(rows["test"][1]) == pytest.approx(test["loss"], rel=1e-3)
    assert float(rows["test"][2]) == pytest.approx(test["accuracy"], abs=1e-4)


@pytest.mark.parametrize("path, words", [("nowhere", "not a run folder"), (IRIS, "not a run folder")])
def test_evaluate_not_a_run(path, words):
    result = nnrun("evaluate", path)
    assert result.exit_code == 2 and words in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("path, old, new, words", [
    ("parameters/best.npz", None, "garbage", "not an .npz file"),
    ("config.yaml", "n_out: 16", "n_out: 8", "misshapen layers.0.W"),
], ids=["corrupt-npz", "edited-config"])
def test_evaluate_a_damaged_run(run_dir, tmp_path, path, old, new, words):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    damaged = copy / path
    damaged.write_text(damaged.read_text().replace(old, new) if old else new)
    result = nnrun("evaluate", copy)
    assert result.exit_code == 2 and words in result.stderr and len(result.stderr.splitlines()) == 1


class TestPredict:
    @pytest.fixture
    def test_rows(self, run_dir, tmp_path):
        """The run's test samples as a raw feature CSV (with a header), and the run's predictions."""
        expected = pd.read_csv(os.path.join(run_dir, "predictions.csv"))
        X = initialize_dataset("iris").load(None).X[expected["row"]]
        pd.DataFrame(X, columns=["a", "b", "c", "d"]).to_csv(tmp_path / "in.csv", index=False)
        return tmp_path / "in.csv", expected

    def compare(self, frame, expected):
        assert len(frame) == len(expected) and frame["row"].tolist() == list(range(len(expected)))
        assert frame["prediction"].tolist() == expected["prediction"].tolist()
        columns = [c for c in expected.columns if c.startswith("p_")]
        np.testing.assert_allclose(frame[columns].to_numpy(), expected[columns].to_numpy(), rtol=1e-5, atol=1e-6)

    def test_stdout_agrees_with_predictions_csv(self, run_dir, test_rows):
        path, expected = test_rows
        result = nnrun("predict", run_dir, path)
        assert result.exit_code == 0, result.output
        from io import StringIO

        self.compare(pd.read_csv(StringIO(result.stdout)), expected)

    def test_output_file_without_header_input(self, run_dir, test_rows, tmp_path):
        path, expected = test_rows
        no_header = tmp_path / "plain.csv"
        no_header.write_text("".join(path.read_text().splitlines(keepends=True)[1:]))
        result = nnrun("predict", run_dir, no_header, "-o", tmp_path / "out.csv")
        assert result.exit_code == 0 and result.stdout.strip() == str(tmp_path / "out.csv")
        self.compare(pd.read_csv(tmp_path / "out.csv"), expected)

    @pytest.mark.parametrize("content, words", [
        ("1,2,3\n", "3 feature columns; the model takes 4"),
        ("a,b,c,d\n1,2,x,4\n", "non-numeric"),
        ("", "cannot read"),
        ("a,b,c,d\n", "no rows to predict"),
        ("1,2,,4\n5,6,7,8\n", "missing values in column(s) 2"),  # a blank is not a header
    ], ids=["columns", "text", "empty", "header-only", "blank-first-row"])
    def test_bad_input(self, run_dir, tmp_path, content, words):
        (tmp_path / "in.csv").write_text(content)
        result = nnrun("predict", run_dir, tmp_path / "in.csv")
        assert result.exit_code == 2 and words in result.stderr and len(result.stderr.splitlines()) == 1

    @pytest.mark.parametrize("args, words", [
        (["{tmp}"], "needs a model trained on images"),  # a folder is read as a folder of images
        (["{tmp}/none.csv"], "does not exist"),
        (["{csv}", "-o", "{tmp}/no/such/folder.csv"], "cannot write"),
    ], ids=["folder-input", "missing-input", "unwritable-output"])
    def test_bad_paths(self, run_dir, tmp_path, args, words):
        (tmp_path / "in.csv").write_text("1,2,3,4\n")
        args = [a.format(tmp=tmp_path, csv=tmp_path / "in.csv") for a in args]
        result = nnrun("predict", run_dir, *args)
        assert result.exit_code == 2 and words in result.stderr and len(result.stderr.splitlines()) == 1


def test_regression_run_and_its_predictions(tmp_path, sine_config):
    result = nnrun("train", sine_config, "--save-dir", tmp_path, "--quiet")
    assert result.exit_code == 0, result.output
    run = tmp_path / "sine"
    expected = pd.read_csv(run / "predictions.csv")
    assert list(expected.columns) == ["row", "target", "prediction"] and len(expected) == 12
    x = initialize_dataset("sinewave", n_samples=60).load(np.random.default_rng(0)).X[expected["row"], 0]
    np.testing.assert_allclose(expected["target"], np.sin(x), rtol=1e-6)
    summary = json.loads((run / "summary.json").read_text())
    mse = float(np.mean((expected["target"] - expected["prediction"]) ** 2))
    assert summary["task"] == "regression" and summary["test"]["mse"] == pytest.approx(mse, rel=1e-4)
    pd.DataFrame({"x": x}).to_csv(tmp_path / "x.csv", index=False)
    predicted = nnrun("predict", run, tmp_path / "x.csv", "-o", tmp_path / "out.csv")
    assert predicted.exit_code == 0, predicted.output
    np.testing.assert_allclose(pd.read_csv(tmp_path / "out.csv")["prediction"], expected["prediction"], rtol=1e-5)


def test_csv_run_with_string_labels_and_a_target_column_in_the_input(tmp_path):
    rng = np.random.default_rng(0)
    kinds = np.array(["red", "green", "blue"] * 20)
    centres = {"red": (0, 0), "green": (4, 0), "blue": (0, 4)}
    points = np.array([centres[k] for k in kinds]) + rng.normal(0, 0.5, (60, 2))
    frame = pd.DataFrame({"x1": points[:, 0], "x2": points[:, 1], "kind": kinds})
    frame.to_csv(tmp_path / "points.csv", index=False)
    (tmp_path / "points.yaml").write_text(f"data: {{name: csv, path: {tmp_path / 'points.csv'}, target: kind}}\n"
                                          "train: {epochs: 30}\nlog: {plot: false}\n")
    result = nnrun("train", tmp_path / "points.yaml", "--save-dir", tmp_path, "--quiet")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "points" / "summary.json").read_text())
    assert set(summary["test"]["per_class"]) == {"blue", "green", "red"} and summary["test"]["accuracy"] > 0.9
    frame.head(6).to_csv(tmp_path / "new.csv", index=False)  # with the target column, which predict ignores
    predicted = nnrun("predict", tmp_path / "points", tmp_path / "new.csv", "-o", tmp_path / "out.csv")
    assert predicted.exit_code == 0, predicted.output
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == ["row", "prediction", "p_blue", "p_green", "p_red"]
    assert out["prediction"].tolist() == kinds[:6].tolist()


def test_no_validation_or_test_split_still_writes_strict_json(tmp_path):
    result, path = train(tmp_path, "--set", "data.validation_split=0", "--set", "data.test_split=0", epochs=2)
    assert result.exit_code == 0, result.output

    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    with open(os.path.join(path, "summary.json")) as f:
        summary = json.load(f, parse_constant=refuse)
    assert summary["test"]["samples"] == 0 and summary["test"]["accuracy"] is None
    assert summary["best"]["val_loss"] is None and summary["best"]["train_loss"] > 0
    assert len(pd.read_csv(os.path.join(path, "predictions.csv"))) == 0
    assert pd.read_csv(os.path.join(path, "metrics.csv"))["val_loss"].isna().all()


def test_gradcheck_prints_its_table():
    result = nnrun("gradcheck", IRIS)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["layer", "name", "gradient", "relative", "error", "kinks/checked"]
    checked = {(line.split()[1], line.split()[2]) for line in lines[1:-1] if line.split()[0].isdigit()}
    assert checked == {("fully_connected", key) for key in ("X", "W", "b")}
    worst = float(lines[-1].split()[3])
    assert worst < 1e-6 and "FAIL" not in result.stdout


def test_components_lists_every_registry():
    result = nnrun("components")
    assert result.exit_code == 0
    for kind, registry in REGISTRIES.items():
        assert f"{kind}:" in result.stdout
        for name in registry.names():
            assert f"  {name}" in result.stdout


@pytest.mark.parametrize("command", [[], *[[name] for name in main.commands]])
def test_every_help_shows_an_example(command):
    result = nnrun(*command, "--help")
    assert result.exit_code == 0 and "Example" in result.stdout and "nnrun" in result.stdout


def test_train_ffnn_script_behaves_as_nnrun_train(tmp_path, sine_config):
    script = [sys.executable, "train_ffnn.py", str(sine_config), "--save-dir", str(tmp_path), "--name", "script"]
    process = subprocess.run(script, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip().splitlines()[-1] == str(tmp_path / "script")
    assert "test mse" in process.stdout
    reference = nnrun("train", sine_config, "--save-dir", tmp_path, "--name", "cli", "--quiet")
    assert reference.exit_code == 0, reference.output
    pd.testing.assert_frame_equal(numbers(tmp_path / "script" / "metrics.csv"),
                                  numbers(tmp_path / "cli" / "metrics.csv"))
    bad = subprocess.run([sys.executable, "train_ffnn.py", str(sine_config), "--set", "optimizer.lrr=1"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1 and "did you mean 'lr'" in bad.stderr


def test_a_relative_data_path_is_saved_absolute_so_the_run_works_from_any_folder(tmp_path, monkeypatch):
    data = initialize_dataset("iris").load(np.random.default_rng(0))
    frame = pd.DataFrame(data.X, columns=["a", "b", "c", "d"]).assign(species=data.y)
    frame.to_csv(tmp_path / "flowers.csv", index=False)
    monkeypatch.chdir(tmp_path)
    result, run_dir = train(tmp_path / "runs", "--set", "data={name: csv, path: flowers.csv}")
    assert result.exit_code == 0, result.output
    with open(os.path.join(run_dir, "config.yaml")) as f:
        assert yaml.safe_load(f)["data"]["path"] == str(tmp_path / "flowers.csv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = nnrun("evaluate", run_dir)
    assert result.exit_code == 0 and "test " in result.stdout, result.output
