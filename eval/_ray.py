"""``--executor ray``: cases fan out as Ray tasks, each running the same code as a local worker.

Every task runs :func:`run_case` (target, timeout, retries, scoring) in a Ray worker process
and returns the :class:`CaseResult`; the driver stores results as they arrive, exactly as the
local executor does, so the two give identical rows. Workers trace into the same store (its
files take many writers) and flush before the task returns. Without a cluster address
(``RAY_ADDRESS``), a local Ray starts for the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from llmops._errors import EvalDatasetError

if TYPE_CHECKING:
    from llmops.eval._results import CaseResult
    from llmops.eval._suite import Case, Suite
    from llmops.eval._targets import Target


def _case_task(target: Target, case: Case, index: int, suite: Suite, run_id: str) -> CaseResult:
    import llmops
    from llmops.eval._casework import UsageTap, run_case
    from llmops.eval._metrics import get_metric
    from llmops.tracing._processors import add_span_tap, remove_span_tap

    metrics = [(spec, get_metric(spec)) for spec in suite.metrics]
    tap = UsageTap()
    add_span_tap(tap)
    try:
        return run_case(target, case, index, metrics, suite.settings, tap, run_id)
    finally:
        remove_span_tap(tap)
        llmops.flush()


def _worker_env() -> dict[str, str]:
    from llmops._configure import active_settings

    settings = active_settings()
    env = {k: v for k, v in os.environ.items() if k.startswith(("LLMOPS_", "MLFLOW_", "OTEL_"))}
    env["LLMOPS_HOME"] = str(settings.home)
    # Callable targets are pickled by reference: workers import them from the driver's path.
    paths = [os.getcwd(), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    return env


def run_cases_on_ray(
    target: Target, todo: list[tuple[int, Case]], suite: Suite, run_id: str
) -> Iterator[CaseResult]:
    """Run ``todo`` as Ray tasks; yields results as they finish."""
    try:
        import ray
    except ImportError:
        raise EvalDatasetError("--executor ray needs Ray: pip install 'llmops[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        _init(ray)
    try:
        task = ray.remote(max_retries=0)(_case_task)
        pending: dict[Any, int] = {
            task.remote(target, case, index, suite, run_id): index for index, case in todo
        }
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                pending.pop(ref)
                yield ray.get(ref)
    finally:
        if started_here:
            ray.shutdown()


def _init(ray: Any) -> None:
    runtime_env = {"env_vars": _worker_env()}
    if os.environ.get("RAY_ADDRESS"):
        ray.init(runtime_env=runtime_env, log_to_driver=False)
        return
    ray.init(
        num_cpus=max(2, os.cpu_count() or 2),
        include_dashboard=False,
        log_to_driver=False,
        runtime_env=runtime_env,
        configure_logging=False,
    )
