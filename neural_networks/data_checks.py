"""Checks that refuse data nnrun cannot train on, in one line (ConfigError, exit 2) instead of a run that
"completes" with a NaN loss or a traceback. Small functions, so that every loader can call them:

- :func:`check_finite`: NaN, infinities, and values beyond the run's float type, located by row and column;
- :func:`check_claimed_size`: a file header's array size against the file's real size and the machine's
  memory, before anything is allocated (truncated files, gzip bombs, absurd headers);
- :func:`encoding_error`: a text file that is not UTF-8, said as such;
- :func:`check_samples`, :func:`check_split_sizes`: too few samples or classes for the train, validation
  and test splits asked for.
"""
import mmap
import os

import numpy as np

from .config.errors import ConfigError

DEFLATE_RATIO = 1032  # deflate (zip, gzip) can shrink data at most about 1032:1; more claimed is a lie
BLOCK = 4096          # rows checked at a time, so that no copy of all the data is made


def release_pages(X):
    """Unmap the pages of the memory map ``X`` that this process has read (the kernel's file cache keeps
    them, so reading them again is cheap). Without it, a file read through its map stays resident in the
    process: reading all of a 2 GB file once would hold 2 GB. Arrays that are not memory maps are left alone."""
    if isinstance(X, np.memmap) and X._mmap is not None:
        X._mmap.madvise(mmap.MADV_DONTNEED)


def check_finite(values, dtype, locate):
    """ConfigError at the first value of ``values`` (samples first) that is NaN or infinite, or that
    becomes infinite in ``dtype`` (1e39 in float32). ``locate(row, column)`` names where it is
    (file, row, column: each loader knows how its rows and columns are called)."""
    values = values if isinstance(values, np.ndarray) else np.asarray(values)  # a memory map stays one
    if values.dtype.kind not in "fc":  # integers are finite and within float32's range
        return
    limit = np.finfo(dtype).max if np.dtype(dtype).kind == "f" else np.inf
    flat = values.reshape(len(values), -1)
    for start in range(0, len(flat), BLOCK):
        block = flat[start:start + BLOCK]
        bad = ~np.isfinite(block) | (np.abs(block) > limit)
        release_pages(flat)
        if bad.any():
            row, column = np.argwhere(bad)[0]
            value = block[row, column]
            why = (f"{value} is not a finite number" if not np.isfinite(value)
                   else f"{value:g} is beyond the range of {np.dtype(dtype).name} (±{limit:.3g})")
            raise ConfigError(f"{locate(start + int(row), int(column))}: {why}: fix or remove it", "path")


def check_claimed_size(path, claimed, stored, compressed=False):
    """ConfigError unless a header's ``claimed`` byte count can be true: no more than the ``stored`` bytes
    (times deflate's best ratio if ``compressed``) and than this machine's memory."""
    possible = stored * (DEFLATE_RATIO if compressed else 1)
    if claimed > possible:
        raise ConfigError(f"{path}: its header claims {claimed:,} bytes of data but the file holds "
                          f"{stored:,}{' compressed' if compressed else ''}: truncated or damaged", "path")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if claimed > memory:
        raise ConfigError(f"{path}: its {claimed / 2**30:.1f} GiB of data do not fit in this machine's "
                          f"{memory / 2**30:.1f} GiB of memory", "path")


def encoding_error(path, error):
    """The ConfigError for a text file that is not UTF-8 (``error``: the UnicodeDecodeError)."""
    return ConfigError(f"{path} is not UTF-8 text: byte 0x{error.object[error.start]:02x} at position "
                       f"{error.start} ({error.reason}): save it as UTF-8", "path")


def check_samples(n, labels=None, classes=()):
    """ConfigError unless there are at least 2 samples and, for a classifier (``labels``: class indices
    into ``classes``), 2 classes. The splits are checked after splitting: :func:`check_split_sizes`."""
    if n == 0:
        raise ConfigError("the data hold no samples", "path")
    if n == 1:
        raise ConfigError("the data hold a single sample: training needs at least 2", "path")
    if labels is not None and len(np.unique(labels)) < 2:
        raise ConfigError(f"all {n} samples are of one class ({classes[0] if len(classes) else '?'}): a classifier "
                          "needs at least 2 (for numeric targets, set task: regression)", "path")


def check_split_sizes(sizes, fractions, n_classes=0, train_classes=None):
    """ConfigError for a split asked for (fraction > 0) that came out empty, or a class with no training
    sample: say what to change. ``sizes``: (train, val, test) sample counts."""
    for size, fraction, key in zip(sizes[1:], fractions, ("validation_split", "test_split")):
        if fraction > 0 and size == 0:
            per_class = f" in {n_classes} classes (the split is drawn from each class)" if n_classes else ""
            raise ConfigError(f"{key} {fraction:g} of {sum(sizes)} samples{per_class} leaves it empty: "
                              f"set {key}: 0, raise it, or give more samples", key)
    if train_classes is not None and train_classes < n_classes:
        raise ConfigError(f"{n_classes - train_classes} of the {n_classes} classes have no training sample left "
                          "after the validation and test splits: give more samples per class or smaller splits",
                          "test_split")
