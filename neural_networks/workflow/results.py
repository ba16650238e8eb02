"""Finished (and unfinished) run folders read back as tables: one row per run, for listing and comparing."""
import glob
import os
import platform

from . import files
from ..config.errors import ConfigError, DamagedFile
from ..config.templates import value_at
from ..metrics import METRICS

TEST_COLUMNS = ("test_loss", "test_accuracy", "test_error")


def is_run(path):
    return os.path.isfile(os.path.join(path, "config.yaml"))


def find_runs(paths):
    """Run folders named by ``paths``: run folders, folders holding runs (a sweep, ``experiments``), globs."""
    found = []
    for pattern in paths:
        matches = sorted(glob.glob(pattern)) or [pattern]
        for path in matches:
            if not os.path.isdir(path):
                raise ConfigError(f"{pattern!r} matches no run folder")
            found.extend(runs_under(path))
    if not found:
        raise ConfigError(f"no run folders in {', '.join(paths)}")
    return list(dict.fromkeys(os.path.normpath(p) for p in found))


def runs_under(directory):
    """``directory`` if it is a run, else the runs in it and in its sub-folders that are not runs (sweeps)."""
    if is_run(directory):
        return [directory]
    found = []
    for root, folders, _ in os.walk(directory):
        folders.sort()
        for name in list(folders):
            if is_run(os.path.join(root, name)):
                found.append(os.path.join(root, name))
                folders.remove(name)  # a run's own sub-folders hold no runs
    return found


def lookup(config, key):
    """The value at dotted ``key`` (list items by index) in a config mapping, or None."""
    try:
        return value_at(config, key)
    except ConfigError:
        return None


def read_run(run_dir):
    """(config, summary, metrics frame) of a run folder; missing files give empty ones, damaged ones
    a DamagedFile naming the file."""
    from ..config.schema import read_yaml

    path = os.path.join(run_dir, "config.yaml")
    try:
        config = read_yaml(path)
    except ConfigError as error:
        raise DamagedFile(path, str(error).replace(f"{path} ", "", 1)) from None
    if not isinstance(config, dict):
        raise DamagedFile(path, "it does not hold a mapping of sections")
    summary_path = os.path.join(run_dir, "summary.json")
    summary = files.read_json(summary_path) if os.path.isfile(summary_path) else {"status": "unknown"}
    files.check_fingerprint(path, summary.get("config_sha256"))
    metrics = read_metrics(os.path.join(run_dir, "metrics.csv"))
    if summary.get("status") == "completed" and summary.get("epochs_run") not in (None, len(metrics)):
        raise DamagedFile(os.path.join(run_dir, "metrics.csv"), f"it has {len(metrics)} epochs' rows but "
                          f"summary.json says {summary['epochs_run']} epochs ran")
    return config, summary, metrics


def read_metrics(path):
    """metrics.csv as a frame of numbers (an empty one if the file is missing); DamagedFile if it is not
    (nnrun ends every line of it, so a file cut short is seen as such)."""
    import pandas as pd

    if not os.path.isfile(path):
        return pd.DataFrame(columns=["epoch", *METRICS])
    with open(path, "rb") as f:
        text = f.read()
    if not text.endswith(b"\n"):
        raise DamagedFile(path, "it is cut short (empty, or no newline at its end)")
    try:
        metrics = pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DamagedFile(path, str(error).splitlines()[0]) from None
    missing = [c for c in ("epoch", *METRICS) if c not in metrics.columns]
    if missing:
        raise DamagedFile(path, f"no column {', '.join(missing)}")
    text = [c for c in ("epoch", *METRICS) if len(metrics) and not pd.api.types.is_numeric_dtype(metrics[c])]
    if text:
        raise DamagedFile(path, f"non-numeric values in {', '.join(text)}")
    return metrics


def read_runs(run_dirs):
    """(readable run folders, their :func:`read_run`, {damaged run folder: why}): one broken run never
    takes the others down. If every run is damaged, the first one's DamagedFile."""
    good, loaded, damaged, first = [], [], {}, None
    for run_dir in run_dirs:
        try:
            loaded.append(read_run(run_dir))
            good.append(run_dir)
        except DamagedFile as error:
            damaged[run_dir], first = str(error), first or error
    if first and not good:
        raise first
    return good, loaded, damaged


def run_row(run_dir, loaded, keys=(), metric="val_loss"):
    """One table row: the run, its ``keys`` values, best/final ``metric``, test metrics, epochs, seconds;
    ``loaded`` is the run's :func:`read_run`."""
    config, summary, metrics = loaded
    if metric not in METRICS:
        from ..config.validation import closest

        raise ConfigError(f"unknown metric {metric!r}{closest(metric, METRICS)}; valid: {', '.join(METRICS)}")
    values = metrics[metric]
    test = summary.get("test", {})
    row = {"run": run_dir, "status": status(summary)}
    row.update({key: lookup(config, key) for key in keys})
    row.update({f"best_{metric}": values.min() if len(values) else float("nan"),
                f"final_{metric}": values.iloc[-1] if len(values) else float("nan"),
                "best_epoch": int(metrics["epoch"][values.idxmin()]) if values.notna().any() else None,
                "epochs": len(metrics), "test_epoch": summary.get("best_epoch"), "test_loss": test.get("loss"),
                "test_accuracy": test.get("accuracy"), "test_error": test.get("error"),
                "seconds": summary.get("seconds")})
    return row


