"""The callbacks that write a run folder while it trains: ``metrics.csv``, ``diagnostics.csv`` and the checkpoint."""
import os
import signal
import time

from . import checkpoint, files
from ..callbacks import Callback
from ..diagnostics import COLUMNS as DIAGNOSTICS, Diagnostics
from ..metrics import COLUMNS


def csv_text(columns, rows):
    """A CSV file's text: the ``columns`` of each row dict (NaN and None left empty, as pandas writes
    them). Plain string formatting, not pandas, since the files are rewritten after every epoch."""
    def cell(value):
        return "" if value is None or value != value else str(value) if isinstance(value, str) else repr(value)

    return "".join(",".join(row) + "\n" for row in [columns] + [[cell(row[k]) for k in columns] for row in rows])


def metrics_csv(history):
    """metrics.csv's text: a row per epoch."""
    return csv_text(COLUMNS, history)


class MetricsWriter(Callback):
    """Writes ``metrics.csv`` from the trainer's whole history at the start (a resumed run rebuilds it
    from its checkpoint, whatever a kill left) and after every epoch."""

    def __init__(self, path):
        self.path = path

    def on_train_begin(self, trainer):
        files.write_text(self.path, metrics_csv(trainer.history))

    def on_epoch_end(self, trainer, row):
        self.on_train_begin(trainer)


class DiagnosticsWriter(MetricsWriter):
    """Writes ``diagnostics.csv`` from the :class:`~neural_networks.diagnostics.Diagnostics` rows, as
    :class:`MetricsWriter` does ``metrics.csv``: a resumed run rewrites it from its checkpoint."""

    def on_train_begin(self, trainer):
        files.write_text(self.path, csv_text(DIAGNOSTICS, trainer.callback(Diagnostics).rows))


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
