"""The playground: 2-D data sets, decision boundaries (PNG and GIF, also across a resume), the trained
network drawn unit by unit, and first-layer weight images."""
import copy
import os

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main
from neural_networks import ConfigError
from neural_networks.callbacks import Callback
from neural_networks.config.schema import resolve
from neural_networks.datasets import initialize_dataset
from neural_networks.workflow import files
from neural_networks.workflow.boundary import Plane, class_colours, plot_decision_boundary
from neural_networks.workflow.build import build
from neural_networks.workflow.diagram import MAP_GRID, unit_maps
from neural_networks.workflow.experiment import new_summary, resume, run, train

XOR = {"name": "xor", "seed": 1, "data": {"name": "xor", "n_samples": 200, "batch_size": 16},
       "model": {"layers": [{"name": "fully_connected", "n_out": 8, "activation": "tanh"},
                            {"name": "fully_connected", "activation": "softmax"}]},
       "optimizer": {"name": "adam", "lr": 0.05}, "train": {"epochs": 6}}


def load(name, seed=0, **kwargs):
    return initialize_dataset(name, **kwargs).load(np.random.default_rng(seed))


def config_in(folder, config, **log):
    return resolve({**copy.deepcopy(config), "log": {"save_dir": str(folder), "plot": True, **log}})


# --- data sets ---

@pytest.mark.parametrize("name, kwargs, classes", [
    ("moons", {}, ["upper", "lower"]), ("circles", {}, ["outer", "inner"]),
    ("spiral", {"n_classes": 4}, ["arm 0", "arm 1", "arm 2", "arm 3"]),
    ("xor", {}, ["same sign", "opposite signs"])])
def test_2d_sets_have_two_features_balanced_classes_and_follow_the_seed(name, kwargs, classes):
    data = load(name, n_samples=201, **kwargs)
    assert data.X.shape == (201, 2) and data.y.shape == (201,) and data.task == "classification"
    assert data.classes == classes
    counts = np.bincount(data.y, minlength=len(classes))
    assert (name == "xor" or counts.max() - counts.min() <= 1) and counts.min() > 0
    again, other = load(name, 0, n_samples=201, **kwargs), load(name, 1, n_samples=201, **kwargs)
    assert np.array_equal(data.X, again.X) and np.array_equal(data.y, again.y)
    assert not np.array_equal(data.X, other.X)


def test_noiseless_2d_sets_lie_on_their_curves():
    moons = load("moons", n_samples=300, noise=0.0)
    upper, lower = moons.X[moons.y == 0], moons.X[moons.y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1)                       # (cos t, sin t)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1)  # (1 - cos t, 1/2 - sin t)
    assert upper[:, 1].min() >= 0 and lower[:, 1].max() <= 0.5
    circles = load("circles", n_samples=300, noise=0.0, factor=0.3)
    np.testing.assert_allclose(np.hypot(*circles.X.T), np.where(circles.y == 0, 1, 0.3))
    spiral = load("spiral", n_samples=300, noise=0.0, n_classes=3, turns=0.5)
    radius = np.hypot(*spiral.X.T)
    angle = np.arctan2(spiral.X[:, 1], spiral.X[:, 0])
    expected = 2 * np.pi * (spiral.y / 3 + 0.5 * radius)                    # θ = 2πk/K + 2π·turns·r
    np.testing.assert_allclose(np.cos(angle - expected), 1, atol=1e-9)
    xor = load("xor", n_samples=300, noise=0.0)
    assert np.array_equal(xor.y, (np.sign(xor.X[:, 0]) != np.sign(xor.X[:, 1])).astype(int))


def test_noise_moves_points_off_their_curves_by_its_standard_deviation():
    clean, noisy = load("moons", n_samples=4000, noise=0.0), load("moons", n_samples=4000, noise=0.2)
    distance = np.abs(np.hypot(*noisy.X[noisy.y == 0].T) - 1)
    assert np.abs(np.hypot(*clean.X[clean.y == 0].T) - 1).max() < 1e-9
    assert 0.1 < np.median(distance) < 0.2     # |N(0, 0.2²)| along the radius: median 0.2 · 0.674
    wrong_side = load("xor", n_samples=4000, noise=0.3)
    flipped = np.mean((np.sign(wrong_side.X[:, 0]) != np.sign(wrong_side.X[:, 1])) != wrong_side.y)
    assert 0.1 < flipped < 0.4 and np.std(load("spiral", noise=0.5).X) > np.std(load("spiral", noise=0.0).X)


