"""The shipped configs: each one resolves and builds, and the main one (iris) trains through the CLI."""
import glob
import json
import os

import pytest

from conftest import REPO, nnrun

from neural_networks import ConfigError
from neural_networks.config.schema import load_config
from neural_networks.workflow.build import build

CONFIGS = sorted(glob.glob(os.path.join(REPO, "configs", "*.yaml")))


def test_configs_are_shipped():
    names = {os.path.basename(p) for p in CONFIGS}
    assert {"iris.yaml", "wine.yaml", "breast_cancer.yaml", "digits_mlp.yaml", "sinewave.yaml"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_config_resolves_and_builds(path, monkeypatch):
    config = load_config(path)
    assert config["name"] == os.path.splitext(os.path.basename(path))[0]
    data_path = config["data"].get("path")
    if data_path is not None and not os.path.exists(os.path.join(REPO, data_path)):
        pytest.skip(f"data {data_path} is not here")
    monkeypatch.chdir(REPO)  # data paths in shipped configs are relative to the repository root
    try:
        _, data, model, optimizer = build(config)
    except ConfigError as error:  # files found by search (Fashion-MNIST, CIFAR-10) that are not here
        if error.path != "data.path":
            raise
        pytest.skip(error.message)
    assert len(data.train) and len(data.test)
    assert len(data.val) or config["data"]["validation_split"] == 0
    assert model.predict(data.test.X[:2]).shape == (min(2, len(data.test)),) + data.test.Y.shape[1:]
    assert optimizer.base_lr == config["optimizer"]["lr"]


def test_iris_trains_through_the_cli(tmp_path):
    result = nnrun("train", os.path.join(REPO, "configs", "iris.yaml"), "--seed", "0",
                   "--save-dir", tmp_path, "--set", "log.plot=false", "--quiet")
    assert result.returncode == 0, result.stderr
    run_dir = result.stdout.strip().splitlines()[-1]
    with open(os.path.join(run_dir, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    assert summary["seed"] == 0 and summary["dataset"] == "iris"
    assert summary["test"]["accuracy"] >= 0.9
