"""Reading a run folder back: its resolved config, and its model with saved parameters loaded."""
import os

from . import files
from .build import build
from ..config.errors import ConfigError, DamagedFile


def run_config(run_dir):
    """The resolved config a run folder saved; ConfigError if ``run_dir`` is not a run folder,
    DamagedFile if its config.yaml no longer reads as a config."""
    from ..config.schema import read_yaml, resolve

    path = os.path.join(run_dir, "config.yaml")
    if not os.path.isfile(path):
        raise ConfigError(f"{run_dir!r} is not a run folder (no config.yaml)")
    try:
        config = read_yaml(path)
        if not isinstance(config, dict):
            raise ConfigError("it does not hold a mapping of sections" if config is not None else "it is empty")
        return resolve(config)
    except DamagedFile:
        raise
    except ConfigError as error:
        raise DamagedFile(path, str(error).replace(f"{path} ", "", 1)) from None


def is_trained(config_or_run, overrides=()):
    """Whether :func:`load_model` gives a trained model: a finished run folder, without overrides."""
    return os.path.isfile(os.path.join(config_or_run, "parameters", "best.npz")) and not overrides


def load_model(config_or_run, overrides=()):
    """(config, data, model) for a config file or a run folder: a finished run without overrides
    comes with its trained parameters; otherwise the model is freshly built from the config."""
    from ..config.schema import load_config

    if is_trained(config_or_run, overrides):
        return load_run(config_or_run)
    path = os.path.join(config_or_run, "config.yaml") if os.path.isdir(config_or_run) else config_or_run
    resolved = load_config(path, overrides)
    _, data, model, _ = build(resolved)
    return resolved, data, model


def load_run(run_dir, which="best"):
    """(config, data, model) of a finished run, with its ``best`` (or ``last``) parameters loaded."""
    config = run_config(run_dir)
    params_path = os.path.join(run_dir, "parameters", f"{which}.npz")
    if not os.path.isfile(params_path):
        raise ConfigError(f"{run_dir!r} has no parameters/{which}.npz: {unfinished(run_dir)}")
    _, data, model, _ = build(config)
    arrays = files.read_arrays(params_path)
    wrong = [k for k, v in model.state_dict().items() if k not in arrays or arrays[k].shape != v.shape]
    if wrong:
        raise ConfigError(f"{params_path} does not fit the model in {os.path.join(run_dir, 'config.yaml')}: "
                          f"missing or misshapen {', '.join(wrong)}")
    # after the shapes, which name an edit more precisely; any other edit or a cut is caught here
    files.check_fingerprint(os.path.join(run_dir, "config.yaml"), run_summary(run_dir).get("config_sha256"))
    model.load_state_dict(arrays)
    return config, data, model


def run_summary(run_dir):
    """The run's summary.json ({} if it has none yet)."""
    path = os.path.join(run_dir, "summary.json")
    return files.read_json(path) if os.path.isfile(path) else {}


def unfinished(run_dir):
    """Why a run has no parameters yet, and what to do about it."""
    from .results import status

    summary = run_summary(run_dir)
    state = status(summary)
    if state == "diverged":
        return f"it diverged before any epoch finished ({summary.get('error', 'a non-finite loss')})"
    if state == "running":
        return f"it is still training (process {summary.get('pid')})"
    return (f"it stopped ({state}) after {summary.get('epochs_run', 0)} epochs: continue it with "
            f"nnrun train --resume {run_dir}")


def diverged_note(run_dir):
    """A sentence for ``evaluate`` and ``predict`` on a diverged run (None for any other)."""
    summary = run_summary(run_dir)
    if summary.get("status") != "diverged":
        return None
    return (f"note: this run diverged ({summary.get('error', 'a non-finite loss')}); these are the parameters "
            f"of its best finished epoch, {summary.get('best_epoch')} of {summary.get('epochs_run')}")
