"""One training epoch of seed 002's CNN on 28x28x1 inputs: nnrun vs a plain NumPy im2col vs PyTorch CPU.

Network: conv 3x3 1->16, ReLU, conv 3x3 16->32, ReLU, max-pool 2, linear -> 10; softmax cross-entropy,
plain SGD, batch 64. Each round trains every implementation for one epoch on the same random data; the
medians over the rounds and their ratios are printed (the machine may be shared: take several rounds).

    PYTHONPATH=. python benchmarks/bench_conv.py [--samples 6400] [--batch-size 64] [--rounds 5]

BLAS threads follow the environment: ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1`` runs every
implementation on one core, the steadiest comparison on a busy machine.
"""
import argparse
import os
import statistics
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from neural_networks.data import Data, Split
from neural_networks.models import initialize_model
from neural_networks.optimizers import initialize_optimizer
from neural_networks.trainer import Trainer

LR = 0.01
LAYERS = [{"name": "conv2d", "n_out": 16, "kernel_shape": 3, "pad": "same", "activation": "relu"},
          {"name": "conv2d", "n_out": 32, "kernel_shape": 3, "pad": "same", "activation": "relu"},
          {"name": "pool2d", "kernel_shape": 2, "mode": "max"},
          {"name": "flatten"},
          {"name": "fully_connected", "activation": "softmax"}]


def nnrun_epoch(X, labels, batch_size):
    """The library path: a model from layer specs, trained by ``Trainer.train_epoch``."""
    Y = np.eye(10, dtype=X.dtype)[labels]
    empty = Split(X[:0], Y[:0], np.arange(0))
    data = Data(Split(X, Y, np.arange(len(X))), empty, empty, "classification", list(range(10)),
                None, None, X.shape[1:])
    rng = np.random.default_rng(0)
    model = initialize_model(layers=LAYERS, n_outputs=10, rng=rng)
    model.build(X.shape[1:], X.dtype)
    trainer = Trainer(model, initialize_optimizer("sgd", lr=LR), data, rng, batch_size=batch_size, epochs=1)
    started = time.perf_counter()
    trainer.train_epoch()
    return time.perf_counter() - started


def reference_conv(X, W, b):
    """A straightforward 'same' 3x3 convolution by im2col: returns Z and the columns."""
    N, H, Wd, C = X.shape
    Xp = np.pad(X, ((0, 0), (1, 1), (1, 1), (0, 0)))
    cols = sliding_window_view(Xp, (3, 3), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3).reshape(N * H * Wd, 9 * C)
    return (cols @ W.reshape(9 * C, -1) + b).reshape(N, H, Wd, -1), cols


def reference_conv_backward(dZ, cols, W, x_shape):
    """dW, db and dX (col2im: each tap's gradient added back at its shifted position)."""
    N, H, Wd, C = x_shape
    dZ2 = dZ.reshape(-1, W.shape[-1])
    dcols = (dZ2 @ W.reshape(9 * C, -1).T).reshape(N, H, Wd, 3, 3, C)
    dXp = np.zeros((N, H + 2, Wd + 2, C), dtype=dZ.dtype)
    for i in range(3):
        for j in range(3):
            dXp[:, i:i + H, j:j + Wd] += dcols[:, :, :, i, j]
    return (cols.T @ dZ2).reshape(W.shape), dZ2.sum(axis=0), dXp[:, 1:-1, 1:-1]


def numpy_epoch(X, labels, batch_size):
    """The same network written out by hand in NumPy (no framework), as a reference point."""
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(0, np.sqrt(2 / 9), (3, 3, 1, 16)), "b1": np.zeros(16),
              "W2": rng.normal(0, np.sqrt(2 / 144), (3, 3, 16, 32)), "b2": np.zeros(32),
              "W3": rng.normal(0, np.sqrt(1 / 6272), (6272, 10)), "b3": np.zeros(10)}
    params = {k: v.astype(X.dtype) for k, v in params.items()}
    started = time.perf_counter()
    for index in np.array_split(rng.permutation(len(X)), len(X) // batch_size):
        x, y = X[index], labels[index]
        n = len(x)
        z1, cols1 = reference_conv(x, params["W1"], params["b1"])
        a1 = np.maximum(z1, 0)
        z2, cols2 = reference_conv(a1, params["W2"], params["b2"])
        a2 = np.maximum(z2, 0)
        windows = a2.reshape(n, 14, 2, 14, 2, 32)
        pooled = windows.max(axis=(2, 4))
        logits = pooled.reshape(n, -1) @ params["W3"] + params["b3"]
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(n), y] -= 1
        dlogits = p / n
        grads = {"W3": pooled.reshape(n, -1).T @ dlogits, "b3": dlogits.sum(axis=0)}
        dpooled = (dlogits @ params["W3"].T).reshape(pooled.shape)
        winner = windows == pooled[:, :, None, :, None]  # ties are measure-zero on random data
        da2 = (winner * dpooled[:, :, None, :, None]).reshape(a2.shape)
        grads["W2"], grads["b2"], da1 = reference_conv_backward(da2 * (z2 > 0), cols2, params["W2"], a1.shape)
        grads["W1"], grads["b1"], _ = reference_conv_backward(da1 * (z1 > 0), cols1, params["W1"], x.shape)
        for k, g in grads.items():
            params[k] -= LR * g
    return time.perf_counter() - started


def torch_epoch(X, labels, batch_size):
    """PyTorch CPU (NCHW), the usual training loop."""
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(32 * 14 * 14, 10))
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    inputs = torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))
    targets = torch.from_numpy(labels.astype(np.int64))
    started = time.perf_counter()
    for index in torch.randperm(len(X)).split(batch_size):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(inputs[index]), targets[index]).backward()
        optimizer.step()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=6400)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.samples, 28, 28, 1)).astype(np.float32)
    labels = rng.integers(0, 10, args.samples)
    runners = {"nnrun": nnrun_epoch, "numpy": numpy_epoch}
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    try:
        import torch

        runners["torch"] = torch_epoch
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        print("PyTorch is not installed: comparing nnrun with the NumPy reference only")
    times = {name: [] for name in runners}
    for round_ in range(args.rounds):
        for name, run in runners.items():
            times[name].append(run(X, labels, args.batch_size))
        print(f"round {round_ + 1}: " + ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items()), flush=True)
    median = {name: statistics.median(t) for name, t in times.items()}
    print("median epoch: " + ", ".join(f"{n} {t:.2f} s" for n, t in median.items()))
    for other in [n for n in ("torch", "numpy") if n in median]:
        print(f"nnrun / {other}: {median['nnrun'] / median[other]:.2f}x")
    if "torch" in median:
        print(f"numpy reference / torch: {median['numpy'] / median['torch']:.2f}x")


if __name__ == "__main__":
    main()
