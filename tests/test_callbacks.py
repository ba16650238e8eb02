"""The training loop's callbacks and the contracts around them: hook order, resume state, the
monitored metric without a validation split, configs saved as used, get_config on any path."""
from types import SimpleNamespace

import numpy as np
import pytest

from neural_networks.callbacks import BestState, Callback, EarlyStopping, LRSchedule, standard_callbacks
from neural_networks.config.errors import ConfigError
from neural_networks.config.schema import resolve
from neural_networks.data import Data, Split
from neural_networks.layers.dense import FullyConnected
from neural_networks.models import initialize_model
from neural_networks.optimizers import initialize_optimizer
from neural_networks.trainer import Trainer


def tiny_data(n=24, val=0):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n + val, 3))
    Y = np.eye(2)[(X[:, 0] > 0).astype(int)]
    train, held = Split(X[:n], Y[:n], np.arange(n)), Split(X[n:], Y[n:], np.arange(n, n + val))
    return Data(train, held, Split(X[:0], Y[:0], np.arange(0)), "classification", [0, 1], None, None, (3,))


def tiny_trainer(callbacks, epochs=3, val=0, **optimizer):
    model = initialize_model(layers=[{"name": "fully_connected", "n_out": 4, "activation": "relu"},
                                     {"name": "fully_connected", "activation": "softmax"}],
                             n_outputs=2, rng=np.random.default_rng(1))
    model.build((3,), np.float64)
    return Trainer(model, initialize_optimizer(**{"name": "sgd", "lr": 0.1, **optimizer}), tiny_data(val=val),
                   np.random.default_rng(2), batch_size=8, epochs=epochs, callbacks=callbacks)


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, trainer):
        self.calls.append("train_begin")

    def on_epoch_begin(self, trainer, epoch):
        self.calls.append(f"epoch_begin {epoch}")

    def on_batch_end(self, trainer, batch):
        self.calls.append(f"batch {batch['index']}/{batch['batches']} {batch['size']}")

    def on_epoch_end(self, trainer, row):
        self.calls.append(f"epoch_end {row['epoch']}")

    def on_train_end(self, trainer):
        self.calls.append("train_end")


def test_hooks_are_called_in_order_with_the_batches_of_each_epoch():
    recorder = Recorder()
    tiny_trainer([recorder], epochs=2).fit()
    epoch = ["batch 0/3 8", "batch 1/3 8", "batch 2/3 8"]
    assert recorder.calls == ["train_begin", "epoch_begin 1", *epoch, "epoch_end 1",
                              "epoch_begin 2", *epoch, "epoch_end 2", "train_end"]


def test_a_callback_can_stop_training():
    class StopAfterTwo(Callback):
        def on_epoch_end(self, trainer, row):
            trainer.stop_training = row["epoch"] == 2

    assert len(tiny_trainer([StopAfterTwo()], epochs=10).fit()) == 2


def test_reduce_on_plateau_follows_the_training_loss_without_a_validation_split():
    """With validation_split 0 every val_loss is NaN: the schedule must see train_loss instead."""
    optimizer = initialize_optimizer("sgd", lr=1.0, lr_scheduler={"name": "reduce_on_plateau", "patience": 0,
                                                                  "factor": 0.5})
    trainer = SimpleNamespace(optimizer=optimizer, data=tiny_data(val=0), history=[], epochs=5)
    schedule = LRSchedule("val_loss")
    for epoch, train_loss in enumerate([1.0, 2.0, 3.0], start=1):  # worse and worse
        schedule.on_epoch_begin(trainer, epoch)
        trainer.history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": float("nan")})
    schedule.on_epoch_begin(trainer, 4)
    assert optimizer.lr == 0.25  # halved after epochs 2 and 3


def test_best_state_and_early_stopping_resume_exactly():
    """A run stopped after 3 epochs and continued from its state_dict equals one trained straight."""
    straight = tiny_trainer(standard_callbacks("val_loss", {"patience": 50}), epochs=6, val=8)
    straight.fit()
    first = tiny_trainer(standard_callbacks("val_loss", {"patience": 50}), epochs=3, val=8)
    first.fit()
    state = first.state_dict()
    second = tiny_trainer(standard_callbacks("val_loss", {"patience": 50}), epochs=6, val=8)
    second.load_state_dict(state)
    second.fit()
    assert [row["train_loss"] for row in second.history] == [row["train_loss"] for row in straight.history]
    assert second.callback(BestState).epoch == straight.callback(BestState).epoch
    assert second.callback(EarlyStopping).best_value == straight.callback(EarlyStopping).best_value
    for a, b in zip(second.model.state_dict().values(), straight.model.state_dict().values()):
        np.testing.assert_array_equal(a, b)


def test_the_saved_config_holds_the_cosine_period_used():
    config = resolve({"optimizer": {"name": "sgd", "lr_scheduler": "cosine"}, "train": {"epochs": 7}})
    assert config["optimizer"]["lr_scheduler"]["period"] == 7


def test_get_config_of_a_layer_built_directly_rebuilds_it():
    layer = FullyConnected(3, activation="relu")
    assert layer.get_config() == {"name": "fully_connected", "n_out": 3, "activation": "relu",
                                  "weight_init": "xavier_uniform"}


def test_initialize_model_goes_through_the_registry():
    with pytest.raises(ConfigError, match="did you mean 'feed_forward'"):
        initialize_model("feed_forwrd")
    assert initialize_model("neural_network", layers=["relu"]).layers[0].name == "relu"


def test_a_library_user_passes_callbacks_to_a_run(tmp_path):
    from neural_networks.workflow.experiment import run

    recorder = Recorder()
    config = resolve({"data": {"name": "sinewave", "n_samples": 40}, "model": {"loss": "mse"},
                      "train": {"epochs": 2}, "log": {"save_dir": str(tmp_path), "plot": False}})
    run(config, callbacks=[recorder])
    assert recorder.calls[0] == "train_begin" and recorder.calls[-1] == "train_end"
    assert recorder.calls.count("epoch_end 2") == 1
