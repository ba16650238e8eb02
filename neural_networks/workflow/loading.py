"""Reading a run folder back: its resolved config, and its model with saved parameters loaded."""
import os

from . import files
from .build import build
from ..config.errors import ConfigError


def run_config(run_dir):
    """The resolved config a run folder saved; ConfigError if ``run_dir`` is not a run folder."""
    from ..config.schema import read_yaml, resolve

    path = os.path.join(run_dir, "config.yaml")
    if not os.path.isfile(path):
        raise ConfigError(f"{run_dir!r} is not a run folder (no config.yaml)")
    return resolve(read_yaml(path))


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
        raise ConfigError(f"{run_dir!r} has no parameters/{which}.npz (did the run finish?)")
    _, data, model, _ = build(config)
    try:
        arrays = files.read_arrays(params_path)
    except (ValueError, OSError, EOFError):
        raise ConfigError(f"{params_path} is not an .npz file of plain arrays") from None
    wrong = [k for k, v in model.state_dict().items() if k not in arrays or arrays[k].shape != v.shape]
    if wrong:
        raise ConfigError(f"{params_path} does not fit the model in {os.path.join(run_dir, 'config.yaml')}: "
                          f"missing or misshapen {', '.join(wrong)}")
    model.load_state_dict(arrays)
    return config, data, model
