"""What a person sees: tables and the progress bar within 80 columns, commands that behave alike,
run-name templates, comparisons labelled by what differs, and no internal references in user-facing text."""
import glob
import io
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from neural_networks.callbacks import Callback, ProgressBar
from neural_networks.config.errors import ConfigError
from neural_networks.config.schema import load_config
from neural_networks.trainer import Trainer
from neural_networks.workflow import files
from neural_networks.workflow.build import build
from neural_networks.workflow.compare import compare, compare_table, label, natural, panel_key, run_order
from neural_networks.workflow.components import kinds_named
from neural_networks.workflow.tables import format_table, wrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = {"data": {"name": "sinewave", "n_samples": 60, "batch_size": 16},
        "model": {"loss": "mse", "layers": [{"name": "fully_connected", "n_out": 4, "activation": "tanh"},
                                            {"name": "fully_connected"}]},
        "optimizer": {"name": "sgd", "lr": 0.05}, "train": {"epochs": 2}, "log": {"plot": False}}


def widths(text):
    return [len(line) for line in text.splitlines()]


def invoke(*args, columns=80):
    result = CliRunner().invoke(main, [str(a) for a in args], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


# --- tables ---

def test_table_wraps_headers_and_cells_and_never_breaks_a_row():
    header = ["run", "best_val_loss", "a_long_text_column"]
    rows = [["lr=0.003,n_out=16", 0.0123456, "conv2d(kernel_shape=3, stride=1, pad=same, dilation=1)"],
            ["lr=0.1,n_out=4", 1234567, "flatten"]]
    lines = format_table(header, rows, width=40)
    assert max(map(len, lines)) <= 40
    assert "1,234,567" in "\n".join(lines) and "0.01235" in "\n".join(lines)  # numbers are never cut
    rule = [i for i, line in enumerate(lines) if set(line) == {"-"}]
    assert len(rule) == 2 and lines[rule[0] - 1].startswith("run") and "best_" in lines[rule[0] - 2]
    body = lines[rule[0] + 1:rule[1]]
    assert body[0].startswith("lr=0.003,") and body[1].startswith("n_out=16")  # the row wraps in its column
    assert sum(line[:1] != " " for line in body) == 4  # 2 rows: 2 + 2 lines starting in the first column


def test_table_leaves_out_optional_columns_first_and_says_so():
    header = ["run", "a", "b", "c", "d"]
    rows = [["x" * 10, 1.5, 2.5, 3.5, 4.5]]
    lines = format_table(header, rows, width=20, optional=["b"])
    assert max(map(len, lines)) <= 20 and lines[0].split() == ["run", "a", "c"]
    assert " ".join(lines[4:]) == "not shown (a wider terminal shows them): b, d"
    assert format_table(header, rows, width=26, optional=["b"])[0].split() == ["run", "a", "c", "d"]


def test_wrap_prefers_commas_then_underscores():
    assert wrap("lr=0.003,n_out=16", 10) == ["lr=0.003,", "n_out=16"]
    assert wrap("best_val_loss", 9) == ["best_val_", "loss"]
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]


@pytest.mark.parametrize("config", ["digits_cnn", "sequence_rnn", "iris"])
def test_summary_fits_80_columns(config):
    output = invoke("summary", os.path.join(ROOT, "configs", f"{config}.yaml"))
    assert max(widths(output)) <= 80
    assert ("tanh" in output.split("layers.0")[1].splitlines()[0]) == (config == "sequence_rnn")


def test_evaluate_and_gradcheck_tables_line_up(tmp_path):
    run_dir = train_tiny(tmp_path)
    output = invoke("evaluate", run_dir)
    header, rule, *rows = output.splitlines()[:5]
    assert header.split() == ["split", "loss", "mse", "samples"] and set(rule) == {"-"}
    assert len({len(row) for row in rows}) == 1 and [row.split()[0] for row in rows] == ["train", "val", "test"]
    output = invoke("gradcheck", write_config(tmp_path, TINY), "--samples", "3")
    assert max(widths(output)) <= 80 and output.splitlines()[0].split()[:3] == ["layer", "name", "gradient"]


# --- the progress bar ---

