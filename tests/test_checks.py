"""``nnrun gradcheck`` and ``nnrun check`` on every shipped config, and the kink rule behind them."""
import glob
import os

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from neural_networks.gradcheck import TOLERANCE, compare, kinks
from test_datasets import write_idx

from conftest import REPO
CONFIGS = sorted(glob.glob(os.path.join(REPO, "configs", "*.yaml")))
IRIS = os.path.join(REPO, "configs", "iris.yaml")


def nnrun(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def data_overrides(tmp_path):
    """``--set`` options that give a config needing files (MNIST, CIFAR-10) a tiny stand-in folder of them."""
    rng = np.random.default_rng(0)
    labels = np.arange(60) % 10
    images = rng.integers(0, 60, (60, 28, 28))
    for i, label in enumerate(labels):  # class k: a bright band at rows 2k..2k+3, learnable from the pixels
        images[i, 2 * label:2 * label + 4] = 255
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    cifar = tmp_path / "cifar"
    cifar.mkdir()
    for name, n in (("data_batch_1.bin", 60), ("test_batch.bin", 20)):  # a label byte, then 3,072 pixel bytes
        planes = rng.integers(0, 60, (n, 3, 32, 32))
        for i in range(n):  # class k: a bright band at rows 3k..3k+2, learnable from the pixels
            planes[i, :, 3 * (i % 10):3 * (i % 10) + 3] = 255
        np.column_stack([np.arange(n) % 10, planes.reshape(n, -1)]).astype(np.uint8).tofile(cifar / name)

    def overrides(path):
        name = os.path.basename(path)
        return (["--set", f"data.path={tmp_path}"] if "mnist" in name else
                ["--set", f"data.path={cifar}"] if "cifar" in name else [])
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


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_check_passes_every_shipped_config_and_writes_nothing(path, data_overrides, tmp_path):
    save_dir = tmp_path / "runs"
    # the conv nets on mini-batches of 8: the same layers and checks, in a fraction of the time
    small = ["--set", "data.batch_size=8"] if "cnn" in os.path.basename(path) else []
    result = nnrun("check", path, "--set", f"log.save_dir={save_dir}", *small, *data_overrides(path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] != [] and "FAIL" not in result.stdout
    assert [line[6:20].strip() for line in lines[1:]] == [
        "initial loss", "gradients", "overfit 20", "zeroed inputs", "lr-find"]
    assert all(len(line) <= 80 for line in lines)
    assert not save_dir.exists()


def test_check_fails_iris_with_a_tiny_lr():
    result = nnrun("check", IRIS, "--set", "optimizer.lr=1e-7")
    assert result.exit_code == 1, result.output
    status = {line[6:20].strip(): line.split()[0] for line in result.stdout.splitlines()[1:]}
    assert status["overfit 20"] == "FAIL" and status["zeroed inputs"] == "FAIL" and status["lr-find"] == "WARN"
    assert status["gradients"] == "PASS"


def test_lr_find_on_iris_suggests_a_sane_lr_and_leaves_only_its_plot(tmp_path):
    save_dir = tmp_path / "runs"
    result = nnrun("lr-find", IRIS, "--set", f"log.save_dir={save_dir}")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"plot: {save_dir / 'lr-find-iris.png'}"
    assert 1e-3 <= float(lines[-1].removeprefix("suggested lr: ")) <= 1
    assert os.listdir(save_dir) == ["lr-find-iris.png"]
    again = nnrun("lr-find", IRIS, "--set", f"log.save_dir={save_dir}")
    assert again.stdout.splitlines()[0] == f"plot: {save_dir / 'lr-find-iris-1.png'}"  # never overwritten
    assert again.stdout.splitlines()[-1] == lines[-1]  # fresh weights from the same seed: the same answer


def test_lr_find_stops_when_the_loss_explodes():
    from neural_networks.config.schema import load_config
    from neural_networks.workflow.lr_find import BLOWUP, range_test

    test = range_test(load_config(IRIS))
    assert len(test.lrs) < 100 and test.smoothed[-1] > BLOWUP * test.smoothed.min()
    assert test.lrs[0] == pytest.approx(1e-7) and np.all(np.diff(np.log(test.lrs)) > 0)
    assert test.suggestion == pytest.approx(test.lrs[np.argmin(test.smoothed)] / 10)
