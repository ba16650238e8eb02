"""The experiment workflow: shell loops, sweeps (local and Dask), compare, list, resume, report."""
import base64
import html.parser
import os
import shutil
import signal
import subprocess
import time

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from conftest import start_nnrun as cli

from neural_networks.workflow import checkpoint, files
from neural_networks.workflow import sweep as sweep_module
from neural_networks.config.schema import load_config
from neural_networks.config.errors import ConfigError
from neural_networks.workflow.experiment import resume, run
from neural_networks.workflow.sweep import combinations, parse_grid, plan, sweep

# A regression on seed 000's sine wave: no scikit-learn import, so worker processes start fast.
SINE = {"name": "sine", "data": {"name": "sinewave", "n_samples": 120, "batch_size": 16},
        "model": {"loss": "mse", "layers": [{"name": "fully_connected", "n_out": 8, "activation": "tanh"},
                                            {"name": "fully_connected"}]},
        "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9}, "train": {"epochs": 3},
        "log": {"plot": False}}
# Long enough to be killed mid-run; dropout and a stateful scheduler make resuming exact only if
# the RNG, optimizer and scheduler states all come back.
SLOW = {"name": "slow", "data": {"name": "sinewave", "n_samples": 3000, "noise": 0.1, "batch_size": 4},
        "model": {"loss": "mse", "layers": [{"name": "fully_connected", "n_out": 16, "activation": "relu"},
                                            {"name": "dropout", "p": 0.2}, {"name": "fully_connected"}]},
        "optimizer": {"name": "adam", "lr": 0.002,
                      "lr_scheduler": {"name": "reduce_on_plateau", "patience": 2, "factor": 0.5}},
        "train": {"epochs": 120, "early_stopping": {"metric": "val_loss", "patience": 60}},
        "log": {"plot": False}}


def write_config(folder, config):
    """Write ``config`` as a YAML file in ``folder`` whose runs go to ``folder/runs``."""
    path = os.path.join(folder, f"{config['name']}.yaml")
    files.write_yaml(path, {**config, "log": {**config["log"], "save_dir": os.path.join(folder, "runs")}})
    return path


def metrics_without_time(run_dir):
    return pd.read_csv(os.path.join(run_dir, "metrics.csv")).drop(columns="seconds")


# --- checkpoints and resume ---