def test_progress_bar_fits_the_terminal_and_is_erased_on_ctrl_c():
    config = load_config(os.path.join(ROOT, "configs", "iris.yaml"), ["train.epochs=6"])
    rng, data, model, optimizer = build(config)

    class CtrlC(Callback):
        def on_epoch_end(self, trainer, row):
            if row["epoch"] == 4:
                raise KeyboardInterrupt

    screen = io.StringIO()
    bar = ProgressBar(file=screen, width=80, mininterval=0)
    trainer = Trainer(model, optimizer, data, rng, batch_size=16, epochs=6, callbacks=[bar, CtrlC()])
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    bar.close()
    drawn = [line for line in re.split(r"[\r\n]", screen.getvalue()) if line.strip()]
    assert drawn and all(len(line) <= 80 for line in drawn)
    assert re.search(r"^epoch 4/6 \|#+\S*\s+\| \d\d:\d\d<\d\d:\d\d, loss [\d.e-]+, val_loss [\d.e-]+$", drawn[-1])
    assert screen.getvalue().endswith("\r" + " " * 80 + "\r")  # the last thing written clears the line


def test_an_interrupted_run_clears_its_bar(tmp_path, monkeypatch):
    from neural_networks.workflow import experiment

    screen = io.StringIO()
    monkeypatch.setattr(experiment, "standard_callbacks", lambda *args: [ProgressBar(file=screen, width=60), CtrlC()])

    class CtrlC(Callback):
        def on_epoch_end(self, trainer, row):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt, match="train --resume"):
        experiment.run(load_config(write_config(tmp_path, TINY)), progress=True)
    assert screen.getvalue().endswith("\r" + " " * 60 + "\r")


# --- commands that behave alike ---

def write_config(folder, config, name="tiny"):
    path = os.path.join(folder, f"{name}.yaml")
    files.write_yaml(path, {**config, "log": {**config["log"], "save_dir": os.path.join(folder, "runs")}})
    return path


def train_tiny(tmp_path, *args):
    output = invoke("train", write_config(tmp_path, TINY), "--quiet", *args)
    return output.splitlines()[-1]


