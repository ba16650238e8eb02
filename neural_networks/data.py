"""From a data source to ready arrays: stratified train/validation/test splits, preprocessing
fitted on the training split only, one-hot targets, the configured dtype and input shape.
"""
import typing
from dataclasses import dataclass

import numpy as np

from .augment import AUGMENTS, Pipeline
from .datasets import DATASETS, locator
from .data_checks import check_finite, check_samples, check_split_sizes, release_pages
from .config.errors import ConfigError, shown
from .config.validation import (Fraction, NonNegativeInt, PositiveInt, Spec, arguments, check_arguments,
                                closest)


def data_settings(batch_size: PositiveInt = 32, validation_split: Fraction = 0.2,
                  test_split: Fraction = 0.2,
                  preprocess: typing.Literal["standardize", "normalize", "none"] = "standardize",
                  shape: typing.Optional[typing.Tuple[PositiveInt, ...]] = None,
                  samples_per_class: typing.Optional[PositiveInt] = None,
                  max_samples: typing.Optional[PositiveInt] = None,
                  split_seed: typing.Optional[NonNegativeInt] = None,
                  augment: typing.List[Spec(AUGMENTS, mapping=True)] = ()):
    """The ``data`` keys shared by every source (the schema; the rest belong to the source).

    ``samples_per_class`` and ``max_samples`` keep a stratified random subset of the training files;
    ``split_seed`` draws the subset and the splits from their own generator, so that runs with
    different ``seed`` share them; ``augment`` transforms training batches (:mod:`neural_networks.augment`).
    """


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
    X: typing.Any        # inputs, (n, *input_shape), in the run's dtype: an array, or MappedRows
    Y: np.ndarray        # targets: one-hot (n, K) for classification, (n, outputs) for regression
    index: np.ndarray    # row numbers in the source, for predictions.csv
    augment: typing.Optional[Pipeline] = None  # random transforms of training batches

    def __len__(self):
        return len(self.X)

    def batch(self, index, rng):
        """The samples ``index`` as a training batch (X, Y): gathered, then augmented with draws from ``rng``."""
        X = self.X.take(index, axis=0)
        return (X if self.augment is None else self.augment(X, rng)), self.Y.take(index, axis=0)


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
MAPPED_ROWS = 32  # rows read from a memory map between releases of its pages


def gather(X, rows):
    """``X[rows]`` in float64 (``rows`` a slice or an index array).

    From a memory map the rows are read in sorted groups of MAPPED_ROWS, and the pages read are released
    after each group (:func:`~neural_networks.data_checks.release_pages`). The group bounds what a read
    maps: the kernel may map a whole large folio of the file's cache (up to 2 MB) for one 3 KB row, so
    2,048 rows drawn at random from a 2 GB file would otherwise map most of it."""
    if not isinstance(X, np.memmap):
        return np.asarray(X[rows], dtype=np.float64)
    rows = np.arange(len(X))[rows]
    order = np.argsort(rows, kind="stable")  # neighbouring rows share pages: read them together
    block = np.empty((len(rows),) + X.shape[1:], dtype=np.float64)
    for start in range(0, len(rows), MAPPED_ROWS):
        group = order[start:start + MAPPED_ROWS]
        block[group] = X[rows[group]]
        release_pages(X)
    return block


def row_blocks(X, rows):
    """``X[rows]`` in float64 blocks of BLOCK rows, so that no float64 copy of all the data is made."""
    for start in range(0, len(rows), BLOCK):
        yield gather(X, rows[start:start + BLOCK])


class MappedRows:
    """The rows ``rows`` of a memory-mapped X (n, features), preprocessed as they are read: a split's X
    when the data stay on disk. It answers ``len``, ``shape``, ``dtype``, ``[slice or index array]``
    and ``take(index, axis=0)`` as the preprocessed array would, gathering only the rows asked for."""

    def __init__(self, X, rows, data, dtype):
        self.X, self.rows, self.data, self.dtype = X, rows, data, np.dtype(dtype)
        self.shape = (len(rows),) + tuple(data.input_shape)

    def __len__(self):
        return len(self.rows)

    def take(self, index, axis=0):
        if axis != 0:
            raise ValueError("MappedRows gathers samples (axis 0) only")
        return self.data.transform(gather(self.X, self.rows[index]), self.dtype)

    def __getitem__(self, key):
        return self.take(np.arange(len(self))[key])


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


