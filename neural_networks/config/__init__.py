"""Config infrastructure: how YAML becomes validated, resolved settings and components.

- ``errors``: ``ConfigError`` (bad input, exit 2) and ``TrainingError`` (a failure while running, exit 1).
- ``validation``: constraints declared in constructor annotations (``Interval``, ``Spec``, ``Section``).
- ``registry``: the one ``Registry`` class every kind of component is registered in.
- ``schema``: the run config's sections, defaults, ``--set`` overrides and ``resolve``.
- ``yamlio``: safe YAML reading and writing.

Nothing here imports the engine at package import time, so engine modules can import from here freely.
"""
