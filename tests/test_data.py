"""The data pipeline: stratified splits, preprocessing fitted on the training split, targets, shape, dtype."""
import numpy as np
import pytest

from neural_networks import ConfigError
from neural_networks.data import batches, load_data
from neural_networks.datasets import initialize_dataset


def data_for(config, seed=0, dtype=np.float32):
    return load_data(config, np.random.default_rng(seed), dtype)


def raw_X(name, **kwargs):
    return initialize_dataset(name, **kwargs).load(np.random.default_rng(0)).X


def test_split_sizes_and_stratification():
    data = data_for({"name": "breast_cancer", "validation_split": 0.2, "test_split": 0.1})
    n = 569
    assert len(data.train) + len(data.val) + len(data.test) == n
    assert len(data.val) == pytest.approx(0.2 * n, abs=2) and len(data.test) == pytest.approx(0.1 * n, abs=2)
    overall = 212 / 569  # malignant share in the whole set
    for split in (data.train, data.val, data.test):
        share = split.Y[:, 0].mean()
        assert share == pytest.approx(overall, abs=0.01)


def test_iris_splits_are_exactly_balanced():
    data = data_for({"name": "iris", "validation_split": 0.2, "test_split": 0.2})
    assert [len(data.train), len(data.val), len(data.test)] == [90, 30, 30]
    for split, per_class in ((data.train, 30), (data.val, 10), (data.test, 10)):
        assert np.bincount(split.Y.argmax(axis=1)).tolist() == [per_class] * 3


def test_splits_do_not_overlap_and_cover_everything():
    data = data_for({"name": "wine"})
    indices = [data.train.index, data.val.index, data.test.index]
    joined = np.concatenate(indices)
    assert len(joined) == len(set(joined.tolist())) == 178
    assert sorted(joined.tolist()) == list(range(178))


def test_rows_match_their_index():
    data = data_for({"name": "iris", "preprocess": "none"}, dtype=np.float64)
    X = raw_X("iris")
    for split in (data.train, data.val, data.test):
        np.testing.assert_array_equal(split.X, X[split.index])


def test_same_seed_same_splits_other_seed_other_splits():
    a, b, c = (data_for({"name": "iris"}, seed=s) for s in (3, 3, 4))
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(getattr(a, name).index, getattr(b, name).index)
        np.testing.assert_array_equal(getattr(a, name).X, getattr(b, name).X)
    assert not np.array_equal(a.test.index, c.test.index)