def test_sweep_takes_trains_options(tmp_path):
    config = write_config(tmp_path, TINY)
    result = CliRunner().invoke(main, ["sweep", config, "--grid", "optimizer.lr=0.01,0.02", "--jobs", "1",
                                       "--save-dir", str(tmp_path / "elsewhere"), "--seed", "3", "--epochs", "1",
                                       "--quiet"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    sweep_dir = str(tmp_path / "elsewhere" / "tiny-sweep")
    assert result.output == sweep_dir + "\n"  # --quiet: only the folder
    for lr in ("0.01", "0.02"):
        saved = load_config(os.path.join(sweep_dir, f"lr={lr}", "config.yaml"))
        assert saved["seed"] == 3 and saved["train"]["epochs"] == 1
        assert len(pd.read_csv(os.path.join(sweep_dir, f"lr={lr}", "metrics.csv"))) == 1
    loud = invoke("sweep", config, "--grid", "optimizer.lr=0.01,0.02", "--jobs", "1", "--save-dir",
                  tmp_path / "elsewhere", "--seed", "3", "--epochs", "1")
    assert "2 already finished" in loud and max(len(line) for line in loud.splitlines() if sweep_dir not in line) <= 80


@pytest.mark.parametrize("kind, expected", [
    ("lr_schedulers", "lr schedulers"), ("schedulers", "lr schedulers"), ("scheduler", "lr schedulers"),
    ("lr scheduler", "lr schedulers"), ("LR-Schedulers", "lr schedulers"),
    ("weight_initializers", "weight initializers"), ("initializers", "weight initializers"),
    ("initializer", "weight initializers"), ("weight initializer", "weight initializers"),
    ("layer", "layers"), ("layers", "layers"), ("optimizer", "optimizers"), ("dataset", "datasets"),
    ("data_sets", "datasets")])
def test_components_accepts_natural_spellings(kind, expected):
    assert list(kinds_named(kind)) == [expected]
    assert invoke("components", kind).splitlines()[0] == f"{expected}:"


def test_components_suggests_a_spelling_without_spaces():
    result = CliRunner().invoke(main, ["components", "lr_shedulers"])
    assert result.exit_code == 2 and "'lr_schedulers'" in result.output and "'lr schedulers'" not in result.output


def test_train_ffnn_usage_line():
    result = subprocess.run([sys.executable, "train_ffnn.py", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("Usage: train_ffnn.py [OPTIONS] [CONFIG]")
    assert "--save-dir" in result.stdout


def test_python_m_neural_networks_is_nnrun():
    result = subprocess.run([sys.executable, "-m", "neural_networks", "components", "losses"], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT})
    assert result.returncode == 0 and result.stdout.startswith("losses:")
    usage = subprocess.run([sys.executable, "-m", "neural_networks", "--help"], cwd=ROOT, capture_output=True,
                           text=True, env={**os.environ, "PYTHONPATH": ROOT})
    assert usage.stdout.startswith("Usage: nnrun [OPTIONS] COMMAND")


# --- run-name templates ---

def test_name_template_takes_any_dotted_key(tmp_path):
    config = write_config(tmp_path, TINY)
    assert load_config(config, ["name=tiny-lr{optimizer.lr}-h{model.layers.0.n_out}"])["name"] == "tiny-lr0.05-h4"
    assert load_config(config, ["name=run-{optimizer}-{model.layers.0.activation}"])["name"] == "run-sgd-tanh"
    run_dir = train_tiny(tmp_path, "--name", "{data.name}-lr{optimizer.lr}", "--set", "optimizer.lr=0.01")
    assert os.path.basename(run_dir) == "sinewave-lr0.01"
    assert load_config(os.path.join(run_dir, "config.yaml"))["name"] == "sinewave-lr0.01"


def test_name_template_errors_name_the_key(tmp_path):
    config = write_config(tmp_path, TINY)
    with pytest.raises(ConfigError, match=r"\{optimizer.lrr\}: no key 'lrr' \(did you mean 'lr'\?\)"):
        load_config(config, ["name=x{optimizer.lrr}"])
    with pytest.raises(ConfigError, match="is a list of 2"):
        load_config(config, ["name=x{model.layers.5.n_out}"])
    with pytest.raises(ConfigError, match="not a valid run name"):
        load_config(config, ["name=x{data.name}/y"])
    result = CliRunner().invoke(main, ["train", config, "--name", "{optimizer.momentun}"])
    assert result.exit_code == 2 and "did you mean 'momentum'" in result.output


# --- comparisons ---

def test_runs_sort_and_label_numerically_by_what_differs():
    configs = [{"optimizer": {"lr": lr}, "model": {"layers": [{"n_out": n}]}, "seed": 0}
               for lr, n in [(0.05, 16), (0.01, 4), (0.1, 64), (0.01, 64), (0.03, 16)]]
    keys = ["optimizer.lr", "model.layers.0.n_out"]
    short = {"optimizer.lr": "lr", "model.layers.0.n_out": "n_out"}
    order = run_order(configs, keys)
    assert [label(configs[i], keys, short, "") for i in order] == [
        "lr=0.01, n_out=4", "lr=0.01, n_out=64", "lr=0.03, n_out=16", "lr=0.05, n_out=16", "lr=0.1, n_out=64"]
    assert sorted([16, 4, 64, "relu"], key=natural) == [4, 16, 64, "relu"]
    assert panel_key(configs, keys, by=["optimizer.lr"]) == "model.layers.0.n_out"


@pytest.fixture(scope="module")
def nine_runs(tmp_path_factory):
    """Nine tiny runs differing in lr (3 values) and hidden units (3 values), trained in this process."""
    from neural_networks.workflow.experiment import run

    folder = tmp_path_factory.mktemp("nine")
    path = write_config(folder, TINY)
    return [run(load_config(path, [f"optimizer.lr={lr}", f"model.layers.0.n_out={n}", f"name=lr{lr}-n{n}"]))[0]
            for lr in (0.1, 0.02, 0.005) for n in (16, 2, 4)]


def test_compare_labels_only_differing_keys_and_splits_many_runs(nine_runs, tmp_path):
    picture = tmp_path / "many.png"
    frame = compare(nine_runs, "val_loss", by=["optimizer.lr"], path=str(picture))
    assert list(frame.columns[2:4]) == ["optimizer.lr", "model.layers.0.n_out"]  # nothing else differs
    assert frame["best_val_loss"].is_monotonic_increasing
    from PIL import Image

    width, height = Image.open(picture).size
    assert height > 600 and width < 1400  # a 2x2 grid (3 panels by n_out + the lr plot), not one wide row
    text = compare_table(frame, width=80)
    assert max(widths(text)) <= 80 and text.splitlines()[0].startswith("runs in ")
    lines = text.splitlines()
    header = lines[[set(line) for line in lines].index({"-"}) - 1]
    assert header.split()[:3] == ["run", "lr", "n_out"]


def test_compare_metric_says_which_epoch_the_test_columns_come_from():
    from neural_networks.workflow.results import runs_frame

    metrics = pd.DataFrame({"epoch": [1, 2, 3], "lr": 0.1, "train_loss": [0.5, 0.3, 0.2],
                            "train_error": [0.2, 0.1, 0.1], "val_loss": [0.4, 0.35, 0.6],
                            "val_error": [0.2, 0.1, 0.3], "seconds": 0.1})
    loaded = [({"seed": 0}, {"best_epoch": 2, "test": {"loss": 0.4, "accuracy": 0.9, "error": 0.1}}, metrics)]
    by_train = runs_frame(["a"], loaded, metric="train_loss")
    assert by_train.loc[0, "best_epoch"] == 3 and by_train.loc[0, "test_epoch"] == 2
    assert by_train.loc[0, "best_train_loss"] == 0.2
    assert "test_epoch" not in runs_frame(["a"], loaded, metric="val_loss").columns  # the same epoch


def test_compare_writes_under_experiments_by_default(nine_runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = invoke("compare", *nine_runs[:2]).splitlines()[-1]
    second = invoke("compare", *nine_runs[:2]).splitlines()[-1]
    assert first.startswith(os.path.join("experiments", "compare-")) and first.endswith(".png")
    assert second != first and os.path.isfile(first) and os.path.isfile(second)  # never overwritten


# --- words ---

USER_FACING = ["README.md", "docs/*.md", "configs/*.yaml", "cli.py", "train_ffnn.py", "benchmarks/README.md"]


def test_no_internal_references_in_user_facing_text():
    internal = re.compile(r"\bseeds? ?0\d\d\b|\bseed 0\d\d's|\bissue \d+\b|\bissues? #\d+", re.IGNORECASE)
    found = [f"{path}: {match.group(0)}" for pattern in USER_FACING
             for path in glob.glob(os.path.join(ROOT, pattern))
             for match in internal.finditer(open(path, encoding="utf-8").read())]
    assert found == []


# --- pictures ---

def test_log_axes_read_as_plain_numbers():
    from neural_networks.workflow.plots import number_text

    assert [number_text(v) for v in (0.6, 0.01, 0.001, 1e-4, 20, 1, 3e5)] == [
        "0.6", "0.01", "0.001", "1e-4", "20", "1", "3e5"]


def test_a_regression_run_draws_its_predictions(tmp_path):
    run_dir = train_tiny(tmp_path, "--set", "log.plot=true")
    from PIL import Image

    assert Image.open(os.path.join(run_dir, "predictions.png")).size[0] > 800  # two panels: 1 input, 1 output
    assert not os.path.exists(os.path.join(run_dir, "confusion_matrix.png"))
    saved = load_config(os.path.join(run_dir, "config.yaml"))
    assert saved["model"]["layers"][-1]["n_out"] == 1  # filled in from the data


def test_list_and_compare_fit_80_columns(nine_runs):
    folder = os.path.dirname(nine_runs[0])
    listed = invoke("list", folder, "--sort", "val_loss")
    assert max(widths(listed)) <= 80 and "not shown (a wider terminal shows them):" in listed
    assert sum(line.startswith("lr0.") for line in listed.splitlines()) == 9
    compared = invoke("compare", *nine_runs, "-o", os.path.join(folder, "c.png"))
    assert max(widths(compared)) <= 80 and sum(line.startswith("lr0.") for line in compared.splitlines()) == 9
    wide = invoke("list", folder, columns=250)
    assert "not shown" not in wide and "date" in wide.splitlines()[0]
