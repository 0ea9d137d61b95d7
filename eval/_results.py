"""Eval results in the embedded store: rows for runs, cases and scores, and reading them back."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from llmops.eval._metrics import CaseOutput, Score

if TYPE_CHECKING:
    from llmops._store import Store
    from llmops.eval._suite import Case


@dataclass
class CaseResult:
    """One case's outcome: the output, what it cost, and every metric's score."""

    case: Case
    index: int
    status: str = "ok"  # ok | error | timeout
    error: str | None = None
    output: CaseOutput | None = None
    latency_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    cost_source: str | None = None
    guardrail_findings: int = 0
    attempts: int = 1
    trace_id: str | None = None
    scores: dict[str, Score] = field(default_factory=dict)
    resumed: bool = False

    @property
    def passed(self) -> bool:
        # An errored score (a judge that was down) is not a pass: the case is not counted a
        # success, though its value stays None rather than zero.
        return self.status == "ok" and all(
            s.passed is not False and s.status != "error" for s in self.scores.values()
        )


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def case_row(
    run_id: str, suite_hash: str, config_version: str, result: CaseResult
) -> dict[str, Any]:
    case, output = result.case, result.output
    return {
        "run_id": run_id,
        "case_id": case.id,
        "case_index": result.index,
        "suite_hash": suite_hash,
        "config_version": config_version,
        "status": result.status,
        "error": result.error,
        "input": _json(case.input),
        "output": _json(output.text) if output is not None else None,
        "contexts": _json(list(output.contexts) if output and output.contexts else case.context),
        "expected": _json(case.expected),
        "metadata": _json(case.metadata),
        "latency_ms": result.latency_ms,
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "cost_usd": result.cost_usd,
        "cost_source": result.cost_source,
        "guardrail_findings": result.guardrail_findings,
        "attempts": result.attempts,
        "trace_id": result.trace_id,
        "finished_ns": time.time_ns(),
    }


def score_rows(run_id: str, result: CaseResult) -> list[dict[str, Any]]:
    now = time.time_ns()
    return [
        {
            "run_id": run_id,
            "case_id": result.case.id,
            "metric": name,
            "value": score.value,
            "passed": score.passed,
            "status": score.status,
            "details": _json(score.details),
            "written_ns": now,
        }
        for name, score in result.scores.items()
    ]


def result_rows(
    run_id: str, suite_hash: str, config_version: str, results: list[CaseResult]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``eval_cases`` and ``eval_scores`` rows of a run's results."""
    cases = [case_row(run_id, suite_hash, config_version, r) for r in results]
    scores = [s for r in results for s in score_rows(run_id, r)]
    return cases, scores


class ResultWriter:
    """Appends each finished case (and its scores) as it completes: a crash loses one case."""

    def __init__(self, store: Store, run_id: str, suite_hash: str, config_version: str) -> None:
        self.store = store
        self.run_id = run_id
        self.suite_hash = suite_hash
        self.config_version = config_version

    def write_case(self, result: CaseResult) -> None:
        row = case_row(self.run_id, self.suite_hash, self.config_version, result)
        self.store.table("eval_cases").append([row])
        scores = score_rows(self.run_id, result)
        if scores:
            self.store.table("eval_scores").append(scores)

    def write_run(self, row: dict[str, Any]) -> None:
        self.store.table("eval_runs").append([{**row, "written_ns": time.time_ns()}])


def open_results(store_dir: Path | None = None) -> Store:
    import llmops.eval._tables  # noqa: F401  (declares the eval tables to the store)
    from llmops._configure import active_settings
    from llmops._spanstore import open_store

    return open_store(store_dir or active_settings().store_dir())


def rows(store: Store, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    from llmops.eval._runstore import rows as run_rows

    with store.connection() as con:
        return run_rows(con, sql, params)


def previous_run(store: Store, resume_key: str) -> str | None:
    """The latest run with this resume key (see ``Target.resume_key``), if any.

    Runs stored before the key existed have none, and are never resumed.
    """
    found = rows(
        store,
        "SELECT run_id FROM eval_runs WHERE resume_key = ? ORDER BY started_ns DESC LIMIT 1",
        [resume_key],
    )
    return found[0]["run_id"] if found else None


def scored_cases(store: Store, run_id: str, cases: dict[str, tuple[int, Case]]) -> list[CaseResult]:
    """Cases of ``run_id`` that finished with every metric scored: a resumed run skips them."""
    case_rows = rows(store, "SELECT * FROM eval_cases WHERE run_id = ? AND status = 'ok'", [run_id])
    by_case: dict[str, dict[str, Score]] = {}
    for row in rows(store, "SELECT * FROM eval_scores WHERE run_id = ?", [run_id]):
        score = Score(row["value"], row["passed"], row["status"], orjson.loads(row["details"]))
        by_case.setdefault(row["case_id"], {})[row["metric"]] = score
    results = []
    for row in case_rows:
        scores = by_case.get(row["case_id"], {})
        if row["case_id"] not in cases or any(s.status == "error" for s in scores.values()):
            continue
        index, case = cases[row["case_id"]]
        output = CaseOutput(
            text=orjson.loads(row["output"]) if row["output"] else "",
            contexts=tuple(orjson.loads(row["contexts"] or "[]")),
        )
        results.append(
            CaseResult(
                case=case,
                index=index,
                output=output,
                latency_ms=row["latency_ms"] or 0.0,
                input_tokens=row["input_tokens"] or 0,
                output_tokens=row["output_tokens"] or 0,
                cost_usd=row["cost_usd"],
                cost_source=row["cost_source"],
                guardrail_findings=row["guardrail_findings"] or 0,
                attempts=row["attempts"] or 1,
                trace_id=row["trace_id"],
                scores=scores,
                resumed=True,
            )
        )
    return results
