"""Train the shipped configs over seeds 0-4 and compare with scikit-learn's MLP on the same data.

Usage: ``python benchmarks/accuracy.py [CONFIG.yaml ...] [--seeds 0-4] [--set KEY=VALUE ...]``
(default: every file in configs/ whose data is here: a config naming a missing data path is skipped).

Each nnrun run goes through the library as ``nnrun train`` does (``load_config`` + ``experiment.run``
into a temporary folder, plots off). scikit-learn's MLPClassifier/MLPRegressor (its defaults: Adam,
L2 alpha 1e-4) gets the very same splits and preprocessing (``build(config)``'s data),
with the config's fully connected hidden sizes and activation. The metric is test accuracy for
classifiers and test MSE for regression; the target is the README's, looked up by the data's name.
BLAS runs on one thread unless OPENBLAS_NUM_THREADS/OMP_NUM_THREADS say otherwise: these nets are
small, and on a shared machine extra BLAS threads only slow them down.
Exit status 1 if a config misses its target.
"""
import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import glob  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from neural_networks.config.schema import load_config  # noqa: E402
from neural_networks.workflow.build import build  # noqa: E402
from neural_networks.workflow.experiment import run  # noqa: E402

# The README's targets by data name: mean test accuracy (at least) or test MSE (at most) over seeds 0-4.
TARGETS = {"iris": 0.95, "wine": 0.98, "breast_cancer": 0.975, "digits": 0.975, "sinewave": 1e-4}
SKLEARN_ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic", "linear": "identity"}


def seed_range(text):
    """``0-4`` or ``0,2,5`` -> a list of seeds."""
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(s) for s in text.split(",")]


def nnrun_score(path, overrides, seed, save_dir):
    """(test metric, seconds, task) of one run through the library path."""
    config = load_config(path, [*overrides, f"seed={seed}", f"log.save_dir={save_dir}", "log.plot=false"])
    started = time.perf_counter()
    _, summary = run(config)
    test = summary["test"]
    return test.get("accuracy", test.get("mse")), time.perf_counter() - started, summary["task"]


def hidden_layers(config):
    """Hidden sizes and activation of the config's fully connected layers, for scikit-learn's MLP."""
    dense = [layer for layer in config["model"]["layers"] if layer["name"] == "fully_connected"][:-1]
    names = {layer["activation"]["name"] if isinstance(layer["activation"], dict)
             else layer["activation"] or "linear" for layer in dense}
    activation = SKLEARN_ACTIVATIONS.get(names.pop(), "relu") if len(names) == 1 else "relu"
    return tuple(layer["n_out"] for layer in dense) or (100,), activation


def sklearn_score(path, overrides, seed):
    """Test metric of scikit-learn's MLP trained on the same split and preprocessing as nnrun's run."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    config = load_config(path, [*overrides, f"seed={seed}"])
    _, data, _, _ = build(config)
    sizes, activation = hidden_layers(config)
    X, X_test = (split.X.reshape(len(split), -1) for split in (data.train, data.test))
    classify = data.task == "classification"
    if classify:
        model = MLPClassifier(hidden_layer_sizes=sizes, activation=activation, max_iter=1000, random_state=seed)
        y, y_test = data.train.Y.argmax(axis=1), data.test.Y.argmax(axis=1)
    else:
        model = MLPRegressor(hidden_layer_sizes=sizes, activation=activation, max_iter=2000, tol=1e-6,
                             random_state=seed)
        y, y_test = data.train.Y.ravel(), data.test.Y.ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        predicted = model.fit(X, y).predict(X_test)
    return float(np.mean(predicted == y_test) if classify else np.mean((predicted - y_test) ** 2))


def data_missing(path):
    """True for a config whose data path (e.g. an MNIST folder) is not on this machine."""
    data_path = load_config(path)["data"].get("path")
    return data_path is not None and not os.path.exists(data_path)


def row(path, args, save_dir):
    """One table line (and the per-seed line); returns (text, passed or None)."""
    config = load_config(path, args.overrides)
    scores, seconds, tasks = zip(*(nnrun_score(path, args.overrides, s, save_dir) for s in args.seeds))
    regression = tasks[0] == "regression"
    show = (lambda v: f"{v:.3g}") if regression else (lambda v: f"{v:.4f}")
    mean, std = float(np.mean(scores)), float(np.std(scores))
    baseline = "-" if args.no_sklearn else show(np.mean([sklearn_score(path, args.overrides, s)
                                                         for s in args.seeds]))
    target = TARGETS.get(config["data"]["name"])
    passed = None if target is None else bool(mean <= target if regression else mean >= target)
    text = (f"{os.path.splitext(os.path.basename(path))[0]:16s} {'test mse' if regression else 'test acc':8s} "
            f"{show(mean) + ' ± ' + show(std):>20s} {baseline:>9s} {'-' if target is None else show(target):>8s} "
            f"{ {None: '-', True: 'pass', False: 'FAIL'}[passed]:>5s} {np.mean(seconds):6.2f}\n"
            f"{'':16s} per seed: {', '.join(show(s) for s in scores)}")
    return text, passed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", help="config files (default: configs/*.yaml)")
    parser.add_argument("--seeds", type=seed_range, default=list(range(5)), help="e.g. 0-4 (default) or 0,3")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a key in every config (repeatable)")
    parser.add_argument("--no-sklearn", action="store_true", help="skip the scikit-learn baseline")
    args = parser.parse_args(argv)
    paths = args.configs or [p for p in sorted(glob.glob(os.path.join(ROOT, "configs", "*.yaml")))
                             if not data_missing(p)]
    header = (f"{'config':16s} {'metric':8s} {'nnrun mean ± std':>20s} {'sklearn':>9s} {'target':>8s} "
              f"{'met':>5s} {'s/run':>6s}")
    print(f"{header}\n{'-' * len(header)}", flush=True)
    failed = False
    with tempfile.TemporaryDirectory() as save_dir:
        for path in paths:
            text, passed = row(path, args, save_dir)
            print(text, flush=True)
            failed |= passed is False
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
