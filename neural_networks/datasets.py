"""Data sources, registered by name. ``load(rng) -> Dataset`` gives all samples of one source;
``neural_networks.data`` then splits, preprocesses and batches them the same way for every source.
"""
import gzip
import math
import os
import typing
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np

from .config.errors import ConfigError
from .data_checks import check_claimed_size, encoding_error
from .config.registry import Registry
from .config.validation import Interval, NonNegativeFloat, PositiveFloat, PositiveInt, check_range

DATASETS = Registry("dataset")


@dataclass
class Dataset:
    """Samples ``X`` (n, ...), targets ``y`` (class labels or float targets) and the task."""

    X: np.ndarray
    y: np.ndarray
    task: str  # "classification" or "regression"
    classes: list = field(default_factory=list)  # class names, for classification
    columns: list = None  # feature names, when the source has them (a CSV header): predict matches them
    target_name: str = None  # the target column's name, when it has one: predict leaves such a column out
    locate: typing.Callable = None  # (row, column) -> where that value is, for error messages
    n_test: int = 0  # the last n_test samples are the source's own test split (its official test files)


def locator(source, columns=None, first=0, word="row"):
    """A ``locate(row, column)`` for :class:`Dataset`: ``data.csv line 7, column 'width'``."""
    def locate(row, column):
        name = repr(columns[column]) if isinstance(column, int) and columns is not None and column < len(columns) \
            else column
        return f"{source} {word} {first + row}, column {name}"
    return locate


def as_array(X):
    """``X`` as an array, a memory map kept as one (``np.asarray`` would drop the np.memmap type)."""
    return X if isinstance(X, np.ndarray) else np.asarray(X)


def classification(X, y):
    """A classification Dataset with labels re-coded as 0..K-1 (the originals kept as class names)."""
    classes, labels = np.unique(np.asarray(y), return_inverse=True)
    return Dataset(as_array(X), labels.reshape(-1), "classification",
                   [c.item() if hasattr(c, "item") else c for c in classes])


def regression(X, y):
    y = np.asarray(y, dtype=np.float64)
    return Dataset(as_array(X), y.reshape(len(y), -1), "regression")


def sklearn_data_file(name):
    """The path of a data file scikit-learn ships, found without importing scikit-learn (a second's work)."""
    from importlib.util import find_spec

    spec = find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ConfigError("the bundled data sets come with scikit-learn: pip install scikit-learn", "name")
    return os.path.join(os.path.dirname(spec.origin), "datasets", "data", name)


class SklearnDataset:
    """One of the small data sets scikit-learn ships, read from its CSV file (no network).

    The file holds a row per sample, the features then the class number; unless ``header`` is
    False, its first line is ``n_samples,n_features,class names...``.
    """

    file = None
    header = True

    def load(self, rng):
        path = sklearn_data_file(self.file)
        with (gzip.open if path.endswith(".gz") else open)(path, "rt", encoding="utf-8") as f:
            names = f.readline().strip().split(",")[2:] if self.header else None
            table = np.loadtxt(f, delimiter=",", ndmin=2)
        data = classification(table[:, :-1], table[:, -1].astype(np.int64))
        data.classes = names or [str(c) for c in data.classes]
        return data


@DATASETS.register("iris")
class Iris(SklearnDataset):
    """Fisher's iris: 150 flowers, 4 measurements, 3 species."""

    file = "iris.csv"


@DATASETS.register("wine")
class Wine(SklearnDataset):
    """178 wines, 13 chemical measurements, 3 cultivars."""

    file = "wine_data.csv"


@DATASETS.register("breast_cancer")
class BreastCancer(SklearnDataset):
    """569 tumours, 30 features, malignant or benign."""

    file = "breast_cancer.csv"


@DATASETS.register("digits")
class Digits(SklearnDataset):
    """1,797 handwritten digits as 8x8 images with values 0..16 (64 features; data.shape [8, 8, 1])."""

    file, header = "digits.csv.gz", False


