"""nnrun schema: the JSON Schema in the repository is current, every shipped config declares and passes
it, and it rejects what the config loader rejects (misspelled keys, wrong types, unknown names)."""
import copy
import glob
import json
import os

import jsonschema
import pytest

from neural_networks.config import yamlio
from neural_networks.config.errors import ConfigError
from neural_networks.config.schema import resolve
from neural_networks.workflow.json_schema import generate, text, write

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_FILE = os.path.join(ROOT, "configs", "nnrun.schema.json")
CONFIGS = sorted(glob.glob(os.path.join(ROOT, "configs", "*.yaml")))
HEADER = "# yaml-language-server: $schema=nnrun.schema.json"
IRIS = {"data": {"name": "iris", "batch_size": 16},
        "model": {"layers": [{"name": "dense", "n_out": 8, "activation": {"name": "leaky_relu", "alpha": 0.2}},
                             "relu", {"name": "fully_connected", "activation": "softmax"}]},
        "optimizer": {"name": "adam", "lr": 0.01, "lr_scheduler": {"name": "exponential", "decay": 0.9}},
        "train": {"epochs": 5, "early_stopping": None}}


@pytest.fixture(scope="module")
def validator():
    schema = generate()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_file_is_current():
    with open(SCHEMA_FILE, encoding="utf-8") as f:
        assert f.read() == text(), "regenerate it: nnrun schema -o configs/nnrun.schema.json"


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_every_shipped_config_declares_and_passes_the_schema(validator, path):
    with open(path, encoding="utf-8") as f:
        assert f.readline().rstrip("\n") == HEADER
        config = yamlio.load(f)
    assert list(validator.iter_errors(config)) == []


def with_change(path, value):
    config = copy.deepcopy(IRIS)
    node = config
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return config


@pytest.mark.parametrize("path, value", [
    (["optimizer", "lrr"], 0.1),                                   # a misspelled key
    (["model", "layers", 0, "n_outt"], 3),                         # a misspelled component key
    (["seed"], "zero"),                                            # a wrong type
    (["data", "batch_size"], 0),                                   # out of bounds
    (["model", "layers", 0, "activation"], "relux"),               # an unknown activation
    (["model", "layers", 1], "conv2d"),                            # a bare name that needs keys (n_out)
    (["data", "preprocess"], "whiten"),                            # not a choice
])
def test_the_schema_rejects_what_the_loader_rejects(validator, path, value):
    assert list(validator.iter_errors(IRIS)) == []
    resolve(copy.deepcopy(IRIS))
    bad = with_change(path, value)
    assert list(validator.iter_errors(bad))
    with pytest.raises(ConfigError):
        resolve(bad)


def test_keys_carry_type_bounds_default_and_description():
    schema = generate()
    seed = schema["properties"]["seed"]
    assert seed["type"] == "integer" and seed["minimum"] == 0 and seed["default"] == 0 and seed["description"]
    layers = schema["$defs"]["layer"]["oneOf"]
    dense = next(o for o in layers if o.get("type") == "object" and "dense" in o["properties"]["name"].get("enum", []))
    assert dense["properties"]["n_out"]["anyOf"][0] == {"type": "integer", "minimum": 1}
    assert dense["additionalProperties"] is False and dense["description"].startswith("Y = f(X W + b)")
    assert "relu" in layers[0]["enum"] and "conv2d" not in layers[0]["enum"]


def test_write_never_replaces_another_file(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text('{"mine": 1}')
    with pytest.raises(ConfigError, match="not an nnrun schema"):
        write(str(path))
    assert json.loads(path.read_text()) == {"mine": 1}
    fresh = tmp_path / "nnrun.schema.json"
    write(str(fresh))
    write(str(fresh))  # an older schema is replaced
    assert json.loads(fresh.read_text())["title"] == "nnrun config"


def test_nnrun_schema_prints_it(run_cli):
    result = run_cli("schema")
    assert result.returncode == 0 and json.loads(result.stdout) == generate()
