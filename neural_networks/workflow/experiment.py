"""One experiment end to end: config -> built objects -> training with the run's callbacks -> the run folder."""
import contextlib
import os
import platform
import time

import numpy as np

from . import checkpoint, files
from .boundary import BoundaryFrames, applies as boundary_applies
from .build import build
from .loading import run_config
from .outputs import finish
from .run_callbacks import Checkpointer, DiagnosticsWriter, MetricsWriter
from ..callbacks import ProgressBar, standard_callbacks
from ..config.errors import ConfigError, DamagedFile, TrainingError
from ..diagnostics import Diagnostics
from ..config.schema import check_name
from ..trainer import Trainer


def versions():
    from .. import __version__

    return {"nnrun": __version__, "numpy": np.__version__, "python": platform.python_version()}


def run(config, overrides=(), progress=False, describe=None, run_dir=None, callbacks=()):
    """Train the resolved ``config``; return (run folder, summary). Files appear as training goes.

    ``describe`` (e.g. ``print``), if given, receives the model's summary table before training.
    ``run_dir``: an empty folder to train in (a sweep's, which it holds locked), instead of a new one.
    ``callbacks``: a library user's own, called after the run's (see :mod:`neural_networks.callbacks`).
    """
    check_name(config["name"])
    built = build(config)
    if describe:
        from .model_table import format_summary

        describe(format_summary(config, built.data, built.model))
    run_dir = run_dir or files.create_run_dir(config["log"]["save_dir"], config["name"])
    with files.Lock(run_dir):
        path = os.path.join(run_dir, "config.yaml")
        files.write_yaml(path, with_absolute_data_path(with_sizes(config, built.model)))
        config = run_config(run_dir)  # exactly what config.yaml says: the checkpoints' config hash is of it
        summary = {**new_summary(run_dir, config, built, overrides), "config_sha256": files.fingerprint(path)}
        return train(run_dir, config, built, summary, progress, callbacks=callbacks)


def with_sizes(config, model):
    """The config to save with each ``n_out: null`` (the last layer's, taken from the data) filled in
    with the size the model was built with."""
    layers = [{**spec, "n_out": layer.n_out} if isinstance(spec, dict) and "n_out" in spec and spec["n_out"] is None
              and getattr(layer, "n_out", None) is not None else spec
              for spec, layer in zip(config["model"]["layers"], model.layers)]
    return {**config, "model": {**config["model"], "layers": layers}}


def with_absolute_data_path(config):
    """The config to save: a relative ``data.path`` (and ``data.targets``) made absolute, so that the run
    folder's config (``evaluate``, ``predict``, ``train --resume``, a re-run) finds the data from any folder."""
    relative = {key: os.path.abspath(value) for key, value in config["data"].items()
                if key in ("path", "targets") and isinstance(value, str) and not os.path.isabs(value)}
    return {**config, "data": {**config["data"], **relative}} if relative else config


def new_summary(run_dir, config, built, overrides=()):
    """summary.json as training starts; ``overrides`` (the ``--set`` texts) let comparisons group runs."""
    return {"name": os.path.basename(run_dir), "run_dir": run_dir, "status": "running",
            "dataset": config["data"]["name"], "task": built.data.task, "seed": config["seed"],
            "overrides": list(overrides), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "versions": versions(), "parameters": built.model.count_parameters(), **process()}


def process():
    """Which process trains the run, so that ``nnrun list`` can tell a killed run from a running one."""
    return {"host": platform.node(), "pid": os.getpid()}


def resume(run_dir, progress=False, callbacks=()):
    """Continue an unfinished run in its own folder from its last checkpoint (the start if none).

    The data and model are rebuilt from the saved config and seed, then the checkpoint restores
    parameters, optimizer, scheduler, RNG and history: the run ends exactly as an uninterrupted one.
    Refused (exit 2): a run another process is training, a finished or diverged run, a config.yaml
    edited since the checkpoint, a damaged file.
    """
    run_config(run_dir)  # a ConfigError unless run_dir is a run folder: no lock file in any other
    with files.Lock(run_dir):
        config = run_config(run_dir)
        path = os.path.join(run_dir, "summary.json")
        saved = files.read_json(path) if os.path.isfile(path) else {}
        if saved.get("status") in ("completed", "diverged", "pruned"):
            checkpoint.remove(run_dir)  # a kill just before the end may have left it
            raise ConfigError(f"{run_dir} has already finished (summary.json says {saved['status']})"
                              + (": train it again with a lower optimizer.lr" if saved["status"] == "diverged" else ""))
        state = checkpoint.load(run_dir)
        if state is not None:
            checkpoint.check_config(run_dir, state[1], config)
        built = build(config)
        summary = {**new_summary(run_dir, config, built), **saved, "status": "running", "run_dir": run_dir,
                   "resumed": saved.get("resumed", 0) + 1, **process()}
        summary.pop("error", None)
        return train(run_dir, config, built, summary, progress, state, callbacks)


