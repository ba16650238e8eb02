"""Hostile input and hostile circumstances: nothing written is lost, nothing silently wrong, one line for every
failure. One section per promise: kills, one writer per folder, data refused, predict, YAML, damaged run
folders, the system's limits. Every case runs a tiny config for a few epochs."""
import errno
import gzip
import json
import os
import shutil
import struct
import zlib

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from conftest import nnrun as subprocess_cli, start_nnrun
from neural_networks.config.errors import ConfigError
from neural_networks.data import load_data
from neural_networks.workflow import files

# Dropout, Adam, a plateau scheduler and early stopping: a resumed run is exact only if every state comes back.
CONFIG = """name: {name}
data: {{name: sinewave, n_samples: 80, noise: 0.1, batch_size: 8}}
model: {{loss: mse, layers: [{{name: fully_connected, n_out: 8, activation: tanh}}, {{name: dropout, p: 0.2}},
                           {{name: fully_connected}}]}}
optimizer: {{name: adam, lr: 0.01, lr_scheduler: {{name: reduce_on_plateau, patience: 1, factor: 0.5}}}}
train: {{epochs: {epochs}{stopping}}}
log: {{plot: false, save_dir: {save_dir}}}
"""
STOPS_AT_2 = ", early_stopping: {metric: val_loss, patience: 1, min_delta: 100}"  # epoch 1 stays the best


def config_file(folder, name="sine", epochs=3, stopping=""):
    path = os.path.join(folder, f"{name}.yaml")
    with open(path, "w") as f:
        f.write(CONFIG.format(name=name, epochs=epochs, stopping=stopping, save_dir=os.path.join(folder, "runs")))
    return path


def nnrun(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result, code, *words):
    """The command failed with exit ``code`` and one line on stderr holding ``words``."""
    lines = result.stderr.splitlines()
    assert result.exit_code == code, result.output
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    return lines[0]


