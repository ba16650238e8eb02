"""The quick, lean paths give what the slow ones gave: the bundled data sets read without importing
scikit-learn, test metrics in NumPy, and preprocessing block by block without float64 copies."""
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import sklearn.datasets
import sklearn.metrics

from neural_networks import data as data_module
from neural_networks.datasets import initialize_dataset
from neural_networks.metrics import confusion_matrix, precision_recall_fscore_support


@pytest.mark.parametrize("name, loader", [("iris", "load_iris"), ("wine", "load_wine"),
                                          ("breast_cancer", "load_breast_cancer"), ("digits", "load_digits")])
def test_bundled_data_sets_equal_scikit_learns(name, loader):
    ours, theirs = initialize_dataset(name).load(None), getattr(sklearn.datasets, loader)()
    np.testing.assert_array_equal(ours.X, theirs.data)
    np.testing.assert_array_equal(ours.y, theirs.target)
    assert ours.classes == [str(c) for c in theirs.target_names]


def test_loading_iris_does_not_import_scikit_learn():
    code = ("import sys; from neural_networks.datasets import initialize_dataset; "
            "initialize_dataset('iris').load(None); print('sklearn' in sys.modules)")
    root = pathlib.Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_metrics_equal_scikit_learns():
    rng = np.random.default_rng(0)
    true, predicted = rng.integers(0, 4, 60), rng.integers(0, 3, 60)  # class 3 never predicted: 0/0 scores
    labels = np.arange(4)
    np.testing.assert_array_equal(confusion_matrix(true, predicted, labels),
                                  sklearn.metrics.confusion_matrix(true, predicted, labels=labels))
    ours = precision_recall_fscore_support(true, predicted, labels=labels, zero_division=0)
    theirs = sklearn.metrics.precision_recall_fscore_support(true, predicted, labels=labels, zero_division=0)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("how", ["standardize", "normalize", "none"])
def test_preprocessing_block_by_block_equals_whole_arrays(how, monkeypatch):
    monkeypatch.setattr(data_module, "BLOCK", 7)  # many blocks, the last one partial
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((50, 3)) * [1, 10, 100] + 5).astype(np.float32)
    rows = rng.permutation(50)[:40]
    shift, scale = data_module.fit_preprocess(X, how, rows)
    whole = X[rows].astype(np.float64)
    expected = {"standardize": (whole.mean(0), whole.std(0)),
                "normalize": (whole.min(0), whole.max(0) - whole.min(0)),
                "none": (np.zeros(3), np.ones(3))}[how]
    np.testing.assert_allclose(shift, expected[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scale, expected[1], rtol=1e-12)
    data = data_module.Data(None, None, None, "classification", [], shift, scale, (3, 1))
    out = data_module.transform_rows(data, X, rows, np.float32)
    assert out.dtype == np.float32 and out.shape == (40, 3, 1)
    np.testing.assert_array_equal(out, data.transform(X[rows], np.float32))
    assert data_module.transform_rows(data, X, rows[:0], np.float32).shape == (0, 3, 1)
