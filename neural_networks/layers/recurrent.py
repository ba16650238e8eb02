"""Elman's simple recurrent network, trained by exact backpropagation through time."""
import numpy as np

from ..activations import ACTIVATIONS, initialize_activation
from ..config.validation import PositiveInt, Spec
from ..weights import WEIGHTS, initialize_weights
from .base import LAYERS, Layer, ShapeError


@LAYERS.register("elman", "simple_rnn", "rnn")
class Elman(Layer):
    """h_t = f(x_t W_x + h_{t-1} W_h + b), h_0 = 0, over X (batch, time, features); f is ``activation``
    (tanh by default) inside the recurrence. Returns h_T (batch, n_out), or every h_t
    (batch, time, n_out) with ``return_sequences``. W_x (features, n_out), W_h (n_out, n_out), b (1, n_out).

    Backward (BPTT), from the last step down, with a_t the pre-activation and dH_t the gradient
    reaching h_t from the output:  da_t = f'(a_t) (dH_t + da_{t+1} W_h^T);  then
    dW_x = sum_t x_t^T da_t,  dW_h = sum_t h_{t-1}^T da_t,  db = sum_t 1^T da_t,  dx_t = da_t W_x^T.
    """

    decayed = ("W_x", "W_h")
    gradcheck_cases = [
        ({"n_out": 3}, (4, 2)),
        ({"n_out": 2, "return_sequences": True, "activation": "sigmoid"}, (3, 3)),
        ({"n_out": 3, "recurrent_init": "identity", "weight_init": "he_normal"}, (5, 1)),
    ]

    def __init__(self, n_out: PositiveInt, activation: Spec(ACTIVATIONS) = "tanh",
                 return_sequences: bool = False, weight_init: Spec(WEIGHTS) = "xavier_uniform",
                 recurrent_init: Spec(WEIGHTS) = "xavier_uniform"):
        super().__init__(None, weight_init)  # the nonlinearity acts inside the recurrence, not after it
        self.n_out, self.return_sequences = n_out, return_sequences
        self.cell = initialize_activation(activation)
        self.recurrent_init = initialize_weights(recurrent_init)

    def init_parameters(self, input_shape, dtype):
        n_in, n, gain = input_shape[-1], self.n_out, self.cell.gain
        return {"W_x": self.weight_init((n_in, n), n_in, n, gain, self.rng, dtype),
                "W_h": self.recurrent_init((n, n), n, n, gain, self.rng, dtype),
                "b": np.zeros((1, n), dtype=dtype)}

    def _forward(self, X, training):
        if X.ndim != 3:
            raise ShapeError(f"elman takes inputs (batch, time, features), not an array of shape {list(X.shape)}")
        W_h = self.parameters["W_h"]
        A = X @ self.parameters["W_x"] + self.parameters["b"]  # the input part of every a_t at once
        H = np.zeros((X.shape[0], X.shape[1] + 1, self.n_out), dtype=A.dtype)  # H[:, t + 1] = h_t
        for t in range(X.shape[1]):
            A[:, t] += H[:, t] @ W_h
            H[:, t + 1] = self.cell.forward(A[:, t])
        self.cache.update(X=X, A=A, H=H)
        return H[:, 1:] if self.return_sequences else H[:, -1]

    def _backward(self, dZ, input_gradient):
        X, A, H, W_h = self.cache["X"], self.cache["A"], self.cache["H"], self.parameters["W_h"]
        if not self.return_sequences:  # only h_T reached the output
            last, dZ = dZ, np.zeros_like(A)
            dZ[:, -1] = last
        dA = np.zeros_like(A)
        carry = np.zeros_like(H[:, 0])  # da_{t+1} W_h^T
        for t in reversed(range(X.shape[1])):
            dA[:, t] = self.cell.backward(A[:, t], dZ[:, t] + carry)
            carry = dA[:, t] @ W_h.T
        dA2 = dA.reshape(-1, self.n_out)
        np.matmul(X.reshape(-1, X.shape[-1]).T, dA2, out=self.gradients["W_x"])
        np.matmul(H[:, :-1].reshape(-1, self.n_out).T, dA2, out=self.gradients["W_h"])
        dA2.sum(axis=0, keepdims=True, out=self.gradients["b"])
        return dA @ self.parameters["W_x"].T
