"""Layers, registered by name; every activation is a layer too (``{name: relu}``).

Importing this package imports every module below, which registers its layers.
"""
from . import conv, dense, dropout, norm, pool, recurrent, shape  # noqa: F401  (registration)
from .base import LAYERS, ActivationLayer, Layer, ShapeError, register_activation_layers

register_activation_layers()


def initialize_layer(name=None, **kwargs):
    """Build a layer from its name (or a ``{name: ..., ...}`` mapping) and keyword arguments."""
    return LAYERS.build(name, **kwargs)


__all__ = ["LAYERS", "Layer", "ActivationLayer", "ShapeError", "initialize_layer"]
