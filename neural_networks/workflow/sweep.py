"""Hyperparameter sweeps: a grid (or random draws from it) of ``--set`` overrides, each combination a
normal run folder inside the sweep folder, trained in parallel through joblib (worker processes, or
a Dask cluster), plus ``sweep.csv`` and a comparison plot. Run folder names follow the overrides,
so a sweep started again skips finished runs and resumes interrupted ones from their checkpoints.
"""
import contextlib
import itertools
import os
import re

import numpy as np

from . import checkpoint, files
from ..config import yamlio
from ..config.schema import check_name, load_config, parse_override
from ..config.errors import ConfigError, TrainingError
from .results import is_run, short_keys

UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]")
CONNECT_TIMEOUT = 10  # seconds to wait for a Dask scheduler


def parse_grid(texts):
    """``["optimizer.lr=0.01,0.1", ...]`` -> {key: [value texts]} in the given order."""
    grid = {}
    for text in texts:
        path, _ = parse_override(text)
        key, values = ".".join(path), [v.strip() for v in text.partition("=")[2].split(",")]
        if key in grid:
            raise ConfigError(f"--grid {key} is given twice: put all its values in one --grid {key}=A,B")
        if not all(values):
            raise ConfigError(f"--grid {text!r} has an empty value: write --grid {key}=V1,V2,...")
        grid[key] = values
    if not grid:
        raise ConfigError("a sweep needs at least one --grid KEY=V1,V2,...")
    return grid


def combinations(grid, random=None, seed=0):
    """Every combination of the grid's values as ``[(key, value), ...]``, or ``random`` of them drawn
    without replacement (seeded, so the same command draws the same runs)."""
    combos = [list(zip(grid, values)) for values in itertools.product(*grid.values())]
    if random is not None and random < len(combos):
        picked = np.random.default_rng(seed).choice(len(combos), size=random, replace=False)
        combos = [combos[i] for i in sorted(picked)]
    return combos


def run_name(combo, short):
    """The run folder name of a combination: ``lr=0.01,n_out=16``."""
    return ",".join(f"{short[key]}={UNSAFE.sub('_', value)}" for key, value in combo)


def plan(config_path, grid_texts, overrides=(), name=None, random=None, seed=0):
    """(sweep folder, [(run folder, resolved config, override texts)]), every config validated up front."""
    base = load_config(config_path, overrides)
    grid = parse_grid(grid_texts)
    sweep_dir = os.path.join(base["log"]["save_dir"], check_name(name or f"{base['name']}-sweep"))
    short = short_keys(list(grid))
    jobs = []
    for combo in combinations(grid, random, seed):
        texts = list(overrides) + [f"{key}={value}" for key, value in combo]
        run = run_name(combo, short)
        try:
            config = load_config(config_path, texts + [f"name={run}", f"log.save_dir={sweep_dir}"])
        except ConfigError as error:
            raise ConfigError(f"{error} (in the sweep run {run})") from None
        jobs.append((os.path.join(sweep_dir, run), config, texts))
    return sweep_dir, jobs


def finished(run_dir, config):
    """Whether ``run_dir`` already holds this config's completed (or diverged) run; an error if it holds
    another config."""
    if not is_run(run_dir):
        return False
    from .loading import run_config

    saved, wanted = (yamlio.load(yamlio.dump(c)) for c in (run_config(run_dir), config))
    for kept, asked in zip(saved["model"]["layers"], wanted["model"]["layers"]):
        if isinstance(asked, dict) and asked.get("n_out", 0) is None:  # the run saved the size the data gave
            kept["n_out"] = None
    if {**saved, "log": None} != {**wanted, "log": None}:
        raise ConfigError(f"{run_dir} was trained with a different config: give this sweep another --name")
    path = os.path.join(run_dir, "summary.json")
    return os.path.isfile(path) and files.read_json(path).get("status") in ("completed", "diverged")