@pytest.mark.parametrize("name, kwargs, key", [
    ("spiral", {"n_classes": 1}, "n_classes"), ("moons", {"noise": -0.1}, "noise"),
    ("circles", {"factor": 1.0}, "factor"), ("xor", {"n_samples": 0}, "n_samples"),
    ("moons", {"arms": 3}, "arms")])
def test_bad_arguments_are_config_errors_naming_the_key(name, kwargs, key):
    with pytest.raises(ConfigError) as error:
        initialize_dataset(name, **kwargs)
    assert key in str(error.value)


# --- decision boundaries ---

def test_boundary_png_colours_each_side_as_the_model_predicts(tmp_path):
    """A hand-set model: class 0 where the standardized x0 > 0, class 1 where x0 < 0 (p ~ 1 a little
    away from the line). The PNG's strong region colours must lie right and left of the boundary."""
    _, data, model, _ = build(config_in(tmp_path, {**XOR, "model": {"layers": [
        {"name": "fully_connected", "activation": "softmax"}]}}))
    layer = model.layers[0]
    layer.parameters["W"][...] = [[20, -20], [0, 0]]
    layer.parameters["b"][...] = 0
    plot_decision_boundary(model, data, str(tmp_path / "boundary.png"))
    pixels = np.asarray(Image.open(tmp_path / "boundary.png").convert("RGB"), dtype=float)
    strong = 255 * (1 + 0.6 * (class_colours(2) - 1))   # region colour at confidence 1
    columns = [np.nonzero(np.abs(pixels - c).max(axis=2) < 4)[1] for c in strong]
    assert min(len(c) for c in columns) > 5000
    # class 1 left of class 0 (a few anti-aliased edges of the points share the colours: 1% allowed)
    assert np.percentile(columns[1], 99) < np.percentile(columns[0], 1)


