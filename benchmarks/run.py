"""nnrun's speed, start-up time and memory against a hand-written NumPy loop, PyTorch CPU and
scikit-learn: ``python benchmarks/run.py`` runs every benchmark and prints medians and ratios.

mlp      784-256-128-10 ReLU, softmax + cross-entropy, SGD momentum 0.9, batch 128, one epoch of 60,000
         MNIST-shaped samples: seconds per epoch (nnrun <= 1.0x the hand loop, <= 0.8x PyTorch).
tiny     4-16-3 on 16-sample batches: steps per second (nnrun >= 0.6x the hand loop, >= 5x PyTorch).
startup  ``nnrun --help`` (<= 0.3 s) and ``nnrun train configs/iris.yaml --quiet`` (<= 3 s), whole processes.
memory   peak RSS of ``nnrun train`` running the mlp epoch on an .npz file (<= 2x the data's bytes + 200 MB).
gflops   the mlp run's arithmetic rate (3x the forward pass's multiply-adds) over measured float32 GEMM peak.
diagnostics  the mlp epoch with and without the per-layer diagnostics callback (<= 1.05x).

Contestants run in one process, interleaved round by round in a shuffled order, and the medians are
compared, so that a busy machine slows them all alike. nnrun runs its own path: the config resolved
as the CLI resolves it, ``NeuralNetwork.from_config``, ``initialize_optimizer`` and ``Trainer.fit``.
"""
import argparse
import gc
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, HERE]

import others  # noqa: E402
import reference  # noqa: E402

MLP, TINY = [784, 256, 128, 10], [4, 16, 3]
MB = 2 ** 20


def synthetic(n, sizes, seed=0):
    """(X float32, one-hot Y float32): Gaussian classes around random centres, learnable but noisy."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, sizes[-1], n)
    centres = rng.standard_normal((sizes[-1], sizes[0]), dtype=np.float32)
    X = rng.standard_normal((n, sizes[0]), dtype=np.float32)
    for k, centre in enumerate(centres):  # class by class: no temporary as large as X
        X[labels == k] += centre
    return X, np.eye(sizes[-1], dtype=np.float32)[labels]


def mlp_config(sizes, batch_size, lr, data=None, **sections):
    """The run config of a ReLU network with hidden ``sizes[1:-1]``, trained by SGD with momentum 0.9."""
    hidden = [{"name": "fully_connected", "n_out": n, "activation": "relu", "weight_init": "he_uniform"}
              for n in sizes[1:-1]]
    return {"seed": 0, "dtype": "float32", "data": {"name": "iris", **(data or {}), "batch_size": batch_size},
            "model": {"loss": "cross_entropy",
                      "layers": hidden + [{"name": "fully_connected", "activation": "softmax"}]},
            "optimizer": {"name": "sgd", "lr": lr, "momentum": 0.9}, "train": {"epochs": 1}, **sections}


def nnrun_trainer(sizes, X, Y, batch_size, lr, diagnostics=False):
    """A function that trains one epoch per call through nnrun's own config, model, optimizer and Trainer
    (with the per-layer :class:`~neural_networks.diagnostics.Diagnostics` too if ``diagnostics``)."""
    from neural_networks.callbacks import standard_callbacks
    from neural_networks.config.schema import resolve
    from neural_networks.diagnostics import Diagnostics
    from neural_networks.data import Data, Split
    from neural_networks.models import NeuralNetwork
    from neural_networks.optimizers import initialize_optimizer
    from neural_networks.trainer import Trainer

    config = resolve(mlp_config(sizes, batch_size, lr))
    rng = np.random.default_rng(config["seed"])
    model = NeuralNetwork.from_config(config["model"], Y.shape[1], rng)
    model.build(X.shape[1:], np.dtype(config["dtype"]))
    optimizer = initialize_optimizer(config["optimizer"])
    empty = Split(X[:0], Y[:0], np.arange(0))
    data = Data(Split(X, Y, np.arange(len(X))), empty, empty, "classification", list(range(Y.shape[1])),
                None, None, X.shape[1:])

    def epoch():
        trainer = Trainer(model, optimizer, data, rng, batch_size=config["data"]["batch_size"],
                          epochs=config["train"]["epochs"],
                          callbacks=standard_callbacks() + ([Diagnostics()] if diagnostics else []))
        row = trainer.fit()[-1]
        return row["train_loss"], row["train_error"]

    return epoch


def hand_trainer(sizes, X, Y, batch_size, lr):
    """A function that trains one epoch of the hand-written NumPy loop per call."""
    rng = np.random.default_rng(0)
    params = reference.init_mlp(sizes, rng)
    velocity = [[np.zeros_like(W), np.zeros_like(b)] for W, b in params]
    return lambda: reference.train_epoch(params, velocity, X, Y, batch_size, lr, np.float32(0.9), rng)


CONTESTANTS = {"nnrun": nnrun_trainer, "hand NumPy": hand_trainer,
               "PyTorch": others.torch_trainer, "scikit-learn": others.sklearn_trainer}


def race(sizes, X, Y, batch_size, lr, repeats, clock, contestants=CONTESTANTS):
    """Seconds per epoch of every installed contestant, as (median, best), timed round by round in a
    shuffled order (so that none always follows the same one), each after a garbage collection."""
    epochs = {name: make(sizes, X, Y, batch_size, lr) for name, make in contestants.items()}
    epochs = {name: epoch for name, epoch in epochs.items() if epoch is not None}
    for epoch in epochs.values():  # warm-up: first-call set-up, caches, thread pools
        epoch()
    times = {name: [] for name in epochs}
    names, shuffle = list(epochs), random.Random(0).shuffle
    for _ in range(repeats):
        shuffle(names)
        for name in names:
            gc.collect()
            started = clock()
            epochs[name]()
            times[name].append(clock() - started)
    return {name: (statistics.median(t), min(t)) for name, t in times.items()}


def model_flops(sizes, n):
    """Multiply-adds x 2 of the forward pass, x 3 for forward + backward (the usual training count)."""
    return 3 * 2 * n * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def gemm_peak(clock, size=2048, repeats=5):
    """The best float32 GEMM rate (FLOP/s) of this machine's BLAS on size x size matrices."""
    A = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    A @ A
    best = min(_timed(lambda: A @ A, clock) for _ in range(repeats))
    return 2 * size ** 3 / best


