"""The callbacks that write a run folder while it trains: ``metrics.csv`` and the checkpoint."""
import os
import signal
import time

from . import checkpoint, files
from ..callbacks import Callback
from ..metrics import COLUMNS


def metrics_csv(history):
    """metrics.csv's text: a row per epoch (NaN left empty, as pandas writes it). Plain string
    formatting, not pandas, since the file is rewritten after every epoch."""
    def cell(value):
        return "" if value != value else repr(value)

    return "".join(",".join(row) + "\n" for row in
                   [COLUMNS] + [[cell(epoch[k]) for k in COLUMNS] for epoch in history])


class MetricsWriter(Callback):
    """Writes ``metrics.csv`` from the trainer's whole history at the start (a resumed run rebuilds it
    from its checkpoint, whatever a kill left) and after every epoch."""

    def __init__(self, path):
        self.path = path

    def on_train_begin(self, trainer):
        files.write_text(self.path, metrics_csv(trainer.history))

    def on_epoch_end(self, trainer, row):
        self.on_train_begin(trainer)


KILL_AFTER_CHECKPOINT = "NNRUN_TEST_KILL_AFTER_CHECKPOINT"  # tests only: an epoch number


class Checkpointer(Callback):
    """Saves the trainer's whole state to the run folder's checkpoint after every epoch, with the
    seconds spent training so far (``elapsed``: seconds before this process started) and the resolved
    ``config`` and its hash (resume refuses a config edited since).

    For the tests of a crash, the environment variable NNRUN_TEST_KILL_AFTER_CHECKPOINT=N makes the
    process SIGKILL itself right after epoch N's checkpoint, before anything else is written.
    """

    def __init__(self, run_dir, config, elapsed=0.0):
        self.run_dir, self.config, self.started = run_dir, config, time.perf_counter() - elapsed
        self.hash = checkpoint.config_hash(config)

    def seconds(self):
        return time.perf_counter() - self.started

    def on_epoch_end(self, trainer, row):
        checkpoint.save(self.run_dir, trainer.state_dict(), seconds=self.seconds(), config=self.config,
                        config_hash=self.hash)
        if os.environ.get(KILL_AFTER_CHECKPOINT) == str(row["epoch"]):
            os.kill(os.getpid(), signal.SIGKILL)