def train(config, *args):
    result = nnrun("train", config, "--quiet", *args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def leftovers(run_dir):
    """Files a finished run folder must not keep: temporary files, the checkpoint, the lock file."""
    return [os.path.join(root, name) for root, _, names in os.walk(run_dir) for name in names
            if name.startswith(".tmp-") or name in ("checkpoint.npz", ".lock")]


def assert_same_run(a, b):
    """Two run folders hold bit-identical results: metrics (wall-clock aside), parameters, predictions, summary."""
    pd.testing.assert_frame_equal(pd.read_csv(f"{a}/metrics.csv").drop(columns="seconds"),
                                  pd.read_csv(f"{b}/metrics.csv").drop(columns="seconds"), check_exact=True)
    for which in ("best", "last"):
        first, second = (files.read_arrays(f"{folder}/parameters/{which}.npz") for folder in (a, b))
        assert first.keys() == second.keys()
        for key in first:
            np.testing.assert_array_equal(first[key], second[key])
    assert open(f"{a}/predictions.csv").read() == open(f"{b}/predictions.csv").read()
    keep = ("status", "best_epoch", "epochs_run", "best", "final", "test", "seed")
    sa, sb = (files.read_json(f"{folder}/summary.json") for folder in (a, b))
    assert {k: sa.get(k) for k in keep} == {k: sb.get(k) for k in keep}


# --- 1. nothing lost after a kill ---

@pytest.mark.parametrize("epochs, stopping, kill_at", [(3, "", 1), (3, "", 3), (4, STOPS_AT_2, 2)],
                         ids=["mid-run", "final-epoch", "early-stopping-epoch"])
def test_sigkill_right_after_a_checkpoint_then_resume_is_bit_exact(tmp_path, epochs, stopping, kill_at):
    config = config_file(tmp_path, epochs=epochs, stopping=stopping)
    reference = train(config, "--name", "reference")
    killed = subprocess_cli("train", config, "--quiet", "--name", "killed",
                            env={"NNRUN_TEST_KILL_AFTER_CHECKPOINT": str(kill_at)})
    assert killed.returncode == -9, killed.stderr
    folder = os.path.join(tmp_path, "runs", "killed")
    assert len(pd.read_csv(f"{folder}/metrics.csv")) == kill_at - 1  # the kill came before metrics.csv
    os.makedirs(f"{folder}/parameters", exist_ok=True)
    open(f"{folder}/parameters/.tmp-abc.npz", "w").close()  # what a kill inside a write leaves
    resumed = nnrun("train", "--resume", folder, "--quiet")
    assert resumed.exit_code == 0, resumed.output
    assert_same_run(reference, folder)
    assert leftovers(folder) == []
    summary = files.read_json(f"{folder}/summary.json")
    assert summary["epochs_run"] == len(pd.read_csv(f"{folder}/metrics.csv")) == (2 if stopping else epochs)
    listed = nnrun("list", os.path.join(tmp_path, "runs"))
    assert listed.stdout.count(f" {summary['epochs_run']}/{epochs} ") == 2, listed.stdout


def test_a_completed_run_keeps_no_stale_checkpoint(tmp_path):
    run_dir = train(config_file(tmp_path))
    shutil.copy(os.path.join(run_dir, "metrics.csv"), os.path.join(run_dir, "checkpoint.npz"))  # as a late kill
    one_line_error(nnrun("train", "--resume", run_dir), 2, "already finished")
    assert leftovers(run_dir) == []


def test_a_diverged_run_keeps_its_finished_epochs_and_evaluate_says_so(tmp_path):
    config = config_file(tmp_path, epochs=30)
    result = nnrun("train", config, "--quiet", "--set", "optimizer={name: sgd, lr: 3, momentum: 0.9}")
    line = one_line_error(result, 1, "loss became")
    run_dir = line.split("run folder kept: ")[1].rstrip(")")
    summary = files.read_json(f"{run_dir}/summary.json")
    assert summary["status"] == "diverged" and summary["epochs_run"] == len(pd.read_csv(f"{run_dir}/metrics.csv"))
    assert sorted(os.listdir(f"{run_dir}/parameters")) == ["best.npz", "last.npz"] and leftovers(run_dir) == []
    evaluated = nnrun("evaluate", run_dir)
    assert evaluated.exit_code == 0 and "diverged" in evaluated.stderr
    assert f"best finished epoch, {summary['best_epoch']} of {summary['epochs_run']}" in evaluated.stderr
    one_line_error(nnrun("train", "--resume", run_dir), 2, "diverged")


def test_a_run_diverged_in_its_first_epoch_has_nothing_to_evaluate(tmp_path):
    result = nnrun("train", config_file(tmp_path), "--quiet", "--set", "optimizer={name: sgd, lr: 1e6}")
    run_dir = one_line_error(result, 1, "epoch 1").split("run folder kept: ")[1].rstrip(")")
    one_line_error(nnrun("evaluate", run_dir), 2, "diverged before any epoch finished")


# --- 2. one writer per run folder ---

def test_resume_of_a_run_another_process_trains_names_its_pid(tmp_path):
    killed = subprocess_cli("train", config_file(tmp_path), "--quiet", env={"NNRUN_TEST_KILL_AFTER_CHECKPOINT": "1"})
    run_dir = os.path.join(tmp_path, "runs", "sine")
    assert killed.returncode == -9
    with files.Lock(run_dir):  # this test process plays the live trainer
        result = subprocess_cli("train", "--resume", run_dir)
    assert result.returncode == 2 and f"process {os.getpid()}" in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_two_identical_sweeps_at_once_train_each_run_once(tmp_path):
    config = config_file(tmp_path)
    args = ["sweep", config, "--grid", "optimizer.lr=0.01,0.02", "--jobs", "1"]
    processes = [start_nnrun(*args) for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    sweep_dir = os.path.join(tmp_path, "runs", "sine-sweep")
    runs = sorted(name for name in os.listdir(sweep_dir) if os.path.isdir(os.path.join(sweep_dir, name)))
    assert runs == ["lr=0.01", "lr=0.02"]  # no copy "-1"
    for name in runs:
        folder = os.path.join(sweep_dir, name)
        assert files.read_json(f"{folder}/summary.json")["status"] == "completed" and leftovers(folder) == []
        assert len(pd.read_csv(f"{folder}/metrics.csv")) == 3
    assert not [name for name in os.listdir(sweep_dir) if name.startswith(".tmp-")]


@pytest.mark.parametrize("where", ["sweep-folder", "run-folder"])
def test_a_sweep_never_writes_through_a_planted_link(tmp_path, where):
    config = config_file(tmp_path)
    target = tmp_path / "elsewhere"
    target.mkdir()
    sweep_dir = tmp_path / "runs" / "sine-sweep"
    if where == "sweep-folder":
        (tmp_path / "runs").mkdir()
        sweep_dir.symlink_to(target)
    else:
        sweep_dir.mkdir(parents=True)
        (sweep_dir / "lr=0.01").symlink_to(target)
    one_line_error(nnrun("sweep", config, "--grid", "optimizer.lr=0.01", "--jobs", "1"), 2, "symbolic link")
    assert os.listdir(target) == []


def test_train_never_writes_through_a_planted_link(tmp_path):
    config = config_file(tmp_path)
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "sine").symlink_to(target)
    assert train(config).endswith("sine-1") and os.listdir(target) == []


# --- 3. data that cannot be trained on is refused ---

def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


def idx_bytes(array, code):
    return bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape) + array.tobytes()