def _timed(f, clock):
    started = clock()
    f()
    return clock() - started


def wall_time(command, repeats):
    """Median wall-clock seconds of a whole process, run from the repository root."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_rss():
    """This process's peak resident memory in bytes (Linux's VmHWM, which unlike ru_maxrss starts
    afresh at exec instead of inheriting the parent's peak)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cli_memory(n):
    """(peak RSS, data bytes) of ``nnrun train`` running one mlp epoch on an MNIST-shaped .npz file."""
    import yaml

    with tempfile.TemporaryDirectory() as folder:
        X, Y = synthetic(n, MLP)
        data_bytes = X.nbytes + Y.nbytes
        np.savez(os.path.join(folder, "mlp.npz"), X=X, y=Y.argmax(axis=1))
        del X, Y
        config = mlp_config(MLP, 128, 0.01, {"name": "npz", "path": os.path.join(folder, "mlp.npz"),
                                             "validation_split": 0.0, "test_split": 0.0},
                            name="mlp", log={"save_dir": folder, "plot": False})
        with open(os.path.join(folder, "mlp.yaml"), "w") as f:
            yaml.safe_dump(config, f)
        out = subprocess.run([sys.executable, __file__, "--memory-child", os.path.join(folder, "mlp.yaml")],
                             check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1]), data_bytes


def memory_child(config):
    """Run ``nnrun train CONFIG --quiet`` in this process, then print its peak RSS (``--memory-child``)."""
    from cli import main

    try:
        main(["train", config, "--quiet"], standalone_mode=False)
    finally:
        print(peak_rss())


def check(rows, what, value, target, ok, unit=""):
    rows.append((what, f"{value:.3g}{unit}", target, "yes" if ok else "NO"))


def compare(rows, what, ours, theirs, target, ok):
    """A check on the ratio of medians, showing the ratio of the best rounds beside it."""
    ratio = ours[0] / theirs[0]
    measured = f"{ratio:.3g} (best rounds {ours[1] / theirs[1]:.3g})"
    rows.append((what, measured, target, "yes" if ok(ratio) else "NO"))


def bench_mlp(samples, repeats, clock, medians, rows):
    """The mlp race and its checks; returns nnrun's median seconds per epoch."""
    X, Y = synthetic(samples, MLP)
    mlp = race(MLP, X, Y, 128, 0.01, repeats, clock)
    medians.append(("mlp", "s/epoch", {name: median for name, (median, _) in mlp.items()}))
    for name, limit in (("hand NumPy", 1.0), ("PyTorch", 0.8), ("scikit-learn", None)):
        if name in mlp:
            compare(rows, f"mlp: nnrun / {name} time", mlp["nnrun"], mlp[name],
                    f"<= {limit}" if limit else "(info)", lambda ratio: limit is None or ratio <= limit)
    return mlp["nnrun"][0]


