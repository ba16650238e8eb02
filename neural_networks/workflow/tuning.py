"""Adaptive sweeps with Optuna: a search space from ``--range``/``--choice``/``--grid``, a study kept in the
sweep folder (Optuna's journal file, so a restarted sweep continues and worker processes share it),
and the pruning callback that stops a run whose validation loss trails the median of earlier runs.
"""
import math
import os

from ..callbacks import Callback, monitored
from ..config import yamlio
from ..config.errors import ConfigError
from ..config.schema import parse_override

JOURNAL = "optuna.journal"
STUDY = "nnrun"
SAMPLERS = ("grid", "random", "tpe")
# the median rule waits for this many finished runs, and never judges a run's first epochs
PRUNE_AFTER_RUNS, PRUNE_FROM_EPOCH = 3, 3


def number(text, what):
    """An int or float read from one end of a ``--range`` (YAML scalars: 1e-4, 0.5, 32)."""
    value = yamlio.load(text) if text.strip() else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"--range {what}: {text!r} is not a number")
    return value


def parse_ranges(texts):
    """``["optimizer.lr=1e-4:1:log", "model.layers.0.n_out=8:64"]`` -> {key: (low, high, log)};
    integers when both ends are, log-uniform with ``:log``."""
    ranges = {}
    for text in texts:
        path, _ = parse_override(text)
        key, parts = ".".join(path), text.partition("=")[2].split(":")
        log = len(parts) == 3 and parts[2].strip() == "log"
        if len(parts) not in (2, 3) or (len(parts) == 3 and not log):
            raise ConfigError(f"--range {text!r} is not KEY=LOW:HIGH or KEY=LOW:HIGH:log")
        low, high = (number(p, text) for p in parts[:2])
        if not low < high:
            raise ConfigError(f"--range {text!r}: LOW must be below HIGH")
        if log and low <= 0:
            raise ConfigError(f"--range {text!r}: a log range needs LOW > 0")
        if key in ranges:
            raise ConfigError(f"--range {key} is given twice")
        ranges[key] = (low, high, log)
    return ranges


def suggest(trial, ranges, choices):
    """The trial's override texts ``KEY=VALUE`` for every range and choice."""
    texts = []
    for key, (low, high, log) in ranges.items():
        if isinstance(low, int) and isinstance(high, int):
            value = trial.suggest_int(key, low, high, log=log)
        else:
            value = trial.suggest_float(key, low, high, log=log)
        texts.append(f"{key}={value!r}")
    texts += [f"{key}={trial.suggest_categorical(key, values)}" for key, values in choices.items()]
    return texts


def trial_texts(params, ranges, choices):
    """The override texts of a trial's recorded ``params`` (a trial that a stopped sweep left running)."""
    return [f"{key}={params[key]!r}" for key in ranges] + [f"{key}={params[key]}" for key in choices]


def study(sweep_dir, sampler, seed, prune):
    """The sweep's Optuna study (minimizing the best validation metric), created or loaded from its journal."""
    try:
        import optuna
    except ImportError:
        raise ConfigError(f"--sampler {sampler} needs Optuna: pip install 'nnrun[optuna]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    samplers = {"random": optuna.samplers.RandomSampler, "tpe": optuna.samplers.TPESampler}
    pruner = median_pruner() if prune else optuna.pruners.NopPruner()
    found = optuna.create_study(storage=storage(sweep_dir), study_name=STUDY, pruner=pruner, direction="minimize",
                                load_if_exists=True)
    # a restarted sweep must not draw its first trials again: the seed moves on with the trials already asked
    found.sampler = samplers[sampler](seed=seed + len(found.trials))
    return found


def median_pruner():
    """Optuna's median rule: prune when the run's value trails the median of the earlier runs' at that epoch."""
    import optuna

    return optuna.pruners.MedianPruner(n_startup_trials=PRUNE_AFTER_RUNS, n_warmup_steps=PRUNE_FROM_EPOCH)


def storage(sweep_dir):
    """Optuna's journal file storage in the sweep folder (its class names moved in Optuna 4.0)."""
    import optuna.storages

    path = os.path.join(sweep_dir, JOURNAL)
    try:
        from optuna.storages.journal import JournalFileBackend
    except ImportError:  # Optuna 3
        from optuna.storages import JournalFileStorage as JournalFileBackend
    return optuna.storages.JournalStorage(JournalFileBackend(path))


class Pruner(Callback):
    """Reports each epoch's validation ``metric`` to the sweep's trial and stops the run (``status`` becomes
    ``pruned``) once Optuna's median rule says it trails the earlier runs at that epoch."""

    def __init__(self, sweep_dir, trial_id, metric="val_loss"):
        self.sweep_dir, self.trial_id, self.metric, self.status = sweep_dir, trial_id, metric, None

    def on_train_begin(self, trainer):
        import optuna

        found = optuna.load_study(study_name=STUDY, storage=storage(self.sweep_dir), pruner=median_pruner())
        self.trial = optuna.trial.Trial(found, self.trial_id)

    def on_epoch_end(self, trainer, row):
        value = row[monitored(self.metric, trainer.data)]
        if value != value:  # no validation split: nothing to judge by
            return
        self.trial.report(value, row["epoch"])
        if self.trial.should_prune():
            self.status = "pruned"
            trainer.stop_training = True


def importances(sweep_dir):
    """{key: importance} of a sweep's study (Optuna's default fANOVA-style evaluator), or {} when
    fewer than two trials finished or nothing varied."""
    if not os.path.isfile(os.path.join(sweep_dir, JOURNAL)):
        return {}
    import optuna

    found = optuna.load_study(study_name=STUDY, storage=storage(sweep_dir))
    finished = [t for t in found.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if len(finished) < 2 or not finished[0].params:
        return {}
    try:
        return dict(optuna.importance.get_param_importances(found))
    except (RuntimeError, ValueError):  # every trial alike: no variance to share out
        return {}