@DATASETS.register("sinewave")
class Sinewave:
    """y = sin(x) + noise for x uniform on [low, high] (the course's regression exercise)."""

    def __init__(self, n_samples: PositiveInt = 1000, noise: NonNegativeFloat = 0.0,
                 low: float = -np.pi, high: float = np.pi):
        check_range(low, high)
        self.n_samples, self.noise, self.low, self.high = n_samples, noise, low, high

    def load(self, rng):
        x = rng.uniform(self.low, self.high, size=(self.n_samples, 1))
        return regression(x, np.sin(x) + self.noise * rng.standard_normal(x.shape))


def named(X, y, names):
    """A classification Dataset of labels 0..K-1 named ``names`` (every class named, even one without samples)."""
    return Dataset(np.asarray(X), np.asarray(y, dtype=np.int64).reshape(-1), "classification", list(names))


def halves(n_samples, rng):
    """(t uniform on [0, π], labels: 0 for the first half of the samples (the odd one included), 1 after)."""
    return rng.uniform(0, np.pi, n_samples), (np.arange(n_samples) >= (n_samples + 1) // 2).astype(np.int64)


def circle(t):
    """Points (cos t, sin t), one row per angle."""
    return np.column_stack([np.cos(t), np.sin(t)])


def with_noise(X, noise, rng):
    """X + noise · N(0, I): Gaussian noise of standard deviation ``noise`` on every coordinate."""
    return X + noise * rng.standard_normal(X.shape)


# moons and circles are scikit-learn's make_moons / make_circles written in NumPy: drawn from the run's
# generator, and a run does not pay the seconds that importing scikit-learn takes.
@DATASETS.register("moons")
class Moons:
    """Two interleaving half moons in the plane, one class each (scikit-learn's make_moons).

    Half circles of radius 1, (cos t, sin t) and (1 - cos t, 1/2 - sin t) for t uniform on [0, π],
    with Gaussian ``noise`` (its standard deviation) on both coordinates.
    """

    def __init__(self, n_samples: PositiveInt = 500, noise: NonNegativeFloat = 0.1):
        self.n_samples, self.noise = n_samples, noise

    def load(self, rng):
        t, y = halves(self.n_samples, rng)
        X = np.where(y[:, None] == 0, circle(t), [1, 0.5] - circle(t))
        return named(with_noise(X, self.noise, rng), y, ["upper", "lower"])


@DATASETS.register("circles")
class Circles:
    """A circle around a smaller one, one class each (scikit-learn's make_circles).

    Radius 1 and radius ``factor``: (cos 2t, sin 2t) and factor · (cos 2t, sin 2t) for t uniform on
    [0, π], with Gaussian ``noise`` on both coordinates.
    """

    def __init__(self, n_samples: PositiveInt = 500, noise: NonNegativeFloat = 0.1,
                 factor: typing.Annotated[float, Interval(0, 1, open_low=True, open_high=True)] = 0.5):
        self.n_samples, self.noise, self.factor = n_samples, noise, factor

    def load(self, rng):
        t, y = halves(self.n_samples, rng)
        X = circle(2 * t) * np.where(y == 0, 1.0, self.factor)[:, None]
        return named(with_noise(X, self.noise, rng), y, ["outer", "inner"])


@DATASETS.register("spiral")
class Spiral:
    """``n_classes`` spiral arms around the origin, one class each (the classic CS231n toy problem).

    Sample i of arm k sits at radius r = t and angle θ = 2πk/K + 2π·turns·t, t uniform on [0, 1]:
    x = (r cos θ, r sin θ) + noise·N(0, I). Samples are shared out evenly among the arms.
    """

    def __init__(self, n_samples: PositiveInt = 600, n_classes: typing.Annotated[int, Interval(2, None)] = 3,
                 noise: NonNegativeFloat = 0.05, turns: PositiveFloat = 0.75):
        self.n_samples, self.n_classes, self.noise, self.turns = n_samples, n_classes, noise, turns

    def load(self, rng):
        arm = np.arange(self.n_samples) % self.n_classes
        t = rng.uniform(0, 1, self.n_samples)
        theta = 2 * np.pi * (arm / self.n_classes + self.turns * t)
        names = [f"arm {k}" for k in range(self.n_classes)]
        return named(with_noise(t[:, None] * circle(theta), self.noise, rng), arm, names)


@DATASETS.register("xor")
class XOR:
    """Points on the square [-1, 1]², class 1 where the two coordinates' signs differ (the XOR problem).

    Uniform points labelled y = [x₀ > 0] xor [x₁ > 0], then moved by Gaussian ``noise``: with noise,
    some cross the axes into the other class's quadrants.
    """

    def __init__(self, n_samples: PositiveInt = 400, noise: NonNegativeFloat = 0.0):
        self.n_samples, self.noise = n_samples, noise

    def load(self, rng):
        X = rng.uniform(-1, 1, size=(self.n_samples, 2))
        y = (X[:, 0] > 0) != (X[:, 1] > 0)
        return named(with_noise(X, self.noise, rng), y, ["same sign", "opposite signs"])


def _existing(path, what):
    """``path`` if it is a file; a ConfigError saying what is wrong otherwise."""
    if not os.path.exists(path):
        raise ConfigError(f"{what} {path!r} does not exist", "path")
    if os.path.isdir(path):
        raise ConfigError(f"{what} {path!r} is a folder, not a file", "path")
    if not os.path.isfile(path):  # a device or a pipe (/dev/zero) could be read forever
        raise ConfigError(f"{what} {path!r} is not a regular file", "path")
    return path


def _is_number(text):
    """Whether a header cell reads as a number (a header of numbers only is a row of data)."""
    try:
        float(text)
        return True
    except ValueError:
        return False


Task = typing.Literal["auto", "classification", "regression"]


def _dataset(X, y, task):
    """Classification or regression, by ``task`` or, for ``auto``, by whether the targets are labels."""
    y = np.asarray(y)
    if task == "auto":
        with np.errstate(invalid="ignore"):  # inf: not integral; load_data then refuses it by name
            integral = y.dtype.kind in "iubOSU" or (y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0))
        task = "classification" if integral and y.ndim == 1 else "regression"
    return classification(X, y) if task == "classification" else regression(X, y)