def run_one(run_dir, config, overrides):
    """Train one sweep run in a worker (resuming it if a previous sweep was interrupted); its status.

    The run folder is locked first, waiting while another sweep started alike trains it: then it is
    found finished and skipped, so two identical sweeps never train one run twice or make a copy.
    """
    from .experiment import resume, run
    from .loading import run_summary

    os.makedirs(files.no_link(run_dir, "run folder"), exist_ok=True)
    try:
        with files.Lock(run_dir, wait=True):
            if finished(run_dir, config):
                checkpoint.remove(run_dir)  # the lock file this wait made: a finished run keeps none
                return run_dir, "finished meanwhile by another process"
            if is_run(run_dir):
                resume(run_dir)
            else:
                run(config, overrides, run_dir=run_dir)
    except TrainingError as error:
        return run_dir, f"{run_summary(run_dir).get('status', 'failed')}: {error}"
    return run_dir, "completed"


def sweep(config_path, grid_texts, overrides=(), name=None, random=None, seed=0, jobs=-1,
          backend="loky", scheduler=None, log=print):
    """Run the sweep's unfinished runs in parallel; write sweep.json, sweep.csv and compare.png.

    ``backend`` is a joblib backend: ``loky`` (local worker processes) or ``dask`` (the Dask
    cluster at ``scheduler``, e.g. ``tcp://10.0.0.5:8786``; run folders must be on a shared disk).
    Returns (sweep folder, the sweep.csv table).
    """
    from joblib import Parallel, delayed, parallel_config

    if jobs == 0:
        raise ConfigError("--jobs 0 runs nothing: give how many runs at once, or -1 for one per CPU core")
    sweep_dir, planned = plan(config_path, grid_texts, overrides, name, random, seed)
    files.no_link(sweep_dir, "sweep folder")
    for run_dir, _, _ in planned:
        files.no_link(run_dir, "run folder")
    todo = [job for job in planned if not finished(job[0], job[1])]
    with connected(backend, scheduler) if todo else contextlib.nullcontext():
        os.makedirs(sweep_dir, exist_ok=True)
        files.write_json(os.path.join(sweep_dir, "sweep.json"), {
            "config": config_path, "overrides": list(overrides), "grid": parse_grid(grid_texts),
            "random": random, "seed": seed, "runs": [os.path.basename(job[0]) for job in planned]})
        resumed = sum(is_run(job[0]) for job in todo)
        log(f"{len(planned)} runs in {sweep_dir}: {len(planned) - len(todo)} already finished, {len(todo)} to run"
            + (f" ({resumed} of them resumed)" if resumed else ""))
        with parallel_config(backend=backend, n_jobs=jobs):
            for run_dir, status in Parallel(return_as="generator_unordered")(delayed(run_one)(*job) for job in todo):
                log(f"  {os.path.basename(run_dir)}: {status}")
    return sweep_dir, write_results(sweep_dir, [job[0] for job in planned], list(parse_grid(grid_texts)))


@contextlib.contextmanager
def connected(backend, scheduler):
    """For the ``dask`` backend, a client of the scheduler (joblib's Dask backend uses it); else nothing."""
    if backend != "dask":
        yield
        return
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("--backend dask needs Dask: pip install 'nnrun[dask]'") from None
    if not scheduler:
        raise ConfigError("--backend dask needs --scheduler tcp://HOST:PORT (a Dask scheduler's address)")
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        raise ConfigError(f"cannot reach the Dask scheduler {scheduler}: {error}") from None
    with client:
        yield


def sweep_table(frame, width=None):
    """The sweep's runs (names inside the sweep folder) as a table that fits the terminal."""
    from .compare import compare_table

    return compare_table(frame, width).split("\n", 1)[1]


def write_results(sweep_dir, run_dirs, keys):
    """sweep.csv (one row per run: its overrides, best and test metrics, seconds) and compare.png."""
    from .compare import compare

    done = [path for path in run_dirs if is_run(path)]
    frame = compare(done, by=keys, path=os.path.join(sweep_dir, "compare.png"))
    frame["run"] = [os.path.basename(path) for path in frame["run"]]
    files.write_frame(os.path.join(sweep_dir, "sweep.csv"), frame)
    return frame
