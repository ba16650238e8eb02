"""The same training in PyTorch (CPU) and scikit-learn, for comparison; each is None if not installed.

Both run the computation nnrun and the hand loop run: dense ReLU layers, softmax + cross-entropy,
SGD with momentum 0.9 (no Nesterov, no weight decay), float32, a fresh permutation every epoch and
the loss and error of every batch accumulated.
"""
import warnings

import numpy as np


def torch_trainer(sizes, X, Y, batch_size, lr, seed=0):
    """A function that trains one epoch of a PyTorch MLP on (X, one-hot Y) per call, or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs, labels = torch.from_numpy(X), torch.from_numpy(Y.argmax(axis=1))

    def epoch():
        total_loss, wrong = 0.0, 0
        for index in torch.randperm(len(inputs)).split(batch_size):
            x, y = inputs[index], labels[index]
            optimizer.zero_grad(set_to_none=True)
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(x)
            wrong += int((logits.argmax(dim=1) != y).sum())
        return total_loss / len(inputs), wrong / len(inputs)

    return epoch


def sklearn_trainer(sizes, X, Y, batch_size, lr, seed=0):
    """A function that trains one epoch of scikit-learn's MLPClassifier per call (partial_fit), or None."""
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None
    model = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), activation="relu", solver="sgd",
                          alpha=0.0, batch_size=batch_size, learning_rate_init=lr, momentum=0.9,
                          nesterovs_momentum=False, shuffle=True, random_state=seed)
    labels, classes = Y.argmax(axis=1), np.arange(Y.shape[1])

    def epoch():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(X, labels, classes=classes)
        return model.loss_, None

    return epoch
