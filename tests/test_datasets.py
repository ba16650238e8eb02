"""Every data source: what it loads (shapes, classes, task) and the one-line errors for bad files."""
import gzip
import struct

import numpy as np
import pytest

from neural_networks import ConfigError
from neural_networks.datasets import DATASETS, initialize_dataset


def load(name, **kwargs):
    return initialize_dataset(name, **kwargs).load(np.random.default_rng(0))


def write(path, text):
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name, n, features, classes", [
    ("iris", 150, 4, ["setosa", "versicolor", "virginica"]),
    ("wine", 178, 13, ["class_0", "class_1", "class_2"]),
    ("breast_cancer", 569, 30, ["malignant", "benign"]),
    ("digits", 1797, 64, [str(d) for d in range(10)]),
])
def test_sklearn_datasets(name, n, features, classes):
    data = load(name)
    assert data.X.shape == (n, features) and data.y.shape == (n,)
    assert data.task == "classification" and data.classes == classes
    assert set(np.unique(data.y)) == set(range(len(classes)))


def test_every_registered_dataset_is_covered_here():  # the 2-D sets: in test_playground.py
    assert set(DATASETS.names()) == {"iris", "wine", "breast_cancer", "digits", "sinewave", "csv", "npz", "mnist",
                                     "fashion_mnist", "cifar10", "bit_sequence", "moons", "circles", "spiral", "xor"}


@pytest.mark.parametrize("target, label", [("parity", lambda b: b.sum(1) % 2), ("count", lambda b: b.sum(1))])
def test_bit_sequence_labels_are_the_parity_or_count_of_each_string(target, label):
    data = load("bit_sequence", n_samples=300, length=5, target=target)
    assert data.X.shape == (300, 5) and set(np.unique(data.X)) == {0, 1}
    assert np.array_equal(np.array(data.classes)[data.y], label(data.X))


class TestSinewave:
    def test_noiseless_is_sin_on_minus_pi_pi(self):
        data = load("sinewave", n_samples=200)
        assert data.X.shape == (200, 1) and data.y.shape == (200, 1) and data.task == "regression"
        assert np.all(data.X >= -np.pi) and np.all(data.X <= np.pi)
        assert data.X.min() < -3 and data.X.max() > 3  # covers the interval
        np.testing.assert_allclose(data.y, np.sin(data.X))

    def test_noise_level_is_honoured(self):
        data = load("sinewave", n_samples=4000, noise=0.1)
        assert np.std(data.y - np.sin(data.X)) == pytest.approx(0.1, rel=0.05)

    def test_reproducible_from_the_seed(self):
        a, b = (initialize_dataset("sinewave", n_samples=50, noise=0.2).load(np.random.default_rng(s))
                for s in (7, 7))
        c = initialize_dataset("sinewave", n_samples=50, noise=0.2).load(np.random.default_rng(8))
        np.testing.assert_array_equal(a.X, b.X)
        np.testing.assert_array_equal(a.y, b.y)
        assert not np.array_equal(a.X, c.X)

    @pytest.mark.parametrize("kwargs", [{"n_samples": 0}, {"noise": -1.0}, {"low": 1.0, "high": 0.0}])
    def test_bad_arguments(self, kwargs):
        with pytest.raises(ConfigError):
            load("sinewave", **kwargs)


