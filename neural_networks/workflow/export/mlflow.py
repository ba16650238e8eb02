"""A run folder as an MLflow run (the ``mlflow-skinny`` client; any tracking URI, by default a local
``mlruns`` folder holding ``mlflow.db`` and ``artifacts/``): the resolved config flattened as parameters,
metrics.csv's columns per epoch as metrics, and the run folder's pictures, config, summary and
parameters as artifacts.

A run folder already exported to the same tracking store (its absolute path is the run's
``nnrun.run_dir`` tag) is not logged twice.
"""
import glob
import os
import time

from .. import files
from ..loading import run_config
from ..results import flatten

BATCH = 100  # MLflow's limit of parameters per log_batch call (metrics: 1000)
STATUS = {"completed": "FINISHED", "diverged": "FAILED", "pruned": "KILLED", "interrupted": "KILLED"}


def params(config):
    """``[Param(dotted key, value text)]`` of the resolved config (list items by index)."""
    from mlflow.entities import Param

    return [Param(key, str(value)) for key, value in flatten(config).items()]


def metrics(run_dir):
    """``[Metric(column, value, timestamp, epoch)]`` of every finite metrics.csv cell."""
    import pandas as pd
    from mlflow.entities import Metric

    frame = pd.read_csv(os.path.join(run_dir, "metrics.csv"))
    now = int(time.time() * 1000)
    return [Metric(column, float(value), now, int(epoch)) for column in frame.columns if column != "epoch"
            for epoch, value in zip(frame["epoch"], frame[column]) if value == value]


def artifacts(run_dir):
    """The run folder's files worth keeping beside the numbers: pictures, config, summary, predictions."""
    names = ["config.yaml", "summary.json", "metrics.csv", "predictions.csv", "diagnostics.csv"]
    return sorted(glob.glob(os.path.join(run_dir, "*.png"))) + [
        path for path in (os.path.join(run_dir, n) for n in names) if os.path.isfile(path)]


def export(run_dir, tracking_uri, experiment):
    """Log ``run_dir`` as a run of ``experiment`` at ``tracking_uri``; return its MLflow run id."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    local = tracking_uri.startswith("sqlite:///")  # artifacts beside a local database, not in the cwd
    artifact_root = os.path.join(os.path.dirname(tracking_uri.removeprefix("sqlite:///")), "artifacts")
    experiment_id = found.experiment_id if found else client.create_experiment(
        experiment, artifact_location=artifact_root if local else None)
    where = os.path.abspath(run_dir)
    done = [run for run in client.search_runs([experiment_id], max_results=1000)
            if run.data.tags.get("nnrun.run_dir") == where]
    if done:
        return done[0].info.run_id
    summary_path = os.path.join(run_dir, "summary.json")
    summary = files.read_json(summary_path) if os.path.isfile(summary_path) else {}
    run = client.create_run(experiment_id, run_name=os.path.basename(where),
                            tags={"nnrun.run_dir": where, "nnrun.status": summary.get("status", "unknown")})
    run_id = run.info.run_id
    logged_params, logged_metrics = params(run_config(run_dir)), metrics(run_dir)
    for start in range(0, max(len(logged_params), len(logged_metrics)), BATCH):
        client.log_batch(run_id, metrics=logged_metrics[start:start + BATCH], params=logged_params[start:start + BATCH])
    for path in artifacts(run_dir):
        client.log_artifact(run_id, path)
    if os.path.isdir(os.path.join(run_dir, "parameters")):
        client.log_artifacts(run_id, os.path.join(run_dir, "parameters"), "parameters")
    client.set_terminated(run_id, STATUS.get(summary.get("status"), "FINISHED"))
    return run_id
