"""Per-case values of two runs, paired by ``case_id``: what ``_compare`` feeds the bootstrap.

Each per-case metric is a function from (run, case id) to a number or ``None`` (no value: the
score was skipped, the cost unknown). A pair enters a metric's comparison only when both runs
have a value for that case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from llmops.eval._summary import (
    HALLUCINATION_METRIC,
    RUN_LEVEL_DIRECTIONS,
    case_ok,
    score_failed,
    score_judged,
    score_passed,
    score_ran,
)

# Case columns compared per case; lower is better for all of them.
CASE_COLUMNS = ("cost_usd", "latency_ms", "input_tokens", "output_tokens")

# Summary aggregates with no per-case form: compared without an interval.
RUN_LEVEL_METRICS: dict[str, bool] = {
    name: RUN_LEVEL_DIRECTIONS[name]
    for name in (
        "cases",
        "cost_usd_total",
        "cost_per_case_usd",
        "cost_per_1k_tokens_usd",
        "cost_per_success_usd",
        "input_tokens_total",
        "output_tokens_total",
        "guardrail_findings_total",
    )
}

# A regression of these aggregates is traced back to the cases through this column.
_CASE_COLUMN_OF = {"p50_latency_ms": "latency_ms", "p95_latency_ms": "latency_ms"}


@dataclass
class RunData:
    """One stored run: its ``eval_runs`` row, case and score rows, and its summary."""

    run: dict[str, Any]
    cases: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    summary: dict[str, Any] | None
    case_map: dict[str, dict[str, Any]] = field(init=False)
    score_map: dict[tuple[str, str], dict[str, Any]] = field(init=False)
    failed_cases: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.case_map = {str(c["case_id"]): c for c in self.cases}
        self.score_map = {(str(s["case_id"]), str(s["metric"])): s for s in self.scores}
        self.failed_cases = {str(s["case_id"]) for s in self.scores if score_failed(s)}

    def metric_names(self) -> set[str]:
        return {metric for _, metric in self.score_map}

    def trace_id(self, case_id: str) -> str | None:
        return self.case_map.get(case_id, {}).get("trace_id")


def _score_value(metric: str, run: RunData, case_id: str) -> float | None:
    score = run.score_map.get((case_id, metric))
    if score is None or not score_ran(score) or score.get("value") is None:
        return None
    return float(score["value"])


def _score_pass(metric: str, run: RunData, case_id: str) -> float | None:
    score = run.score_map.get((case_id, metric))
    if score is None or not score_judged(score):
        return None
    return 1.0 if score_passed(score) else 0.0


def _score_fail(metric: str, run: RunData, case_id: str) -> float | None:
    passed = _score_pass(metric, run, case_id)
    return None if passed is None else 1.0 - passed


def _success(run: RunData, case_id: str) -> float | None:
    ok = case_ok(run.case_map[case_id]) and case_id not in run.failed_cases
    return 1.0 if ok else 0.0


def _error(run: RunData, case_id: str) -> float | None:
    return 0.0 if case_ok(run.case_map[case_id]) else 1.0


def _column(column: str, run: RunData, case_id: str) -> float | None:
    value = run.case_map[case_id].get(column)
    return None if value is None else float(value)


@dataclass(frozen=True)
class CaseMetric:
    """A metric with one value per case, compared by a paired bootstrap."""

    name: str
    higher_is_better: bool
    extract: Callable[[RunData, str], float | None]
    quantile: float | None = None

    def paired_values(
        self, base: RunData, cand: RunData, paired: Sequence[str]
    ) -> tuple[list[float], list[float]]:
        """The values of the paired cases where both runs have one, in ``paired`` order."""
        b_values, c_values = [], []
        for case_id in paired:
            b, c = self.extract(base, case_id), self.extract(cand, case_id)
            if b is not None and c is not None:
                b_values.append(b)
                c_values.append(c)
        return b_values, c_values


def per_case_metrics(base: RunData, cand: RunData, directions: dict[str, bool]) -> list[CaseMetric]:
    """Every metric of the two runs that has a per-case form, in display order."""
    names = sorted(base.metric_names() | cand.metric_names())
    out: list[CaseMetric] = []
    for name in names:
        out.append(CaseMetric(name, directions.get(name, True), partial(_score_value, name)))
        out.append(CaseMetric(f"{name}_pass_rate", True, partial(_score_pass, name)))
    if HALLUCINATION_METRIC in names:
        out.append(
            CaseMetric("hallucination_rate", False, partial(_score_fail, HALLUCINATION_METRIC))
        )
    out.append(CaseMetric("success_rate", True, _success))
    out.append(CaseMetric("error_rate", False, _error))
    out.extend(CaseMetric(c, False, partial(_column, c)) for c in CASE_COLUMNS)
    latency = partial(_column, "latency_ms")
    out.append(CaseMetric("p50_latency_ms", False, latency, quantile=0.5))
    out.append(CaseMetric("p95_latency_ms", False, latency, quantile=0.95))
    return out


def _delta(
    case_id: str, metric: str, b: float | None, c: float | None, base: RunData, cand: RunData
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "metric": metric,
        "baseline_value": b,
        "candidate_value": c,
        "baseline_trace_id": base.trace_id(case_id),
        "candidate_trace_id": cand.trace_id(case_id),
    }


def regressed_cases(
    base: RunData,
    cand: RunData,
    paired: Sequence[str],
    regressed_metrics: set[str],
    directions: dict[str, bool],
) -> list[dict[str, Any]]:
    """Cases that got worse, as ``CaseDelta`` fields.

    Listed: a case that ran in the baseline but failed in the candidate (metric ``error``); a
    score that passed in the baseline and did not in the candidate; and, for every per-case value
    metric whose verdict is ``regressed``, the cases whose value moved the wrong way (largest
    change first).
    """
    out = [
        _delta(case_id, "error", 0.0, 1.0, base, cand)
        for case_id in paired
        if case_ok(base.case_map[case_id]) and not case_ok(cand.case_map[case_id])
    ]
    seen: set[tuple[str, str]] = set()
    for metric in sorted(base.metric_names() | cand.metric_names()):
        for case_id in paired:
            b_pass, c_pass = _score_pass(metric, base, case_id), _score_pass(metric, cand, case_id)
            if b_pass == 1.0 and c_pass == 0.0:
                b, c = _score_value(metric, base, case_id), _score_value(metric, cand, case_id)
                out.append(_delta(case_id, metric, b, c, base, cand))
                seen.add((case_id, metric))
    value_metrics = {_CASE_COLUMN_OF.get(m, m) for m in regressed_metrics}
    for metric in sorted(value_metrics):
        if metric in CASE_COLUMNS:
            extract, higher_is_better = partial(_column, metric), False
        elif metric in base.metric_names() | cand.metric_names():
            extract, higher_is_better = partial(_score_value, metric), directions.get(metric, True)
        else:
            continue
        worse = []
        for case_id in paired:
            b, c = extract(base, case_id), extract(cand, case_id)
            if b is None or c is None or (case_id, metric) in seen:
                continue
            change = (b - c) if higher_is_better else (c - b)
            if change > 0:
                worse.append((change, _delta(case_id, metric, b, c, base, cand)))
        out.extend(row for _, row in sorted(worse, key=lambda item: -item[0]))
    return out