class TestCSV:
    def test_header_target_by_name_with_string_labels(self, tmp_path):
        path = write(tmp_path / "f.csv", "a,label,b\n1,cat,2\n3,dog,4\n5,cat,6\n")
        data = load("csv", path=path, target="label")
        np.testing.assert_array_equal(data.X, [[1, 2], [3, 4], [5, 6]])
        assert data.classes == ["cat", "dog"] and data.y.tolist() == [0, 1, 0]
        assert data.task == "classification"

    @pytest.mark.parametrize("target", [2, -1])
    def test_target_by_index(self, tmp_path, target):
        path = write(tmp_path / "f.csv", "a,b,c\n1,2,0\n3,4,1\n")
        data = load("csv", path=path, target=target)
        np.testing.assert_array_equal(data.X, [[1, 2], [3, 4]])
        assert data.y.tolist() == [0, 1]

    def test_mnist_csv_layout_label_first_no_header(self, tmp_path):
        """Seed 002's mnist_train_small.csv: no header, the digit first, then 784 pixel values."""
        rng = np.random.default_rng(0)
        labels = np.array([5, 0, 4, 1, 9, 2])
        pixels = rng.integers(0, 256, (6, 784))
        np.savetxt(tmp_path / "mnist.csv", np.column_stack([labels, pixels]), fmt="%d", delimiter=",")
        data = load("csv", path=str(tmp_path / "mnist.csv"), header=False, target=0)
        assert data.X.shape == (6, 784)
        np.testing.assert_array_equal(data.X, pixels)
        assert data.classes == [0, 1, 2, 4, 5, 9]
        np.testing.assert_array_equal(np.array(data.classes)[data.y], labels)

    def test_headerless_file_read_with_header_is_refused(self, tmp_path):
        """Without header: false the first sample would silently become column names."""
        path = write(tmp_path / "mnist.csv", "5,0,0,255\n0,10,20,30\n")
        with pytest.raises(ConfigError, match="set header: false") as error:
            load("csv", path=path, target=0)
        assert error.value.path == "header"

    def test_float_target_is_regression(self, tmp_path):
        data = load("csv", path=write(tmp_path / "r.csv", "x,y\n1,0.5\n2,1.5\n3,-2.25\n"))
        assert data.task == "regression" and data.y.dtype == np.float64
        np.testing.assert_array_equal(data.y, [[0.5], [1.5], [-2.25]])

    def test_task_can_be_forced(self, tmp_path):
        data = load("csv", path=write(tmp_path / "r.csv", "x,y\n1,0\n2,1\n3,2\n"), task="regression")
        assert data.task == "regression" and data.y.shape == (3, 1)

    def test_text_feature_column_is_named(self, tmp_path):
        path = write(tmp_path / "t.csv", "size,colour,label\n1,red,0\n2,blue,1\n")
        with pytest.raises(ConfigError, match="colour"):
            load("csv", path=path)

    @pytest.mark.parametrize("text, match", [
        ("", "cannot read"),
        ("a,b,c\n", "no data rows"),
        ("a,b,c\n1,2,3\n4,5\n6,7,8,9\n", "cannot read"),
        ("a,b,c\n1,,3\n4,5,0\n", "missing values"),
        ("a,b,c\n1,NaN,3\n4,5,0\n", "missing values"),
        ("a,b,c\n1,2,3\n4,5,\n", "missing values"),
    ], ids=["empty", "header-only", "ragged", "blank", "nan", "nan-target"])
    def test_bad_files(self, tmp_path, text, match):
        with pytest.raises(ConfigError, match=match) as error:
            load("csv", path=write(tmp_path / "bad.csv", text))
        assert error.value.path == "path"

    def test_other_delimiter(self, tmp_path):
        path = write(tmp_path / "semi.csv", "a;b;c\n1;2;0\n3;4;1\n")
        with pytest.raises(ConfigError, match="delimiter"):
            load("csv", path=path)
        np.testing.assert_array_equal(load("csv", path=path, delimiter=";").X, [[1, 2], [3, 4]])

    def test_missing_file_and_folder(self, tmp_path):
        with pytest.raises(ConfigError, match="does not exist"):
            load("csv", path=str(tmp_path / "nowhere.csv"))
        with pytest.raises(ConfigError, match="folder"):
            load("csv", path=str(tmp_path))

    def test_unknown_target_column_suggests_one(self, tmp_path):
        path = write(tmp_path / "f.csv", "a,label\n1,0\n2,1\n")
        with pytest.raises(ConfigError, match="did you mean 'label'"):
            load("csv", path=path, target="lable")
        with pytest.raises(ConfigError, match="out of range"):
            load("csv", path=path, target=5)

    def test_target_name_without_header_is_explained(self, tmp_path):
        with pytest.raises(ConfigError, match="column index"):
            load("csv", path=write(tmp_path / "f.csv", "1,2,0\n3,4,1\n"), header=False, target="2")


