"""Each eval run also goes to MLflow: a run in the ``llmops-evals`` experiment, tagged with the
config version it scored (the same MLflow store that versions the configs), with the summary
values as metrics, so MLflow's UI charts versions against each other."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmops.eval._runner import EvalRun

EXPERIMENT = "llmops-evals"
logger = logging.getLogger("llmops.eval")
_METRIC_NAME = re.compile(r"[^A-Za-z0-9_\-. /]")


def log_run(run: EvalRun) -> str | None:
    """Log ``run`` to MLflow; returns the MLflow run id, or None when MLflow is unavailable.

    The DuckDB rows are the record: a tracking server that is down costs a log line, not the run.
    """
    try:
        return _log(run)
    except Exception as exc:  # MLflow is a mirror of the stored results; never fail the run
        logger.warning("llmops: eval run %s not logged to MLflow: %s", run.run_id, exc)
        return None


def _log(run: EvalRun) -> str | None:
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return None
    from mlflow.entities import Metric, Param

    from llmops._registry import configs

    registry = configs()
    client = registry.client
    experiment = client.get_experiment_by_name(EXPERIMENT)
    experiment_id = (
        experiment.experiment_id if experiment is not None else client.create_experiment(EXPERIMENT)
    )
    tags = {
        "llmops.eval.run_id": run.run_id,
        "llmops.eval.suite": run.suite.name,
        "llmops.eval.suite_hash": run.suite.hash,
        "llmops.eval.target": run.target,
        "llmops.eval.executor": run.executor,
        "llmops.eval.passed": str(run.passed).lower(),
        "mlflow.runName": f"{run.suite.name} · {run.target}",
    }
    if run.config_name:
        tags["llmops.config.name"] = run.config_name
        tags["llmops.config.version"] = run.config_version
        model_version = _model_version(registry, run.config_name, run.config_version)
        if model_version is not None:
            tags["llmops.config.mlflow_version"] = model_version
    if run.baseline is not None:
        tags["llmops.eval.baseline_run_id"] = run.baseline.run_id
    created = client.create_run(experiment_id, start_time=run.started_ns // 1_000_000, tags=tags)
    mlflow_run_id = created.info.run_id
    timestamp = run.finished_ns // 1_000_000
    metrics = [
        Metric(_METRIC_NAME.sub("_", name), float(entry["value"]), timestamp, 0)
        for name, entry in run.summary.items()
        if isinstance(entry, dict) and isinstance(entry.get("value"), int | float)
    ]
    params = [Param("cases", str(len(run.cases))), Param("suite_path", str(run.suite.path))]
    client.log_batch(mlflow_run_id, metrics=metrics, params=params)
    client.set_terminated(mlflow_run_id, end_time=timestamp)
    return str(mlflow_run_id)


def _model_version(registry: object, name: str, version: str) -> str | None:
    try:
        found = registry.resolve(f"{name}@{version}")  # type: ignore[attr-defined]
    except Exception:
        return None
    return str(found.mlflow_version)
