"""Image data: MNIST/Fashion-MNIST found by search, the official test split, CIFAR-10's binary files,
stratified subsampling, split_seed, memory-mapped inputs, and augmentation of training batches."""
import json
import os
import pathlib
import struct
import zipfile

import numpy as np
import pytest

from neural_networks import ConfigError
from neural_networks.augment import AUGMENTS, Crop, Flip, Noise, Translate
from neural_networks.data import MappedRows, load_data
from neural_networks.datasets import initialize_dataset
from neural_networks.trainer import Trainer
from neural_networks.workflow.build import build
from neural_networks.config.schema import resolve

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def write_idx(path, array):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape))
        f.write(array.astype(np.uint8).tobytes())


def idx_folder(folder, n_train=40, n_test=15, seed=0):
    """A small MNIST-shaped folder: labels cycle through 0..9 (so every class is present)."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        if n:
            write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte"), rng.integers(0, 256, (n, 28, 28)))
            write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte"), np.arange(n) % 10)
    return str(folder)


def data_of(config, seed=0):
    return load_data(config, np.random.default_rng(seed))


# --- MNIST and Fashion-MNIST: the official test split, the search list ---

def test_t10k_files_are_the_test_split_and_validation_comes_from_training(tmp_path):
    path = idx_folder(tmp_path, n_train=40, n_test=15)
    data = data_of({"name": "mnist", "path": path, "validation_split": 0.25, "test_split": 0.3})
    assert (len(data.train), len(data.val), len(data.test)) == (30, 10, 15)
    assert data.test.index.tolist() == list(range(40, 55))  # the t10k files, in their order
    assert set(data.val.index) | set(data.train.index) == set(range(40))


def test_official_test_false_pools_the_files_as_before(tmp_path):
    path = idx_folder(tmp_path, n_train=40, n_test=20)
    data = data_of({"name": "mnist", "path": path, "official_test": False, "validation_split": 0.2,
                    "test_split": 0.2})
    assert (len(data.train), len(data.val), len(data.test)) == (40, 10, 10)  # 1 of each class's 6 each
    assert min(data.test.index) < 40 and max(data.train.index) >= 40


def test_a_folder_without_test_files_keeps_test_split(tmp_path):
    data = data_of({"name": "mnist", "path": idx_folder(tmp_path, n_test=0), "test_split": 0.25})
    assert len(data.test) == 10


def test_fashion_mnist_has_the_clothing_names(tmp_path):
    data = initialize_dataset("fashion_mnist", path=idx_folder(tmp_path)).load(None)
    assert data.classes == FASHION and data.n_test == 15


@pytest.fixture
def no_data_anywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("NNRUN_DATA", str(tmp_path / "store"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_path_is_searched_in_nnrun_data_then_home(no_data_anywhere):
    home = idx_folder(no_data_anywhere / "home" / ".nnrun" / "data" / "mnist", n_train=20, n_test=0)
    assert len(initialize_dataset("mnist").load(None).y) == 20
    idx_folder(no_data_anywhere / "store" / "mnist", n_train=30, n_test=0)  # $NNRUN_DATA comes first
    assert len(initialize_dataset("mnist").load(None).y) == 30
    assert os.path.isdir(home)


def test_nothing_found_names_every_place_searched_and_how_to_get_the_files(no_data_anywhere, monkeypatch):
    monkeypatch.setattr("neural_networks.datasets.FashionMNIST.system_folders", (str(no_data_anywhere / "usr"),))
    with pytest.raises(ConfigError) as error:
        initialize_dataset("fashion_mnist").load(None)
    message = str(error.value)
    for place in ("store/fashion_mnist", "home/.nnrun/data/fashion_mnist", "usr"):
        assert place in message
    assert "apt-get install dataset-fashion-mnist" in message and error.value.path == "path"


def test_nothing_found_is_exit_2_from_the_cli(no_data_anywhere, run_cli):
    result = run_cli("train", os.path.join("configs", "cifar10_cnn.yaml"), "--save-dir", no_data_anywhere)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no cifar10 files found in" in result.stderr and "binary version" in result.stderr


# --- CIFAR-10, binary version ---

def cifar_file(path, labels, rng):
    pixels = rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)
    np.column_stack([np.asarray(labels, np.uint8), pixels]).tofile(path)
    return pixels


def cifar_folder(folder, n_train=(6, 4), n_test=5, names=True):
    rng = np.random.default_rng(1)
    os.makedirs(folder, exist_ok=True)
    pixels = [cifar_file(os.path.join(folder, f"data_batch_{i + 1}.bin"), np.arange(n) % 10, rng)
              for i, n in enumerate(n_train)]
    if n_test:
        cifar_file(os.path.join(folder, "test_batch.bin"), np.arange(n_test) % 10, rng)
    if names:
        with open(os.path.join(folder, "batches.meta.txt"), "w") as f:
            f.write("\n".join(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                               "truck"]) + "\n\n")
    return str(folder), np.concatenate(pixels)


def test_cifar10_records_become_channels_last_images(tmp_path):
    path, pixels = cifar_folder(tmp_path)
    data = initialize_dataset("cifar10", path=path).load(None)
    assert data.X.shape == (15, 32, 32, 3) and data.X.dtype == np.uint8 and data.n_test == 5
    # channel-major records: pixel (row r, column c) of channel k is byte k * 1024 + r * 32 + c
    assert data.X[3, 5, 7, 2] == pixels[3, 2 * 1024 + 5 * 32 + 7]
    assert data.X[9, 31, 0, 0] == pixels[9, 31 * 32]
    assert data.classes[:3] == ["airplane", "automobile", "bird"] and data.y[:12].tolist() == [
        0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 0, 1]


def test_cifar10_official_test_split_and_the_archive_folder(tmp_path):
    cifar_folder(tmp_path / "cifar-10-batches-bin")
    data = data_of({"name": "cifar10", "path": str(tmp_path), "validation_split": 0.5, "shape": [32, 32, 3]})
    assert (len(data.train), len(data.val), len(data.test)) == (6, 4, 5) and data.input_shape == (32, 32, 3)


def test_cifar10_malformed_size_is_refused(tmp_path):
    path, _ = cifar_folder(tmp_path)
    with open(os.path.join(path, "data_batch_2.bin"), "ab") as f:
        f.write(b"\x00" * 100)
    with pytest.raises(ConfigError, match="not a whole number of 3073-byte"):
        initialize_dataset("cifar10", path=path).load(None)


def test_cifar10_pickled_version_is_refused_without_unpickling(tmp_path):
    (tmp_path / "data_batch_1").write_bytes(b"\x80\x04 would run code if unpickled")
    (tmp_path / "batches.meta").write_bytes(b"\x80\x04")
    with pytest.raises(ConfigError, match="pickled Python version.*binary version"):
        initialize_dataset("cifar10", path=str(tmp_path)).load(None)


# --- subsampling and split_seed ---

def test_samples_per_class_keeps_that_many_of_each_class_for_training(tmp_path):
    path = idx_folder(tmp_path, n_train=100, n_test=10)
    data = data_of({"name": "mnist", "path": path, "samples_per_class": 5, "validation_split": 0.2})
    labels = np.concatenate([data.train.Y, data.val.Y]).argmax(axis=1)
    assert np.bincount(labels).tolist() == [5] * 10 and len(data.test) == 10
    with pytest.raises(ConfigError, match="more than the 10 training samples"):
        data_of({"name": "mnist", "path": path, "samples_per_class": 11})


def test_max_samples_is_stratified():
    data = data_of({"name": "iris", "max_samples": 31, "validation_split": 0.0, "test_split": 0.0})
    assert len(data.train) == 31
    assert sorted(np.bincount(data.train.Y.argmax(axis=1)).tolist()) == [10, 10, 11]


def test_split_seed_shares_the_split_across_seeds():
    config = {"name": "iris", "split_seed": 5, "max_samples": 100}
    a, b = data_of(config, seed=0), data_of(config, seed=1)
    for part in ("train", "val", "test"):
        assert sorted(getattr(a, part).index) == sorted(getattr(b, part).index)
    c, d = data_of({"name": "iris"}, seed=0), data_of({"name": "iris"}, seed=1)
    assert sorted(c.test.index) != sorted(d.test.index)


# --- memory-mapped inputs ---

@pytest.fixture
def arrays():
    rng = np.random.default_rng(2)
    return rng.integers(0, 256, (60, 6, 6, 1), dtype=np.uint8), np.arange(60) % 3


def write_stored_npz(path, X, y):
    """An uncompressed .npz (as np.savez writes), its members stored, not deflated."""
    np.savez(path, X=X, y=y)
    with zipfile.ZipFile(path) as archive:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())


@pytest.mark.parametrize("preprocess", ["standardize", "normalize"])
def test_memory_mapped_inputs_equal_the_in_memory_path(tmp_path, arrays, preprocess):
    X, y = arrays
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    write_stored_npz(tmp_path / "stored.npz", X, y)
    np.savez_compressed(tmp_path / "packed.npz", X=X, y=y)  # compressed: read into memory
    common = {"name": "npz", "preprocess": preprocess, "shape": [6, 6, 1]}
    mapped_npy = data_of({**common, "path": str(tmp_path / "X.npy"), "targets": str(tmp_path / "y.npy")})
    mapped_npz = data_of({**common, "path": str(tmp_path / "stored.npz")})
    memory = data_of({**common, "path": str(tmp_path / "packed.npz")})
    assert isinstance(mapped_npy.train.X, MappedRows) and isinstance(mapped_npz.train.X, MappedRows)
    assert isinstance(memory.train.X, np.ndarray)
    for mapped in (mapped_npy, mapped_npz):
        for part in ("train", "val", "test"):
            a, b = getattr(mapped, part), getattr(memory, part)
            np.testing.assert_array_equal(a.index, b.index)
            assert a.X.shape == b.X.shape
            np.testing.assert_array_equal(a.X[:], b.X)
            np.testing.assert_array_equal(a.X.take(np.array([3, 0, 2]), axis=0), b.X[[3, 0, 2]])
            np.testing.assert_array_equal(a.X[1:4], b.X[1:4])


def peak_resident_mb():
    """This process's peak resident set since the last reset (Linux /proc), in MB."""
    status = pathlib.Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's /proc to read peak memory")
