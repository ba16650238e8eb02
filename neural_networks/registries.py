"""Every registry by kind, for ``nnrun components``, the README reference and registry-driven tests."""
from .activations import ACTIVATIONS
from .datasets import DATASETS
from .layers import LAYERS
from .losses import LOSSES
from .optimizers import OPTIMIZERS
from .schedulers import SCHEDULERS
from .weights import WEIGHTS

REGISTRIES = {"layers": LAYERS, "activations": ACTIVATIONS, "losses": LOSSES,
              "weight initializers": WEIGHTS, "optimizers": OPTIMIZERS, "lr schedulers": SCHEDULERS,
              "datasets": DATASETS}