def mnist_folder(tmp_path, images, labels=None):
    folder = tmp_path / "mnist"
    folder.mkdir(exist_ok=True)
    (folder / "train-images-idx3-ubyte").write_bytes(images)
    labels = labels if labels is not None else idx_bytes(np.arange(4, dtype=">u1") % 2, 0x08)
    (folder / "train-labels-idx1-ubyte").write_bytes(labels)
    return str(folder)


def csv_file(tmp_path, text, mode="w"):
    path = tmp_path / "d.csv"
    (path.write_bytes if "b" in mode else path.write_text)(text)
    return str(path)


ROWS = "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30))
DATA = {  # id: (data config from tmp_path, words of the error)
    "csv-inf": (lambda t: {"name": "csv", "path": csv_file(t, "a,b,y\n1,2,0\n3,inf,1\n" + ROWS)},
                "d.csv line 3, column 'b': inf is not a finite number"),
    "csv-float32-overflow": (lambda t: {"name": "csv", "path": csv_file(t, "a,b,y\n1,2,0\n3,1e39,1\n" + ROWS)},
                             "line 3, column 'b': 1e+39 is beyond the range of float32"),
    "csv-nan": (lambda t: {"name": "csv", "path": csv_file(t, "a,b,y\n1,nan,0\n" + ROWS)},
                "missing values, the first in"),
    "csv-inf-target": (lambda t: {"name": "csv", "path": csv_file(t, "a,b,y\n1,2,0.5\n3,4,-inf\n" + ROWS)},
                       "line 3, column target: -inf"),
    "csv-latin1": (lambda t: {"name": "csv", "path": csv_file(t, "caf\xe9,b,y\n".encode("latin-1") + ROWS.encode(),
                                                                 "wb")}, "is not UTF-8 text: byte 0xe9"),
    "npz-nan-features": (lambda t: {"name": "npz", "path": write_npz(
        t / "d.npz", X=np.where(np.arange(40).reshape(20, 2) == 7, np.nan, 1.0), y=np.arange(20) % 2)},
        "d.npz array X sample 3, column 1: nan"),
    "npz-inf-targets": (lambda t: {"name": "npz", "path": write_npz(
        t / "d.npz", X=np.ones((20, 2)), y=np.r_[np.inf, np.linspace(0, 1, 19)])}, "sample 0, column target: inf"),
    "npz-truncated": (lambda t: {"name": "npz", "path": truncated(write_npz(t / "d.npz", X=np.ones((50, 2)),
                                                                            y=np.arange(50) % 2))}, "truncated"),
    "npz-huge-header": (lambda t: {"name": "npz", "path": huge_npz(t)}, "claims"),
    "idx-float-nan": (lambda t: {"name": "mnist", "path": mnist_folder(t, idx_bytes(
        np.where(np.arange(16) == 5, np.nan, 0.5).astype(">f4").reshape(4, 2, 2), 0x0D))}, "sample 1, column 1: nan"),
    "idx-huge-header": (lambda t: {"name": "mnist", "path": mnist_folder(
        t, bytes([0, 0, 8, 3]) + struct.pack(">III", 60000, 100000, 100000) + bytes(100))}, "claims"),
    "idx-gzip-bomb": (lambda t: {"name": "mnist", "path": gzip_bomb(t)}, "claims"),
    "no-samples": (lambda t: {"name": "npz", "path": write_npz(t / "d.npz", X=np.ones((0, 2)), y=np.ones(0))},
                   "no samples"),
    "one-sample": (lambda t: {"name": "npz", "path": write_npz(t / "d.npz", X=np.ones((1, 2)), y=np.ones(1))},
                   "a single sample"),
    "one-class": (lambda t: {"name": "npz", "path": write_npz(t / "d.npz", X=np.ones((20, 2)),
                                                            y=np.zeros(20, int)), "task": "classification"},
                  "one class"),
    "empty-validation-split": (lambda t: {"name": "sinewave", "n_samples": 10, "validation_split": 0.02},
                               "validation_split 0.02 of 10 samples leaves it empty"),
    "more-classes-than-splits": (lambda t: {"name": "npz", "path": write_npz(t / "d.npz", X=np.ones((20, 2)),
                                                                           y=np.arange(20) % 10)},
                                 "in 10 classes"),
}


