"""The eval runner: a suite's cases against a target, stored, summarised, compared and gated."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from llmops._errors import EvalDatasetError
from llmops.eval._casework import UsageTap, run_case
from llmops.eval._metrics import MetricDef, get_metric, resolve_judges
from llmops.eval._results import (
    CaseResult,
    ResultWriter,
    open_results,
    previous_run,
    result_rows,
    scored_cases,
)

if TYPE_CHECKING:
    from llmops.eval._suite import Case, MetricSpec, Suite
    from llmops.eval._targets import Target

EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class RunOptions:
    """How a suite runs (see :func:`run_suite` for each field)."""

    executor: str = "local"
    concurrency: int | None = None
    fresh: bool = False
    api_base: str | None = None
    log_to_mlflow: bool = True
    on_case: Callable[[CaseResult], None] | None = None


@dataclass
class EvalRun:
    """A finished eval run: its cases, summary, gates and (with a baseline) the comparison.

    Attributes:
        passed: No gate failed (skipped gates do not fail a run).
    """

    run_id: str
    suite: Suite
    target: str
    config_name: str | None
    config_version: str
    executor: str
    started_ns: int
    finished_ns: int
    cases: list[CaseResult]
    summary: dict[str, Any]
    gates: list[Any] = field(default_factory=list)
    comparison: Any = None
    baseline: EvalRun | None = None
    mlflow_run_id: str | None = None

    def rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The run's ``eval_cases`` and ``eval_scores`` rows (as stored)."""
        return result_rows(self.run_id, self.suite.hash, self.config_version, self.cases)

    @property
    def resumed_cases(self) -> int:
        return sum(1 for c in self.cases if c.resumed)

    @property
    def passed(self) -> bool:
        return all(getattr(g, "status", "passed") != "failed" for g in self.gates)


def run_suite(
    suite: Suite,
    target: Any = None,
    *,
    config: Any = None,
    baseline: Any = None,
    executor: str = "local",
    concurrency: int | None = None,
    fresh: bool = False,
    api_base: str | None = None,
    log_to_mlflow: bool = True,
    on_case: Callable[[CaseResult], None] | None = None,
) -> EvalRun:
    """Run ``suite`` against a target, store every case, and gate the result.

    Args:
        suite: A loaded suite (see :func:`load_suite`).
        target: A config reference, an AgentConfig, ``module:function`` or a callable;
            default: ``config``, else the suite's ``target``.
        config: The config to run (a reference or AgentConfig); with a callable ``target``,
            the config the callable runs under.
        baseline: A config to compare against: it runs the same suite (resumed when already
            run), and no-regression gates use the comparison. Or an :class:`EvalRun` already
            made.
        executor: ``local`` (threads) or ``ray``.
        concurrency: Cases at a time (default: the suite's setting).
        fresh: Run every case again. Otherwise a rerun resumes the latest run of the same
            suite, config version, target and target source (see ``Target.resume_key``),
            skipping the cases it scored.
        api_base: Where the config's model is served, instead of its own setting.
        log_to_mlflow: Also log the run (summary metrics) to MLflow.
        on_case: Called with each finished case (progress reporting).

    Raises:
        EvalDatasetError: Bad suite, target, config reference or executor.
    """
    from llmops.eval._targets import resolve_target

    if executor not in EXECUTORS:
        raise EvalDatasetError(f"unknown executor {executor!r} (use one of {EXECUTORS})")
    options = RunOptions(executor, concurrency, fresh, api_base, log_to_mlflow, on_case)
    chosen = target if target is not None else (config if config is not None else suite.target)
    resolved = resolve_target(chosen, config=config if target is not None else None)
    base_run = baseline if isinstance(baseline, EvalRun) else None
    if baseline is not None and base_run is None:
        # A callable target (or module:function) runs under the baseline config; otherwise the
        # baseline is the target.
        base_target = target if target is not None and _is_code(target) else None
        base_resolved = resolve_target(
            base_target or baseline, config=baseline if base_target else None
        )
        base_run = _execute(suite, base_resolved, options, None)
    return _execute(suite, resolved, options, base_run)


def _is_code(target: Any) -> bool:
    """A callable or a ``module:function`` reference (not a ``name@ref`` config)."""
    return callable(target) or (isinstance(target, str) and ":" in target and "@" not in target)


