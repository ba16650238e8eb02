"""The hand-written NumPy loop nnrun is measured against.

A dense ReLU network with softmax + cross-entropy, trained by SGD with momentum, written the way a
careful NumPy programmer would: float32 throughout, the fused softmax + cross-entropy gradient, no
input gradient for the first layer, in-place momentum updates, one permutation per epoch. It
computes what nnrun's trainer computes (the loss and error of every batch included), so the two
can be timed against each other; ``tests/test_benchmarks.py`` checks they agree number for number.
"""
import numpy as np


def init_mlp(sizes, rng, dtype=np.float32):
    """[W, b] pairs, He-uniform W and zero b, for layer sizes like [784, 256, 128, 10]."""
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        a = np.sqrt(6.0 / n_in)
        params.append([rng.uniform(-a, a, (n_in, n_out)).astype(dtype), np.zeros((1, n_out), dtype)])
    return params


def train_epoch(params, velocity, X, Y, batch_size, lr, momentum, rng):
    """One epoch of mini-batch SGD with momentum over ``rng.permutation``; returns (mean loss, error rate).

    ``params`` and ``velocity`` are lists of [W, b] updated in place; ``Y`` is one-hot.
    """
    n = len(X)
    order = rng.permutation(n)
    total_loss, wrong = 0.0, 0
    for start in range(0, n, batch_size):
        index = order[start:start + batch_size]
        x, y = X[index], Y[index]
        activations = [x]
        for W, b in params[:-1]:
            activations.append(np.maximum(activations[-1] @ W + b, 0))
        W, b = params[-1]
        z = activations[-1] @ W + b
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        total_loss += float(np.vdot(y, np.log(s) - z))  # -sum y log p, with log p = z - log s
        wrong += int(np.count_nonzero(z.argmax(axis=1) != y.argmax(axis=1)))
        delta = (e / s - y) / np.float32(len(x))  # dL/dz of the mean cross-entropy
        for i in range(len(params) - 1, -1, -1):
            W, b = params[i]
            grads = (activations[i].T @ delta, delta.sum(axis=0, keepdims=True))
            if i:
                delta = delta @ W.T
                delta *= activations[i] > 0
            for param, grad, v in zip(params[i], grads, velocity[i]):
                v *= momentum
                v += grad
                param -= lr * v
    return total_loss / n, wrong / n
