"""Hyperparameter sweeps: a grid (or random draws from it) of ``--set`` overrides, each combination a
normal run folder inside the sweep folder, trained in parallel through joblib (worker processes, or
a Dask cluster), plus ``sweep.csv`` and a comparison plot. Run folder names follow the overrides,
so a sweep started again skips finished runs and resumes interrupted ones from their checkpoints.

With ``--sampler random`` or ``tpe`` the runs are Optuna trials instead (:mod:`.tuning`): each batch of
``--jobs`` runs is asked of the study, trained, and told its best validation metric.
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


def parse_grid(texts, option="--grid", required=True):
    """``["optimizer.lr=0.01,0.1", ...]`` -> {key: [value texts]} in the given order."""
    grid = {}
    for text in texts:
        path, _ = parse_override(text)
        key, values = ".".join(path), [v.strip() for v in text.partition("=")[2].split(",")]
        if key in grid:
            raise ConfigError(f"{option} {key} is given twice: put all its values in one {option} {key}=A,B")
        if not all(values):
            raise ConfigError(f"{option} {text!r} has an empty value: write {option} {key}=V1,V2,...")
        grid[key] = values
    if not grid and required:
        raise ConfigError("a sweep needs at least one --grid KEY=V1,V2,... (or --choice, or --range with "
                          "--sampler random or tpe)")
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
    return os.path.isfile(path) and files.read_json(path).get("status") in ("completed", "diverged", "pruned")


def run_one(run_dir, config, overrides, callbacks=()):
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
                _, summary = resume(run_dir, callbacks=callbacks)
            else:
                _, summary = run(config, overrides, run_dir=run_dir, callbacks=callbacks)
    except TrainingError as error:
        return run_dir, f"{run_summary(run_dir).get('status', 'failed')}: {error}"
    return run_dir, summary["status"]


def run_trial(run_dir, config, overrides, sweep_dir, trial_id, prune):
    """Train one Optuna trial's run in a worker, pruned by the study's median rule with ``prune``."""
    from .tuning import Pruner

    callbacks = [Pruner(sweep_dir, trial_id, config["train"]["monitor"])] if prune else []
    return run_one(run_dir, config, overrides, callbacks)


def sweep(config_path, grid_texts, overrides=(), name=None, random=None, seed=0, jobs=-1,
          backend="loky", scheduler=None, log=print, ranges=(), choices=(), sampler="grid", trials=None,
          prune=False):
    """Run the sweep's unfinished runs in parallel; write sweep.json, sweep.csv and compare.png.

    ``backend`` is a joblib backend: ``loky`` (local worker processes) or ``dask`` (the Dask
    cluster at ``scheduler``, e.g. ``tcp://10.0.0.5:8786``; run folders must be on a shared disk).
    ``sampler`` ``random`` or ``tpe`` runs ``trials`` Optuna trials over ``ranges`` (``KEY=LOW:HIGH[:log]``),
    ``choices`` and the grid's values (see :func:`adaptive`). Returns (sweep folder, the sweep.csv table).
    """
    if jobs == 0:
        raise ConfigError("--jobs 0 runs nothing: give how many runs at once, or -1 for one per CPU core")
    if sampler != "grid":
        if random:
            raise ConfigError(f"--random N draws from a grid; --sampler {sampler} draws --trials N runs")
        return adaptive(config_path, grid_texts, overrides, name, seed, jobs, backend, scheduler, log, ranges,
                        choices, sampler, trials or 20, prune)
    for option, given in (("--range", ranges), ("--trials", trials), ("--prune", prune)):
        if given:
            raise ConfigError(f"{option} goes with --sampler random or tpe (a grid sweep runs every combination)")
    grid_texts = [*grid_texts, *choices]
    return grid_sweep(config_path, grid_texts, overrides, name, random, seed, jobs, backend, scheduler, log)


def grid_sweep(config_path, grid_texts, overrides, name, random, seed, jobs, backend, scheduler, log):
    """Every combination of the grid (or ``random`` of them), skipping the runs already finished."""
    from joblib import Parallel, delayed, parallel_config

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


def write_results(sweep_dir, run_dirs, keys, log_keys=()):
    """sweep.csv (one row per run: its overrides, best and test metrics, seconds), compare.png, and
    parallel.png (one axis per swept key and the metric; ``log_keys`` on a log scale)."""
    from .compare import compare, plot_parallel

    done = [path for path in run_dirs if is_run(path)]
    frame = compare(done, by=keys if len(keys) <= 3 else keys[:3], path=os.path.join(sweep_dir, "compare.png"))
    frame["run"] = [os.path.basename(path) for path in frame["run"]]
    files.write_frame(os.path.join(sweep_dir, "sweep.csv"), frame)
    if len(frame) > 1:
        plot_parallel(frame, keys, "val_loss", os.path.join(sweep_dir, "parallel.png"), log_keys)
    return frame


def workers(jobs, backend):
    """How many runs go at once: ``jobs``, or for -1 the CPU cores (the Dask cluster's worker threads)."""
    if jobs > 0:
        return jobs
    if backend == "dask":
        from distributed import get_client

        return max(1, sum(get_client().nthreads().values()))
    from joblib import cpu_count

    return cpu_count()  # what joblib's -1 means: the cores this process may use (affinity, cgroup quota)


def check_space(config_path, overrides, ranges, choices):
    """Every end of every range and every choice, each alone, makes a valid config: errors before any run."""
    for key, (low, high, _) in ranges.items():
        for value in (low, high):
            load_config(config_path, [*overrides, f"{key}={value!r}"])
    for key, values in choices.items():
        for value in values:
            load_config(config_path, [*overrides, f"{key}={value}"])


def adaptive(config_path, grid_texts, overrides, name, seed, jobs, backend, scheduler, log, range_texts,
             choice_texts, sampler, trials, prune):
    """An Optuna sweep of ``trials`` runs named ``trial-NNN``: batches of :func:`workers` runs asked of the
    study (kept in the sweep folder's journal, so a restarted sweep first finishes the trials it left
    running, then asks for the rest), trained, and told their best validation metric."""
    from joblib import Parallel, delayed, parallel_config

    from . import tuning

    base = load_config(config_path, overrides)
    ranges = tuning.parse_ranges(range_texts)
    choices = {**parse_grid(grid_texts, required=False), **parse_grid(choice_texts, "--choice", required=False)}
    if not ranges and not choices:
        raise ConfigError(f"--sampler {sampler} needs a search space: --range KEY=LOW:HIGH[:log] or --choice KEY=A,B")
    check_space(config_path, overrides, ranges, choices)
    sweep_dir = os.path.join(base["log"]["save_dir"], check_name(name or f"{base['name']}-sweep"))
    record(sweep_dir, {"config": config_path, "overrides": list(overrides), "sampler": sampler, "trials": trials,
                       "seed": seed, "prune": prune, "ranges": {k: list(v) for k, v in ranges.items()},
                       "choices": choices})
    study = tuning.study(sweep_dir, sampler, seed, prune)
    from optuna.trial import TrialState

    stale = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))  # left running by a stopped sweep
    resumed = [(t, tuning.trial_texts(t.params, ranges, choices)) for t in stale]
    done = len(study.trials) - len(stale)
    log(f"{trials} trials in {sweep_dir} ({sampler}): {done} already finished, {max(trials - done, 0)} to run"
        + (f" ({len(stale)} of them resumed)" if stale else ""))

    def job(trial, texts):
        run_dir = os.path.join(sweep_dir, f"trial-{trial.number:03d}")
        config = load_config(config_path, [*overrides, *texts, f"name={os.path.basename(run_dir)}",
                                           f"log.save_dir={sweep_dir}"])
        return run_dir, config, [*overrides, *texts], sweep_dir, trial._trial_id, prune

    with connected(backend, scheduler) if done < trials else contextlib.nullcontext():
        size = workers(jobs, backend)
        with parallel_config(backend=backend, n_jobs=jobs):
            while done < trials:
                if resumed:
                    batch, resumed = resumed[:size], resumed[size:]
                else:
                    asked = [study.ask() for _ in range(min(size, trials - done))]
                    batch = [(t, tuning.suggest(t, ranges, choices)) for t in asked]
                planned = []
                for trial, texts in batch:
                    try:
                        planned.append(job(trial, texts))
                    except ConfigError as error:  # each value was valid alone (check_space), not together
                        study.tell(trial.number, state=TrialState.FAIL)
                        log(f"  trial-{trial.number:03d}: not run: {error}")
                for run_dir, status in Parallel(return_as="generator_unordered")(
                        delayed(run_trial)(*args) for args in planned):
                    tell(study, run_dir)
                    log(f"  {os.path.basename(run_dir)}: {status}")
                done += len(batch)
    runs = [os.path.join(sweep_dir, f"trial-{t.number:03d}") for t in study.trials]
    log_keys = [k for k, (_, _, log) in ranges.items() if log]
    return sweep_dir, write_results(sweep_dir, runs, [*ranges, *choices], log_keys)


