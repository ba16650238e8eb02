"""The callbacks that write a run folder while it trains: ``metrics.csv`` and the checkpoint."""
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


class Checkpointer(Callback):
    """Saves the trainer's whole state to the run folder's checkpoint after every epoch, with the
    seconds spent training so far (``elapsed``: seconds before this process started)."""

    def __init__(self, run_dir, elapsed=0.0):
        self.run_dir, self.started = run_dir, time.perf_counter() - elapsed

    def seconds(self):
        return time.perf_counter() - self.started

    def on_epoch_end(self, trainer, row):
        checkpoint.save(self.run_dir, trainer.state_dict(), seconds=self.seconds())
