"""One experiment end to end: config -> built objects -> training with the run's callbacks -> the run folder."""
import os
import platform
import time

import numpy as np

from . import checkpoint, files
from .boundary import BoundaryFrames, applies as boundary_applies
from .build import build
from .loading import run_config
from .outputs import finish
from .run_callbacks import Checkpointer, MetricsWriter
from ..callbacks import standard_callbacks
from ..config.errors import ConfigError, TrainingError
from ..config.schema import check_name
from ..trainer import Trainer


def versions():
    from .. import __version__

    return {"nnrun": __version__, "numpy": np.__version__, "python": platform.python_version()}


def run(config, overrides=(), progress=False, describe=None):
    """Train the resolved ``config``; return (run folder, summary). Files appear as training goes.

    ``describe`` (e.g. ``print``), if given, receives the model's summary table before training.
    """
    check_name(config["name"])
    built = build(config)
    if describe:
        from .model_table import format_summary

        describe(format_summary(config, built.data, built.model))
    run_dir = files.create_run_dir(config["log"]["save_dir"], config["name"])
    files.write_yaml(os.path.join(run_dir, "config.yaml"), with_absolute_data_path(config))
    return train(run_dir, config, built, new_summary(run_dir, config, built, overrides), progress)


def with_absolute_data_path(config):
    """The config to save: a relative ``data.path`` made absolute, so that the run folder's config
    (``evaluate``, ``predict``, ``train --resume``, a re-run) finds the data from any folder."""
    path = config["data"].get("path")
    if not isinstance(path, str) or os.path.isabs(path):
        return config
    return {**config, "data": {**config["data"], "path": os.path.abspath(path)}}


def new_summary(run_dir, config, built, overrides=()):
    """summary.json as training starts; ``overrides`` (the ``--set`` texts) let comparisons group runs."""
    return {"name": os.path.basename(run_dir), "run_dir": run_dir, "status": "running",
            "dataset": config["data"]["name"], "task": built.data.task, "seed": config["seed"],
            "overrides": list(overrides), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "versions": versions(), "parameters": built.model.count_parameters(), **process()}


def process():
    """Which process trains the run, so that ``nnrun list`` can tell a killed run from a running one."""
    return {"host": platform.node(), "pid": os.getpid()}


def resume(run_dir, progress=False):
    """Continue an unfinished run in its own folder from its last checkpoint (the start if none).

    The data and model are rebuilt from the saved config and seed, then the checkpoint restores
    parameters, optimizer, scheduler, RNG and history: the run ends exactly as an uninterrupted one.
    """
    config = run_config(run_dir)
    path = os.path.join(run_dir, "summary.json")
    saved = files.read_json(path) if os.path.isfile(path) else {}
    if saved.get("status") == "completed":
        raise ConfigError(f"{run_dir} has already finished (summary.json says completed)")
    built = build(config)
    summary = {**new_summary(run_dir, config, built), **saved, "status": "running", "run_dir": run_dir,
               "resumed": saved.get("resumed", 0) + 1, **process()}
    return train(run_dir, config, built, summary, progress, checkpoint.load(run_dir))


def run_callbacks(run_dir, config, data, progress=False, elapsed=0.0):
    """The callbacks of a run: the standard ones for its ``train`` settings, the decision-boundary
    frames (plots of 2-feature classification), then the run folder's writers (the checkpoint
    after everything it saves, and before ``metrics.csv``, which so never runs ahead of it)."""
    train = config["train"]
    frames = [BoundaryFrames(data)] if config["log"]["plot"] and boundary_applies(data) else []
    return [*standard_callbacks(train["monitor"], train["early_stopping"], progress), *frames,
            Checkpointer(run_dir, elapsed), MetricsWriter(os.path.join(run_dir, "metrics.csv"))]


def train(run_dir, config, built, summary, progress=False, saved=None, callbacks=()):
    """Fit in ``run_dir`` from the checkpoint ``saved`` (or the start), checkpointing every epoch;
    ``callbacks`` (a library user's own) run after the run's."""
    rng, data, model, optimizer = built
    os.makedirs(os.path.join(run_dir, "parameters"), exist_ok=True)
    state, meta = saved or (None, {"seconds": 0.0})
    composed = run_callbacks(run_dir, config, data, progress, meta["seconds"])
    trainer = Trainer(model, optimizer, data, rng, batch_size=config["data"]["batch_size"],
                      epochs=config["train"]["epochs"], callbacks=[*composed, *callbacks])
    if state is not None:
        trainer.load_state_dict(state)
    clock = trainer.callback(Checkpointer)

    def stop(status, **extra):
        summary.update(status=status, epochs_run=len(trainer.history), seconds=clock.seconds(), **extra)
        files.write_json(os.path.join(run_dir, "summary.json"), summary)

    files.write_json(os.path.join(run_dir, "summary.json"), summary)
    try:
        # overflow warnings would bury the one-line error: the trainer reports a non-finite loss itself
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            trainer.fit()
    except TrainingError as error:
        stop("diverged", error=str(error))
        raise TrainingError(f"{error} (run folder kept: {run_dir})") from None
    except KeyboardInterrupt:
        stop("interrupted")
        raise KeyboardInterrupt(f"stopped after epoch {len(trainer.history)}, all saved; continue with: "
                                f"nnrun train --resume {run_dir}") from None
    summary["seconds"] = clock.seconds()
    summary["status"] = "completed"
    finish(run_dir, config, data, model, trainer, summary)
    checkpoint.remove(run_dir)
    return run_dir, summary
