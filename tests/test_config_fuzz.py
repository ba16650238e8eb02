"""Property tests of the config loader: whatever a config file holds, the only error is ConfigError.

Valid configs (the shipped ones and a few covering every section) are mutated at any depth:
keys deleted, values replaced by odd ones (wrong types, negative, huge, NaN, strings, lists,
null, nested garbage), unknown keys and names added, values wrapped. ``config.resolve``,
``load_config`` (with ``--set`` overrides) and ``build`` must then either work or
raise ConfigError. YAML is only ever read safely: ``!!python/...`` tags are errors, never run.
"""
import copy
import glob
import os
import warnings

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO

from neural_networks.workflow import files
from neural_networks.config.schema import NAME, load_config, read_yaml, resolve
from neural_networks.config.errors import ConfigError
from neural_networks.workflow.build import build
from neural_networks.workflow.components import REGISTRIES
from neural_networks.config.validation import arguments

SHIPPED = sorted(glob.glob(os.path.join(REPO, "configs", "*.yaml")))


@pytest.fixture(autouse=True, scope="module")
def no_image_files(tmp_path_factory):
    """Configs of real image data (Fashion-MNIST, CIFAR-10) find no files here: a quick ConfigError
    instead of reading 70,000 images for every mutated config."""
    empty = str(tmp_path_factory.mktemp("no-data"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NNRUN_DATA", empty)
        patch.setenv("HOME", empty)
        patch.setattr("neural_networks.datasets.FashionMNIST.system_folders", ())
        yield


FUZZ = settings(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

EXTRA_BASES = [
    {"data": {"name": "sinewave", "n_samples": 60, "noise": 0.1},
     "model": {"loss": "l2", "layers": [{"name": "fully_connected", "n_out": 8, "activation": "tanh"},
                                        {"name": "dropout", "p": 0.1}, {"name": "fully_connected"}]},
     "optimizer": {"name": "adam", "clip_norm": 1.0, "lr_scheduler": {"name": "cosine", "min_lr": 0.001}},
     "train": {"epochs": 5, "early_stopping": {"metric": "val_error", "patience": 2}}},
    {"dtype": "float64", "data": {"name": "digits", "shape": [8, 8, 1], "preprocess": "normalize"},
     "model": {"layers": [{"name": "flatten"},
                          {"name": "fully_connected", "n_out": 12,
                           "activation": {"name": "leaky_relu", "alpha": 0.1},
                           "weight_init": {"name": "sparse", "sparsity": 0.5}},
                          {"name": "elu", "alpha": 0.5},
                          {"name": "fully_connected", "activation": "softmax", "weight_init": "he_normal"}]},
     "optimizer": {"name": "sgd", "nesterov": True, "momentum": 0.5, "weight_decay": 1e-4,
                   "lr_scheduler": {"name": "reduce_on_plateau", "patience": 2}}},
    {"data": {"name": "breast_cancer", "batch_size": 8},
     "model": {"loss": "bce", "layers": [{"name": "fully_connected", "activation": "sigmoid"}]},
     "optimizer": {"name": "sgd", "lr_scheduler": {"name": "exponential", "staircase": True}}},
]
BASES = [read_yaml(path) for path in SHIPPED] + [resolve({})] + EXTRA_BASES

NAMES = sorted({name for registry in REGISTRIES.values() for name in registry.names()})
KEYS = sorted({p.name for registry in REGISTRIES.values() for name in registry.names()
               for p in arguments(registry[name])} | {k for base in BASES for k in base})
ODD_STRINGS = ["", " ", ".", "..", "../escape", "/", "\n", "null", "1e3", "-1", "nan", "0x10", "ö", "a" * 300]

ODD_INTS = [-(10 ** 400), -(10 ** 30), -1, 0, 2 ** 31, 2 ** 63, 10 ** 30, 10 ** 400]
ODD_FLOATS = [1e-300, 1e300, -1e308, 1e308, 0.5, -0.0]
MUTATIONS = ["delete", "replace", "same type", "add key", "rename", "wrap"]


def fuzz_values(ints, floats, strings, leaves, mutations=MUTATIONS):
    """(any value, same-type value by type, mutations to draw from): values of every YAML type,
    scalars, lists and mappings."""
    like = {bool: st.booleans(), int: ints, float: floats, str: strings}
    scalars = st.one_of(st.none(), *like.values())
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(KEYS) | st.text(max_size=4) | st.integers(-2, 2), inner, max_size=3), max_leaves=leaves)
    return values, like, mutations


ODD = fuzz_values(st.integers(-3, 70) | st.sampled_from(ODD_INTS),
                  st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(ODD_FLOATS),
                  st.text(max_size=5) | st.sampled_from(NAMES + KEYS + ODD_STRINGS), leaves=6)
# Values that still allocate little when a config holding them is built: no huge sizes.
BUILDABLE = fuzz_values(st.integers(-2, 40),
                        st.floats(-3, 3) | st.sampled_from(ODD_FLOATS + [float("nan"), float("inf")]),
                        st.sampled_from(NAMES + ODD_STRINGS[:9]), leaves=4,
                        mutations=MUTATIONS + ["same type"] * 4)  # type-correct values get as far as build


def locations(node, path=()):
    """The path of every value nested inside ``node`` (dict keys and list indices)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield path + (key,)
        yield from locations(value, path + (key,))


def at(node, path):
    for key in path:
        node = node[key]
    return node


def typo(text):
    """A near miss of a name: one character dropped, doubled or swapped."""
    return st.sampled_from([text[:i] + text[i + 1:] for i in range(len(text))] +
                           [text[:i] + text[i] + text[i:] for i in range(len(text))] +
                           [text[:i] + text[i + 1] + text[i] + text[i + 2:] for i in range(len(text) - 1)])


def mutate(data, config, flavour):
    """Apply one random mutation somewhere inside ``config`` (in place) and return it."""
    values, like, mutations = flavour
    paths = list(locations(config))
    kind = data.draw(st.sampled_from(mutations))
    if kind == "add key" or not paths:
        containers = [()] + [p for p in paths if isinstance(at(config, p), dict)]
        target = at(config, data.draw(st.sampled_from(containers)))
        target[data.draw(st.sampled_from(KEYS) | st.text(max_size=6))] = data.draw(values)
        return config
    path = data.draw(st.sampled_from(paths))
    parent, key = at(config, path[:-1]), path[-1]
    if kind == "delete":
        del parent[key]
    elif kind == "replace":
        parent[key] = data.draw(values)
    elif kind == "same type":  # an odd value of the expected type gets past the type checks
        parent[key] = data.draw(like.get(type(parent[key]), values))
    elif kind == "rename" and isinstance(parent[key], str) and parent[key]:
        parent[key] = data.draw(typo(parent[key]) | st.sampled_from(NAMES))
    elif kind == "rename" and isinstance(key, str) and key:  # rename the key itself
        parent[data.draw(typo(key))] = parent.pop(key)
    else:
        parent[key] = data.draw(st.sampled_from([[parent[key]], {"name": parent[key]}, {key: parent[key]}]))
    return config


def mutated(data, flavour, most=3):
    config = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    for _ in range(data.draw(st.integers(1, most))):
        config = mutate(data, config, flavour)
    return config


def resolve_or_config_error(config):
    try:
        return resolve(config)
    except ConfigError:
        return None


def build_or_config_error(resolved):
    with warnings.catch_warnings():  # overflow in a forward pass of absurd weights is not the point here
        warnings.simplefilter("ignore")
        try:
            build(resolved)
        except ConfigError:
            pass


def test_every_base_is_valid():
    assert SHIPPED, "no shipped configs found"
    for base in BASES:
        resolved = resolve(copy.deepcopy(base))
        if "path" not in resolved["data"]:  # a config of files the user downloads (mnist) is only resolved
            build(resolved)


@FUZZ
@given(data=st.data())
def test_resolve_raises_only_config_errors(tmp_path_factory, data):
    resolved = resolve_or_config_error(mutated(data, ODD))
    if resolved is not None:  # a fixed point: the config.yaml a run saves reads back as the same config
        path = tmp_path_factory.mktemp("fuzz") / "config.yaml"
        files.write_yaml(str(path), resolved)
        assert load_config(str(path)) == resolved


@FUZZ
@given(data=st.data())
def test_load_config_with_overrides_raises_only_config_errors(tmp_path_factory, data):
    config = mutated(data, ODD, most=2)
    path = tmp_path_factory.mktemp("fuzz") / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    keys = [".".join(map(str, p)) for p in locations(config)] or ["name"]
    overrides = data.draw(st.lists(
        st.builds(lambda key, value: f"{key}={value}", st.sampled_from(keys) | st.text(max_size=8),
                  st.builds(lambda v: yaml.safe_dump(v, default_flow_style=True).strip(), ODD[0])
                  | st.text(max_size=8)),
        max_size=2))
    try:
        load_config(str(path), overrides)
    except ConfigError:
        pass


@FUZZ
@given(text=st.text(max_size=80) | st.binary(max_size=40))
def test_any_file_content_is_a_config_or_a_config_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "config.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    try:
        load_config(str(path))
    except ConfigError:
        pass


@settings(FUZZ, max_examples=80)
@given(data=st.data())
def test_build_raises_only_config_errors(data):
    resolved = resolve_or_config_error(mutated(data, BUILDABLE, most=2))
    if resolved is not None:
        build_or_config_error(resolved)


@pytest.mark.parametrize("text", ["seed: " + "7" * 5000, "optimizer: {name: sgd, lr: " + "9" * 400 + "}",
                                  "data: {name: iris, test_split: " + "9" * 400 + "}", "\ufeffseed: [", "a: b: c"],
                         ids=["int-over-4300-digits", "lr-10^400", "split-10^400", "bom-unclosed", "bad-mapping"])
def test_known_holes_are_config_errors(tmp_path, text):
    """Cases fuzzing found (or that are too rare for it to draw), kept as plain regressions."""
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(str(path))


@pytest.mark.parametrize("text", ["1e3", "2e-5", "1_000", "0x10", "yes", "on", "1.5", "12:30", "2024-01-01"])
def test_a_saved_config_reads_back_the_same_whatever_its_strings(tmp_path, text):
    """Strings that a YAML reader could take for numbers, booleans or dates keep their quotes."""
    resolved = resolve({"name": text if NAME.match(text) else None, "log": {"save_dir": text}})
    path = tmp_path / "config.yaml"
    files.write_yaml(str(path), resolved)
    assert load_config(str(path)) == resolved


REGRESSION = [{"name": "fully_connected"}]
BUILD_HOLES = {
    "huge-uniform-range": {"model": {"layers": [{"name": "fully_connected", "activation": "softmax",
                                                 "weight_init": {"name": "uniform", "low": 1e308, "high": -1e308}}]}},
    "huge-sine-range": {"data": {"name": "sinewave", "low": -1e308, "high": 1e308},
                        "model": {"loss": "mse", "layers": REGRESSION}},
    "huge-leaky-alpha": {"model": {"layers": [
        {"name": "fully_connected", "n_out": 4, "activation": {"name": "leaky_relu", "alpha": 1e200},
         "weight_init": "he_normal"}, {"name": "fully_connected", "activation": "softmax"}]}},
    "unallocatable-layer": {"model": {"layers": [{"name": "fully_connected", "n_out": 2 ** 40},
                                                 {"name": "fully_connected", "activation": "softmax"}]}},
    "no-validation-split": {"data": {"name": "iris", "validation_split": 0.0}},
    "two-sine-samples": {"data": {"name": "sinewave", "n_samples": 2}, "model": {"loss": "mse", "layers": REGRESSION}},
}


@pytest.mark.parametrize("config", BUILD_HOLES.values(), ids=BUILD_HOLES.keys())
def test_known_build_holes_are_config_errors_or_work(config):
    build_or_config_error(resolve(config))


UNSAFE = ['!!python/object/apply:os.system ["touch {marker}"]',
          '!!python/object/new:os.system ["touch {marker}"]',
          '!!python/object/apply:subprocess.check_call [["touch", "{marker}"]]',
          '!!python/object/apply:builtins.exec ["open(\'{marker}\', \'w\').close()"]',
          '!!python/name:os.system', '!!python/module:os']
PLACES = ["{tag}\n", "name: {tag}\n", "model:\n  layers:\n    - {tag}\n", "data: {{name: iris, path: {tag}}}\n"]


@pytest.mark.parametrize("place", PLACES, ids=["top", "name", "layer", "nested"])
@pytest.mark.parametrize("tag", UNSAFE, ids=lambda tag: tag.split()[0].split(":")[-1])
def test_python_tags_are_config_errors_and_never_run(tmp_path, tag, place):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.yaml"
    path.write_text(place.format(tag=tag.format(marker=marker)))
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(str(path))
    assert not marker.exists()


@pytest.mark.parametrize("tag", UNSAFE[:3], ids=["apply", "new", "check_call"])
def test_python_tags_in_overrides_are_never_run(tmp_path, tag):
    marker = tmp_path / "executed"
    path = tmp_path / "ok.yaml"
    path.write_text("data: {name: iris}\n")
    try:
        config = load_config(str(path), [f"log.save_dir={tag.format(marker=marker)}"])
        assert isinstance(config["log"]["save_dir"], str)  # kept as the plain text it is
    except ConfigError:
        pass
    assert not marker.exists()
