"""The run config: its schema (every key, its default and what it allows), YAML loading with
``--set`` overrides, and validation into the resolved config that a run saves.
"""
import copy
import os
import re
import typing

import yaml

from . import yamlio
from ..data import split_data_config
from .errors import ConfigError, shown
from .templates import expand_name
from ..layers import LAYERS
from ..losses import LOSSES
from ..optimizers import OPTIMIZERS
from ..metrics import METRICS
from .validation import NonNegativeFloat, NonNegativeInt, PositiveInt, Section, Spec, check_arguments

Metric = typing.Literal[METRICS]
DEFAULT_LAYERS = [{"name": "fully_connected", "n_out": 16, "activation": "relu"},
                  {"name": "fully_connected", "activation": "softmax"}]


class DataSection:
    """The ``data`` mapping: a dataset's own keys plus the split/preprocess keys shared by all."""

    def __str__(self):
        return "a mapping with a dataset name and its keys"

    def check(self, value, key):
        try:
            settings, source = split_data_config(value)
        except ConfigError as error:
            raise error.within(key) from None
        return {**source, **settings}


def model_settings(layers: typing.List[Spec(LAYERS, mapping=True)] = DEFAULT_LAYERS,
                   loss: Spec(LOSSES) = "cross_entropy"):
    """``model``: the layers in order (the last one's n_out comes from the data) and the loss."""


def early_stopping_settings(metric: Metric = "val_loss", patience: PositiveInt = 20,
                            min_delta: NonNegativeFloat = 0.0):
    """``train.early_stopping``: stop when ``metric`` has not improved by ``min_delta`` for ``patience`` epochs."""


def train_settings(epochs: PositiveInt = 100,
                   early_stopping: Section(early_stopping_settings, optional=True) = None,
                   monitor: Metric = "val_loss"):
    """``train``: number of epochs, early stopping, and the metric that picks the best epoch."""


def log_settings(save_dir: str = "experiments", plot: bool = True, diagnostics: bool = True):
    """``log``: where run folders go, whether to draw the curves, and whether to measure every layer
    each epoch (diagnostics.csv, diagnostics.png and the warnings in summary.json)."""


def run_config(name: typing.Optional[str] = None, seed: NonNegativeInt = 0,
               dtype: typing.Literal["float32", "float64"] = "float32",
               data: DataSection() = {"name": "iris"},
               model: Section(model_settings) = {},
               optimizer: Spec(OPTIMIZERS) = {"name": "sgd", "lr": 0.05, "momentum": 0.9},
               train: Section(train_settings) = {},
               log: Section(log_settings) = {}):
    """The whole config file."""


NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.=+,-]*$")


def check_name(name):
    """A run name is one safe folder name: it can never place the run outside ``save_dir``."""
    if not isinstance(name, str) or not NAME.match(name) or name in (".", "..") or len(name) > 200:
        raise ConfigError(f"{shown(name)} is not a valid run name: use up to 200 letters, digits and "
                          "_ . = + , - (no slashes, not starting with '.' or '-')", "name")
    return name


def resolve(config, default_name="run"):
    """Validate a config mapping; return it with every default filled in."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ConfigError(f"the config must be a mapping of sections, not {type(config).__name__}")
    resolved = check_arguments(run_config, config, "the config")
    if isinstance(resolved["optimizer"], str):
        resolved["optimizer"] = OPTIMIZERS.resolve(resolved["optimizer"])
    resolved["name"] = check_name(expand_name(resolved["name"] or default_name, resolved))
    schedule = resolved["optimizer"] and resolved["optimizer"].get("lr_scheduler")
    if isinstance(schedule, dict) and "period" in schedule and schedule["period"] is None:
        schedule["period"] = resolved["train"]["epochs"]  # a cosine cycle over the whole run, saved as used
    return resolved


MAX_BYTES = 1 << 20  # 1 MiB: the shipped configs are about 1 kB; anything near this is not a config


def read_yaml(path):
    """Parse a YAML file with the safe loader only (a ``!!python/...`` tag is an error, never run).

    At most MAX_BYTES are read, and the loader bounds nesting and alias expansion (see ``yamlio``).
    """
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"config file {path!r} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{path!r} is a folder, not a config file") from None
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path} is over {MAX_BYTES >> 20} MiB, the limit for a config file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise ConfigError(f"{path} is not UTF-8 text: byte 0x{raw[error.start]:02x} on line {line} "
                          "(save it as UTF-8)") from None
    try:
        return yamlio.load(text)
    except (yaml.YAMLError, ValueError) as error:  # ValueError: an int of over 4300 digits
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{path} is not valid YAML{line}: {problem}") from None
    except RecursionError:  # nesting is bounded, so only a pathological scalar gets here
        raise ConfigError(f"{path} is not valid YAML: nested too deeply") from None


def parse_override(text):
    """``a.b.0.c=VALUE`` -> (["a", "b", "0", "c"], VALUE read as a YAML scalar)."""
    key, sep, value = text.partition("=")
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {text!r} is not KEY=VALUE (e.g. --set optimizer.lr=0.1)")
    try:
        parsed = yamlio.load(value) if value.strip() else None
    except (yaml.YAMLError, ValueError):  # ValueError: an int of over 4300 digits; kept as text
        parsed = value
    return key.split("."), parsed


def apply_override(config, text, defaults=None):
    """Set one dotted key (list items by index) in ``config``, in place.

    A level the config leaves out is copied from ``defaults`` (the resolved config), so that
    ``optimizer.lr=0.1`` refines the default optimizer instead of making a nameless one.
    """
    path, value = parse_override(text)
    node = config
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        where = ".".join(path[:depth + 1])
        if isinstance(node, list):
            if not part.lstrip("-").isdigit() or not -len(node) <= int(part) < len(node):
                raise ConfigError(f"no item {part} in a list of {len(node)}", where)
            part = int(part)
        elif not isinstance(node, dict):
            raise ConfigError(f"cannot set a key inside {shown(node)}", where)
        if last:
            node[part] = value
            return config
        child = node.get(part) if isinstance(node, dict) else node[part]
        defaults = defaults.get(part) if isinstance(defaults, dict) else (
            defaults[part] if isinstance(defaults, list) and isinstance(part, int) else None)
        if child is None:
            child = {} if defaults is None else copy.deepcopy(defaults)
        if isinstance(child, str):  # a component given by name gains keys: relu -> {name: relu}
            child = {"name": child}
        node[part] = child
        node = child
    return config


def load_config(path, overrides=()):
    """Read a YAML config file, apply ``--set`` overrides and resolve it."""
    config = read_yaml(path)
    if config is None:
        raise ConfigError(f"{path} is empty: write at least one section (e.g. data: {{name: iris}}), "
                          "or {} for every default")
    if not isinstance(config, dict):
        raise ConfigError(f"{path} must hold a mapping of sections (name, data, model, ...)")
    default_name = os.path.splitext(os.path.basename(path))[0]
    try:
        defaults = resolve(copy.deepcopy(config), default_name) if overrides else None
    except ConfigError:  # the file alone is invalid: an override may mend it, else resolve() below says why
        defaults = None
    for text in overrides:
        apply_override(config, text, defaults)
    return resolve(config, default_name)
