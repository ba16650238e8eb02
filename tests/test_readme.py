"""The README stays true: its component reference is the registries', its commands and configs exist."""
import os
import re

from conftest import REPO

from neural_networks.workflow import components as reference

README = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()


def test_the_component_reference_is_generated_from_the_registries():
    block = re.search(r"<!-- reference:start -->\n(.*)<!-- reference:end -->", README, re.S).group(1)
    assert block == reference.markdown(), (
        "README's reference is stale: replace the block with `nnrun components --markdown`")


def test_the_two_commands_install_and_run_the_main_job_and_the_tests():
    assert 'pip install -e . && nnrun train configs/iris.yaml' in README
    assert 'pip install -e ".[test]" && python -m pytest' in README
    with open(os.path.join(REPO, ".ci", "run"), encoding="utf-8") as f:
        ci = f.read()
    assert 'pip install --quiet -e ".[test]"' in ci and "python -m pytest" in ci


def test_every_shipped_config_is_described():
    for name in os.listdir(os.path.join(REPO, "configs")):
        assert f"configs/{name}" in README or f"`{name[:-5]}`" in README, name
