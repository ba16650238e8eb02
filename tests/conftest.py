"""Shared fixtures: running the real CLI in a subprocess from the repository root."""
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def nnrun_process():
    """``nnrun_process(*args, cwd=...)``: start ``python -m cli ARGS`` (a Popen) with this repo importable."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))}

    def start(*args, cwd=REPO):
        return subprocess.Popen([sys.executable, "-m", "cli", *map(str, args)], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return start