@DATASETS.register("csv")
class CSV:
    """A CSV file: every column a feature except ``target`` (a column name or index; -1 = last).

    ``header: false`` for files without a header row (as the MNIST CSV: label first, ``target: 0``).
    """

    def __init__(self, path: str, target: typing.Union[int, str] = -1, header: bool = True,
                 task: Task = "auto", delimiter: str = ","):
        self.path, self.target, self.header, self.task, self.delimiter = (
            path, target, header, task, delimiter)

    def load(self, rng):
        import pandas as pd

        if isinstance(self.target, str) and not self.header:
            raise ConfigError(f"{self.path} has no header row, so no column names: give target as a "
                              "column index (0 = first, -1 = last)", "target")
        path = _existing(self.path, "CSV file")
        try:
            frame = pd.read_csv(path, header=0 if self.header else None, sep=self.delimiter)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as error:
            raise ConfigError(f"cannot read CSV {self.path!r}: {str(error).splitlines()[0]}", "path")
        except UnicodeDecodeError as error:
            raise encoding_error(self.path, error) from None
        except ValueError as error:  # pandas' answer to a bad delimiter
            raise ConfigError(f"cannot read CSV {self.path!r} with delimiter {self.delimiter!r}: "
                              f"{str(error).splitlines()[0]}", "delimiter")
        if frame.empty:
            raise ConfigError(f"{self.path} has no data rows", "path")
        columns = list(frame.columns)
        if self.header and all(_is_number(c) for c in columns):  # e.g. the course's MNIST CSV
            raise ConfigError(f"the first row of {self.path} is all numbers, so it is data, not a header row: "
                              "set header: false", "header")
        if isinstance(self.target, str) and self.target not in columns:
            from .config.validation import closest
            raise ConfigError(f"no column {self.target!r} in {self.path}{closest(self.target, columns)}; "
                              f"columns: {', '.join(map(str, columns))}", "target")
        if isinstance(self.target, int) and not -len(columns) <= self.target < len(columns):
            raise ConfigError(f"column index {self.target} out of range for {len(columns)} columns", "target")
        target = self.target if isinstance(self.target, str) else columns[self.target]
        features = frame.drop(columns=[target])
        if features.shape[1] == 0:
            raise ConfigError(f"{self.path} has no feature columns besides the target (is its delimiter "
                              f"{self.delimiter!r}? set delimiter)", "path")
        text = [str(c) for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
        if text:
            raise ConfigError(f"non-numeric feature column(s) in {self.path}: {', '.join(text)}", "path")
        missing = frame.isna().to_numpy()
        if missing.any():
            row, column = np.argwhere(missing)[0]
            where = locator(self.path, [str(c) for c in columns], 2 if self.header else 1, "line")
            raise ConfigError(f"missing values, the first in {where(int(row), int(column))} (an empty cell or NaN)",
                              "path")
        data = _dataset(features.to_numpy(dtype=np.float64), frame[target].to_numpy(), self.task)
        names = [str(c) for c in features.columns]
        data.columns, data.target_name = (names, str(target)) if self.header else (None, None)
        data.locate = locator(self.path, names if self.header else None, 2 if self.header else 1, "line")
        return data


def mapped_member(path, member):
    """A stored (uncompressed) member of an .npz file as a read-only memory map; None when it is
    compressed or not a plain array. An .npz is a zip file: a stored member's bytes are an .npy file
    starting after its local header (30 bytes, the name, the extra field)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member + ".npy")
        if info.compress_type != zipfile.ZIP_STORED:
            return None
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(30)
        name_length, extra_length = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
        f.seek(info.header_offset + 30 + name_length + extra_length)
        version = np.lib.format.read_magic(f)
        formats = np.lib.format
        read_header = formats.read_array_header_1_0 if version == (1, 0) else formats.read_array_header_2_0
        shape, fortran, dtype = read_header(f)
        if dtype.hasobject or math.prod(shape) == 0:
            return None
        return np.memmap(path, dtype=dtype, mode="r", offset=f.tell(), shape=shape, order="F" if fortran else "C")


def load_array(path, member=None):
    """An .npy file, or a member of an .npz, memory-mapped when it is stored uncompressed (so that data
    larger than memory can be trained on: batches are gathered from the map) and read otherwise."""
    if member is None:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    with np.load(path, allow_pickle=False) as arrays:
        if member not in arrays.files:
            return None
        mapped = mapped_member(path, member)
        return arrays[member] if mapped is None else mapped


@DATASETS.register("npz")
class NPZ:
    """Arrays ``X`` (samples first) and ``y`` of an ``.npz`` file, or an ``.npy`` of inputs and ``targets``.

    ``.npy`` files and uncompressed ``.npz`` members are memory-mapped: batches are read from the
    file, so the data may be larger than memory.
    """

    def __init__(self, path: str, task: Task = "auto", targets: typing.Optional[str] = None):
        self.path, self.task, self.targets = path, task, targets

    def arrays(self):
        """(X, y, the names of what the file holds)."""
        if self.path.endswith(".npy"):
            return load_array(self.path), np.asarray(load_array(self.targets)), []
        return read_npz(self.path, ("X", "y"))

    def load(self, rng):
        _existing(self.path, "NPZ file")
        if self.path.endswith(".npy") and self.targets is None:
            raise ConfigError(f"{self.path} is an .npy file of inputs: set targets to the .npy file of their "
                              "targets", "targets")
        if self.path.endswith(".npy"):
            _existing(self.targets, "targets file")
        elif self.targets is not None:
            raise ConfigError(f"targets is for an .npy file of inputs; {self.path} holds X and y itself", "targets")
        try:  # never unpickles: a pickled file or object array is refused, not run
            X, y, files = self.arrays()
        except ConfigError:
            raise
        except (ValueError, OSError, EOFError, AttributeError, TypeError, KeyError, zipfile.BadZipFile, zlib.error):
            raise ConfigError(f"{self.path} is not an .npz or .npy file of plain (non-object) "
                              "arrays, or it is truncated", "path") from None
        if X is None or y is None:
            raise ConfigError(f"{self.path} must hold arrays 'X' and 'y'; it has {', '.join(files) or 'none'}",
                              "path")
        if X.ndim == 0 or y.ndim == 0 or len(X) != len(y) or X.dtype.kind not in "iuf":
            raise ConfigError(f"{self.path}: X must be numeric with as many samples as y", "path")
        data = _dataset(X, np.asarray(y), self.task)  # X as stored (maybe a map): load_data casts it by blocks
        data.locate = locator(f"{self.path} array X", None, 0, "sample")
        return data


def read_npz(path, keys):
    """(the arrays ``keys`` of an .npz file, None where missing; the names it holds). Each array's
    header is checked against the stored size before the array is allocated (see check_claimed_size)."""
    with zipfile.ZipFile(path) as archive:
        members = {name[:-4]: archive.getinfo(name) for name in archive.namelist() if name.endswith(".npy")}
        for key in keys:
            info = members.get(key)
            if info is not None:
                with archive.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    shape, _, dtype = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                       else np.lib.format.read_array_header_2_0)(f)
                claimed = math.prod(shape) * dtype.itemsize
                check_claimed_size(f"{path} ({key})", claimed, info.file_size)
                check_claimed_size(f"{path} ({key})", info.file_size, info.compress_size,
                                   compressed=info.compress_type != zipfile.ZIP_STORED)
    return (*[load_array(path, key) if key in members else None for key in keys], list(members))


def read_idx(path):
    """An IDX file (the MNIST format, plain or gzipped) as a NumPy array.

    The header's dimensions are checked against the file's real size before the data are read, so
    a truncated file, a gzip bomb or an absurd header is a one-line error, not an allocation.
    """
    gzipped = path.endswith(".gz")
    types = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    try:
        with (gzip.open if gzipped else open)(path, "rb") as f:
            magic = f.read(4)
            if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in types:
                raise ConfigError(f"{path} is not an IDX file", "path")
            dims = f.read(4 * magic[3])
            if len(dims) < 4 * magic[3]:
                raise ConfigError(f"{path} is not an IDX file (its header is cut short)", "path")
            shape = tuple(int.from_bytes(dims[4 * i: 4 * i + 4], "big") for i in range(magic[3]))
            dtype = np.dtype(types[magic[2]])
            size = math.prod(shape) * dtype.itemsize
            check_claimed_size(path, size, os.path.getsize(path) - (0 if gzipped else 4 + len(dims)), gzipped)
            body = f.read(size + 1)  # one byte more than the header says: a longer file is refused too
    except (OSError, EOFError, zlib.error) as error:
        raise ConfigError(f"cannot read {path}: {error}", "path") from None
    if len(body) != size:
        raise ConfigError(f"{path}: size does not match its header {shape}", "path")
    return np.frombuffer(body, dtype=dtype).reshape(shape)


def search_folders(name, extra=()):
    """Where a data set's files are looked for when no ``path`` is given, in order."""
    folders = [os.path.join(os.environ["NNRUN_DATA"], name)] if os.environ.get("NNRUN_DATA") else []
    return folders + [os.path.join(os.path.expanduser("~"), ".nnrun", "data", name), *extra]


class Folder:
    """A data set that ships as files in a folder: ``path`` or, when it is not given, the first
    folder of :func:`search_folders` that holds the files. ``official_test``: the files the data set
    ships as its test set are the test split (``test_split`` is then unused); false pools them with
    the training files, which nnrun's own splits divide. Nothing is ever downloaded."""

    folder_name = None  # the name under $NNRUN_DATA and ~/.nnrun/data
    system_folders = ()  # where an operating-system package installs the files
    how_to_get = ""      # one sentence for the error when no folder holds the files

    def __init__(self, path: typing.Optional[str] = None, official_test: bool = True):
        self.path, self.official_test = path, official_test

    def holds_files(self, folder):
        raise NotImplementedError

    def folder(self):
        """The folder to read: ``path`` (which must exist), else the first searched one with the files."""
        if self.path is not None:
            if not os.path.isdir(self.path):
                raise ConfigError(f"{self.name} folder {self.path!r} does not exist or is not a folder", "path")
            return self.path
        searched = search_folders(self.folder_name, self.system_folders)
        for folder in searched:
            if os.path.isdir(folder) and self.holds_files(folder):
                return folder
        raise ConfigError(f"no {self.name} files found in {', '.join(searched)}; {self.how_to_get}, "
                          "or set data.path to their folder (nothing is downloaded)", "path")

    def labelled(self, parts, names=None):
        """A classification Dataset from ``[(X, y), ...]`` (training files first, then the test files);
        the last part is the test split when ``official_test`` and there are two parts."""
        X = np.concatenate([X for X, _ in parts]) if len(parts) > 1 else parts[0][0]
        data = classification(X, np.concatenate([y for _, y in parts]))
        if names is not None:
            data.classes = [names[int(c)] if 0 <= int(c) < len(names) else str(c) for c in data.classes]
        data.n_test = len(parts[-1][1]) if self.official_test and len(parts) > 1 else 0
        return data


@DATASETS.register("mnist")
class MNIST(Folder):
    """MNIST's handwritten digits from a folder of its IDX files; pixels in [0, 1]; t10k is the test split.

    The files as MNIST ships them: ``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``
    and the ``t10k-`` pair (the test split unless ``official_test`` is false). Without ``path``:
    ``$NNRUN_DATA/<name>``, then ``~/.nnrun/data/<name>`` (and for Fashion-MNIST
    ``/usr/share/datasets/fashion-mnist``, where Debian's package ``dataset-fashion-mnist`` puts it).
    """

    folder_name = "mnist"
    how_to_get = "put the four IDX files of http://yann.lecun.com/exdb/mnist/ there"
    class_names = None

    def _find(self, folder, stem):
        for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
            candidate = os.path.join(folder, name)
            if os.path.exists(candidate):
                return candidate
        return None

    def holds_files(self, folder):
        return bool(self._find(folder, "train-images-idx3-ubyte") and self._find(folder, "train-labels-idx1-ubyte"))

    def load(self, rng):
        folder = self.folder()
        parts = []
        for prefix in ("train", "t10k"):
            image_file = self._find(folder, f"{prefix}-images-idx3-ubyte")
            label_file = self._find(folder, f"{prefix}-labels-idx1-ubyte")
            if image_file and label_file:
                images, labels = read_idx(image_file), read_idx(label_file)
                if images.ndim < 2 or labels.ndim != 1 or len(images) != len(labels):
                    raise ConfigError(f"{image_file} holds {images.shape} images but {label_file} "
                                      f"{labels.shape} labels", "path")
                parts.append((images.reshape(len(images), -1).astype(np.float32) / np.float32(255), labels))
            elif prefix == "train":
                raise ConfigError(f"no train-images-idx3-ubyte / train-labels-idx1-ubyte in {folder!r}", "path")
        return self.labelled(parts, self.class_names)


@DATASETS.register("fashion_mnist")
class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grey images of 10 kinds of clothing (apt-get install dataset-fashion-mnist).

    MNIST's IDX files, 60,000 training and 10,000 test images, found as :class:`MNIST` describes."""

    folder_name = "fashion_mnist"
    system_folders = ("/usr/share/datasets/fashion-mnist",)
    how_to_get = ("install them with 'apt-get install dataset-fashion-mnist' (Debian, Ubuntu) or put the four "
                  "IDX files of https://github.com/zalandoresearch/fashion-mnist there")
    class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]


