"""Finite-difference gradient checks (float64): the seeds' numeric gradient check, for any
layer, activation or loss, used by the test suite and by ``nnrun gradcheck``.
"""
import numpy as np

TOLERANCE = 1e-6


def relative_error(analytic, numeric):
    """||a - n|| / (||a|| + ||n||): 0 when equal, 1 when unrelated; 0 if both are zero."""
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / scale) if scale > 0 else 0.0


def numeric_gradient(f, x, h=1e-6):
    """d f / d x by central differences, perturbing ``x`` in place one element at a time."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        up = f()
        x[i] = saved - h
        down = f()
        x[i] = saved
        grad[i] = (up - down) / (2 * h)
    return grad


def check_layer(layer, X, seed=0):
    """Relative errors of a layer's input and parameter gradients, as ``{"X": e, "W": e, ...}``.

    The scalar checked is sum(Y * R) for a fixed random R, so dL/dY = R; the layer's random
    generator is reset before each forward so that dropout draws the same mask every time.
    """
    def loss():
        layer.rng = np.random.default_rng(seed)
        return float(np.sum(layer.forward(X, training=True) * R))

    layer.rng = np.random.default_rng(seed)
    R = np.random.default_rng(seed + 1).standard_normal(layer.forward(X, training=True).shape)
    loss()
    dX = layer.backward(R.copy())
    errors = {"X": relative_error(dX, numeric_gradient(loss, X))}
    analytic = {k: g.copy() for k, g in layer.gradients.items()}
    for key, param in layer.parameters.items():
        errors[key] = relative_error(analytic[key], numeric_gradient(loss, param))
    return errors


def check_activation(activation, Z, seed=0):
    """Relative error of ``activation.backward`` against finite differences of ``forward``."""
    R = np.random.default_rng(seed).standard_normal(Z.shape)
    analytic = activation.backward(Z, R)
    return relative_error(analytic, numeric_gradient(lambda: float(np.sum(activation.forward(Z) * R)), Z))


def check_loss(loss, Y, Y_hat):
    """Relative error of ``loss.backward`` against finite differences of ``forward``."""
    analytic = loss.backward(Y, Y_hat)
    return relative_error(analytic, numeric_gradient(lambda: loss.forward(Y, Y_hat), Y_hat))


def check_network(model, X, Y, seed=0):
    """Every layer checked on the input it gets inside ``model`` (a float64 network), and the loss
    on the network's output: rows of (layer index, layer name, gradient key, relative error)."""
    rows = []
    for i, layer in enumerate(model.layers):
        rows += [(i, layer.name, key, error) for key, error in check_layer(layer, X.copy(), seed).items()]
        layer.rng = np.random.default_rng(seed)
        X = layer.forward(X, training=True)
    rows.append(("", f"loss {model.loss.name}", "Y_hat", check_loss(model.loss, Y, X.copy())))
    return rows
