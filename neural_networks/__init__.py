"""nnrun's library: neural networks in plain, vectorized NumPy, built from config through registries.

Submodules by kind: ``layers``, ``activations``, ``losses``, ``weights``, ``optimizers``,
``schedulers``, ``datasets``, ``models``; each has an ``initialize_*`` builder.
"""
from .errors import ConfigError, TrainingError

__version__ = "0.1.0"
__all__ = ["ConfigError", "TrainingError", "__version__"]