CIFAR_RECORD = 1 + 3 * 32 * 32  # a label byte, then the red, green and blue 32x32 planes


@DATASETS.register("cifar10")
class CIFAR10(Folder):
    """CIFAR-10's binary version: 32x32 colour images of 10 classes as (n, 32, 32, 3), pixel values 0..255.

    Files ``data_batch_1.bin`` ... ``data_batch_5.bin``, ``test_batch.bin`` (the test split unless
    ``official_test`` is false) and ``batches.meta.txt`` (the class names).

    Each record is 3,073 bytes: the label, then 1,024 red, 1,024 green and 1,024 blue pixels, row by row,
    so a file reshapes to (n, 3073) and the pixels to (n, 3, 32, 32), transposed to (n, 32, 32, 3).
    The pickled Python version is refused (nnrun never unpickles). Found as :class:`MNIST` describes.
    """

    folder_name = "cifar10"
    how_to_get = ("download the binary version (cifar-10-binary.tar.gz) from "
                  "https://www.cs.toronto.edu/~kriz/cifar.html and extract it there")

    def holds_files(self, folder):
        return os.path.exists(os.path.join(folder, "data_batch_1.bin"))

    def folder(self):
        """As :meth:`Folder.folder`, also looking inside the ``cifar-10-batches-bin`` folder the archive holds."""
        folder = super().folder()
        inner = os.path.join(folder, "cifar-10-batches-bin")
        return inner if not self.holds_files(folder) and os.path.isdir(inner) else folder

    def read(self, path):
        """(images (n, 32, 32, 3) uint8, labels (n,)) of one binary batch file."""
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size == 0 or raw.size % CIFAR_RECORD:
            raise ConfigError(f"{path} holds {raw.size} bytes, not a whole number of {CIFAR_RECORD}-byte "
                              "CIFAR-10 records", "path")
        records = raw.reshape(-1, CIFAR_RECORD)
        if records[:, 0].max() > 9:
            raise ConfigError(f"{path} has labels above 9: not a CIFAR-10 binary file", "path")
        return records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), records[:, 0]

    def load(self, rng):
        folder = self.folder()
        if not self.holds_files(folder):
            pickled = any(os.path.exists(os.path.join(folder, f)) for f in ("data_batch_1", "batches.meta"))
            what = ("holds the pickled Python version, which nnrun does not read (unpickling runs code): "
                    if pickled else "has no data_batch_1.bin: ")
            raise ConfigError(f"{folder!r} {what}use the binary version ({self.how_to_get})", "path")
        train = [os.path.join(folder, f"data_batch_{i}.bin") for i in range(1, 6)]
        parts = [self.read(f) for f in train if os.path.exists(f)]
        parts = [(np.concatenate([X for X, _ in parts]), np.concatenate([y for _, y in parts]))]
        if os.path.exists(os.path.join(folder, "test_batch.bin")):
            parts.append(self.read(os.path.join(folder, "test_batch.bin")))
        meta = os.path.join(folder, "batches.meta.txt")
        names = None
        if os.path.exists(meta):
            with open(meta, encoding="utf-8") as f:
                names = [line.strip() for line in f if line.strip()]
        return self.labelled(parts, names)


@DATASETS.register("bit_sequence")
class BitSequence:
    """Random strings of ``length`` bits, one per time step (``data.shape: [length, 1]`` for a recurrent
    layer), labelled by their ``parity`` (sum mod 2) or their ``count`` of ones (classes 0..length)."""

    def __init__(self, n_samples: PositiveInt = 2000, length: PositiveInt = 8,
                 target: typing.Literal["parity", "count"] = "parity"):
        self.n_samples, self.length, self.target = n_samples, length, target

    def load(self, rng):
        bits = rng.integers(0, 2, size=(self.n_samples, self.length))
        ones = bits.sum(axis=1)
        return classification(bits, ones % 2 if self.target == "parity" else ones)


def initialize_dataset(name="iris", **kwargs):
    """Build a data source from its name (or a ``{name: ..., ...}`` mapping) and keyword arguments."""
    return DATASETS.build(name, **kwargs)
