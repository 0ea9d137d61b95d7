"""A run's summary: the aggregates stored in ``eval_runs.summary`` and checked by gates.

:func:`summarize` turns rows shaped like the ``eval_cases`` and ``eval_scores`` tables into
``{name: {"value": float | None, "higher_is_better": bool}}``. A value is ``None`` when no case
reported what it needs (no cost known, no latency measured), so that a gate on it fails loudly
instead of passing on a made-up zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmops.eval._stats import percentile

Summary = dict[str, dict[str, Any]]
"""``{name: {"value": float | int | None, "higher_is_better": bool}}``."""

HALLUCINATION_METRIC = "hallucination"

# Direction of every run-level aggregate (score metrics take theirs from the suite).
RUN_LEVEL_DIRECTIONS: dict[str, bool] = {
    "hallucination_rate": False,
    "success_rate": True,
    "error_rate": False,
    "cases": True,
    "cost_usd_total": False,
    "cost_per_case_usd": False,
    "cost_per_1k_tokens_usd": False,
    "cost_per_success_usd": False,
    "input_tokens_total": False,
    "output_tokens_total": False,
    "p50_latency_ms": False,
    "p95_latency_ms": False,
    "guardrail_findings_total": False,
}


def score_ran(score: Mapping[str, Any]) -> bool:
    """Whether a score row counts towards its metric: every status but ``skipped``."""
    return score.get("status") != "skipped"


def score_judged(score: Mapping[str, Any]) -> bool:
    """Whether a score row has a pass/fail outcome.

    A metric without a threshold writes ``passed`` NULL: it neither passes nor fails. An errored
    score (the judge was down) counts as judged and failed: nothing vouched for that case.
    """
    if not score_ran(score):
        return False
    return score.get("passed") is not None or score.get("status") == "error"


def score_passed(score: Mapping[str, Any]) -> bool:
    """Whether a score row passed: ``passed`` is true and the metric did not error."""
    return score.get("passed") is True and score.get("status", "ok") == "ok"


def score_failed(score: Mapping[str, Any]) -> bool:
    """Whether a score row failed: judged and not passed."""
    return score_judged(score) and not score_passed(score)


def case_ok(case: Mapping[str, Any]) -> bool:
    """Whether the case itself ran to completion (``status == 'ok'``)."""
    return case.get("status") == "ok"


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _known(cases: Sequence[Mapping[str, Any]], column: str) -> list[float]:
    return [case[column] for case in cases if case.get(column) is not None]


def _score_metrics(
    scores: Sequence[Mapping[str, Any]], directions: Mapping[str, bool]
) -> tuple[Summary, dict[str, list[Mapping[str, Any]]]]:
    by_metric: dict[str, list[Mapping[str, Any]]] = {}
    for score in scores:
        by_metric.setdefault(str(score["metric"]), []).append(score)
    out: Summary = {}
    for metric in sorted(by_metric):
        ran = [s for s in by_metric[metric] if score_ran(s)]
        values = [float(s["value"]) for s in ran if s.get("value") is not None]
        passes = [1.0 if score_passed(s) else 0.0 for s in ran if score_judged(s)]
        out[metric] = {"value": _mean(values), "higher_is_better": directions.get(metric, True)}
        out[f"{metric}_pass_rate"] = {"value": _mean(passes), "higher_is_better": True}
    return out, by_metric


def _successes(cases: Sequence[Mapping[str, Any]], scores: Sequence[Mapping[str, Any]]) -> int:
    failed_cases = {s["case_id"] for s in scores if score_failed(s)}
    return sum(1 for case in cases if case_ok(case) and case["case_id"] not in failed_cases)


def summarize(
    cases: list[dict[str, Any]], scores: list[dict[str, Any]], directions: dict[str, bool]
) -> dict[str, dict[str, Any]]:
    """Aggregate one run's case and score rows into its summary.

    For every score metric ``m``: ``m`` (mean of its non-NULL values) and ``m_pass_rate`` (share
    of its judged rows that passed; see :func:`score_judged`: skipped rows and rows without a
    threshold do not count, an errored score did not pass). Then ``hallucination_rate`` (share
    of cases whose ``hallucination`` score did not pass, when that metric ran),
    ``success_rate`` (case ``ok`` and no score failed), ``error_rate``
    (case not ``ok``), ``cases``, cost (total, per case with a known cost, per 1k tokens, per
    success), token totals, ``p50``/``p95`` latency (linear interpolation) and the guardrail
    findings total.

    Args:
        cases: Rows shaped like ``eval_cases`` (``case_id``, ``status``, ``latency_ms``,
            ``input_tokens``, ``output_tokens``, ``cost_usd``, ``guardrail_findings``).
        scores: Rows shaped like ``eval_scores`` (``case_id``, ``metric``, ``value``,
            ``passed``, ``status``).
        directions: Score metric name → whether higher is better; a metric not named here is
            taken as higher-is-better.

    Returns:
        ``{name: {"value": float | int | None, "higher_is_better": bool}}``.

    Example:
        >>> s = summarize([{"case_id": "a", "status": "ok", "cost_usd": 0.001}], [], {})
        >>> s["cost_per_case_usd"]["value"]
        0.001
    """
    summary, by_metric = _score_metrics(scores, directions)
    values: dict[str, float | int | None] = {}
    hallucination = [s for s in by_metric.get(HALLUCINATION_METRIC, []) if score_judged(s)]
    values["hallucination_rate"] = (
        _mean([0.0 if score_passed(s) else 1.0 for s in hallucination]) if hallucination else None
    )
    total = len(cases)
    successes = _successes(cases, scores)
    values["success_rate"] = successes / total if total else None
    values["error_rate"] = sum(1 for c in cases if not case_ok(c)) / total if total else None
    values["cases"] = total
    costs = _known(cases, "cost_usd")
    cost_total = sum(costs) if costs else None
    input_tokens = _known(cases, "input_tokens")
    output_tokens = _known(cases, "output_tokens")
    values["cost_usd_total"] = cost_total
    values["cost_per_case_usd"] = _ratio(cost_total, len(costs))
    tokens = sum(input_tokens) + sum(output_tokens)
    values["cost_per_1k_tokens_usd"] = _ratio(cost_total, tokens / 1000.0)
    values["cost_per_success_usd"] = _ratio(cost_total, successes)
    values["input_tokens_total"] = int(sum(input_tokens)) if input_tokens else None
    values["output_tokens_total"] = int(sum(output_tokens)) if output_tokens else None
    latencies = _known(cases, "latency_ms")
    values["p50_latency_ms"] = percentile(latencies, 50)
    values["p95_latency_ms"] = percentile(latencies, 95)
    values["guardrail_findings_total"] = int(sum(_known(cases, "guardrail_findings")))
    for name, value in values.items():
        summary[name] = {"value": value, "higher_is_better": RUN_LEVEL_DIRECTIONS[name]}
    return summary


def summary_value(summary: Mapping[str, Any], name: str) -> float | None:
    """The value of ``name`` in a summary; also accepts plain ``{name: value}`` mappings.

    Raises:
        KeyError: ``name`` is not in the summary.
    """
    entry = summary[name]
    value = entry.get("value") if isinstance(entry, Mapping) else entry
    return None if value is None else float(value)
