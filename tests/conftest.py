"""Shared fixtures: the command line of this checkout, run in a subprocess."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def run_cli():
    """``run_cli(*args)`` -> CompletedProcess of ``python -m cli ARGS`` with this checkout's code."""
    def run(*args, cwd=ROOT):
        env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
        return subprocess.run([sys.executable, "-m", "cli", *map(str, args)], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=120)
    return run
