"""Adaptive sweeps: --range/--choice spaces, Optuna's random and tpe samplers with a study that a restarted
sweep continues, --prune's median rule (status pruned), and compare/report's views of such a sweep."""
import os

import optuna
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli import main

from neural_networks.config.errors import ConfigError
from neural_networks.config.schema import resolve
from neural_networks.workflow import files, tuning
from neural_networks.workflow.experiment import run
from neural_networks.workflow.report import report
from neural_networks.workflow.sweep import sweep

SINE = {"name": "sine", "data": {"name": "sinewave", "n_samples": 60, "batch_size": 16},
        "model": {"loss": "mse", "layers": [{"name": "fully_connected", "n_out": 4, "activation": "tanh"},
                                            {"name": "fully_connected"}]},
        "optimizer": {"name": "sgd", "lr": 0.05}, "train": {"epochs": 4}, "log": {"plot": False}}


@pytest.fixture
def config_path(tmp_path):
    path = tmp_path / "sine.yaml"
    path.write_text(yaml.safe_dump({**SINE, "log": {"plot": False, "save_dir": str(tmp_path / "runs")}}))
    return str(path)


def quiet(line):
    pass


def test_ranges_parse_ints_floats_and_log():
    assert tuning.parse_ranges(["optimizer.lr=1e-4:1:log", "model.layers.0.n_out=2:16"]) == {
        "optimizer.lr": (1e-4, 1, True), "model.layers.0.n_out": (2, 16, False)}
    for bad, message in [("optimizer.lr=1:0.1", "below"), ("optimizer.lr=0:1:log", "LOW > 0"),
                         ("optimizer.lr=1:2:ln", "LOW:HIGH:log"), ("optimizer.lr=a:2", "not a number")]:
        with pytest.raises(ConfigError, match=message):
            tuning.parse_ranges([bad])


def test_a_tpe_sweep_samples_the_space_and_continues_when_restarted(config_path):
    space = {"ranges": ["optimizer.lr=0.001:0.3:log", "model.layers.0.n_out=2:6"],
             "choices": ["optimizer.momentum=0.0,0.9"]}
    sweep_dir, frame = sweep(config_path, [], sampler="tpe", trials=3, jobs=1, log=quiet, **space)
    assert sorted(frame["run"]) == ["trial-000", "trial-001", "trial-002"]
    assert frame["optimizer.lr"].between(0.001, 0.3).all()
    assert set(frame["model.layers.0.n_out"]) <= set(range(2, 7)) and frame["model.layers.0.n_out"].dtype.kind == "i"
    assert set(frame["optimizer.momentum"]) <= {0.0, 0.9}
    assert os.path.isfile(os.path.join(sweep_dir, "optuna.journal"))
    assert os.path.isfile(os.path.join(sweep_dir, "parallel.png"))
    before = {run: os.path.getmtime(os.path.join(sweep_dir, run, "summary.json")) for run in frame["run"]}
    lines = []
    _, frame = sweep(config_path, [], sampler="tpe", trials=5, jobs=1, log=lines.append, **space)
    assert "3 already finished, 2 to run" in lines[0]
    assert len(frame) == 5 and pd.read_csv(os.path.join(sweep_dir, "sweep.csv")).shape[0] == 5
    assert all(os.path.getmtime(os.path.join(sweep_dir, run, "summary.json")) == t for run, t in before.items())
    study = optuna.load_study(study_name=tuning.STUDY, storage=tuning.storage(sweep_dir))
    values = [t.value for t in study.trials]
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 5
    assert len({(t.params["optimizer.lr"], t.params["model.layers.0.n_out"]) for t in study.trials}) == 5  # no repeats
    best = frame.sort_values("best_val_loss").iloc[0]
    assert best["best_val_loss"] == pytest.approx(min(values))
    with pytest.raises(ConfigError, match="other ranges"):  # another search never joins this study
        sweep(config_path, [], sampler="tpe", trials=6, jobs=1, log=quiet,
              **{**space, "ranges": ["optimizer.lr=0.01:0.3:log", "model.layers.0.n_out=2:6"]})


def test_a_trial_left_running_is_run_with_its_own_values(config_path, tmp_path):
    sweep_dir = str(tmp_path / "runs" / "sine-sweep")
    os.makedirs(sweep_dir)
    study = tuning.study(sweep_dir, "random", 0, False)
    trial = study.ask()
    [text] = tuning.suggest(trial, tuning.parse_ranges(["optimizer.lr=0.001:0.1"]), {})  # then the sweep was killed
    _, frame = sweep(config_path, [], sampler="random", trials=1, jobs=1, log=quiet, ranges=["optimizer.lr=0.001:0.1"])
    assert list(frame["run"]) == ["trial-000"] and f"optimizer.lr={float(frame['optimizer.lr'][0])!r}" == text
    assert [t.state.name for t in tuning.study(sweep_dir, "random", 0, False).trials] == ["COMPLETE"]