def record(sweep_dir, spec):
    """Write an Optuna sweep's sweep.json; a sweep folder holding another search is an error (a restart
    continues the same search: its study would not fit another space)."""
    path = os.path.join(sweep_dir, "sweep.json")
    if os.path.isfile(path):
        saved = files.read_json(path)
        changed = [k for k in ("overrides", "sampler", "seed", "ranges", "choices") if saved.get(k) != spec[k]]
        if changed:
            raise ConfigError(f"{sweep_dir} holds a sweep with other {', '.join(changed)}: give this sweep another "
                              "--name (or the same options to continue it)")
    os.makedirs(sweep_dir, exist_ok=True)
    files.write_json(path, spec)


def tell(study, run_dir):
    """Give the study a finished run's result, as its summary.json says (the run may have ended before a
    stopped sweep could tell): its best monitored metric, or pruned, or failed."""
    from optuna.trial import TrialState

    number = int(os.path.basename(run_dir).split("-")[1])
    path = os.path.join(run_dir, "summary.json")
    summary = files.read_json(path) if os.path.isfile(path) else {}
    status = summary.get("status")
    if status == "completed":
        value = summary["best"][summary["monitor"]]
        study.tell(number, value if value == value else None,
                   state=TrialState.COMPLETE if value == value else TrialState.FAIL)
    else:
        study.tell(number, state=TrialState.PRUNED if status == "pruned" else TrialState.FAIL)


def swept(sweep_dir):
    """(swept keys, those on a log scale, sampler) from a sweep folder's sweep.json; None if not a sweep."""
    path = os.path.join(sweep_dir, "sweep.json")
    if not os.path.isfile(path):
        return None
    spec = files.read_json(path)
    ranges = spec.get("ranges", {})
    keys = [*spec.get("grid", {}), *ranges, *spec.get("choices", {})]
    return keys, [k for k, (_, _, log) in ranges.items() if log], spec.get("sampler", "grid")


def sweep_views(sweep_dir, frame, metric, path):
    """For ``compare`` on a sweep: the parallel-coordinates plot of ``frame`` (runs by best ``metric``)
    at ``path``, and {key: importance} for a tpe sweep (else {})."""
    from .compare import plot_parallel
    from .tuning import importances

    keys, log_keys, sampler = swept(sweep_dir)
    plot_parallel(frame, [k for k in keys if k in frame.columns], metric, path, log_keys)
    return importances(sweep_dir) if sampler == "tpe" else {}