def test_standardize_is_fitted_on_the_training_split_only():
    data = data_for({"name": "wine", "preprocess": "standardize"}, dtype=np.float64)
    X = raw_X("wine")
    train_raw = X[data.train.index]
    np.testing.assert_allclose(data.shift, train_raw.mean(axis=0))
    np.testing.assert_allclose(data.scale, train_raw.std(axis=0))
    np.testing.assert_allclose(data.train.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data.train.X.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(data.test.X, (X[data.test.index] - train_raw.mean(0)) / train_raw.std(0))
    assert not np.allclose(data.test.X.mean(axis=0), 0, atol=1e-3)  # not refitted on the test split


def test_normalize_maps_the_training_range_to_0_1():
    data = data_for({"name": "wine", "preprocess": "normalize"}, dtype=np.float64)
    train_raw = raw_X("wine")[data.train.index]
    np.testing.assert_allclose(data.shift, train_raw.min(axis=0))
    np.testing.assert_allclose(data.train.X.min(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data.train.X.max(axis=0), 1)


def test_constant_feature_is_not_divided_by_zero():
    data = data_for({"name": "digits"})  # pixel 0 is always 0
    assert data.scale[0] == 1.0 and np.all(np.isfinite(data.train.X))


def test_none_keeps_the_raw_values():
    data = data_for({"name": "iris", "preprocess": "none"}, dtype=np.float64)
    np.testing.assert_array_equal(data.shift, 0)
    np.testing.assert_array_equal(data.scale, 1)


def test_one_hot_targets():
    data = data_for({"name": "iris"})
    assert data.train.Y.shape == (90, 3) and data.n_outputs == 3
    assert set(np.unique(data.train.Y).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(data.train.Y.sum(axis=1), 1)
    assert data.classes == ["setosa", "versicolor", "virginica"]


def test_regression_targets_stay_floats():
    data = data_for({"name": "sinewave", "n_samples": 100, "noise": 0.0}, dtype=np.float64)
    assert data.task == "regression" and data.train.Y.shape == (60, 1) and data.n_outputs == 1
    assert data.train.Y.dtype == np.float64
    x = data.train.X * data.scale + data.shift  # back to the raw inputs
    np.testing.assert_allclose(data.train.Y, np.sin(x))


def test_regression_splits_are_random_not_sorted():
    data = data_for({"name": "sinewave", "n_samples": 100})
    assert len(data.train) == 60 and len(data.val) == len(data.test) == 20
    assert not np.all(np.diff(data.train.index) > 0)


def test_shape_reshapes_digits_to_images():
    data = data_for({"name": "digits", "shape": [8, 8, 1], "preprocess": "none"})
    assert data.input_shape == (8, 8, 1) and data.train.X.shape[1:] == (8, 8, 1)
    image = raw_X("digits")[data.train.index[0]].reshape(8, 8)
    np.testing.assert_array_equal(data.train.X[0, :, :, 0], image)


def test_transform_matches_the_splits():
    data = data_for({"name": "digits", "shape": [8, 8, 1]})
    X = raw_X("digits")
    np.testing.assert_array_equal(data.transform(X[data.val.index], np.float32), data.val.X)


@pytest.mark.parametrize("shape", [[8, 8, 2], [64, 2], [7, 9]])
def test_wrong_shape_is_a_config_error(shape):
    with pytest.raises(ConfigError, match="64 features") as error:
        data_for({"name": "digits", "shape": shape})
    assert error.value.path == "shape"


@pytest.mark.parametrize("shape", [[8, 0, 1], "64", [8.5, 8]])
def test_invalid_shape_values(shape):
    with pytest.raises(ConfigError) as error:
        data_for({"name": "digits", "shape": shape})
    assert error.value.path.startswith("shape")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_honoured(dtype):
    data = data_for({"name": "iris"}, dtype=dtype)
    for split in (data.train, data.val, data.test):
        assert split.X.dtype == dtype and split.Y.dtype == dtype
    assert data.transform(raw_X("iris")[:3], dtype).dtype == dtype


def test_empty_validation_and_test_splits():
    data = data_for({"name": "iris", "validation_split": 0.0, "test_split": 0.0})
    assert len(data.train) == 150 and len(data.val) == len(data.test) == 0
    assert data.val.X.shape == (0, 4) and data.test.Y.shape == (0, 3)


@pytest.mark.parametrize("config, key", [
    ({"name": "iris", "validation_split": 0.5, "test_split": 0.5}, "validation_split"),
    ({"name": "iris", "validation_split": 1.0}, "validation_split"),
    ({"name": "iris", "test_split": -0.1}, "test_split"),
    ({"name": "iris", "batch_size": 0}, "batch_size"),
    ({"name": "iris", "batchsize": 8}, "batchsize"),
    ({"name": "iris", "preprocess": "standardise"}, "preprocess"),
    ({"name": "irsi"}, "name"),
])
def test_bad_settings_name_their_key(config, key):
    with pytest.raises(ConfigError) as error:
        data_for(config)
    assert error.value.path == key


def test_misspelled_key_suggests_the_right_one():
    with pytest.raises(ConfigError, match="did you mean 'batch_size'"):
        data_for({"name": "iris", "batchsize": 8})


def test_batches_cover_every_sample_once():
    parts = batches(10, 4)
    assert [(s.start, s.stop) for s in parts] == [(0, 4), (4, 8), (8, 12)]
    shuffled = batches(10, 4, np.random.default_rng(0))
    assert [len(b) for b in shuffled] == [4, 4, 2]
    assert sorted(np.concatenate(shuffled).tolist()) == list(range(10))
