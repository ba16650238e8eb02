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


def default_output(path, to):
    """Where an export goes without ``-o``: beside the run (or sweep) folder's own files, or for MLflow
    a ``mlruns`` folder beside the run (or sweep) folder, i.e. in its save_dir."""
    if to == "onnx":
        return os.path.join(path, "model.onnx") if is_run(path) else path
    if to == "tensorboard":
        return os.path.join(path, "tensorboard")
    return mlruns_uri(os.path.join(os.path.dirname(os.path.normpath(path)) or ".", "mlruns"))


def mlruns_uri(folder):
    """A local MLflow store in ``folder``: the database ``mlflow.db`` (MLflow's file store is retired)."""
    return "sqlite:///" + os.path.join(os.path.abspath(folder), "mlflow.db")


def run_output(output, path, run_dir, to):
    """The output of one run of a sweep: ``<output>/<run>.onnx`` or ``<output>/<run>`` (an MLflow URI is shared)."""
    if is_run(path) or to == "mlflow":
        return output
    name = os.path.relpath(run_dir, path)
    return os.path.join(output, name + ".onnx") if to == "onnx" else os.path.join(output, name)


def export(path, to, output=None, experiment=None):
    """Export the run folder ``path``, or every run in the sweep folder ``path``; return what was written
    (file or folder paths; for MLflow, the run ids under the tracking URI ``output``)."""
    module = target_module(to)
    runs = find_runs([path])
    output = output or default_output(path, to)
    if to != "mlflow":
        existing = [run_output(output, path, r, to) for r in runs if os.path.exists(run_output(output, path, r, to))]
        if existing:
            raise ConfigError(f"{existing[0]} already exists: nnrun never overwrites, give another -o", "-o")
    written = []
    for run_dir in runs:
        target = run_output(output, path, run_dir, to)
        if to == "onnx" or (to == "mlflow" and target.startswith("sqlite:///")):
            os.makedirs(os.path.dirname(target.removeprefix("sqlite:///")) or ".", exist_ok=True)
        extra = {"experiment": experiment or os.path.basename(os.path.normpath(path))} if to == "mlflow" else {}
        written.append(module.export(run_dir, target, **extra))
    return written