def bench_diagnostics(samples, repeats, clock, rows):
    """The mlp epoch with the per-layer diagnostics against the same epoch without them."""
    X, Y = synthetic(samples, MLP)
    contestants = {"plain": nnrun_trainer,
                   "diagnostics": lambda *args: nnrun_trainer(*args, diagnostics=True)}
    times = race(MLP, X, Y, 128, 0.01, repeats, clock, contestants)
    compare(rows, "diagnostics: mlp epoch with / without", times["diagnostics"], times["plain"], "<= 1.05",
            lambda ratio: ratio <= 1.05)


def bench_tiny(repeats, clock, medians, rows):
    """The tiny race (2,000 steps an epoch) in steps per second, and its checks."""
    X, Y = synthetic(32000, TINY)
    speed = {name: (len(X) / 16 / median, len(X) / 16 / best)
             for name, (median, best) in race(TINY, X, Y, 16, 0.05, repeats, clock).items()}
    medians.append(("tiny", "steps/s", {name: median for name, (median, _) in speed.items()}))
    check(rows, "tiny: nnrun steps/s", speed["nnrun"][0], ">= 10000", speed["nnrun"][0] >= 10000)
    for name, limit in (("hand NumPy", 0.6), ("PyTorch", 5)):
        if name in speed:
            compare(rows, f"tiny: nnrun / {name} speed", speed["nnrun"], speed[name], f">= {limit}",
                    lambda ratio: ratio >= limit)


def bench_startup(repeats, rows):
    """Wall time of ``nnrun --help`` and of the iris run, as whole processes."""
    help_s = wall_time([sys.executable, "-m", "cli", "--help"], 2 * repeats)
    check(rows, "startup: nnrun --help", help_s, "<= 0.3 s", help_s <= 0.3, " s")
    with tempfile.TemporaryDirectory() as runs:
        command = [sys.executable, "-m", "cli", "train", "configs/iris.yaml", "--quiet", "--save-dir", runs]
        iris_s = wall_time(command, max(3, repeats // 2))
    check(rows, "startup: nnrun train iris --quiet", iris_s, "<= 3 s", iris_s <= 3, " s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="mlp,tiny,startup,memory,gflops,diagnostics",
                        help="comma-separated benchmarks")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds per contestant (default 5)")
    parser.add_argument("--samples", type=int, default=60000, help="mlp samples per epoch (default 60000)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall clock, or process CPU time (steadier on a busy machine, with --threads 1)")
    parser.add_argument("--threads", type=int, help="limit BLAS and PyTorch threads")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(args.memory_child)
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        try:
            import torch

            torch.set_num_threads(args.threads)
        except ImportError:
            pass
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    only = args.only.split(",")
    print(f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"NumPy {np.__version__}, {args.clock} clock, {args.repeats} rounds, "
          f"threads {args.threads or 'default'}")
    medians, rows = [], []
    if "mlp" in only or "gflops" in only:
        mlp_seconds = bench_mlp(args.samples, args.repeats, clock, medians, rows)
    if "diagnostics" in only:
        bench_diagnostics(args.samples, args.repeats, clock, rows)
    if "tiny" in only:
        bench_tiny(3 * args.repeats, clock, medians, rows)  # short epochs: three times the rounds
    if "startup" in only:
        bench_startup(args.repeats, rows)
    if "memory" in only:
        peak, data_bytes = cli_memory(args.samples)
        limit = 2 * data_bytes + 200 * MB
        check(rows, "memory: nnrun train mlp, peak RSS", peak / MB, f"<= {limit / MB:.0f} MB", peak <= limit,
              " MB")
    if "gflops" in only:
        peak, achieved = gemm_peak(clock), model_flops(MLP, args.samples) / mlp_seconds
        check(rows, f"gflops: nnrun {achieved / 1e9:.0f} of peak {peak / 1e9:.0f} GFLOP/s", achieved / peak,
              "(info)", True)
    print_tables(medians, rows)


def print_tables(medians, rows):
    names = list(CONTESTANTS)
    print(f"\n| benchmark | unit | {' | '.join(names)} |\n|---|---|{'---:|' * len(names)}")
    for bench, unit, values in medians:
        cells = [f"{values[n]:.4g}" if n in values else "-" for n in names]
        print(f"| {bench} | {unit} | {' | '.join(cells)} |")
    print("\n| check | measured | target | met |\n|---|---:|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
