"""See the model: ``nnrun summary`` (table and diagram), ``predict`` on image files, ``evaluate --errors``."""
import copy
import os

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from neural_networks.config.schema import resolve
from neural_networks.workflow.diagram import draws_units, plot_architecture
from neural_networks.workflow.build import build
from neural_networks.workflow.experiment import run
from neural_networks.layers import LAYERS
from neural_networks.workflow.model_table import layer_rows

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DIGITS_MLP = {"name": "digits", "data": {"name": "digits", "shape": [8, 8, 1]},
              "model": {"layers": [{"name": "flatten"},
                                   {"name": "fully_connected", "n_out": 32, "activation": "relu"},
                                   {"name": "dropout", "p": 0.2},
                                   {"name": "fully_connected", "activation": "softmax"}]},
              "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9}, "train": {"epochs": 5}}
SMALL_IRIS = {"name": "iris", "model": {"layers": [{"name": "fully_connected", "n_out": 8, "activation": "tanh"},
                                                   {"name": "fully_connected", "activation": "softmax"}]},
              "train": {"epochs": 2}}


def built(config):
    """(data, model) of a config mapping."""
    _, data, model, _ = build(resolve(copy.deepcopy(config)))
    return data, model


def shapes_and_counts(config):
    data, model = built(config)
    return [(row.shape, row.parameters) for row in layer_rows(model, data.input_shape)]


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG_SIGNATURE and os.path.getsize(path) > 1000


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], env={"COLUMNS": "200"})  # long temporary paths
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def trained(config, tmp_path_factory):
    """The run folder of ``config``, trained in a fresh folder without plots."""
    log = {"save_dir": str(tmp_path_factory.mktemp("runs")), "plot": False}
    return run(resolve({**copy.deepcopy(config), "log": log}))[0]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    return trained(DIGITS_MLP, tmp_path_factory)


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    return trained(SMALL_IRIS, tmp_path_factory)


def test_mlp_shapes_and_parameter_counts_match_hand_counts():
    assert shapes_and_counts(DIGITS_MLP) == [
        ((8, 8, 1), 0),                # input
        ((64,), 0),                    # flatten: 8 * 8 * 1
        ((32,), 64 * 32 + 32),         # W (64, 32) + b (1, 32) = 2080
        ((32,), 0),                    # dropout
        ((10,), 32 * 10 + 10)]         # 330


@pytest.mark.skipif("conv2d" not in LAYERS or "pool2d" not in LAYERS, reason="conv2d/pool2d not registered yet")
def test_cnn_shapes_and_parameter_counts_match_hand_counts():
    cnn = {**DIGITS_MLP, "model": {"layers": [
        {"name": "conv2d", "n_out": 4, "kernel_shape": [3, 3], "stride": 1, "pad": "same", "activation": "relu"},
        {"name": "pool2d", "kernel_shape": [2, 2], "stride": 2, "mode": "max"},
        {"name": "conv2d", "n_out": 6, "kernel_shape": [3, 3], "stride": 1, "pad": "valid", "activation": "relu"},
        {"name": "flatten"},
        {"name": "fully_connected", "activation": "softmax"}]}}
    assert shapes_and_counts(cnn) == [
        ((8, 8, 1), 0),
        ((8, 8, 4), 3 * 3 * 1 * 4 + 4),    # 40
        ((4, 4, 4), 0),
        ((2, 2, 6), 3 * 3 * 4 * 6 + 6),    # 222: (4 - 3) / 1 + 1 = 2
        ((24,), 0),
        ((10,), 24 * 10 + 10)]             # 250


def test_the_initializer_line_names_only_layers_with_weights():
    import numpy as np

    from neural_networks.models import initialize_model
    from neural_networks.workflow.model_table import initializer_text, layer_rows

    model = initialize_model(layers=[{"name": "fully_connected", "n_out": 4, "weight_init": "he_uniform"},
                                     {"name": "batchnorm"}, {"name": "fully_connected", "activation": "softmax"}],
                             n_outputs=2, rng=np.random.default_rng(0))
    model.build((3,))
    assert initializer_text(layer_rows(model, (3,))) == "he_uniform (layers.0), xavier_uniform (layers.2)"


