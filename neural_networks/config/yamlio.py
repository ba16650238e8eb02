"""YAML read and written the same way: safe tags only, and ``1e-3`` / ``1e6`` as floats both ways.

PyYAML follows YAML 1.1, which reads ``1e-3`` as a string; nnrun reads it as a float (YAML 1.2),
so the dumper must quote such strings, or a saved config would not read back the same.
"""
import re

import yaml

FLOAT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


class SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with exponent-only floats."""


class SafeDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting strings the loader would take for floats."""


for _cls in (SafeLoader, SafeDumper):
    _cls.add_implicit_resolver("tag:yaml.org,2002:float", FLOAT, list("-+0123456789."))


def load(stream):
    return yaml.load(stream, Loader=SafeLoader)


def dump(data):
    return yaml.dump(data, Dumper=SafeDumper, sort_keys=False, default_flow_style=None)
