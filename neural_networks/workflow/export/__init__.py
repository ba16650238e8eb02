"""``nnrun export``: a run (or every run of a sweep) as an ONNX model, TensorBoard events or MLflow runs.

Each target is a module here with ``export(run_dir, output, ...)``; its library is an optional extra
(``pip install 'nnrun[onnx]'``, ``[tensorboard]``, ``[mlflow]``) imported only when exporting.
"""
import importlib
import os

from ...config.errors import ConfigError
from ..results import find_runs, is_run

# target -> (module, the extra that installs its library, the library's import name)
TARGETS = {"onnx": ("onnx", "onnx", "onnx"), "tensorboard": ("tensorboard", "tensorboard", "tensorboardX"),
           "mlflow": ("mlflow", "mlflow", "mlflow")}


def target_module(to):
    """The exporter module of ``to``; ConfigError naming the extra to install when its library is missing."""
    if to not in TARGETS:
        from ...config.validation import closest

        raise ConfigError(f"unknown export target {to!r}{closest(to, TARGETS)}; valid: {', '.join(TARGETS)}", "--to")
    module, extra, library = TARGETS[to]
    try:
        importlib.import_module(library)
    except ImportError:
        raise ConfigError(f"--to {to} needs {library}: pip install 'nnrun[{extra}]'") from None
    return importlib.import_module(f".{module}", __name__)


def mlruns_uri(folder):
    """A local MLflow store in ``folder``: the database ``mlflow.db`` (MLflow's file store is retired)."""
    return "sqlite:///" + os.path.join(os.path.abspath(folder), "mlflow.db")


def run_output(output, path, run_dir, to):
    """Where ``run_dir`` (``path`` itself, or a run of the sweep ``path``) goes.

    onnx: ``-o`` (a sweep: ``<-o>/<run>.onnx``), by default the run's own ``model.onnx``;
    tensorboard: ``-o`` (a sweep: ``<-o>/<run>``), by default ``tensorboard`` in the run or sweep folder;
    mlflow: the tracking URI, by default a ``mlruns`` folder beside the run or sweep folder (its save_dir).
    """
    name = os.path.relpath(run_dir, path)
    if to == "mlflow":
        return output or mlruns_uri(os.path.join(os.path.dirname(os.path.normpath(path)) or ".", "mlruns"))
    if to == "onnx":
        if output is None:
            return os.path.join(run_dir, "model.onnx")
        return output if is_run(path) else os.path.join(output, name + ".onnx")
    folder = output or os.path.join(path, "tensorboard")
    return folder if is_run(path) else os.path.join(folder, name)


def export(path, to, output=None, experiment=None):
    """Export the run folder ``path``, or every run in the sweep folder ``path``; return what was written
    (file or folder paths; for MLflow, the run ids under the tracking URI ``output``, in the MLflow
    ``experiment``: by default the sweep's name, or ``nnrun`` for single runs)."""
    module = target_module(to)
    targets = {run_dir: run_output(output, path, run_dir, to) for run_dir in find_runs([path])}
    existing = [target for target in targets.values() if to != "mlflow" and os.path.exists(target)]
    if existing:
        raise ConfigError(f"{existing[0]} already exists: nnrun never overwrites, give another -o", "-o")
    default = "nnrun" if is_run(path) else os.path.basename(os.path.normpath(path))  # a sweep is its own experiment
    extra = {"experiment": experiment or default} if to == "mlflow" else {}
    written = []
    for run_dir, target in targets.items():
        if to == "onnx" or target.startswith("sqlite:///"):  # a local database's folder, too
            os.makedirs(os.path.dirname(target.removeprefix("sqlite:///")) or ".", exist_ok=True)
        written.append(module.export(run_dir, target, **extra))
    return written