def runs_frame(run_dirs, loaded, keys=(), metric="val_loss"):
    """A pandas table of runs (``loaded``: their :func:`read_run`) sorted by their best ``metric``
    (lowest first); empty test columns dropped, and ``test_epoch`` (the epoch of the saved best
    parameters that the test columns come from) unless it is ``best_epoch`` in every run."""
    import pandas as pd

    frame = pd.DataFrame([run_row(path, run, keys, metric) for path, run in zip(run_dirs, loaded)])
    empty = [c for c in TEST_COLUMNS if frame[c].isna().all()]
    same = frame["test_epoch"].isna() | (frame["test_epoch"] == frame["best_epoch"])
    if same.all() or len(empty) == len(TEST_COLUMNS):
        empty.append("test_epoch")
    return frame.drop(columns=empty).sort_values(f"best_{metric}", kind="stable", na_position="last",
                                                 ignore_index=True)


def status(summary):
    """The run's status, ``killed`` for one that says ``running`` but whose process on this machine is gone."""
    if summary.get("status") == "running" and summary.get("host") == platform.node():
        try:
            os.kill(summary["pid"], 0)
        except ProcessLookupError:
            return "killed"
        except (OSError, KeyError):
            pass
    return summary.get("status", "unknown")


def hidden_sizes(config):
    """``16-8`` for a model whose layers before the output have n_out 16 and 8."""
    layers = lookup(config, "model.layers") or []
    return "-".join(str(layer["n_out"]) for layer in layers[:-1]
                    if isinstance(layer, dict) and layer.get("n_out") is not None)


def listing(directory="experiments", sort=None):
    """``nnrun list``: one row per run under ``directory`` with its key settings and results, by date."""
    import pandas as pd

    rows = []
    run_dirs = runs_under(directory)
    good, loaded, damaged = read_runs(run_dirs) if run_dirs else ([], [], {})
    for run_dir, (config, summary, metrics) in zip(good, loaded):
        best = summary.get("best") or (metrics.loc[metrics["val_loss"].idxmin()].to_dict()
                                       if metrics["val_loss"].notna().any() else {})
        test = summary.get("test", {})
        rows.append({"run": os.path.relpath(run_dir, directory) if run_dir != directory else run_dir,
                     "status": status(summary),
                     "dataset": lookup(config, "data.name"), "hidden": hidden_sizes(config),
                     "optimizer": lookup(config, "optimizer.name"), "lr": lookup(config, "optimizer.lr"),
                     "batch": lookup(config, "data.batch_size"),
                     "epochs": f"{len(metrics)}/{lookup(config, 'train.epochs')}",
                     "val_loss": best.get("val_loss"), "val_error": best.get("val_error"),
                     "test_accuracy": test.get("accuracy"), "test_error": test.get("error"),
                     "date": summary.get("started", "")})
    rows += [{"run": os.path.relpath(run_dir, directory) if run_dir != directory else run_dir, "status": "damaged",
              "date": ""} for run_dir in damaged]
    frame = pd.DataFrame(rows, columns=["run", "status", "dataset", "hidden", "optimizer", "lr", "batch",
                                        "epochs", "val_loss", "val_error", "test_accuracy", "test_error",
                                        "date"])
    if sort is not None and sort not in frame.columns:
        from ..config.validation import closest

        raise ConfigError(f"cannot sort by {sort!r}{closest(sort, frame.columns)}; valid: {', '.join(frame.columns)}")
    frame = frame.sort_values(sort or "date", ascending=sort is None or "accuracy" not in sort, kind="stable",
                              na_position="last", ignore_index=True)
    frame.attrs["damaged"] = list(damaged.values())
    return frame


# ``nnrun list`` at 80 columns: the columns left out first when they do not all fit
LIST_OPTIONAL = ("test_error", "batch", "optimizer", "date", "status", "val_error")


def listing_table(frame, width=None):
    """``nnrun list``'s table fitted to the terminal, its dates shortened to month-day hour:minute."""
    from .tables import format_frame

    frame = frame.assign(date=[str(d)[5:16].replace("T", " ") for d in frame["date"]])
    return format_frame(frame, width, optional_columns(frame, LIST_OPTIONAL))

def optional_columns(frame, optional):
    """``optional`` without ``status`` when a run did not complete: a damaged or diverged run says so."""
    keep_status = "status" in frame.columns and (frame["status"] != "completed").any()
    return [c for c in optional if not (c == "status" and keep_status)]


def flatten(config, prefix=""):
    """{dotted key: leaf value} of a nested config (list items by index)."""
    items = config.items() if isinstance(config, dict) else enumerate(config)
    flat = {}
    for key, value in items:
        if isinstance(value, (dict, list)) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def varying_keys(configs):
    """Dotted keys whose values differ between ``configs`` (the run name and folder aside)."""
    flats = [flatten(c) for c in configs]
    keys = dict.fromkeys(k for flat in flats for k in flat if k not in ("name", "log.save_dir"))
    return [k for k in keys if len({repr(flat.get(k)) for flat in flats}) > 1]


def short_keys(keys):
    """{key: its shortest dotted suffix that no other key ends with}: optimizer.lr -> lr."""
    short = {}
    for key in keys:
        parts = key.split(".")
        for n in range(1, len(parts) + 1):
            suffix = ".".join(parts[-n:])
            if not any(other != key and (other == suffix or other.endswith("." + suffix)) for other in keys):
                break
        short[key] = suffix
    return short