def test_checkpoint_keeps_nested_state_without_pickle(tmp_path):
    state = {"model": {"layers.0.W": np.arange(6, dtype=np.float32).reshape(2, 3)},
             "optimizer": {"state": {}, "lr": 0.1, "scheduler": {"best": float("inf")}},
             "rng": np.random.default_rng(3).bit_generator.state, "history": [{"epoch": 1, "val_loss": float("nan")}]}
    checkpoint.save(tmp_path, state, seconds=1.5)
    with np.load(tmp_path / checkpoint.FILE, allow_pickle=False) as saved:
        assert sorted(saved.files) == [checkpoint.META, "model/layers.0.W"]
    loaded, meta = checkpoint.load(tmp_path)
    assert meta == {"seconds": 1.5}
    assert loaded["model"]["layers.0.W"].dtype == np.float32
    np.testing.assert_array_equal(loaded["model"]["layers.0.W"], state["model"]["layers.0.W"])
    assert loaded["rng"] == state["rng"] and loaded["optimizer"]["scheduler"]["best"] == float("inf")
    assert np.isnan(loaded["history"][0]["val_loss"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The slow config trained without interruption, in this process."""
    folder = tmp_path_factory.mktemp("reference")
    return run(load_config(write_config(folder, SLOW)))[0]


def stop_after_a_few_epochs(process, run_dir, how, min_epochs=3):
    """Send signal ``how`` to a running ``nnrun train`` once ``metrics.csv`` has grown by ``min_epochs``."""
    metrics = os.path.join(run_dir, "metrics.csv")
    start = len(pd.read_csv(metrics)) if os.path.exists(metrics) else 0
    deadline = time.monotonic() + 60
    while not (os.path.exists(metrics) and len(open(metrics).read().splitlines()) > start + min_epochs):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.005)
    process.send_signal(how)
    out, err = process.communicate(timeout=60)
    assert len(pd.read_csv(metrics)) < SLOW["train"]["epochs"], "the run finished before it was stopped"
    return process.returncode, out, err


def test_resume_after_kill_9_and_ctrl_c_gives_identical_results(tmp_path, reference):
    run_dir = str(tmp_path / "runs" / "slow")
    code, _, _ = stop_after_a_few_epochs(cli("train", write_config(tmp_path, SLOW)), run_dir, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert files.read_json(os.path.join(run_dir, "summary.json"))["status"] == "running"
    assert os.path.isfile(os.path.join(run_dir, checkpoint.FILE))
    assert "killed" in CliRunner().invoke(main, ["list", str(tmp_path / "runs")]).output

    code, out, err = stop_after_a_few_epochs(cli("train", "--resume", run_dir), run_dir, signal.SIGINT)
    assert code == 130 and out == "", (code, out[-1000:], err[-1000:])  # say how it ended when it did not stop
    assert f"continue with: nnrun train --resume {run_dir}" in err and "Traceback" not in err
    assert files.read_json(os.path.join(run_dir, "summary.json"))["status"] == "interrupted"

    process = cli("train", "--resume", run_dir, "--quiet")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.splitlines() == [run_dir]
    pd.testing.assert_frame_equal(metrics_without_time(run_dir), metrics_without_time(reference))
    diagnostics = [open(os.path.join(d, "diagnostics.csv")).read() for d in (run_dir, reference)]
    assert diagnostics[0] == diagnostics[1] and len(diagnostics[0].splitlines()) > SLOW["train"]["epochs"]
    summary, expected = (files.read_json(os.path.join(d, "summary.json")) for d in (run_dir, reference))
    assert summary["status"] == "completed" and summary["resumed"] == 2
    assert summary["warnings"] == expected["warnings"]
    assert (summary["best_epoch"], summary["test"]) == (expected["best_epoch"], expected["test"])
    for which in ("best", "last"):
        got, want = (files.read_arrays(os.path.join(d, "parameters", f"{which}.npz")) for d in (run_dir, reference))
        assert got.keys() == want.keys() and all(np.array_equal(got[k], want[k]) for k in got)
    assert not os.path.exists(os.path.join(run_dir, checkpoint.FILE))


def test_resume_after_early_stopping_fired_trains_no_more(tmp_path, monkeypatch):
    config = load_config(write_config(tmp_path, {**SINE, "train": {"epochs": 40, "early_stopping": {"patience": 2}}}))
    reference, summary = run(config)
    assert summary["epochs_run"] < 40
    monkeypatch.setattr(checkpoint, "remove", lambda run_dir: None)  # as if killed before the end
    run_dir, _ = run(config)
    files.write_json(os.path.join(run_dir, "summary.json"), {**summary, "status": "running"})
    _, resumed = resume(run_dir)
    assert resumed["epochs_run"] == summary["epochs_run"] and resumed["test"] == summary["test"]
    pd.testing.assert_frame_equal(metrics_without_time(run_dir), metrics_without_time(reference))


def test_resume_refuses_a_finished_run_and_bad_usage(tmp_path):
    run_dir, _ = run(load_config(write_config(tmp_path, SINE)))
    runner = CliRunner()
    finished = runner.invoke(main, ["train", "--resume", run_dir])
    assert finished.exit_code == 2 and "already finished" in finished.output
    both = runner.invoke(main, ["train", "--resume", run_dir, "--epochs", "3"])
    assert both.exit_code == 2 and "--resume" in both.output
    assert runner.invoke(main, ["train"]).exit_code == 2


# --- shell loops ---

def test_parallel_shell_loop_with_one_name_gives_distinct_intact_folders(tmp_path):
    config = write_config(tmp_path, SINE)
    rates = [0.01 * (i + 1) for i in range(8)]
    processes = [cli("train", config, "--name", "same", "--set", f"optimizer.lr={lr}", "--quiet") for lr in rates]
    outputs = [p.communicate(timeout=180) for p in processes]
    assert [p.returncode for p in processes] == [0] * 8, [err for _, err in outputs]
    folders = [out.strip() for out, _ in outputs]
    assert all(len(out.splitlines()) == 1 and err == "" for out, err in outputs)  # --quiet: only the run folder
    assert sorted(os.path.basename(f) for f in folders) == sorted(["same"] + [f"same-{i}" for i in range(1, 8)])
    for folder, lr in zip(folders, rates):
        summary = files.read_json(os.path.join(folder, "summary.json"))
        assert summary["status"] == "completed" and f"optimizer.lr={lr}" in summary["overrides"]
        assert yaml.safe_load(open(os.path.join(folder, "config.yaml")))["optimizer"]["lr"] == lr
        assert len(pd.read_csv(os.path.join(folder, "metrics.csv"))) == SINE["train"]["epochs"]
        assert sorted(os.listdir(folder)) == ["config.yaml", "diagnostics.csv", "metrics.csv", "parameters",
                                              "predictions.csv", "summary.json"]


# --- sweeps ---

def test_grid_and_random_draws():
    grid = parse_grid(["optimizer.lr=0.01,0.1", "model.layers.0.n_out=4,8,16"])
    assert grid == {"optimizer.lr": ["0.01", "0.1"], "model.layers.0.n_out": ["4", "8", "16"]}
    assert len(combinations(grid)) == 6 and combinations(grid)[0] == [("optimizer.lr", "0.01"),
                                                                      ("model.layers.0.n_out", "4")]
    drawn = combinations(grid, random=3, seed=1)
    assert len(drawn) == 3 and drawn == combinations(grid, random=3, seed=1)
    assert len({tuple(c) for c in drawn}) == 3 and all(c in combinations(grid) for c in drawn)
    for bad in (["optimizer.lr"], ["optimizer.lr=0.1,"], ["optimizer.lr=1", "optimizer.lr=2"], []):
        with pytest.raises(ConfigError):
            parse_grid(bad)


def test_grid_values_in_scientific_notation_are_numbers(tmp_path):
    _, jobs = plan(write_config(tmp_path, SINE), ["optimizer.lr=1e-3,3E-2"])
    assert [os.path.basename(run_dir) for run_dir, _, _ in jobs] == ["lr=1e-3", "lr=3E-2"]
    assert [config["optimizer"]["lr"] for _, config, _ in jobs] == [0.001, 0.03]
    assert [texts for _, _, texts in jobs] == [["optimizer.lr=1e-3"], ["optimizer.lr=3E-2"]]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """``nnrun sweep`` of 2 learning rates x 2 hidden sizes with 2 worker processes."""
    folder = tmp_path_factory.mktemp("sweep")
    args = ("sweep", write_config(folder, SINE), "--grid", "optimizer.lr=0.01,0.2",
            "--grid", "model.layers.0.n_out=4,16", "--jobs", "2")
    process = cli(*args)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return folder, args, out, err


def test_sweep_runs_every_combination_once(swept):
    folder, args, out, err = swept
    sweep_dir = os.path.join(folder, "runs", "sine-sweep")
    assert out.splitlines()[-1] == sweep_dir and "4 to run" in err
    names = {"lr=0.01,n_out=4", "lr=0.01,n_out=16", "lr=0.2,n_out=4", "lr=0.2,n_out=16"}
    assert {n for n in os.listdir(sweep_dir) if os.path.isdir(os.path.join(sweep_dir, n))} == names
    table = pd.read_csv(os.path.join(sweep_dir, "sweep.csv"))
    assert set(table["run"]) == names and (table["status"] == "completed").all()
    assert {"optimizer.lr", "model.layers.0.n_out", "best_val_loss", "test_loss", "seconds"} <= set(table.columns)
    assert table["best_val_loss"].is_monotonic_increasing
    row = table.set_index("run").loc["lr=0.2,n_out=16"]
    assert (row["optimizer.lr"], row["model.layers.0.n_out"]) == (0.2, 16)
    summary = files.read_json(os.path.join(sweep_dir, "lr=0.2,n_out=16", "summary.json"))
    assert row["best_val_loss"] == summary["best"]["val_loss"] and row["test_loss"] == summary["test"]["loss"]
    assert os.path.getsize(os.path.join(sweep_dir, "compare.png")) > 5000

    stamps = {n: os.path.getmtime(os.path.join(sweep_dir, n, "summary.json")) for n in names}
    again = CliRunner().invoke(main, list(args))
    assert again.exit_code == 0, again.output
    assert "4 already finished, 0 to run" in again.output
    assert stamps == {n: os.path.getmtime(os.path.join(sweep_dir, n, "summary.json")) for n in names}
    assert len(os.listdir(sweep_dir)) == len(names) + 4  # + sweep.json, sweep.csv, compare.png, parallel.png


def test_sweep_started_again_resumes_unfinished_runs(tmp_path):
    config = write_config(tmp_path, SINE)
    grid = ["optimizer.lr=0.02,0.05"]
    sweep_dir, first = sweep(config, grid, jobs=1, log=lambda line: None)
    interrupted = os.path.join(sweep_dir, "lr=0.05")
    expected = metrics_without_time(interrupted)
    summary = files.read_json(os.path.join(interrupted, "summary.json"))
    files.write_json(os.path.join(interrupted, "summary.json"), {**summary, "status": "interrupted"})
    lines = []
    _, second = sweep(config, grid, jobs=1, log=lines.append)
    assert lines[0].endswith("1 already finished, 1 to run (1 of them resumed)") and lines[1:] == ["  lr=0.05: completed"]
    assert sorted(os.listdir(tmp_path / "runs" / "sine-sweep")) == ["compare.png", "lr=0.02", "lr=0.05",
                                                                    "parallel.png", "sweep.csv", "sweep.json"]
    pd.testing.assert_frame_equal(metrics_without_time(interrupted), expected)
    pd.testing.assert_frame_equal(first.drop(columns="seconds"), second.drop(columns="seconds"))
    with pytest.raises(ConfigError, match="lr=0.02 was trained with a different config"):
        sweep(config, grid, overrides=["train.epochs=4"], jobs=1, log=lines.append)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_a_diverged_run_does_not_stop_the_sweep(tmp_path):
    config = write_config(tmp_path, SINE)
    lines = []
    _, table = sweep(config, ["optimizer.lr=0.05,1e9"], jobs=1, log=lines.append)
    assert lines[2].startswith("  lr=1e9: diverged: the training loss became")
    assert table.set_index("run")["status"].to_dict() == {"lr=0.05": "completed", "lr=1e9": "diverged"}
    sweep(config, ["optimizer.lr=0.05,1e9"], jobs=1, log=lines.append)
    assert "2 already finished, 0 to run" in lines[3]


def test_sweep_rejects_bad_values_before_running_anything(tmp_path):
    config = write_config(tmp_path, SINE)
    result = CliRunner().invoke(main, ["sweep", config, "--grid", "optimizer.lr=0.1,-1"])
    assert result.exit_code == 2 and "optimizer.lr" in result.output and "lr=-1" in result.output
    result = CliRunner().invoke(main, ["sweep", config, "--grid", "optimizer.lr=0.1", "--jobs", "0"])
    assert result.exit_code == 2 and "--jobs 0" in result.output
    assert not os.path.exists(tmp_path / "runs")


def test_sweep_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    config = write_config(tmp_path, SINE)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, host="127.0.0.1", dashboard_address=":0",
                                  processes=True) as cluster:
        result = CliRunner().invoke(main, ["sweep", config, "--grid", "optimizer.lr=0.01,0.1",
                                           "--backend", "dask", "--scheduler", cluster.scheduler_address])
        assert result.exit_code == 0, result.output
        workers = set(cluster.scheduler_info["workers"])
    table = pd.read_csv(tmp_path / "runs" / "sine-sweep" / "sweep.csv")
    assert sorted(table["run"]) == ["lr=0.01", "lr=0.1"] and (table["status"] == "completed").all()
    assert len(workers) == 1


def test_sweep_with_an_unreachable_dask_scheduler_writes_nothing(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(sweep_module, "CONNECT_TIMEOUT", 1)
    result = CliRunner().invoke(main, ["sweep", write_config(tmp_path, SINE), "--grid", "optimizer.lr=0.3",
                                       "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "cannot reach the Dask scheduler tcp://127.0.0.1:9" in result.output
    assert not os.path.exists(tmp_path / "runs")


# --- compare, list, report ---

def test_compare_plots_and_prints_runs_best_first(swept, tmp_path):
    folder = swept[0]
    output = tmp_path / "lr.png"
    result = CliRunner().invoke(main, ["compare", str(folder / "runs" / "sine-sweep" / "lr=*"),
                                       "--by", "optimizer.lr", "-o", str(output)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and output.stat().st_size > 5000
    lines = result.output.splitlines()
    assert lines[0] == f"runs in {folder / 'runs' / 'sine-sweep'}, best first:"
    assert lines[-1] == str(output) and len(lines) == 9  # where, header, rule, 4 runs, rule, figure
    best = [float(line.split()[lines[1].split().index("best_val_loss")]) for line in lines[3:7]]
    assert best == sorted(best)
    bad = CliRunner().invoke(main, ["compare", str(folder / "runs" / "sine-sweep"), "--by", "optimizer.lrr"])
    assert bad.exit_code == 2 and "optimizer.lrr" in bad.output


def test_list_shows_every_run_sorted(swept):
    result = CliRunner().invoke(main, ["list", str(swept[0] / "runs"), "--sort", "val_loss"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    header, rule, *rows, _ = result.output.splitlines()
    assert header.split()[:4] == ["run", "status", "dataset", "hidden"] and len(rows) == 4
    assert all("sinewave" in row and "3/3" in row for row in rows)
    losses = [float(row.split()[header.split().index("val_loss")]) for row in rows]
    assert losses == sorted(losses)
    assert {row.split()[0] for row in rows} == {f"sine-sweep/lr={lr},n_out={n}" for lr in ("0.01", "0.2")
                                                for n in (4, 16)}
    one = CliRunner().invoke(main, ["list", str(swept[0] / "runs" / "sine-sweep" / "lr=0.2,n_out=16")],
                             env={"COLUMNS": "200"})
    assert len(one.output.splitlines()) == 4 and "completed" in one.output


class Page(html.parser.HTMLParser):
    """Collects a page's tags and inline images."""

    def __init__(self):
        super().__init__()
        self.tags, self.images = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])


def test_report_is_one_self_contained_page(swept):
    sweep_dir = swept[0] / "runs" / "sine-sweep"
    result = CliRunner().invoke(main, ["report", str(sweep_dir)])
    assert result.exit_code == 0, result.output
    path = sweep_dir / "report.html"
    assert result.output.strip() == str(path)
    page = Page()
    page.feed(path.read_text())
    assert {"html", "head", "body", "table"} <= set(page.tags) and len(page.images) >= 2
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:4] == b"\x89PNG"
    assert "lr=0.2,n_out=16" in path.read_text()
    chromium = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "chromium-headless-shell",
                                                                  "google-chrome"))), None)
    if chromium:
        dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                              path.as_uri()], capture_output=True, text=True, timeout=60)
        assert dom.returncode == 0 and "sine-sweep" in dom.stdout and "<img" in dom.stdout
