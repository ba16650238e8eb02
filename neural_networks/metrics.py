"""The names of the metrics every epoch records, and classification scores in NumPy, called as
scikit-learn's functions of the same names (whose import alone takes a second of every run's start-up).

NumPy is imported inside the scores so that the command line can read the names without it.
"""
METRICS = ("val_loss", "val_error", "train_loss", "train_error")  # what an epoch is judged by
COLUMNS = ("epoch", "lr", "train_loss", "train_error", "val_loss", "val_error", "seconds")  # a history row


def confusion_matrix(true, predicted, labels):
    """C[i, j] = number of samples of class ``labels[i]`` predicted as class ``labels[j]`` (labels 0..K-1)."""
    import numpy as np

    k = len(labels)
    return np.bincount(np.asarray(true) * k + np.asarray(predicted), minlength=k * k).reshape(k, k)


def precision_recall_fscore_support(true, predicted, labels, zero_division=0):
    """Per class: precision tp / (tp + fp), recall tp / (tp + fn), F1 2 tp / (2 tp + fp + fn) and
    support tp + fn; a score whose denominator is 0 is ``zero_division``."""
    import numpy as np

    matrix = confusion_matrix(true, predicted, labels)
    tp, support, predicted_count = np.diag(matrix), matrix.sum(axis=1), matrix.sum(axis=0)

    def ratio(a, b):
        return np.divide(a, b, out=np.full(len(a), float(zero_division)), where=b > 0)

    return (ratio(tp, predicted_count), ratio(tp, support), ratio(2 * tp, support + predicted_count), support)
