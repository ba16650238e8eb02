"""From a resolved config to the objects a run trains: data, model and optimizer, all from one seed."""
import typing

import numpy as np

from ..config.errors import ConfigError
from ..data import load_data
from ..layers import ShapeError
from ..models import NeuralNetwork
from ..optimizers import initialize_optimizer


class Built(typing.NamedTuple):
    """What :func:`build` makes: the run's generator (every later draw comes from it), its data split
    and preprocessed, the built model and the optimizer."""
    rng: np.random.Generator
    data: typing.Any
    model: NeuralNetwork
    optimizer: typing.Any


def build(config):
    """The :class:`Built` objects of a resolved config; the same config gives the same objects."""
    dtype = np.dtype(config["dtype"])
    rng = np.random.default_rng(config["seed"])
    try:
        data = load_data(config["data"], rng, dtype)
    except ConfigError as error:  # a missing file, a bad shape: name the key as the config spells it
        raise error.within("data") from None
    model = NeuralNetwork.from_config(config["model"], data.n_outputs, rng)
    if not model.layers:
        raise ConfigError("the model needs at least one layer", "model.layers")
    wanted = model.loss.fuses_with  # the losses of probabilities name the output activation they expect
    if wanted and model.layers[-1].activation.name != wanted:
        raise ConfigError(f"{model.loss.name} needs probabilities: end the model with activation {wanted}",
                          "model.loss")
    if model.loss.name == "cross_entropy" and data.task != "classification":
        raise ConfigError(f"cross_entropy is for classification; data {config['data']['name']!r} is "
                          "regression: use loss mse", "model.loss")
    try:
        output_shape = model.build(data.input_shape, dtype)
    except ShapeError as error:
        raise ConfigError(f"the layers do not fit inputs of shape {list(data.input_shape)}: {error}",
                          "model.layers") from None
    if tuple(output_shape) != data.train.Y.shape[1:]:
        raise ConfigError(f"the model outputs shape {list(output_shape)} but the targets have "
                          f"{list(data.train.Y.shape[1:])}", "model.layers")
    return Built(rng, data, model, initialize_optimizer(config["optimizer"]))
