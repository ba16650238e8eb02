"""The run folder: created race-free, never overwritten, every file written atomically."""
import errno
import fcntl
import json
import math
import os
import tempfile
import zipfile
import zlib

import numpy as np

from ..config import yamlio
from ..config.errors import ConfigError, DamagedFile, TrainingError

LOCK = ".lock"
TMP = ".tmp-"


def create_run_dir(save_dir, name):
    """Make ``save_dir/name`` (or ``name-1``, ``name-2``, ... if taken) and return its path.

    ``os.mkdir`` either creates the folder or fails, atomically, so runs started at the same
    moment from a shell loop each get their own folder (a planted symbolic link counts as taken).
    A folder that cannot be created is a failure of the system (exit 1), named with its reason.
    """
    try:
        os.makedirs(save_dir, exist_ok=True)
        for attempt in range(100000):
            path = os.path.join(save_dir, name if attempt == 0 else f"{name}-{attempt}")
            try:
                os.mkdir(path)
                return path
            except FileExistsError:
                continue
    except OSError as error:
        raise TrainingError(f"cannot create a run folder in {save_dir}: {error.strerror or error}") from None
    raise ConfigError(f"too many runs named {name!r} in {save_dir}", "name")


def no_link(path, what="folder"):
    """``path``, unless it is a symbolic link: nnrun never writes through a link it did not make."""
    if os.path.islink(path):
        raise ConfigError(f"{path} is a symbolic link: nnrun writes its {what} only in a real folder "
                          "(remove the link or choose another name)")
    return path


class Lock:
    """One writer per run folder: an exclusive ``fcntl`` lock on ``<folder>/.lock``, held while the process
    lives (the system releases it when the process ends, however it ends). The file holds the owner's pid.

    ``wait=False`` refuses a folder another process holds (exit 2, naming its pid); ``wait=True`` waits.
    """

    held = {}  # real path -> [fd, depth]: a process that holds a folder may lock it again (sweep -> run)

    def __init__(self, folder, wait=False):
        self.key, self.folder, self.wait = os.path.realpath(folder), folder, wait

    def __enter__(self):
        if self.key in Lock.held:
            Lock.held[self.key][1] += 1
            return self
        fd = os.open(os.path.join(self.folder, LOCK), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except OSError as error:
            os.close(fd)
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            raise ConfigError(f"{self.folder} is being trained by process {owner(self.folder)}: "
                              "wait for it to finish (or stop that process)") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        Lock.held[self.key] = [fd, 1]
        return self

    def __exit__(self, *exc):
        entry = Lock.held[self.key]
        entry[1] -= 1
        if entry[1] == 0:  # closing releases the lock; the file stays (a removed one could be locked twice)
            del Lock.held[self.key]
            os.close(entry[0])


def owner(folder):
    """The pid written in a run folder's lock file ('unknown' if unreadable)."""
    try:
        with open(os.path.join(folder, LOCK)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return "unknown"


def remove_temporary(folder):
    """Delete the ``.tmp-*`` files a killed writer left in ``folder`` and its sub-folders. Only for a
    folder this process holds the :class:`Lock` of: no other process can be writing them."""
    for root, _, names in os.walk(folder):
        for name in names:
            if name.startswith(TMP):
                os.remove(os.path.join(root, name))


def unique_path(path):
    """``path``, or ``stem-1.ext``, ``stem-2.ext``, ... when it exists: a default output never replaces a file."""
    stem, ext = os.path.splitext(path)
    attempt = 0
    while os.path.exists(path):
        attempt += 1
        path = f"{stem}-{attempt}{ext}"
    return path


def atomic_write(path, write, mode="w"):
    """Call ``write(file)`` on a temporary file beside ``path``, then move it into place."""
    folder = os.path.dirname(path) or "."
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=TMP, suffix=os.path.splitext(path)[1])
    except OSError as error:  # name the file the user asked for, not the temporary one
        raise OSError(error.errno, error.strerror, path) from None
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


def fingerprint(path):
    """The SHA-256 of a file's bytes: summary.json keeps config.yaml's, so a truncated or edited
    config.yaml is recognized as such instead of read as another config."""
    import hashlib

    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_fingerprint(path, expected):
    """DamagedFile unless the file at ``path`` has the fingerprint ``expected`` (None: nothing to check)."""
    if expected is not None and fingerprint(path) != expected:
        raise DamagedFile(path, "it is not the file this run saved (summary.json holds its fingerprint): "
                                "truncated or edited? Put the original back")


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
    """A JSON object from a file nnrun wrote; DamagedFile if it is not one any more."""
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except (ValueError, OSError) as error:  # ValueError: JSONDecodeError, UnicodeDecodeError
        raise DamagedFile(path, str(error).splitlines()[0] if str(error) else type(error).__name__) from None
    if not isinstance(value, dict):
        raise DamagedFile(path, f"it holds a JSON {type(value).__name__}, not an object")
    return value


def plain(value):
    """JSON for NumPy scalars and arrays."""
    return _finite(value.item() if isinstance(value, np.generic) else np.asarray(value).tolist())


def write_arrays(path, arrays):
    """A ``.npz`` of plain arrays (loadable with ``allow_pickle=False``)."""
    atomic_write(path, lambda f: np.savez(f, **arrays), mode="wb")


def read_arrays(path):
    """The arrays of an ``.npz`` file (never unpickled); DamagedFile if it is truncated or not an npz."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            if not hasattr(arrays, "files"):
                raise ValueError("it holds a single array, not an .npz archive")
            return {k: arrays[k] for k in arrays.files}
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error):
        raise DamagedFile(path, "not an .npz file of plain arrays (truncated or overwritten?)") from None


def write_frame(path, frame):
    atomic_write(path, lambda f: frame.to_csv(f, index=False, lineterminator="\n"))