def test_summary_command_prints_the_table_and_draws_the_graph(digits_run, tmp_path):
    plot = tmp_path / "graph.png"
    result = invoke("summary", digits_run, "--plot", plot)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["layer", "kind", "activation", "output", "shape", "parameters"]
    assert ["layers.1", "fully_connected", "relu", "[32]", "2,080"] in [line.split() for line in lines]
    assert ["layers.2", "dropout(p=0.2)", "[32]", "0"] in [line.split() for line in lines]
    assert "total parameters: 2,410" in lines
    assert "loss: cross_entropy" in lines and any(line.startswith("optimizer: sgd(lr=0.1") for line in lines)
    assert any(line.startswith("initializer: xavier_uniform (layers.1, layers.3)") for line in lines)
    assert is_png(plot)
    config = invoke("summary", "configs/iris.yaml", "--set", "model.layers.0.n_out=8")
    assert "total parameters: 67" in config.stdout.splitlines()     # (4 * 8 + 8) + (8 * 3 + 3)
    assert invoke("summary", tmp_path / "missing.yaml").exit_code == 2


def test_small_dense_nets_are_drawn_unit_by_unit(tmp_path):
    for config, units in ((SMALL_IRIS, True), (DIGITS_MLP, False)):
        data, model = built(config)
        assert draws_units(model, layer_rows(model, data.input_shape)) is units
        plot_architecture(model, data.input_shape, tmp_path / "net.png", "title")
        assert is_png(tmp_path / "net.png")


def test_train_prints_the_summary_first_and_the_run_folder_last(run_cli, tmp_path):
    loud = invoke("train", "configs/iris.yaml", "--save-dir", tmp_path, "--epochs", 2)
    assert loud.exit_code == 0, loud.output
    lines = loud.stdout.splitlines()
    assert "total parameters: 131" in lines        # 4 * 16 + 16 + 16 * 3 + 3
    assert lines.index("total parameters: 131") < len(lines) - 2
    assert lines[-1] == os.path.join(str(tmp_path), "iris") and is_png(os.path.join(lines[-1], "architecture.png"))
    quiet = run_cli("train", "configs/iris.yaml", "--save-dir", tmp_path, "--epochs", 2, "--quiet")
    assert quiet.returncode == 0 and quiet.stdout.splitlines() == [os.path.join(str(tmp_path), "iris-1")]


def write_digit_images(folder, raw, names):
    """Each raw digit (0..16) as an 8x8 PNG like the data (light ink on black), as a 32x32 scan of
    dark ink on white paper, and as a 'photo': 6x larger, off-centre on a wide sheet of grey paper."""
    from PIL import Image

    for kind in ("data", "paper", "photo"):
        os.makedirs(folder / kind)
    for name, x in zip(names, raw):
        ink = np.round(x.reshape(8, 8) * 255 / 16).astype(np.uint8)
        Image.fromarray(ink).save(folder / "data" / f"{name}.png")
        Image.fromarray(np.kron(255 - ink, np.ones((4, 4), dtype=np.uint8))).save(folder / "paper" / f"{name}.png")
        photo = np.full((118, 158), 220.0)
        photo[30:78, 40:88] = 220 - np.kron(x.reshape(8, 8), np.ones((6, 6))) * 180 / 16
        Image.fromarray(photo.astype(np.uint8)).save(folder / "photo" / f"{name}.jpg")


def test_predicting_digit_pngs_gives_the_classes_of_the_same_samples_as_csv(digits_run, tmp_path):
    pytest.importorskip("PIL")
    from sklearn.datasets import load_digits

    from neural_networks.workflow.images import predict_images
    from neural_networks.workflow.predict import predict_csv

    rows = pd.read_csv(os.path.join(digits_run, "predictions.csv"))["row"].to_numpy()[:40]
    raw = load_digits().data[rows]
    np.savetxt(tmp_path / "digits.csv", raw, delimiter=",", fmt="%g")
    names = [f"{i:02d}-row{r}" for i, r in enumerate(rows)]
    write_digit_images(tmp_path, raw, names)
    expected = predict_csv(digits_run, tmp_path / "digits.csv")["prediction"].tolist()
    assert expected == pd.read_csv(os.path.join(digits_run, "predictions.csv"))["prediction"].astype(str)[:40].tolist()
    for folder, inverted in (("data", False), ("paper", True)):
        frame, originals, views = predict_images(digits_run, [str(tmp_path / folder)])
        assert [os.path.basename(f) for f in frame["file"]] == [f"{n}.png" for n in names]
        assert frame["prediction"].tolist() == expected
        assert frame["inverted"].tolist() == [inverted] * len(rows) and not frame["tidied"].any()
        assert [t.split(" ")[0] for t in frame["top3"]] == expected
        assert views.shape == (len(rows), 8, 8, 1) and 0 <= views.min() and views.max() <= 1
    # Photos lose detail (JPEG, resampling) but, tidied, mostly keep their class; as they are, they don't.
    tidied = predict_images(digits_run, [str(tmp_path / "photo")])[0]
    as_is = predict_images(digits_run, [str(tmp_path / "photo")], tidy=False)[0]
    assert tidied["tidied"].all() and tidied["inverted"].all() and not as_is["tidied"].any()
    assert np.mean(tidied["prediction"] == expected) >= 0.7 > 0.3 >= np.mean(as_is["prediction"] == expected)


