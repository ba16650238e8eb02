"""Shared fixtures: the command line of this checkout, run in a subprocess from the repository root."""
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))}


def cli_command(args):
    return [sys.executable, "-m", "cli", *map(str, args)]


@pytest.fixture
def nnrun_process():
    """``nnrun_process(*args, cwd=...)``: start ``python -m cli ARGS`` (a Popen) with this repo importable."""
    def start(*args, cwd=REPO):
        return subprocess.Popen(cli_command(args), cwd=cwd, env=ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return start


@pytest.fixture
def run_cli():
    """``run_cli(*args)`` -> CompletedProcess of ``python -m cli ARGS`` with this checkout's code."""
    def run(*args, cwd=REPO):
        return subprocess.run(cli_command(args), cwd=cwd, env=ENV, capture_output=True, text=True, timeout=120)
    return run