class Interrupt(Callback):
    """Stops training like Ctrl-C after ``epoch`` (the checkpoint of that epoch is written)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, trainer, row):
        if row["epoch"] == self.epoch:
            raise KeyboardInterrupt


def test_gif_has_a_frame_per_epoch_and_a_resumed_run_makes_the_same_one(tmp_path):
    reference, summary = run(config_in(tmp_path / "whole", XOR))
    gif = Image.open(os.path.join(reference, "decision_boundary.gif"))
    assert gif.n_frames == 7                                  # before training, then epochs 1..6
    assert summary["test"]["accuracy"] > 0.8
    config = config_in(tmp_path / "parts", XOR)
    built = build(config)
    run_dir = files.create_run_dir(config["log"]["save_dir"], config["name"])
    files.write_yaml(os.path.join(run_dir, "config.yaml"), config)
    with pytest.raises(KeyboardInterrupt):
        train(run_dir, config, built, new_summary(run_dir, config, built), callbacks=[Interrupt(3)])
    resume(run_dir)
    for name in ("metrics.csv", "decision_boundary.gif"):
        with open(os.path.join(run_dir, name), "rb") as a, open(os.path.join(reference, name), "rb") as b:
            parts, whole = a.read(), b.read()
        if name == "metrics.csv":  # without the seconds column
            parts, whole = (b"\n".join(line.rsplit(b",", 1)[0] for line in t.splitlines()) for t in (parts, whole))
        assert parts == whole, name


def test_a_two_column_csv_classifier_gets_both_pictures(tmp_path):
    points = np.random.default_rng(0).normal(size=(60, 2))
    rows = [f"{u},{v},{'ab'[int(u * v > 0)]}" for u, v in points]
    (tmp_path / "two.csv").write_text("u,v,label\n" + "\n".join(rows) + "\n")
    config = {**XOR, "name": "two", "data": {"name": "csv", "path": str(tmp_path / "two.csv"), "batch_size": 8},
              "train": {"epochs": 2}}
    run_dir, _ = run(config_in(tmp_path, config))
    assert Image.open(os.path.join(run_dir, "decision_boundary.gif")).n_frames == 3
    assert Image.open(os.path.join(run_dir, "decision_boundary.png")).width > 400


def test_many_epochs_keep_at_most_60_evenly_spaced_frames(tmp_path):
    config = config_in(tmp_path, {**XOR, "data": {**XOR["data"], "n_samples": 40, "batch_size": 40},
                                  "train": {"epochs": 90}})
    run_dir, _ = run(config)
    gif = Image.open(os.path.join(run_dir, "decision_boundary.gif"))
    assert gif.n_frames == 61   # the initial weights, then epochs round(1 + 89 i / 59) for i = 0..59


def test_no_boundary_pictures_without_plots_and_only_the_png_for_more_features(tmp_path):
    quiet, _ = run(config_in(tmp_path, XOR, plot=False))
    assert not {"decision_boundary.png", "decision_boundary.gif"} & set(os.listdir(quiet))
    iris, _ = run(config_in(tmp_path, {"name": "iris", "train": {"epochs": 1}}))
    assert {"decision_boundary.png"} == {"decision_boundary.png", "decision_boundary.gif"} & set(os.listdir(iris))


def test_more_features_are_drawn_on_the_plane_of_the_first_two_principal_components(tmp_path):
    _, data, _, _ = build(config_in(tmp_path, {"name": "wine"}))
    plane = Plane(data)
    X = data.train.X.astype(np.float64)
    np.testing.assert_allclose(plane.axes @ plane.axes.T, np.eye(2), atol=1e-12)      # orthonormal
    np.testing.assert_allclose(plane.mean, X.mean(axis=0), atol=1e-12)
    variance = np.var((X - plane.mean) @ plane.axes.T, axis=0)
    assert variance[0] >= variance[1] >= np.var((X - plane.mean) @ np.linalg.svd(X - plane.mean)[2][2])
    uv = np.array([[0.5, -1.0], [2.0, 0.25]])
    np.testing.assert_allclose(plane.inputs(uv), plane.mean + uv @ plane.axes, rtol=1e-6)  # float32 inputs
    assert plane.labels == ("principal component 1", "principal component 2")


# --- the trained network drawn ---

def test_unit_maps_are_each_first_layer_units_output_over_the_plane(tmp_path):
    _, data, model, _ = build(config_in(tmp_path, XOR))
    row, maps = unit_maps(model, data)
    assert row == 1 and maps.shape == (8, MAP_GRID, MAP_GRID)
    layer = model.layers[0]
    x_low, x_high, y_low, _ = Plane(data).extent()
    corners = data.transform(np.array([[x_low, y_low], [x_high, y_low]]), np.float64)  # lowest row's ends
    expected = np.tanh(corners @ layer.parameters["W"].astype(np.float64) + layer.parameters["b"])
    np.testing.assert_allclose(maps[:, 0, [0, -1]].T, expected, rtol=1e-4, atol=1e-5)


def test_summary_plot_of_a_trained_run_differs_from_its_configs(tmp_path):
    run_dir, _ = run(config_in(tmp_path, {"name": "iris", "train": {"epochs": 2}}, plot=False))
    runner = CliRunner()
    for source, picture in ((run_dir, "trained.png"), (os.path.join(run_dir, "config.yaml"), "config.png")):
        result = runner.invoke(main, ["summary", source, "--plot", str(tmp_path / picture)])
        assert result.exit_code == 0, result.output
    trained, config = (Image.open(tmp_path / p).convert("RGB") for p in ("trained.png", "config.png"))
    assert trained.size != config.size   # 4-16-3 drawn unit by unit vs the graph of boxes


# --- weight images ---

DIGITS = {"data": {"name": "digits", "shape": [8, 8, 1], "batch_size": 64}, "train": {"epochs": 1}}


@pytest.mark.parametrize("name, layers, tiles", [
    ("mlp", [{"name": "flatten"}, {"name": "fully_connected", "n_out": 12, "activation": "relu"},
             {"name": "fully_connected", "activation": "softmax"}], 12),
    ("cnn", [{"name": "conv2d", "n_out": 6, "kernel_shape": 3, "activation": "relu"}, {"name": "flatten"},
             {"name": "fully_connected", "activation": "softmax"}], 6)])
def test_weights_png_for_image_runs(tmp_path, name, layers, tiles):
    run_dir, _ = run(config_in(tmp_path, {**DIGITS, "name": name, "model": {"layers": layers}}))
    image = Image.open(os.path.join(run_dir, "weights.png"))
    assert image.width > 300 and image.height > 100
    pixels = np.asarray(image.convert("RGB"), dtype=int)
    reddish = (pixels[..., 0] - pixels[..., 2] > 60).sum()
    bluish = (pixels[..., 2] - pixels[..., 0] > 60).sum()
    assert reddish > 50 and bluish > 50       # weights of both signs on the diverging map
    viridis = ((pixels[..., 1] > 150) & (pixels[..., 0] < 120) & (pixels[..., 2] < 150)).sum()
    assert (viridis > 0) == (name == "cnn")   # feature maps only for the conv net