def test_predict_command_on_images_prints_writes_and_shows(digits_run, tmp_path):
    pytest.importorskip("PIL")
    from sklearn.datasets import load_digits

    digits = load_digits()
    write_digit_images(tmp_path, digits.data[:3], ["a", "b", "c"])
    images = [tmp_path / "paper" / f"{n}.png" for n in "abc"]
    result = invoke("predict", digits_run, *images, "--show", tmp_path / "grid.png", "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == str(tmp_path / "out.csv")  # -o: as for a CSV input
    table = invoke("predict", digits_run, *images).stdout.splitlines()
    assert [line.split()[0] for line in table[2:5]] == [str(p) for p in images]
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns[:5]) == ["file", "prediction", "top3", "inverted", "tidied"]
    assert np.allclose(out[[f"p_{k}" for k in range(10)]].sum(axis=1), 1, atol=1e-5)
    assert is_png(tmp_path / "grid.png")
    (tmp_path / "broken.png").write_bytes(b"not an image")
    broken = invoke("predict", digits_run, tmp_path / "broken.png")
    assert broken.exit_code == 2 and "cannot read image" in broken.stderr


def test_evaluate_errors_draws_the_misclassified_test_images(digits_run, tmp_path):
    predictions = pd.read_csv(os.path.join(digits_run, "predictions.csv"))
    wrong = int((predictions["target"] != predictions["prediction"]).sum())
    result = invoke("evaluate", digits_run, "--errors", tmp_path / "errors.png")
    assert result.exit_code == 0, result.output
    assert f"{wrong} of {len(predictions)} test samples misclassified" in result.stdout
    assert is_png(tmp_path / "errors.png")


def test_image_commands_on_a_non_image_run_fail_with_one_line(iris_run, tmp_path):
    (tmp_path / "x.png").write_bytes(b"")
    for args in (("evaluate", iris_run, "--errors", tmp_path / "e.png"), ("predict", iris_run, tmp_path / "x.png"),
                 ("predict", iris_run, tmp_path / "x.csv", tmp_path / "x.png")):
        result = invoke(*args)
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.output
    assert "needs a model trained on images" in invoke("predict", iris_run, tmp_path / "x.png").stderr
    assert not os.path.exists(tmp_path / "e.png")


def test_colour_images_keep_their_channels_in_order(tmp_path):
    """An RGB model (data.shape [4, 4, 3]): PNGs of its samples predict as the same samples in a CSV."""
    from PIL import Image

    from neural_networks.workflow.images import predict_images
    from neural_networks.workflow.predict import predict_csv

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(150, 4, 4, 3)).astype(np.float64)
    X[:, 0, 0] = [0, 255, 0]                               # the full 0..255 range in every image
    np.savez(tmp_path / "colours.npz", X=X, y=X.mean(axis=(1, 2)).argmax(axis=1))
    config = {"name": "colours", "data": {"name": "npz", "path": str(tmp_path / "colours.npz"), "shape": [4, 4, 3]},
              "model": {"layers": [{"name": "flatten"}, {"name": "fully_connected", "activation": "softmax"}]},
              "train": {"epochs": 3}, "log": {"save_dir": str(tmp_path), "plot": False}}
    run_dir = run(resolve(config))[0]
    np.savetxt(tmp_path / "samples.csv", X[:12].reshape(12, -1), delimiter=",", fmt="%g")
    paths = []
    for i, x in enumerate(X[:12]):
        paths.append(str(tmp_path / f"{i:02d}.png"))
        Image.fromarray(x.astype(np.uint8), "RGB").save(paths[-1])
    frame = predict_images(run_dir, paths)[0]
    expected = predict_csv(run_dir, tmp_path / "samples.csv")
    assert frame["prediction"].tolist() == expected["prediction"].tolist()
    assert np.allclose(frame.filter(like="p_"), expected.filter(like="p_"), atol=1e-6)
    assert not frame["inverted"].any()
