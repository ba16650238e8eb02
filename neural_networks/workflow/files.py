"""The run folder: created race-free, never overwritten, every file written atomically."""
import json
import math
import os
import tempfile

import numpy as np

from ..config import yamlio
from ..config.errors import ConfigError


def create_run_dir(save_dir, name):
    """Make ``save_dir/name`` (or ``name-1``, ``name-2``, ... if taken) and return its path.

    ``os.mkdir`` either creates the folder or fails, atomically, so runs started at the same
    moment from a shell loop each get their own folder.
    """
    try:
        os.makedirs(save_dir, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create save_dir {save_dir!r}: {error.strerror}", "log.save_dir") from None
    for attempt in range(100000):
        path = os.path.join(save_dir, name if attempt == 0 else f"{name}-{attempt}")
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue
    raise ConfigError(f"too many runs named {name!r} in {save_dir}", "name")


def atomic_write(path, write, mode="w"):
    """Call ``write(file)`` on a temporary file beside ``path``, then move it into place."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the mode open() would
        with os.fdopen(fd, mode) as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _umask():
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path, text):
    atomic_write(path, lambda f: f.write(text))


def write_yaml(path, data):
    write_text(path, yamlio.dump(data))


def write_json(path, data):
    """Standard JSON: NaN and infinities (e.g. the loss of an empty test split) become null."""
    write_text(path, json.dumps(_finite(data), indent=2, default=plain, allow_nan=False) + "\n")


def _finite(value):
    """``value`` with every NaN or infinity, however deeply nested, replaced by None."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return None
    return value


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def plain(value):
    """JSON for NumPy scalars and arrays."""
    return _finite(value.item() if isinstance(value, np.generic) else np.asarray(value).tolist())


def write_arrays(path, arrays):
    """A ``.npz`` of plain arrays (loadable with ``allow_pickle=False``)."""
    atomic_write(path, lambda f: np.savez(f, **arrays), mode="wb")


def read_arrays(path):
    with np.load(path, allow_pickle=False) as arrays:
        return {k: arrays[k] for k in arrays.files}


def write_frame(path, frame):
    atomic_write(path, lambda f: frame.to_csv(f, index=False, lineterminator="\n"))