def subsample(pool, labels, per_class, most, rng):
    """The rows of ``pool`` that ``samples_per_class`` and then ``max_samples`` keep, drawn at random;
    ``max_samples`` is stratified: class c keeps about most * n_c / n rows (largest remainders round)."""
    if per_class is None and most is None:
        return pool
    if labels is None and per_class is not None:
        raise ConfigError("samples_per_class is for classification data", "samples_per_class")
    groups = [pool[labels[pool] == c] for c in np.unique(labels[pool])] if labels is not None else [pool]
    groups = [rng.permutation(group) for group in groups]
    if per_class is not None:
        fewest = min(len(group) for group in groups)
        if fewest < per_class:
            raise ConfigError(f"{per_class} is more than the {fewest} training samples of the smallest class",
                              "samples_per_class")
        groups = [group[:per_class] for group in groups]
    sizes = np.array([len(group) for group in groups])
    if most is not None and most < sizes.sum():
        quota = sizes * most / sizes.sum()
        counts = np.floor(quota).astype(np.int64)
        counts[np.argsort(counts - quota, kind="stable")[:most - counts.sum()]] += 1
        groups = [group[:k] for group, k in zip(groups, counts)]
    return np.sort(np.concatenate(groups))


def split_rows(dataset, settings, fractions, rng):
    """(train, val, test) row indices: the source's own test rows when it has them (``n_test``), else a
    share of ``fractions`` (validation, test); validation from the rest, after ``samples_per_class``/``max_samples``."""
    labels = dataset.y if dataset.task == "classification" else None
    if settings["split_seed"] is not None:
        rng = np.random.default_rng(settings["split_seed"])
    pool = np.arange(len(dataset.y) - dataset.n_test)
    pool = subsample(pool, labels, settings["samples_per_class"], settings["max_samples"], rng)
    parts = [pool[i] for i in split_indices(len(pool), None if labels is None else labels[pool], fractions, rng)]
    if dataset.n_test:
        parts[2] = np.arange(len(dataset.y) - dataset.n_test, len(dataset.y))
    return parts


def augmentation(specs, input_shape):
    """The training batches' :class:`~neural_networks.augment.Pipeline` (None without ``augment``)."""
    if not specs:
        return None
    if len(input_shape) != 3:
        raise ConfigError(f"augmentation moves pixels of images; the samples have shape {list(input_shape)}: "
                          "set data.shape to [rows, cols, channels]", "augment")
    return Pipeline(specs, input_shape)


def load_data(config, rng, dtype=np.float32):
    """The ``data`` section -> :class:`Data`, using ``rng`` for generation and splitting (``split_seed``'s
    generator instead, when set). A memory-mapped source stays on disk: its splits are :class:`MappedRows`."""
    settings, source = split_data_config(config)
    dataset = DATASETS.build(source).load(rng)
    X = dataset.X  # in its own dtype (maybe a memory map): preprocessing converts it block by block
    classify = dataset.task == "classification"
    labels = dataset.y if classify else None
    check_samples(len(X), labels, dataset.classes)
    X = X.reshape(len(X), -1)
    locate = dataset.locate or locator(f"data {source['name']!r}", first=0, word="sample")
    check_finite(X, dtype, locate)
    check_finite(dataset.y, dtype, lambda row, _: locate(row, "target"))
    fractions = (settings["validation_split"], 0.0 if dataset.n_test else settings["test_split"])
    train, val, test = split_rows(dataset, settings, fractions, rng)
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
    mapped = isinstance(X, np.memmap)
    data.train, data.val, data.test = (
        Split(MappedRows(X, i, data, dtype) if mapped else transform_rows(data, X, i, dtype), targets[i], i)
        for i in (train, val, test))
    data.train.augment = augmentation(settings["augment"], input_shape)
    return data


def batches(n, batch_size, rng=None):
    """Slices (or shuffled index arrays) covering range(n) in mini-batches."""
    if rng is None:
        return [slice(i, i + batch_size) for i in range(0, n, batch_size)]
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]