def _execute(
    suite: Suite, target: Target, options: RunOptions, baseline: EvalRun | None
) -> EvalRun:
    from llmops import flush
    from llmops.eval._targets import serving_for

    store = open_results()
    metrics = [(spec, get_metric(spec)) for spec in suite.metrics]
    resolve_judges(suite.metrics)
    cases = {case.id: (index, case) for index, case in enumerate(suite.case_list)}
    run_id = None if options.fresh else previous_run(store, target.resume_key(suite.hash))
    done = scored_cases(store, run_id, cases) if run_id else []
    run_id = run_id or uuid.uuid4().hex[:16]
    writer = ResultWriter(store, run_id, suite.hash, target.config_version)
    started = time.time_ns()
    row = _run_row(run_id, suite, target, options.executor, started, baseline)
    writer.write_run({**row, "status": "running"})
    finished_ids = {r.case.id for r in done}
    todo = [(i, c) for i, c in enumerate(suite.case_list) if c.id not in finished_ids]
    results = list(done)
    try:
        with serving_for(target, options.api_base) if todo else _nothing(target):
            for result in _run_cases(target, todo, metrics, suite, run_id, options):
                writer.write_case(result)
                results.append(result)
                if options.on_case is not None:
                    options.on_case(result)
    except BaseException:
        writer.write_run({**row, "status": "failed", "finished_ns": time.time_ns()})
        raise
    flush()
    results.sort(key=lambda r: r.index)
    return _finish(suite, target, options, writer, row, results, metrics, baseline)


@contextmanager
def _nothing(target: Target) -> Iterator[Target]:
    yield target


def _run_cases(
    target: Target,
    todo: list[tuple[int, Case]],
    metrics: list[tuple[MetricSpec, MetricDef]],
    suite: Suite,
    run_id: str,
    options: RunOptions,
) -> Iterator[CaseResult]:
    if not todo:
        return
    if options.executor == "ray":
        from llmops.eval._ray import run_cases_on_ray

        yield from run_cases_on_ray(target, todo, suite, run_id)
        return
    from llmops.tracing._processors import add_span_tap, remove_span_tap

    tap = UsageTap()
    add_span_tap(tap)
    workers = options.concurrency or suite.settings.concurrency
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llmops-eval") as pool:
            futures = [
                pool.submit(run_case, target, case, index, metrics, suite.settings, tap, run_id)
                for index, case in todo
            ]
            for future in as_completed(futures):
                yield future.result()
    finally:
        remove_span_tap(tap)


def _run_row(
    run_id: str,
    suite: Suite,
    target: Target,
    executor: str,
    started: int,
    baseline: EvalRun | None,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "suite_name": suite.name,
        "suite_hash": suite.hash,
        "suite_path": str(suite.path) if suite.path else None,
        "target": target.label,
        "config_name": target.config_name,
        "config_version": target.config_version,
        "baseline_run_id": baseline.run_id if baseline else None,
        "git_commit": git_commit(),
        "executor": executor,
        "started_ns": started,
        "case_count": len(suite.case_list),
        "_resume_key": target.resume_key(suite.hash),
    }


def _finish(
    suite: Suite,
    target: Target,
    options: RunOptions,
    writer: ResultWriter,
    row: dict[str, Any],
    results: list[CaseResult],
    metrics: list[tuple[MetricSpec, MetricDef]],
    baseline: EvalRun | None,
) -> EvalRun:
    from llmops.eval._gates import evaluate_gates, parse_gates
    from llmops.eval._summary import summarize

    run_id = row["run_id"]
    case_rows, scores = result_rows(run_id, suite.hash, target.config_version, results)
    directions = {spec.name: definition.higher_is_better for spec, definition in metrics}
    summary = summarize(case_rows, scores, directions)
    comparison = None
    if baseline is not None:
        from llmops.eval._compare import compare_runs

        comparison = compare_runs(baseline.run_id, run_id)
    gates = evaluate_gates(parse_gates(suite.gates), summary, comparison)
    finished = time.time_ns()
    run = EvalRun(
        run_id=run_id,
        suite=suite,
        target=target.label,
        config_name=target.config_name,
        config_version=target.config_version,
        executor=options.executor,
        started_ns=row["started_ns"],
        finished_ns=finished,
        cases=results,
        summary=summary,
        gates=gates,
        comparison=comparison,
        baseline=baseline,
    )
    if options.log_to_mlflow:
        from llmops.eval._mlflow import log_run

        run.mlflow_run_id = log_run(run)
    writer.write_run(
        {
            **row,
            "status": "completed",
            "finished_ns": finished,
            "summary": orjson.dumps(summary).decode(),
            "gates": orjson.dumps([g.to_row() for g in gates]).decode(),
            "mlflow_run_id": run.mlflow_run_id,
        }
    )
    return run


def git_commit() -> str | None:
    """The working tree's commit, when run inside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