def run_callbacks(run_dir, config, data, progress=False, elapsed=0.0):
    """The callbacks of a run: the standard ones for its ``train`` settings, the decision-boundary
    frames (plots of 2-feature classification), the per-layer diagnostics (``log.diagnostics``), then
    the run folder's writers (the checkpoint after everything it saves, and before the CSV files,
    which so never run ahead of it)."""
    train = config["train"]
    frames = [BoundaryFrames(data)] if config["log"]["plot"] and boundary_applies(data) else []
    measure = config["log"]["diagnostics"]
    return [*standard_callbacks(train["monitor"], train["early_stopping"], progress), *frames,
            *([Diagnostics()] if measure else []),
            Checkpointer(run_dir, config, elapsed), MetricsWriter(os.path.join(run_dir, "metrics.csv")),
            *([DiagnosticsWriter(os.path.join(run_dir, "diagnostics.csv"))] if measure else [])]


def train(run_dir, config, built, summary, progress=False, saved=None, callbacks=()):
    """Fit in ``run_dir`` (which this process holds locked) from the checkpoint ``saved`` (or the start),
    checkpointing every epoch; ``callbacks`` (a library user's own) run after the run's; one that stops
    training early may say why in its ``status`` (e.g. ``pruned``), which summary.json then records
    instead of ``completed``.

    However training ends, the folder is left consistent: completed or diverged, it holds the results
    of its finished epochs and no checkpoint; interrupted or failed (an OS error, memory), it keeps the
    checkpoint of its last finished epoch for ``--resume``. No temporary file stays behind.
    """
    rng, data, model, optimizer = built
    files.remove_temporary(run_dir)  # left by a killed writer of this folder
    os.makedirs(os.path.join(run_dir, "parameters"), exist_ok=True)
    state, meta = saved or (None, {"seconds": 0.0})
    composed = run_callbacks(run_dir, config, data, progress, meta["seconds"])
    trainer = Trainer(model, optimizer, data, rng, batch_size=config["data"]["batch_size"],
                      epochs=config["train"]["epochs"], callbacks=[*composed, *callbacks])
    if state is not None:
        restore(trainer, state, run_dir)
    clock = trainer.callback(Checkpointer)

    def stop(status, **extra):
        summary.update(status=status, epochs_run=len(trainer.history), seconds=clock.seconds(), **extra)
        files.write_json(os.path.join(run_dir, "summary.json"), summary)

    try:
        files.write_json(os.path.join(run_dir, "summary.json"), summary)
        # overflow warnings would bury the one-line error: the trainer reports a non-finite loss itself
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            trainer.fit()
        summary.update(seconds=clock.seconds(),
                       status=next((c.status for c in callbacks if getattr(c, "status", None)), "completed"))
        finish(run_dir, config, data, model, trainer, summary)
    except TrainingError as error:
        summary.update(seconds=clock.seconds(), status="diverged", error=str(error))
        keep_finished_epochs(run_dir, config, data, model, trainer, summary)
        raise TrainingError(f"{error} (run folder kept: {run_dir})") from None
    except KeyboardInterrupt:
        stop("interrupted")
        raise KeyboardInterrupt(f"stopped after epoch {len(trainer.history)}, all saved; continue with: "
                                f"nnrun train --resume {run_dir}") from None
    except (OSError, MemoryError) as error:
        reason = system_failure(error)
        with contextlib.suppress(OSError):
            stop("failed", error=reason)
        raise TrainingError(f"{reason}; run folder {run_dir} keeps every finished epoch: once fixed, continue "
                            f"with nnrun train --resume {run_dir}") from None
    finally:
        if trainer.callback(ProgressBar):  # no half-drawn bar above the error or the interruption note
            trainer.callback(ProgressBar).close()
        files.remove_temporary(run_dir)
    checkpoint.remove(run_dir)
    return run_dir, summary


def restore(trainer, state, run_dir):
    """Load a checkpoint's state into ``trainer``; DamagedFile if it does not fit (a half-edited file)."""
    try:
        trainer.load_state_dict(state)
    except (KeyError, ValueError, TypeError, IndexError) as error:
        raise DamagedFile(os.path.join(run_dir, checkpoint.FILE),
                          f"it does not fit the run's model ({error}): delete it to restart the run") from None


def keep_finished_epochs(run_dir, config, data, model, trainer, summary):
    """A diverged run: its last finished epoch is restored from the checkpoint and the folder finished
    with it (best.npz: the best finished epoch; last.npz: the last one; predictions, plots), summary.json
    saying ``diverged`` and why. Diverged in its first epoch, it has no parameters at all."""
    saved = checkpoint.load(run_dir)
    if saved is None:
        summary.update(epochs_run=0)
        files.write_json(os.path.join(run_dir, "summary.json"), summary)
    else:
        trainer.load_state_dict(saved[0])
        trainer.call("on_train_end")
        finish(run_dir, config, data, model, trainer, summary)
    checkpoint.remove(run_dir)


def system_failure(error):
    """One line for an OS error (naming the file and the reason) or for running out of memory."""
    if isinstance(error, MemoryError):
        return f"out of memory: {error}" if str(error) else "out of memory"
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"