def test_prune_stops_a_run_behind_the_median_and_records_it(tmp_path):
    sweep_dir = str(tmp_path)
    study = tuning.study(sweep_dir, "random", 0, True)
    for _ in range(tuning.PRUNE_AFTER_RUNS):  # earlier runs that were far better at every epoch
        trial = study.ask()
        for epoch in range(1, 5):
            trial.report(1e-9, epoch)
        study.tell(trial, 1e-9)
    trial = study.ask()
    config = resolve({**SINE, "train": {"epochs": 8}, "log": {"save_dir": str(tmp_path), "plot": False}})
    run_dir, summary = run(config, callbacks=[tuning.Pruner(sweep_dir, trial._trial_id)])
    assert summary["status"] == "pruned" and summary["epochs_run"] == tuning.PRUNE_FROM_EPOCH
    assert files.read_json(os.path.join(run_dir, "summary.json"))["status"] == "pruned"
    assert len(pd.read_csv(os.path.join(run_dir, "metrics.csv"))) == tuning.PRUNE_FROM_EPOCH


def test_compare_and_report_show_parallel_coordinates_and_importances(config_path, tmp_path):
    sweep_dir, _ = sweep(config_path, [], sampler="tpe", trials=3, jobs=1, log=quiet,
                         ranges=["optimizer.lr=0.001:0.3:log"], choices=["model.layers.0.n_out=2,4"])
    result = CliRunner().invoke(main, ["compare", sweep_dir, "-o", str(tmp_path / "c.png")])
    assert result.exit_code == 0, result.output
    assert os.path.isfile(tmp_path / "c-parallel.png")
    assert "importance of optimizer.lr:" in result.output
    page = open(report(sweep_dir)).read()
    assert "parameter importances" in page and page.count("<img") >= 3


@pytest.mark.parametrize("args, message", [
    (["--range", "optimizer.lr=0.01:0.1"], "--range goes with --sampler random or tpe"),
    (["--sampler", "tpe"], "needs a search space"),
    (["--sampler", "tpe", "--range", "optimizer.lrr=0.01:0.1"], "lrr"),
    (["--sampler", "random", "--range", "optimizer.lr=-1:0.1"], "optimizer.lr"),
    (["--sampler", "random", "--random", "3", "--range", "optimizer.lr=0.01:0.1"], "--trials N"),
])
def test_bad_spaces_are_one_line_errors(config_path, args, message):
    result = CliRunner().invoke(main, ["sweep", config_path, *args])
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_tpe_sweep_on_a_dask_cluster(config_path, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, host="127.0.0.1", dashboard_address=":0",
                                  processes=True) as cluster:
        sweep_dir, frame = sweep(config_path, [], sampler="tpe", trials=3, log=quiet, backend="dask",
                                 scheduler=cluster.scheduler_address, ranges=["optimizer.lr=0.001:0.3:log"],
                                 prune=True)
    assert sorted(frame["run"]) == ["trial-000", "trial-001", "trial-002"]
    study = optuna.load_study(study_name=tuning.STUDY, storage=tuning.storage(sweep_dir))
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 3
    assert all(len(t.intermediate_values) == 4 for t in study.trials)  # the workers reported every epoch


def test_a_trial_whose_run_ended_before_the_study_heard_is_not_trained_again(config_path, tmp_path):
    from neural_networks.config.schema import load_config

    sweep_dir = str(tmp_path / "runs" / "sine-sweep")
    os.makedirs(sweep_dir)
    ranges = ["optimizer.lr=0.001:0.1"]
    study = tuning.study(sweep_dir, "random", 0, False)
    texts = tuning.suggest(study.ask(), tuning.parse_ranges(ranges), {})
    run_dir, summary = run(load_config(config_path, [*texts, "name=trial-000", f"log.save_dir={sweep_dir}"]), texts)
    stamp = os.path.getmtime(os.path.join(run_dir, "summary.json"))
    sweep(config_path, [], sampler="random", trials=1, jobs=1, log=quiet, ranges=ranges)
    [trial] = tuning.study(sweep_dir, "random", 0, False).trials
    assert trial.state.name == "COMPLETE" and trial.value == summary["best"]["val_loss"]
    assert os.path.getmtime(os.path.join(run_dir, "summary.json")) == stamp
