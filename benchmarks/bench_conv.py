"""One training epoch of a CNN: nnrun vs PyTorch CPU (and, for the MNIST-shaped network, a plain NumPy im2col).

Networks (softmax cross-entropy, batch 64 unless told):

mnist  28x28x1 inputs: conv 3x3 1->16, ReLU, conv 3x3 16->32, ReLU, max-pool 2, linear -> 10; plain SGD,
       6,400 samples. The hand-written NumPy loop joins the comparison.
cifar  32x32x3 inputs: 3x [conv 3x3 (32, 64, 128 channels), batch norm, ReLU, max-pool 2], flatten,
       linear 256 + ReLU, dropout 0.5, linear 128 + ReLU, dropout 0.5, linear -> 10; SGD momentum 0.9,
       weight decay 5e-4, 5,000 samples (the course's CIFAR-10 network).

After a warm-up on a few batches, each round trains every implementation for one epoch on the same random
data; the medians over the rounds, their ratios and the ratios of the best rounds are printed (the machine
may be shared: take several rounds).

    PYTHONPATH=. python benchmarks/bench_conv.py [--network mnist|cifar] [--samples N] [--rounds 5]

BLAS threads follow the environment: ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1`` runs every
implementation on one core, the steadiest comparison on a busy machine (add ``--clock cpu`` to time
process CPU time, which another process's load does not stretch).
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


def cifar_block(n_out):
    return [{"name": "conv2d", "n_out": n_out, "kernel_shape": 3, "pad": "same"}, {"name": "batchnorm"},
            {"name": "relu"}, {"name": "pool2d", "kernel_shape": 2, "mode": "max"}]


NETWORKS = {
    "mnist": {"shape": (28, 28, 1), "samples": 6400, "optimizer": {"lr": LR},
              "layers": [{"name": "conv2d", "n_out": 16, "kernel_shape": 3, "pad": "same", "activation": "relu"},
                         {"name": "conv2d", "n_out": 32, "kernel_shape": 3, "pad": "same", "activation": "relu"},
                         {"name": "pool2d", "kernel_shape": 2, "mode": "max"},
                         {"name": "flatten"},
                         {"name": "fully_connected", "activation": "softmax"}]},
    "cifar": {"shape": (32, 32, 3), "samples": 5000, "optimizer": {"lr": LR, "momentum": 0.9, "weight_decay": 5e-4},
              "layers": cifar_block(32) + cifar_block(64) + cifar_block(128) + [
                  {"name": "flatten"},
                  {"name": "fully_connected", "n_out": 256, "activation": "relu"}, {"name": "dropout", "p": 0.5},
                  {"name": "fully_connected", "n_out": 128, "activation": "relu"}, {"name": "dropout", "p": 0.5},
                  {"name": "fully_connected", "activation": "softmax"}]},
}


def nnrun_epoch(network, X, labels, batch_size, clock):
    """The library path: a model from layer specs, trained by ``Trainer.train_epoch``."""
    Y = np.eye(10, dtype=X.dtype)[labels]
    empty = Split(X[:0], Y[:0], np.arange(0))
    data = Data(Split(X, Y, np.arange(len(X))), empty, empty, "classification", list(range(10)),
                None, None, X.shape[1:])
    rng = np.random.default_rng(0)
    model = initialize_model(layers=NETWORKS[network]["layers"], n_outputs=10, rng=rng)
    model.build(X.shape[1:], X.dtype)
    optimizer = initialize_optimizer("sgd", **NETWORKS[network]["optimizer"])
    trainer = Trainer(model, optimizer, data, rng, batch_size=batch_size, epochs=1)
    started = clock()
    trainer.train_epoch()
    return clock() - started


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


def numpy_epoch(network, X, labels, batch_size, clock):
    """The MNIST-shaped network written out by hand in NumPy (no framework), as a reference point."""
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(0, np.sqrt(2 / 9), (3, 3, 1, 16)), "b1": np.zeros(16),
              "W2": rng.normal(0, np.sqrt(2 / 144), (3, 3, 16, 32)), "b2": np.zeros(32),
              "W3": rng.normal(0, np.sqrt(1 / 6272), (6272, 10)), "b3": np.zeros(10)}
    params = {k: v.astype(X.dtype) for k, v in params.items()}
    started = clock()
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
    return clock() - started


def torch_network(network):
    """The same network in PyTorch (NCHW)."""
    from torch import nn

    if network == "mnist":
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 14 * 14, 10))
    blocks = []
    for n_in, n_out in [(3, 32), (32, 64), (64, 128)]:
        blocks += [nn.Conv2d(n_in, n_out, 3, padding=1), nn.BatchNorm2d(n_out), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*blocks, nn.Flatten(), nn.Linear(128 * 4 * 4, 256), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def torch_epoch(network, X, labels, batch_size, clock):
    """PyTorch CPU, the usual training loop."""
    import torch

    torch.manual_seed(0)
    net = torch_network(network)
    optimizer = torch.optim.SGD(net.parameters(), **NETWORKS[network]["optimizer"])
    inputs = torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))
    targets = torch.from_numpy(labels.astype(np.int64))
    started = clock()
    for index in torch.randperm(len(X)).split(batch_size):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(inputs[index]), targets[index]).backward()
        optimizer.step()
    return clock() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=list(NETWORKS), default="mnist")
    parser.add_argument("--samples", type=int, help="samples per epoch (default: the network's)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall clock, or process CPU time (steadier on a busy machine, with one thread)")
    args = parser.parse_args()
    network = NETWORKS[args.network]
    samples = args.samples or network["samples"]
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    rng = np.random.default_rng(0)
    X = rng.standard_normal((samples, *network["shape"])).astype(np.float32)
    labels = rng.integers(0, 10, samples)
    runners = {"nnrun": nnrun_epoch, "numpy": numpy_epoch} if args.network == "mnist" else {"nnrun": nnrun_epoch}
    print(f"{args.network}: {samples} samples of {list(network['shape'])}, batch {args.batch_size}, "
          f"{args.clock} clock, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    try:
        import torch

        runners["torch"] = torch_epoch
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        print("PyTorch is not installed: nnrun runs without it")
    for run in runners.values():  # warm-up on a few batches: first-call set-up, caches, thread pools
        run(args.network, X[:4 * args.batch_size], labels[:4 * args.batch_size], args.batch_size, clock)
    times = {name: [] for name in runners}
    for round_ in range(args.rounds):
        for name, run in runners.items():
            times[name].append(run(args.network, X, labels, args.batch_size, clock))
        print(f"round {round_ + 1}: " + ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items()), flush=True)
    median = {name: statistics.median(t) for name, t in times.items()}
    best = {name: min(t) for name, t in times.items()}
    print("median epoch: " + ", ".join(f"{n} {t:.2f} s" for n, t in median.items()))
    for a, b in [("nnrun", "torch"), ("nnrun", "numpy"), ("numpy", "torch")]:
        if a in median and b in median:
            print(f"{a} / {b}: {median[a] / median[b]:.2f}x (best rounds {best[a] / best[b]:.2f}x)")


if __name__ == "__main__":
    main()
