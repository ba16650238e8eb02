"""``nnrun gradcheck`` and ``nnrun check`` on every shipped config, and the kink rule behind them."""
import glob
import os

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from neural_networks.gradcheck import TOLERANCE, compare, kinks
from test_datasets import write_idx

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = sorted(glob.glob(os.path.join(REPO, "configs", "*.yaml")))
IRIS = os.path.join(REPO, "configs", "iris.yaml")


def nnrun(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def data_overrides(tmp_path):
    """``--set`` options that give a config needing files (MNIST) a tiny stand-in folder of them."""
    rng = np.random.default_rng(0)
    write_idx(tmp_path / "train-images-idx3-ubyte", rng.integers(0, 256, (40, 28, 28)) * (rng.random((40, 28, 28)) < .3))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(40) % 10)

    def overrides(path):
        return ["--set", f"data.path={tmp_path}"] if "mnist" in os.path.basename(path) else []
    return overrides


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_gradcheck_passes_every_shipped_config(path, data_overrides):
    result = nnrun("gradcheck", path, "--samples", 2, "--elements", 40, *data_overrides(path))
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


def test_digits_cnn_gradcheck_skips_the_kinks_of_blank_borders():
    """ReLU at exactly 0 and tied max-pool windows are reported as skipped, not as wrong gradients."""
    result = nnrun("gradcheck", os.path.join(REPO, "configs", "digits_cnn.yaml"), "--samples", 2,
                   "--elements", 60)
    assert result.exit_code == 0, result.output
    pool = next(line for line in result.stdout.splitlines() if " pool2d " in line)
    skipped, checked = map(int, pool.split()[-1].split("/"))
    assert checked == 60 and 0 < skipped < checked
    assert int(result.stdout.splitlines()[-1].split(",")[1].split()[0]) >= skipped


def test_kinks_are_where_the_one_sided_slopes_disagree():
    right = np.array([1.0, 1.0, 0.0, 2.0, 1e-9])
    left = np.array([1.0 + 1e-7, 0.0, 0.0, -2.0, 0.0])
    assert kinks(right, left).tolist() == [False, True, False, True, False]


def test_relu_at_zero_fails_plainly_and_passes_with_kinks_skipped():
    X = np.array([[0.0, 1.0, -2.0, 0.0, 3.0]])

    def f():
        return float(np.sum(np.maximum(X, 0) * [1, 2, 3, 4, 5]))

    analytic = (X > 0) * np.array([1.0, 2, 3, 4, 5])
    plain, skipped, checked = compare(analytic, f, X)
    assert plain > 0.1 and skipped == 0 and checked == 5
    error, skipped, checked = compare(analytic, f, X, skip_kinks=True)
    assert error < TOLERANCE and skipped == 2 and checked == 5