class TestNPZ:
    def test_X_and_y(self, tmp_path):
        X = np.arange(24, dtype=np.float32).reshape(6, 2, 2)
        np.savez(tmp_path / "d.npz", X=X, y=np.array([3, 1, 3, 1, 3, 1]))
        data = load("npz", path=str(tmp_path / "d.npz"))
        np.testing.assert_array_equal(data.X, X)
        assert data.classes == [1, 3] and data.y.tolist() == [1, 0, 1, 0, 1, 0]

    def test_float_targets_are_regression(self, tmp_path):
        np.savez(tmp_path / "d.npz", X=np.ones((3, 2)), y=np.array([[0.5, 1], [1.5, 2], [2.5, 3]]))
        data = load("npz", path=str(tmp_path / "d.npz"))
        assert data.task == "regression" and data.y.shape == (3, 2)

    @pytest.mark.parametrize("arrays, match", [
        ({"X": np.ones((3, 2))}, "must hold arrays 'X' and 'y'; it has X"),
        ({"features": np.ones((3, 2)), "labels": np.zeros(3)}, "must hold arrays"),
        ({"X": np.ones((3, 2)), "y": np.zeros(2)}, "as many samples"),
        ({"X": np.float64(1.0), "y": np.zeros(1)}, "as many samples"),
    ], ids=["no-y", "other-names", "lengths", "0-d"])
    def test_bad_arrays(self, tmp_path, arrays, match):
        np.savez(tmp_path / "d.npz", **arrays)
        with pytest.raises(ConfigError, match=match):
            load("npz", path=str(tmp_path / "d.npz"))

    def test_pickled_object_arrays_are_refused_not_run(self, tmp_path):
        np.savez(tmp_path / "d.npz", X=np.array([[1, "a"]], dtype=object), y=np.array([0]))
        with pytest.raises(ConfigError, match="plain"):
            load("npz", path=str(tmp_path / "d.npz"))

    def test_pickle_file_is_refused(self, tmp_path):
        import pickle

        (tmp_path / "d.npz").write_bytes(pickle.dumps({"X": [1], "y": [0]}))
        with pytest.raises(ConfigError, match="not an .npz"):
            load("npz", path=str(tmp_path / "d.npz"))

    def test_missing_file(self, tmp_path):
        with pytest.raises(ConfigError, match="does not exist"):
            load("npz", path=str(tmp_path / "nowhere.npz"))


def write_idx(path, array, gz=False):
    """An IDX file as MNIST ships them: magic 0 0 <type 0x08 = ubyte> <ndim>, big-endian dims, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    (gzip.open if gz else open)(path, "wb").write(header + array.astype(np.uint8).tobytes())


class TestMNIST:
    @pytest.fixture
    def images(self):
        rng = np.random.default_rng(0)
        return rng.integers(0, 256, (12, 28, 28)), np.arange(12) % 10, rng.integers(0, 256, (5, 28, 28))

    def test_plain_train_only(self, tmp_path, images):
        X, y, _ = images
        write_idx(tmp_path / "train-images-idx3-ubyte", X)
        write_idx(tmp_path / "train-labels-idx1-ubyte", y)
        data = load("mnist", path=str(tmp_path))
        assert data.X.shape == (12, 784) and data.task == "classification"
        np.testing.assert_allclose(data.X, X.reshape(12, -1) / 255.0)
        assert data.classes == list(range(10)) and data.y.tolist() == y.tolist()

    def test_gzipped_train_and_t10k_are_joined(self, tmp_path, images):
        X, y, X_test = images
        write_idx(tmp_path / "train-images-idx3-ubyte.gz", X, gz=True)
        write_idx(tmp_path / "train-labels-idx1-ubyte.gz", y, gz=True)
        write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", X_test, gz=True)
        write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(5), gz=True)
        data = load("fashion_mnist", path=str(tmp_path))
        assert data.X.shape == (17, 784)
        np.testing.assert_allclose(data.X[12:], X_test.reshape(5, -1) / 255.0)

    @pytest.mark.parametrize("content", [
        b"\x01\x02\x03\x04garbage",                  # bad magic
        b"\x00\x00\x08\x03\x00\x00\x00\x0c",         # header shorter than its 3 dims
        b"\x00\x00\x08\x03" + struct.pack(">III", 12, 28, 27) + bytes(12 * 28 * 28),  # size mismatch
        b"\x00\x00\x08\x03" + struct.pack(">III", 2 ** 31, 2 ** 31, 2 ** 31),          # absurd dims
    ], ids=["magic", "short-header", "size", "huge"])
    def test_corrupt_header(self, tmp_path, images, content):
        (tmp_path / "train-images-idx3-ubyte").write_bytes(content)
        write_idx(tmp_path / "train-labels-idx1-ubyte", images[1])
        with pytest.raises(ConfigError, match="train-images"):
            load("mnist", path=str(tmp_path))

    def test_corrupt_gzip(self, tmp_path, images):
        (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
        write_idx(tmp_path / "train-labels-idx1-ubyte", images[1])
        with pytest.raises(ConfigError, match="cannot read"):
            load("mnist", path=str(tmp_path))

    def test_label_count_mismatch(self, tmp_path, images):
        write_idx(tmp_path / "train-images-idx3-ubyte", images[0])
        write_idx(tmp_path / "train-labels-idx1-ubyte", images[1][:5])
        with pytest.raises(ConfigError, match="labels"):
            load("mnist", path=str(tmp_path))

    def test_missing_folder_or_files(self, tmp_path):
        with pytest.raises(ConfigError, match="does not exist"):
            load("mnist", path=str(tmp_path / "nowhere"))
        with pytest.raises(ConfigError, match="no train-images"):
            load("mnist", path=str(tmp_path))
