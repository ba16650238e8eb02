"""``nnrun check`` and ``nnrun gradcheck``: the sanity checklist run before a long training.

Nothing here writes a run folder: every check builds its own objects from the resolved config.
"""
import copy

from .build import build
from ..gradcheck import check_network


def float64(config):
    """The config in float64, as finite differences need."""
    return {**copy.deepcopy(config), "dtype": "float64"}


def network_gradients(config, samples=4, most=None):
    """:func:`~neural_networks.gradcheck.check_network` rows of the config's float64 model on the
    first ``samples`` training samples of its own data, up to ``most`` elements per gradient."""
    _, data, model, _ = build(float64(config))
    return check_network(model, data.train.X[:samples].copy(), data.train.Y[:samples], most=most)
