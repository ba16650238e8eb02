"""nnrun's library: neural networks in plain, vectorized NumPy, built from config through registries.

Three layers, each in its own place:

- **The numeric engine** (top level, the course's module names): ``activations``, ``layers/``,
  ``losses``, ``weights``, ``optimizers``, ``schedulers``, ``models``, ``datasets`` (each with an
  ``initialize_*`` builder), plus ``data`` (splits, preprocessing, batches), ``trainer`` (the loop),
  ``callbacks`` (what happens around the loop), ``metrics`` and ``gradcheck``.
- **Config infrastructure** (``config/``): errors, validation, the one registry mechanism, the
  config schema and safe YAML.
- **The run-folder workflow** (``workflow/``): building a run from a config, training it into a run
  folder, checkpoints, results, sweeps, comparisons, reports, plots, predictions.

The engine never imports the workflow; the workflow composes the engine.
"""
from .config.errors import ConfigError, TrainingError

__version__ = "0.2.0"
__all__ = ["ConfigError", "TrainingError", "__version__"]
