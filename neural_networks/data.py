"""From a data source to ready arrays: stratified train/validation/test splits, preprocessing
fitted on the training split only, one-hot targets, the configured dtype and input shape.
"""
import typing
from dataclasses import dataclass

import numpy as np

from .datasets import DATASETS, locator
from .data_checks import check_finite, check_samples, check_split_sizes
from .config.errors import ConfigError, shown
from .config.validation import Fraction, PositiveInt, arguments, check_arguments, closest


def data_settings(batch_size: PositiveInt = 32, validation_split: Fraction = 0.2,
                  test_split: Fraction = 0.2,
                  preprocess: typing.Literal["standardize", "normalize", "none"] = "standardize",
                  shape: typing.Optional[typing.Tuple[PositiveInt, ...]] = None):
    """The ``data`` keys shared by every source (the schema; the rest belong to the source)."""


_SHARED = [p.name for p in arguments(data_settings)]


def split_data_config(config):
    """``data`` config -> (settings, source spec), each validated, defaults filled in."""
    if not isinstance(config, dict):
        raise ConfigError(f"{shown(config)} is not a mapping")
    shared = {k: v for k, v in config.items() if k in _SHARED}
    source = {k: v for k, v in config.items() if k not in _SHARED}
    if isinstance(source.get("name"), str) and source["name"] in DATASETS:
        own = {p.name for p in arguments(DATASETS[source["name"]])}
        allowed = ["name", *own, *_SHARED]
        for key in source:
            if key not in allowed:
                raise ConfigError(f"unknown key for data {source['name']!r}{closest(key, allowed)}; "
                                  f"allowed: {', '.join(allowed)}", str(key))
    source = DATASETS.resolve(source)
    settings = check_arguments(data_settings, shared, "data")
    if settings["validation_split"] + settings["test_split"] >= 1:
        raise ConfigError(f"validation_split + test_split is {settings['validation_split'] + settings['test_split']:g};"
                          " it must be below 1", "validation_split")
    return settings, source


@dataclass
class Split:
    X: np.ndarray        # inputs, (n, *input_shape), in the run's dtype
    Y: np.ndarray        # targets: one-hot (n, K) for classification, (n, outputs) for regression
    index: np.ndarray    # row numbers in the source, for predictions.csv

    def __len__(self):
        return len(self.X)


@dataclass
class Data:
    train: Split
    val: Split
    test: Split
    task: str
    classes: list
    shift: np.ndarray    # preprocessing: X' = (X - shift) / scale, fitted on train
    scale: np.ndarray
    input_shape: tuple
    columns: list = None  # the feature names of a source that has them (a CSV header), in training order
    target_name: str = None  # and the name of its target column

    @property
    def n_outputs(self):
        return self.train.Y.shape[1]

    def transform(self, X, dtype):
        """Preprocess raw samples (n, features) exactly as the training data were."""
        X = (np.asarray(X, dtype=np.float64).reshape(len(X), self.shift.size) - self.shift) / self.scale
        return X.astype(dtype).reshape((len(X),) + tuple(self.input_shape))


BLOCK = 2048  # rows preprocessed at a time: float64 temporaries stay a few MB whatever the data's size


def row_blocks(X, rows):
    """``X[rows]`` in float64 blocks of BLOCK rows, so that no float64 copy of all the data is made."""
    for start in range(0, len(rows), BLOCK):
        yield np.asarray(X[rows[start:start + BLOCK]], dtype=np.float64)


def fit_preprocess(X, how, rows=None):
    """(shift, scale) per feature, in float64, from the training samples ``X[rows]`` (default: all)."""
    rows = np.arange(len(X)) if rows is None else rows
    if how == "standardize":  # two passes: the mean, then the mean squared deviation from it
        shift = sum(block.sum(axis=0) for block in row_blocks(X, rows)) / len(rows)
        scale = np.sqrt(sum(((block - shift) ** 2).sum(axis=0) for block in row_blocks(X, rows)) / len(rows))
    elif how == "normalize":
        shift = np.min([block.min(axis=0) for block in row_blocks(X, rows)], axis=0)
        scale = np.max([block.max(axis=0) for block in row_blocks(X, rows)], axis=0) - shift
    else:
        shift, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    return shift, np.where(scale > 0, scale, 1.0)


def transform_rows(data, X, rows, dtype):
    """``data.transform(X[rows], dtype)`` block by block into one array: the data are cast once."""
    out = np.empty((len(rows),) + tuple(data.input_shape), dtype=dtype)
    for start, block in zip(range(0, len(rows), BLOCK), row_blocks(X, rows)):
        out[start:start + len(block)] = data.transform(block, dtype)
    return out


def split_indices(n, labels, fractions, rng):
    """Shuffled (train, val, test) row indices; stratified by class when labels are given."""
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)] if labels is not None else [np.arange(n)]
    parts = [[], [], []]
    for group in groups:
        group = rng.permutation(group)
        n_val, n_test = (int(round(f * len(group))) for f in fractions)
        parts[2].append(group[:n_test])
        parts[1].append(group[n_test:n_test + n_val])
        parts[0].append(group[n_test + n_val:])
    return [rng.permutation(np.concatenate(p)).astype(np.int64) for p in parts]


def load_data(config, rng, dtype=np.float32):
    """The ``data`` section -> :class:`Data`, using ``rng`` for generation and splitting."""
    settings, source = split_data_config(config)
    dataset = DATASETS.build(source).load(rng)
    X = np.asarray(dataset.X)  # in its own dtype: preprocessing converts it block by block
    classify = dataset.task == "classification"
    labels = dataset.y if classify else None
    check_samples(len(X), labels, dataset.classes)
    X = X.reshape(len(X), -1)
    locate = dataset.locate or locator(f"data {source['name']!r}", first=0, word="sample")
    check_finite(X, dtype, locate)
    check_finite(dataset.y, dtype, lambda row, _: locate(row, "target"))
    fractions = (settings["validation_split"], settings["test_split"])
    train, val, test = split_indices(len(X), labels, fractions, rng)
    if len(train) == 0:
        raise ConfigError("no samples left for training", "test_split")
    check_split_sizes((len(train), len(val), len(test)), fractions, len(dataset.classes) if classify else 0,
                      len(np.unique(labels[train])) if classify else None)
    shift, scale = fit_preprocess(X, settings["preprocess"], train)
    input_shape = tuple(settings["shape"] or X.shape[1:])
    if int(np.prod(input_shape)) != X.shape[1]:
        raise ConfigError(f"{list(input_shape)} does not hold the {X.shape[1]} features of a sample", "shape")
    if classify:
        targets = np.eye(len(dataset.classes), dtype=dtype)[dataset.y]
    else:
        targets = np.asarray(dataset.y, dtype=dtype)
    data = Data(None, None, None, dataset.task, dataset.classes, shift, scale, input_shape, dataset.columns,
                dataset.target_name)
    data.train, data.val, data.test = (Split(transform_rows(data, X, i, dtype), targets[i], i)
                                       for i in (train, val, test))
    return data


def batches(n, batch_size, rng=None):
    """Slices (or shuffled index arrays) covering range(n) in mini-batches."""
    if rng is None:
        return [slice(i, i + batch_size) for i in range(0, n, batch_size)]
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]