def test_gathering_rows_from_a_memory_map_keeps_little_of_it_resident(tmp_path):
    """Random rows read through a map stay mapped until released; some kernels map a whole large folio
    (up to 2 MB) per row read, so 1,024 random rows of a freshly written 192 MB file would hold most of it."""
    from neural_networks.data import gather

    n, width = 65536, 3072
    with open(tmp_path / "X.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": (n, width)})
        for start in range(0, n, 4096):
            f.write(np.full((4096, width), start // 4096, np.uint8).tobytes())
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    rows = np.random.default_rng(0).permutation(n)[:1024]
    pathlib.Path("/proc/self/clear_refs").write_text("5")  # resets the peak to the current resident set
    before = peak_resident_mb()
    block = gather(X, rows)
    grown = peak_resident_mb() - before
    np.testing.assert_array_equal(block[:, 0], rows // 4096)  # each row in its place
    assert grown < 24 + 64 + 32, f"{grown:.0f} MB"  # the float64 rows are 24 MB; 32 rows may map 64 MB


def test_npy_inputs_need_their_targets(tmp_path, arrays):
    np.save(tmp_path / "X.npy", arrays[0])
    with pytest.raises(ConfigError, match="set targets"):
        data_of({"name": "npz", "path": str(tmp_path / "X.npy")})


def test_a_run_saves_the_npy_and_targets_paths_absolute(tmp_path, monkeypatch):
    from neural_networks.workflow.experiment import with_absolute_data_path

    monkeypatch.chdir(tmp_path)
    saved = with_absolute_data_path({"data": {"name": "npz", "path": "X.npy", "targets": "y.npy"}})
    assert saved["data"] == {"name": "npz", "path": str(tmp_path / "X.npy"), "targets": str(tmp_path / "y.npy")}


def test_a_memory_mapped_run_trains_like_the_in_memory_one(tmp_path, arrays):
    X, y = arrays
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    np.savez_compressed(tmp_path / "packed.npz", X=X, y=y)
    results = []
    for data in ({"path": str(tmp_path / "X.npy"), "targets": str(tmp_path / "y.npy")},
                 {"path": str(tmp_path / "packed.npz")}):
        config = resolve({"data": {"name": "npz", "shape": [6, 6, 1], "batch_size": 8, **data},
                          "model": {"layers": [{"name": "conv2d", "n_out": 2, "kernel_shape": 3},
                                               {"name": "flatten"},
                                               {"name": "fully_connected", "activation": "softmax"}]},
                          "train": {"epochs": 2}})
        built = build(config)
        Trainer(built.model, built.optimizer, built.data, built.rng, 8, 2, callbacks=[]).fit()
        results.append(built.model.state_dict())
    for key in results[0]:
        np.testing.assert_allclose(results[0][key], results[1][key], rtol=1e-6, atol=1e-7)


# --- augmentation ---

def images(n=5, rows=4, cols=6, channels=2):
    return np.arange(n * rows * cols * channels, dtype=np.float32).reshape(n, rows, cols, channels) + 1


def test_flip_mirrors_the_chosen_images_left_to_right():
    X = images()
    out = Flip(p=0.5)(X, np.random.default_rng(0))
    chosen = np.random.default_rng(0).random(len(X)) < 0.5
    assert 0 < chosen.sum() < len(X)
    np.testing.assert_array_equal(out[chosen], X[chosen][:, :, ::-1])
    np.testing.assert_array_equal(out[~chosen], X[~chosen])
    np.testing.assert_array_equal(Flip(p=0.0)(X, np.random.default_rng(0)), X)


def test_translate_moves_each_image_and_fills_with_zeros():
    X = images(n=50)
    out = Translate(max_pixels=2)(X, np.random.default_rng(3))
    dy, dx = np.random.default_rng(3).integers(-2, 3, size=(2, 50))
    for i in (0, 17, 49):  # out[i, r, c] = X[i, r - dy, c - dx], zero outside the image
        expected = np.zeros_like(X[i])
        rows, cols = X.shape[1:3]
        src = X[i, max(0, -dy[i]):rows - max(0, dy[i]), max(0, -dx[i]):cols - max(0, dx[i])]
        expected[max(0, dy[i]):max(0, dy[i]) + src.shape[0], max(0, dx[i]):max(0, dx[i]) + src.shape[1]] = src
        np.testing.assert_array_equal(out[i], expected)


def test_crop_is_a_padded_random_crop_of_the_same_size():
    X = images(n=200, rows=8, cols=8, channels=1)
    out = Crop(padding=4)(X, np.random.default_rng(0))
    assert out.shape == X.shape and out.dtype == X.dtype
    zero_rows = (out == 0).all(axis=(2, 3)).sum(axis=1)   # rows padded in: |dy| of each image
    assert zero_rows.max() == 4 and (zero_rows == 0).any()


def test_noise_has_the_configured_std():
    X = np.zeros((100, 8, 8, 3), np.float32)
    out = Noise(std=0.5)(X, np.random.default_rng(0))
    assert out.dtype == np.float32 and abs(out.std() - 0.5) < 0.01


@pytest.mark.parametrize("name", AUGMENTS.names())
def test_every_augmentation_keeps_shape_and_dtype_and_is_reproducible(name):
    X = images()
    a, b = (AUGMENTS.build(name)(X, np.random.default_rng(7)) for _ in range(2))
    assert a.shape == X.shape and a.dtype == X.dtype
    np.testing.assert_array_equal(a, b)


AUGMENTED = {"data": {"name": "digits", "shape": [8, 8, 1], "batch_size": 32, "preprocess": "none",
                      "augment": [{"name": "flip"}, {"name": "crop", "padding": 2}, {"name": "noise", "std": 0.1}]},
             "model": {"layers": [{"name": "conv2d", "n_out": 4, "kernel_shape": 3, "activation": "relu"},
                                  {"name": "dropout", "p": 0.2}, {"name": "flatten"},
                                  {"name": "fully_connected", "activation": "softmax"}]},
             "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9}, "train": {"epochs": 2}}


def test_augmentation_changes_training_batches_only():
    data = build(resolve(AUGMENTED)).data
    assert data.train.augment is not None and data.val.augment is None and data.test.augment is None
    index = np.arange(16)
    X, Y = data.train.batch(index, np.random.default_rng(0))
    assert X.shape == (16, 8, 8, 1) and not np.array_equal(X, data.train.X[:16])
    np.testing.assert_array_equal(Y, data.train.Y[:16])
    np.testing.assert_array_equal(data.val.batch(index, np.random.default_rng(0))[0], data.val.X[:16])


def trained(epochs, state=None):
    built = build(resolve(AUGMENTED))
    trainer = Trainer(built.model, built.optimizer, built.data, built.rng, 32, epochs, callbacks=[])
    if state is not None:
        trainer.load_state_dict(state)
    trainer.fit()
    return trainer


def test_augmented_training_is_reproducible_and_resumes_bit_exact():
    straight = trained(2).model.state_dict()
    again = trained(2).model.state_dict()
    resumed = trained(2, trained(1).state_dict()).model.state_dict()
    for key in straight:
        np.testing.assert_array_equal(straight[key], again[key])
        np.testing.assert_array_equal(straight[key], resumed[key])


@pytest.mark.parametrize("augment, match", [
    ([{"name": "flipp"}], "did you mean 'flip'"),
    ([{"name": "crop", "pad": 4}], "pad"),
    ([{"name": "noise", "std": -1}], "std"),
])
def test_bad_augmentations_are_config_errors(augment, match):
    with pytest.raises(ConfigError, match=match):
        resolve({"data": {"name": "digits", "augment": augment}})


def test_augmenting_flat_samples_asks_for_an_image_shape():
    with pytest.raises(ConfigError, match="data.shape to \\[rows, cols, channels\\]"):
        data_of({"name": "digits", "augment": [{"name": "flip"}]})


# --- the real Fashion-MNIST files (CI installs them with apt-get where it can) ---

def test_the_mlp_config_learns_real_fashion_mnist(tmp_path, run_cli):
    try:
        folder = initialize_dataset("fashion_mnist").folder()
    except ConfigError as error:
        pytest.skip(f"the Fashion-MNIST files are absent ({error.message})")
    result = run_cli("train", os.path.join("configs", "fashion_mnist_mlp.yaml"), "--save-dir", tmp_path,
                     "--epochs", "2", "--set", "data.max_samples=3000", "--set", "log.plot=false", "--quiet")
    assert result.returncode == 0, result.stderr
    summary = json.loads(open(os.path.join(result.stdout.strip().splitlines()[-1], "summary.json")).read())
    assert summary["test"]["samples"] == 10000, folder  # the official test images, all of them
    assert summary["test"]["accuracy"] > 0.7


def test_a_run_without_validation_split_draws_its_pictures(tmp_path):
    """As fashion_mnist_mlp.yaml trains: no validation split, a classifier on flat inputs (whose
    decision boundary is drawn on principal components, the empty validation split included)."""
    from neural_networks.workflow.experiment import run

    config = resolve({"data": {"name": "iris", "validation_split": 0.0}, "train": {"epochs": 2},
                      "log": {"save_dir": str(tmp_path), "plot": True}})
    run_dir, summary = run(config)
    assert summary["status"] == "completed" and os.path.exists(os.path.join(run_dir, "decision_boundary.png"))