def truncated(path):
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:len(data) // 2])
    return path


def huge_npz(tmp_path):
    """An .npz whose X header claims 10^6 x 10^6 float64 values but stores a few bytes."""
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }"
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(64)
    import zipfile

    path = tmp_path / "d.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("X.npy", npy)
        archive.writestr("y.npy", npy)
    return str(path)


def gzip_bomb(tmp_path):
    """A gzipped IDX whose header claims 10^10 bytes (about 10 MB compressed if it held them)."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    header = bytes([0, 0, 8, 3]) + struct.pack(">III", 100000, 1000, 100)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + bytes(1 << 20)))
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(4, ">u1"), 0x08))
    return str(folder)


@pytest.mark.parametrize("case", DATA.values(), ids=DATA.keys())
def test_data_that_cannot_be_trained_on_is_refused(tmp_path, case):
    data, words = case
    with pytest.raises(ConfigError) as error:
        load_data(data(tmp_path), np.random.default_rng(0))
    assert words in str(error.value) and "\n" not in str(error.value)


def test_float64_runs_take_values_beyond_float32(tmp_path):
    path = csv_file(tmp_path, "a,b,y\n1,2,0.5\n3,1e39,1.5\n" + ROWS)
    data = load_data({"name": "csv", "path": path, "preprocess": "none"}, np.random.default_rng(0), np.float64)
    assert np.abs(np.concatenate([data.train.X, data.val.X, data.test.X])).max() == 1e39


def test_refused_data_is_exit_2_and_no_run_folder(tmp_path):
    config = config_file(tmp_path)
    path = csv_file(tmp_path, "a,b,y\n1,2,0\n3,inf,1\n" + ROWS)
    one_line_error(nnrun("train", config, "--set", f"data={{name: csv, path: {path}}}"), 2, "line 3, column 'b'")
    assert not os.path.exists(tmp_path / "runs")


# --- 4. predict never answers silently wrong ---

@pytest.fixture(scope="module")
def named_run(tmp_path_factory):
    """A run trained on a CSV with named columns, and its test rows in training order."""
    folder = tmp_path_factory.mktemp("named")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    frame = pd.DataFrame({"width": X[:, 0], "height": X[:, 1], "depth": X[:, 2], "label": (X[:, 0] > 0).astype(int)})
    frame.to_csv(folder / "train.csv", index=False)
    config = folder / "named.yaml"
    config.write_text(f"data: {{name: csv, path: {folder / 'train.csv'}, target: label}}\ntrain: {{epochs: 2}}\n"
                      f"log: {{plot: false, save_dir: {folder / 'runs'}}}\n")
    return train(config), frame.head(8)


def predicted(run_dir, tmp_path, text):
    (tmp_path / "in.csv").write_text(text)
    return nnrun("predict", run_dir, tmp_path / "in.csv")


def test_predict_matches_named_columns_in_any_order_and_ignores_target_columns(named_run, tmp_path):
    run_dir, rows = named_run
    expected = predicted(run_dir, tmp_path, rows.drop(columns="label").to_csv(index=False))
    assert expected.exit_code == 0, expected.output
    shuffled = rows[["depth", "label", "width", "height"]].assign(target=1)
    answer = predicted(run_dir, tmp_path, shuffled.to_csv(index=False))
    assert answer.exit_code == 0 and answer.stdout == expected.stdout
    assert predicted(run_dir, tmp_path, rows[["depth", "width", "height"]].to_csv(index=False, header=False)
                     ).stdout != expected.stdout  # headerless: by position, as documented


PREDICT = {
    "unknown-name": ("width,height,colour\n1,2,3\n", "unknown column(s) 'colour'; missing column(s) 'depth'; "
                                                     "the model takes the columns width, height, depth"),
    "missing-name": ("width,height\n1,2\n", "missing column(s) 'depth'"),
    "text-in-first-row": ("1,abc,3\n4,5,6\n", "row 1 mixes text ('abc' in column 1)"),
    "text-later": ("1,2,3\n4,x,6\n", "non-numeric value 'x' on line 2, column 1"),
    "inf": ("1,2,3\n4,inf,6\n", "line 2, column '1': inf is not a finite number"),
    "float32-overflow": ("width,height,depth\n1,2,3e38\n4,5,-1e39\n", "line 3, column 'depth'"),
    "duplicate-header": ("width,width,depth\n1,2,3\n", "names a column twice"),
    "latin1": ("width,h\xe9ight,depth\n1,2,3\n", "not UTF-8"),
}


@pytest.mark.parametrize("case", PREDICT.values(), ids=PREDICT.keys())
def test_predict_refuses_what_it_cannot_answer(named_run, tmp_path, case):
    text, words = case
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode("latin-1"))
    one_line_error(nnrun("predict", named_run[0], path), 2, words)


def png_claiming(path, width, height):
    """A PNG whose header claims width x height pixels (its data are a single pixel's)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))
    return path


def test_an_image_too_large_to_decode_is_one_line(tmp_path):
    pytest.importorskip("PIL")
    from neural_networks.workflow.images import read_image

    with pytest.raises(ConfigError, match="100000 x 100000 pixels, over the limit"):
        read_image(png_claiming(tmp_path / "bomb.png", 100000, 100000), 1)


# --- 5. hostile or huge YAML ---

def alias_bomb(levels=7):
    """A YAML list of a few hundred bytes whose aliases expand to 9^levels strings."""
    anchors = ['&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    anchors += [f"&{n} [{','.join(['*' + p] * 9)}]" for p, n in zip("abcdefghij", "bcdefghijk"[:levels - 1])]
    return "[" + ", ".join(anchors) + "]"


BOMB_AT = {"seed": "seed: {}", "name": "name: {}", "data.shape": "data: {{name: sinewave, shape: {}}}",
           "optimizer.lr": "optimizer: {{name: sgd, lr: {}}}"}


YAML = {  # id: (file content, words of the error)
    **{f"alias-bomb-{key}": (line.format(alias_bomb()) + "\n", "over 100,000 values") for key, line in BOMB_AT.items()},
    "deep-nesting": ("model: " + "[" * 3000 + "]" * 3000 + "\n", "nested deeper than 64 levels"),
    "recursive-alias": ("model: &m {layers: [*m]}\n", "refers to a node that contains it"),
    "duplicate-key": ("seed: 1\ntrain: {epochs: 2}\nseed: 2\n", "duplicate key 'seed' (first on line 1)"),
    "duplicate-nested-key": ("optimizer:\n  lr: 0.1\n  lr: 0.2\n", "(line 3): duplicate key 'lr'"),
    "empty-file": ("", "is empty"),
    "comments-only": ("# nothing here\n", "is empty"),
    "too-large": ("seed: 0\n" + "#" * (1 << 20) + "\n", "over 1 MiB, the limit for a config file"),
    "not-utf8": ("name: caf\udce9\n", "not UTF-8 text: byte 0xe9 on line 1"),
}


@pytest.mark.parametrize("case", YAML.values(), ids=YAML.keys())
def test_hostile_yaml_is_one_line_exit_2(tmp_path, case):
    text, words = case
    path = tmp_path / "hostile.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    one_line_error(nnrun("train", path, "--save-dir", tmp_path / "runs"), 2, words)
    assert not os.path.exists(tmp_path / "runs")


def test_an_alias_bomb_in_a_set_value_is_refused(tmp_path):
    one_line_error(nnrun("train", config_file(tmp_path), "--set", f"optimizer.lr={alias_bomb()}"), 2, "optimizer.lr")


def test_an_alias_bomb_within_the_limits_gives_a_short_message(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(BOMB_AT["data.shape"].format(alias_bomb(4)) + "\n")
    assert len(one_line_error(nnrun("train", path), 2, "data.shape")) < 300


# --- 6. damaged run folders ---

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A completed run and one killed after its first epoch (it has a checkpoint)."""
    folder = tmp_path_factory.mktemp("damage")
    config = config_file(folder)
    done = train(config, "--name", "done")
    killed = subprocess_cli("train", config, "--quiet", "--name", "killed",
                            env={"NNRUN_TEST_KILL_AFTER_CHECKPOINT": "1"})
    assert killed.returncode == -9
    return {"done": done, "killed": os.path.join(folder, "runs", "killed")}


DAMAGE = {"truncated": lambda data: data[:len(data) // 2], "garbage": lambda data: b"\x00garbage{[",
          "empty": lambda data: b""}
READERS = {  # command: (the run it reads, files whose damage it reports)
    "evaluate": ("done", ["parameters/best.npz", "config.yaml", "summary.json"]),
    "predict": ("done", ["parameters/best.npz", "config.yaml"]),
    "summary": ("done", ["parameters/best.npz", "config.yaml"]),
    "resume": ("killed", ["checkpoint.npz", "config.yaml", "summary.json"]),
    "report": ("done", ["summary.json", "metrics.csv", "config.yaml"]),
    "compare": ("done", ["summary.json", "metrics.csv", "config.yaml"]),
}
CASES = [(command, name, damage) for command, (_, names) in READERS.items() for name in names for damage in DAMAGE]


def command_line(command, run_dir, tmp_path):
    if command == "predict":
        (tmp_path / "x.csv").write_text("0.5\n")
        return ["predict", run_dir, tmp_path / "x.csv"]
    if command == "resume":
        return ["train", "--resume", run_dir]
    return [command, run_dir] + (["-o", tmp_path / "c.png"] if command == "compare" else [])


@pytest.mark.parametrize("command, name, damage", CASES, ids=[f"{c}-{n}-{d}" for c, n, d in CASES])
def test_a_damaged_file_is_named_in_one_line(runs, tmp_path, command, name, damage):
    run_dir = tmp_path / "run"
    shutil.copytree(runs[READERS[command][0]], run_dir)
    path = run_dir / name
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    one_line_error(nnrun(*command_line(command, run_dir, tmp_path)), 2, str(path))


def test_one_broken_run_never_takes_the_others_down(runs, tmp_path):
    folder = tmp_path / "many"
    for name in ("good", "broken"):
        shutil.copytree(runs["done"], folder / name)
    (folder / "broken" / "metrics.csv").write_text("garbage\x00")
    listed = nnrun("list", folder)
    assert listed.exit_code == 0 and "damaged" in listed.stdout and "completed" in listed.stdout
    assert "broken/metrics.csv is damaged" in listed.stderr
    compared = nnrun("compare", folder, "-o", tmp_path / "c.png")
    assert compared.exit_code == 0 and os.path.getsize(tmp_path / "c.png") > 0
    rows = [line for line in compared.stdout.splitlines() if line.startswith(("good", "broken"))]
    assert rows[0].startswith("good") and rows[1].startswith("broken") and "damaged" in rows[1]
    reported = nnrun("report", folder, "-o", tmp_path / "r.html")
    assert reported.exit_code == 0 and "damaged" in (tmp_path / "r.html").read_text()


@pytest.mark.parametrize("edit, words", [
    (("n_out: 8", "n_out: 9"), "model.layers.0.n_out (8 -> 9) changed"),
    (("lr: 0.01", "lr: 0.02"), "optimizer.lr (0.01 -> 0.02) changed"),
])
def test_resume_refuses_a_config_edited_since_the_checkpoint(runs, tmp_path, edit, words):
    run_dir = tmp_path / "run"
    shutil.copytree(runs["killed"], run_dir)
    config = run_dir / "config.yaml"
    assert edit[0] in config.read_text()
    config.write_text(config.read_text().replace(*edit))
    one_line_error(nnrun("train", "--resume", run_dir), 2, "edited since the last checkpoint", words)


# --- 7. the system's limits ---

@pytest.mark.parametrize("save_dir", ["/proc/nnrun-test", "/sys/nnrun-test"])
def test_an_unwritable_save_folder_is_exit_1_naming_it(tmp_path, save_dir):
    one_line_error(nnrun("train", config_file(tmp_path), "--save-dir", save_dir), 1, save_dir)


def test_a_read_only_save_folder_is_exit_1_naming_it(tmp_path, monkeypatch):
    """As a non-root user sees it (root may write anywhere, so the refusal is simulated)."""
    def refuse(path, mode=0o777):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

    monkeypatch.setattr(files.os, "mkdir", refuse)
    one_line_error(nnrun("train", config_file(tmp_path)), 1, str(tmp_path / "runs"), "Permission denied")


def test_a_full_disk_mid_run_fails_in_one_line_and_resumes_exactly(tmp_path, monkeypatch):
    config = config_file(tmp_path)
    reference = train(config, "--name", "reference")
    write_text = files.write_text
    calls = []

    def full_at_epoch_2(path, text):
        if path.endswith("metrics.csv"):
            calls.append(path)
            if len(calls) == 3:  # at train begin, after epoch 1, after epoch 2
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        write_text(path, text)

    monkeypatch.setattr(files, "write_text", full_at_epoch_2)
    result = nnrun("train", config, "--quiet", "--name", "full")
    one_line_error(result, 1, "metrics.csv: No space left on device", "--resume")
    run_dir = os.path.join(tmp_path, "runs", "full")
    assert files.read_json(f"{run_dir}/summary.json")["status"] == "failed"
    assert len(pd.read_csv(f"{run_dir}/metrics.csv")) == 1 and os.path.exists(f"{run_dir}/checkpoint.npz")
    monkeypatch.setattr(files, "write_text", write_text)
    assert nnrun("train", "--resume", run_dir, "--quiet").exit_code == 0
    assert_same_run(reference, run_dir)


def test_running_out_of_memory_is_one_line(tmp_path, monkeypatch):
    from neural_networks.trainer import Trainer

    def allocate(self):
        raise MemoryError("Unable to allocate 373. GiB for an array with shape (10000000, 10000) and data type float32")

    monkeypatch.setattr(Trainer, "train_epoch", allocate)
    result = nnrun("train", config_file(tmp_path), "--quiet")
    one_line_error(result, 1, "out of memory: Unable to allocate 373. GiB", "shape (10000000, 10000)")
    assert files.read_json(os.path.join(tmp_path, "runs", "sine", "summary.json"))["status"] == "failed"


def test_a_layer_too_large_for_memory_names_the_layer(tmp_path, monkeypatch):
    from neural_networks.layers.dense import FullyConnected

    def forward(self, X, training=False):
        raise MemoryError("Unable to allocate 37.3 GiB for an array with shape (1, 10000000000)")

    monkeypatch.setattr(FullyConnected, "forward", forward)
    one_line_error(nnrun("train", config_file(tmp_path)), 2, "model.layers.0", "does not fit in memory")


ODD = {  # id: (arguments, with {run} a finished run and {tmp} a folder; exit code; words)
    "predict-from-a-device": (["predict", "{run}", "/dev/zero"], 2, "not a regular file"),
    "csv-data-from-a-device": (["train", "{config}", "--set", "data={{name: csv, path: /dev/zero}}"], 2,
                               "not a regular file"),
    "config-from-a-device": (["train", "/dev/zero"], 2, "over 1 MiB"),
    "save-dir-under-a-file": (["train", "{config}", "--save-dir", "/dev/null/runs"], 1,
                              "/dev/null/runs: Not a directory"),
    "report-into-proc": (["report", "{run}", "-o", "/proc/report.html"], 1, "/proc/report.html"),
    "compare-into-proc": (["compare", "{run}", "-o", "/proc/compare.png"], 1, "/proc/compare.png"),
    "resume-the-root": (["train", "--resume", "/"], 2, "not a run folder"),
    "resume-a-finished-run": (["train", "--resume", "{run}"], 2, "already finished"),
    "resume-a-config-file": (["train", "--resume", "{config}"], 2, "is a file"),
}


@pytest.mark.parametrize("case", ODD.values(), ids=ODD.keys())
def test_odd_paths_are_one_line(runs, tmp_path, case):
    args, code, words = case
    config = config_file(tmp_path)
    one_line_error(nnrun(*[a.format(run=runs["done"], tmp=tmp_path, config=config) for a in args]), code, words)


def test_json_written_by_a_run_stays_strict(runs):
    with open(os.path.join(runs["done"], "summary.json")) as f:
        json.load(f, parse_constant=lambda token: pytest.fail(f"non-standard JSON {token}"))
