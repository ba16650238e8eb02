"""A run's checkpoint: the trainer's whole state after an epoch, in one plain ``.npz`` written atomically.

Arrays (parameters, best parameters, optimizer buffers) are stored under their ``/``-joined path
in the nested state; everything else (history, epoch, scheduler and RNG state) goes to one JSON
string in the same file, so a kill at any moment leaves either the old or the new checkpoint, and
loading needs no pickle.
"""
import json
import os

import numpy as np

from . import files

FILE = "checkpoint.npz"
META = "__meta__"


def split(tree, prefix=""):
    """(arrays by ``/``-joined path, the rest of the nested dict ``tree`` without them)."""
    arrays, rest = {}, {}
    for key, value in tree.items():
        if isinstance(value, np.ndarray):
            arrays[prefix + key] = value
        elif isinstance(value, dict):
            inner, rest[key] = split(value, f"{prefix}{key}/")
            arrays.update(inner)
        else:
            rest[key] = value
    return arrays, rest


def merge(arrays, rest):
    """The inverse of :func:`split`."""
    for path, value in arrays.items():
        *parents, leaf = path.split("/")
        node = rest
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return rest


def save(run_dir, state, **meta):
    """Write ``state`` (a nested dict of arrays and JSON values) and ``meta`` to the run's checkpoint."""
    arrays, rest = split(state)
    text = json.dumps({"state": rest, "meta": meta}, default=files.plain)
    files.write_arrays(os.path.join(run_dir, FILE), {**arrays, META: np.array(text)})


def load(run_dir):
    """(state, meta) from the run's checkpoint, or None if it has none."""
    path = os.path.join(run_dir, FILE)
    if not os.path.isfile(path):
        return None
    arrays = files.read_arrays(path)
    saved = json.loads(str(arrays.pop(META)))
    return merge(arrays, saved["state"]), saved["meta"]


def remove(run_dir):
    """Delete the checkpoint (once the run is complete) and any temporary file a kill left behind."""
    for name in os.listdir(run_dir):
        if name == FILE or name.startswith(".tmp-"):
            os.remove(os.path.join(run_dir, name))
