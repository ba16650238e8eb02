"""A run's checkpoint: the trainer's whole state after an epoch, in one plain ``.npz`` written atomically.

Arrays (parameters, best parameters, optimizer buffers) are stored under their ``/``-joined path
in the nested state; everything else (history, epoch, scheduler and RNG state) goes to one JSON
string in the same file, so a kill at any moment leaves either the old or the new checkpoint, and
loading needs no pickle.
"""
import hashlib
import json
import os

import numpy as np

from . import files
from ..config.errors import ConfigError, DamagedFile

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


def config_hash(config):
    """A fingerprint of a resolved config (its canonical JSON), stored in each checkpoint: resume refuses
    a config.yaml edited since, which would otherwise continue the run under other settings."""
    return hashlib.sha256(canonical(config).encode()).hexdigest()


def canonical(config):
    return json.dumps(config, sort_keys=True, default=files.plain)


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
    try:
        saved = json.loads(str(arrays.pop(META)))
        return merge(arrays, saved["state"]), saved["meta"]
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        raise DamagedFile(path, f"its saved state is incomplete ({error}): delete it to restart the run "
                          "from its first epoch") from None


def check_config(run_dir, meta, config):
    """ConfigError naming the keys of ``config`` that differ from the config the checkpoint was made with."""
    if meta.get("config_hash") in (None, config_hash(config)):
        return
    from .results import flatten

    before, now = flatten(json.loads(canonical(meta.get("config", {})))), flatten(json.loads(canonical(config)))
    changed = [k for k in dict.fromkeys([*before, *now]) if before.get(k) != now.get(k)]
    shown = ", ".join(f"{k} ({before.get(k)!r} -> {now.get(k)!r})" for k in changed[:5])
    more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
    raise ConfigError(f"{os.path.join(run_dir, 'config.yaml')} was edited since the last checkpoint: "
                      f"{shown or 'its text'}{more} changed; put it back to resume, or train it as a new run")


def remove(run_dir):
    """A finished run (completed or diverged) keeps no checkpoint, no temporary file a kill left behind
    and no lock file: the caller holds the lock, and whoever takes it next finds the run finished."""
    for name in (FILE, files.LOCK):
        path = os.path.join(run_dir, name)
        if os.path.exists(path):
            os.remove(path)
    files.remove_temporary(run_dir)
