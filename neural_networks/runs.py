"""The run folder: created race-free, never overwritten, every file written atomically."""
import json
import os
import tempfile

import numpy as np
import yaml

from .errors import ConfigError


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
        with os.fdopen(fd, mode) as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_text(path, text):
    atomic_write(path, lambda f: f.write(text))


def write_yaml(path, data):
    write_text(path, yaml.safe_dump(data, sort_keys=False, default_flow_style=None))


def write_json(path, data):
    write_text(path, json.dumps(data, indent=2, default=_plain) + "\n")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _plain(value):
    """JSON for NumPy scalars and arrays."""
    return value.item() if isinstance(value, np.generic) else np.asarray(value).tolist()


def write_arrays(path, arrays):
    """A ``.npz`` of plain arrays (loadable with ``allow_pickle=False``)."""
    atomic_write(path, lambda f: np.savez(f, **arrays), mode="wb")


def read_arrays(path):
    with np.load(path, allow_pickle=False) as arrays:
        return {k: arrays[k] for k in arrays.files}


def write_frame(path, frame):
    atomic_write(path, lambda f: frame.to_csv(f, index=False, lineterminator="\n"))
