"""Shared test helpers: the repository root, one way to run this checkout's command line, and an
array that watches for float64 arithmetic.

Test modules import the plain names (``from conftest import REPO, nnrun, Watched``); the fixtures
``run_cli`` and ``nnrun_process`` wrap the same runner.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))}


def cli_command(args):
    return [sys.executable, "-m", "cli", *map(str, args)]


def nnrun(*args, cwd=REPO, env=None, timeout=120):
    """``python -m cli ARGS`` with this checkout's code, run to the end: a CompletedProcess (text)."""
    return subprocess.run(cli_command(args), cwd=cwd, env={**ENV, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)


def start_nnrun(*args, cwd=REPO, env=None):
    """``python -m cli ARGS`` started in the background: a Popen with text pipes."""
    return subprocess.Popen(cli_command(args), cwd=cwd, env={**ENV, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def nnrun_process():
    """``nnrun_process(*args, cwd=...)``: :func:`start_nnrun`."""
    return start_nnrun


@pytest.fixture
def run_cli():
    """``run_cli(*args, cwd=...)``: :func:`nnrun`."""
    return nnrun


class Watched(np.ndarray):
    """An ndarray that records, in ``Watched.upcasts``, every ufunc that takes or makes a float64
    array (an in-place update ``W -= g`` with a float64 ``g`` included)."""

    upcasts = []

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        plain = [np.asarray(x) if isinstance(x, Watched) else x for x in inputs]
        if out is not None:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, Watched) else o for o in out)
        result = getattr(ufunc, method)(*plain, **kwargs)
        for array in [*plain, *(result if isinstance(result, tuple) else (result,))]:
            if isinstance(array, np.ndarray) and array.ndim and array.dtype == np.float64:
                Watched.upcasts.append(f"np.{ufunc.__name__}.{method}: {array.shape} float64")
        if out is not None:
            return out[0] if len(out) == 1 else out
        return result.view(Watched) if isinstance(result, np.ndarray) else result
