"""Run-name templates: ``name: iris-lr{optimizer.lr}`` becomes ``iris-lr0.1`` for a run with lr 0.1.

Any dotted key of the resolved config can be named between braces, list items by index
(``{model.layers.0.n_out}``); a component given as a mapping stands for its name
(``{optimizer}`` -> ``sgd``). The expanded name must still be a valid run name.
"""
import re

from .errors import ConfigError
from .validation import closest

FIELD = re.compile(r"\{([^{}]*)\}")


def value_at(config, key):
    """The value at dotted ``key`` in ``config``; a ConfigError naming the first missing part otherwise."""
    node, parts = config, key.split(".")
    for depth, part in enumerate(parts):
        where = ".".join(parts[:depth]) or "the config"
        if isinstance(node, list):
            if not part.lstrip("-").isdigit() or not -len(node) <= int(part) < len(node):
                raise ConfigError(f"name template {{{key}}}: {where} is a list of {len(node)}, it has no item "
                                  f"{part!r}", "name")
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            keys = list(node) if isinstance(node, dict) else []
            allowed = f"; {where} has {', '.join(map(str, keys))}" if keys else f"; {where} is {node!r}"
            raise ConfigError(f"name template {{{key}}}: no key {part!r}{closest(part, keys)}{allowed}", "name")
    return node


def field_text(value):
    """How a value reads in a name: numbers and text as written, a component by its name."""
    if isinstance(value, dict) and "name" in value:
        return str(value["name"])
    if isinstance(value, (dict, list)):
        raise ConfigError(f"name template: {value!r} is a section, not a value: name one of its keys", "name")
    return str(value)


def expand_name(template, config):
    """``template`` with each ``{dotted.key}`` replaced by that key's value in ``config``."""
    return FIELD.sub(lambda match: field_text(value_at(config, match.group(1).strip())), template)
