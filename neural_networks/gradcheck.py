"""Finite-difference gradient checks (float64): the seeds' numeric gradient check, for any
layer, activation or loss, used by the test suite, ``nnrun gradcheck`` and ``nnrun check``.

Kinks. ReLU at exactly 0 (a blank image border times any weight, plus a zero bias), max-pool
windows with tied maxima and probabilities clipped away from 0 are points where the function has
no derivative: there the central difference (f(x+h) - f(x-h)) / 2h averages the two one-sided
slopes while backprop takes one of them, and a correct layer looks broken. A network check
therefore compares the one-sided slopes of every element, right = (f(x+h) - f(x)) / h and
left = (f(x) - f(x-h)) / h. On a smooth function they differ by about f''(x) h (tiny); across a
kink by the jump of the derivative. Elements where they disagree (see :func:`kinks`) are left out
of the comparison and counted, so the report says how many were skipped.
"""
import numpy as np

TOLERANCE = 1e-6
KINK_RELATIVE = 1e-2  # |right - left| > 1% of |right| + |left| ...
KINK_ABSOLUTE = 1e-4  # ... and > 1e-4 of the largest slope: a jump, not f''(x) h (h = 1e-6) or rounding
JITTER = 1e-2  # the network check's inputs move by 1% of their standard deviation, off exact zeros


def relative_error(analytic, numeric):
    """||a - n|| / (||a|| + ||n||): 0 when equal, 1 when unrelated; 0 if both are zero."""
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / scale) if scale > 0 else 0.0


def one_sided_slopes(f, x, h=1e-6, elements=None):
    """(right, left): (f(x + h e_i) - f(x)) / h and (f(x) - f(x - h e_i)) / h for each flat index i
    in ``elements`` (default: every element), as 1-D arrays; ``x`` is perturbed in place, one
    element at a time."""
    centre = f()
    elements = range(x.size) if elements is None else elements
    right, left = np.zeros(len(elements), x.dtype), np.zeros(len(elements), x.dtype)
    for j, flat in enumerate(elements):
        i = np.unravel_index(flat, x.shape)
        saved = x[i]
        x[i] = saved + h
        right[j] = (f() - centre) / h
        x[i] = saved - h
        left[j] = (centre - f()) / h
        x[i] = saved
    return right, left


def numeric_gradient(f, x, h=1e-6):
    """d f / d x by central differences: the mean of the one-sided slopes, (f(x+h) - f(x-h)) / 2h."""
    right, left = one_sided_slopes(f, x, h)
    return ((right + left) / 2).reshape(x.shape)


def kinks(right, left):
    """Where the one-sided slopes disagree by more than smoothness allows: elements within h of a
    point without a derivative."""
    gap = np.abs(right - left)
    largest = max(float(np.abs(right).max(initial=0)), float(np.abs(left).max(initial=0)))
    return (gap > KINK_RELATIVE * (np.abs(right) + np.abs(left))) & (gap > KINK_ABSOLUTE * largest)


def sample(size, most, seed):
    """Up to ``most`` flat indices of an array of ``size`` elements, drawn without replacement and
    sorted (all of them if ``most`` is None): a large gradient is checked on a random subset."""
    if most is None or size <= most:
        return np.arange(size)
    return np.sort(np.random.default_rng(seed).choice(size, most, replace=False))


def compare(analytic, f, x, skip_kinks=False, most=None, seed=0):
    """(relative error of ``analytic`` against finite differences of ``f`` in ``x``, elements
    skipped, elements checked): on up to ``most`` elements, kinks skipped if ``skip_kinks``."""
    elements = sample(x.size, most, seed)
    right, left = one_sided_slopes(f, x, elements=elements)
    kept = ~kinks(right, left) if skip_kinks else np.ones(len(elements), dtype=bool)
    error = relative_error(analytic.reshape(-1)[elements][kept], ((right + left) / 2)[kept])
    return error, int(len(elements) - kept.sum()), len(elements)


def layer_errors(layer, X, seed=0, skip_kinks=False, most=None):
    """``{"X": (error, skipped, checked), "W": ..., ...}``: the layer's input and parameter gradients
    against finite differences (see :func:`check_layer`) on up to ``most`` elements of each, kinks
    skipped and counted if ``skip_kinks``."""
    def loss():
        layer.rng = np.random.default_rng(seed)
        return float(np.sum(layer.forward(X, training=True) * R))

    layer.rng = np.random.default_rng(seed)
    R = np.random.default_rng(seed + 1).standard_normal(layer.forward(X, training=True).shape)
    loss()
    dX = layer.backward(R.copy())
    analytic = {k: g.copy() for k, g in layer.gradients.items()}
    errors = {"X": compare(dX, loss, X, skip_kinks, most, seed)}
    for key, param in layer.parameters.items():
        errors[key] = compare(analytic[key], loss, param, skip_kinks, most, seed)
    return errors


def check_layer(layer, X, seed=0):
    """Relative errors of a layer's input and parameter gradients, as ``{"X": e, "W": e, ...}``.

    The scalar checked is sum(Y * R) for a fixed random R, so dL/dY = R; the layer's random
    generator is reset before each forward so that dropout draws the same mask every time.
    """
    return {key: error for key, (error, *_) in layer_errors(layer, X, seed).items()}


def check_activation(activation, Z, seed=0):
    """Relative error of ``activation.backward`` against finite differences of ``forward``."""
    R = np.random.default_rng(seed).standard_normal(Z.shape)
    analytic = activation.backward(Z, R)
    return relative_error(analytic, numeric_gradient(lambda: float(np.sum(activation.forward(Z) * R)), Z))


def check_loss(loss, Y, Y_hat):
    """Relative error of ``loss.backward`` against finite differences of ``forward``."""
    analytic = loss.backward(Y, Y_hat)
    return relative_error(analytic, numeric_gradient(lambda: loss.forward(Y, Y_hat), Y_hat))


def check_network(model, X, Y, seed=0, most=None):
    """Every layer checked on the input it gets inside ``model`` (a float64 network), and the loss
    on the network's output: rows of (layer index, layer name, gradient key, relative error,
    elements skipped, elements checked), on up to ``most`` elements of each gradient.

    Kinks are moved away from, then skipped: ``X`` is jittered by JITTER times its standard
    deviation, so that blank pixels (exact zeros, which make ReLU inputs exactly 0 and max-pool
    windows tie) become distinct values, and elements still at a kink are skipped and counted.
    """
    noise = np.random.default_rng(seed).standard_normal(X.shape)
    X = X + JITTER * (float(X.std()) or 1.0) * noise
    rows = []
    for i, layer in enumerate(model.layers):
        errors = layer_errors(layer, X.copy(), seed, skip_kinks=True, most=most)
        rows += [(i, layer.name, key, *result) for key, result in errors.items()]
        layer.rng = np.random.default_rng(seed)
        X = layer.forward(X, training=True)
    Y_hat = X.copy()
    result = compare(model.loss.backward(Y, Y_hat), lambda: model.loss.forward(Y, Y_hat), Y_hat, True, most, seed)
    rows.append(("", f"loss {model.loss.name}", "Y_hat", *result))
    return rows
