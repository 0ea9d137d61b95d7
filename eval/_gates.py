"""Gates: the conditions a run must meet for CI to pass.

A suite lists its gates as YAML values::

    gates:
      - hallucination_rate <= 0.05
      - cost_per_case_usd <= 0.002
      - p95_latency_ms <= 3000
      - no_regression: [hallucination, cost_usd]

An absolute gate compares a value of the run's summary with a number. A ``no_regression`` gate
fails a metric only when the comparison with the baseline shows a regression: the exact paired
test gives ``p < 1 - confidence`` in the worse direction (below 30 pairs), or the bootstrap
interval excludes zero on the wrong side (from 30). Without a baseline it is skipped, never
passed silently; with too few paired cases for any result to be significant (fewer than 6 at
95%) it is skipped too, and says so: "too few cases" fails nothing, but is not a pass either.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from llmops._errors import EvalDatasetError
from llmops.eval._permutation import min_testable_pairs
from llmops.eval._summary import summary_value

if TYPE_CHECKING:
    from llmops.eval._compare import Comparison, MetricDelta

GateStatus = Literal["passed", "failed", "skipped"]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
}
NO_REGRESSION = "no_regression"

_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_THRESHOLD = re.compile(rf"^\s*({_NAME})\s*(<=|>=|==|<|>)\s*([^\s]+)\s*$")
_NO_REGRESSION = re.compile(rf"^\s*{NO_REGRESSION}\s*:\s*(.*)$")
_METRIC = re.compile(rf"^{_NAME}$")
_HELP = (
    "expected 'METRIC OP NUMBER' (OP one of <=, <, >=, >, ==) or "
    "'no_regression: METRIC, ...' / {no_regression: [METRIC, ...]}"
)


@dataclass(frozen=True)
class Gate:
    """A parsed gate.

    Attributes:
        text: The gate as written, normalised (``"hallucination_rate <= 0.05"``).
        kind: ``"threshold"`` (absolute) or ``"no_regression"``.
        metric: The summary value an absolute gate checks.
        operator: Its comparison operator.
        threshold: The number it compares with.
        metrics: The metrics a ``no_regression`` gate watches.
    """

    text: str
    kind: Literal["threshold", "no_regression"]
    metric: str | None = None
    operator: str | None = None
    threshold: float | None = None
    metrics: tuple[str, ...] = ()


@dataclass(frozen=True)
class GateResult:
    """The outcome of one gate.

    Attributes:
        gate: The gate's text.
        status: ``passed``, ``failed`` or ``skipped``.
        value: The value checked (the delta, for ``no_regression``).
        threshold: The number it was compared with (``None`` for ``no_regression``).
        detail: Why, in a sentence a CI log reader understands.
        metric: The metric checked (a ``no_regression`` gate's metrics, comma-separated).
    """

    gate: str
    status: GateStatus
    value: float | None
    threshold: float | None
    detail: str
    metric: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_row(self) -> dict[str, Any]:
        """The JSON shape stored in ``eval_runs.gates``."""
        return {
            "gate": self.gate,
            "status": self.status,
            "passed": None if self.status == "skipped" else self.status == "passed",
            "value": self.value,
            "threshold": self.threshold,
            "detail": self.detail,
        }


def _no_regression(metrics: Sequence[Any], text: str) -> Gate:
    names = tuple(str(m).strip() for m in metrics if str(m).strip())
    if not names:
        raise EvalDatasetError(f"gate {text!r}: no_regression names no metric; {_HELP}")
    bad = [n for n in names if not _METRIC.match(n)]
    if bad:
        raise EvalDatasetError(f"gate {text!r}: {bad[0]!r} is not a metric name")
    return Gate(text=f"{NO_REGRESSION}: {', '.join(names)}", kind="no_regression", metrics=names)


def parse_gate(spec: str | Mapping[str, Any]) -> Gate:
    """Parse one gate as it appears in a suite.

    Args:
        spec: ``"METRIC OP NUMBER"``, ``"no_regression: a, b"`` or
            ``{"no_regression": ["a", "b"]}`` (a single name is accepted too).

    Returns:
        The gate.

    Raises:
        EvalDatasetError: The gate cannot be parsed; the message quotes it.

    Example:
        >>> parse_gate("hallucination_rate <= 0.05").threshold
        0.05
    """
    if isinstance(spec, Mapping):
        text = ", ".join(f"{k}: {v}" for k, v in spec.items())
        if list(spec) != [NO_REGRESSION]:
            raise EvalDatasetError(f"gate {{{text}}} cannot be parsed: {_HELP}")
        value = spec[NO_REGRESSION]
        metrics = [value] if isinstance(value, str) else value
        if not isinstance(metrics, list | tuple):
            raise EvalDatasetError(f"gate {{{text}}}: no_regression needs a list of metric names")
        return _no_regression(metrics, text)
    if not isinstance(spec, str):
        raise EvalDatasetError(f"gate {spec!r} cannot be parsed: {_HELP}")
    found = _NO_REGRESSION.match(spec)
    if found:
        listed = found.group(1).strip().strip("[]")
        return _no_regression(listed.split(","), spec)
    found = _THRESHOLD.match(spec)
    if not found:
        raise EvalDatasetError(f"gate {spec!r} cannot be parsed: {_HELP}")
    metric, op, number = found.groups()
    try:
        threshold = float(number)
    except ValueError:
        raise EvalDatasetError(f"gate {spec!r}: {number!r} is not a number") from None
    if not math.isfinite(threshold):
        raise EvalDatasetError(f"gate {spec!r}: the threshold must be a finite number")
    text = f"{metric} {op} {number}"
    return Gate(text=text, kind="threshold", metric=metric, operator=op, threshold=threshold)


def parse_gates(specs: Sequence[str | Mapping[str, Any]] | None) -> list[Gate]:
    """Parse a suite's ``gates`` list (``None`` or empty: no gates).

    Raises:
        EvalDatasetError: The list is not a list, or a gate cannot be parsed (the message
            quotes the gate and its position).
    """
    if specs is None:
        return []
    if isinstance(specs, str | Mapping) or not isinstance(specs, Sequence):
        raise EvalDatasetError(f"gates must be a list, got {type(specs).__name__}")
    gates = []
    for index, spec in enumerate(specs):
        try:
            gates.append(parse_gate(spec))
        except EvalDatasetError as exc:
            raise EvalDatasetError(f"gates[{index}]: {exc}") from None
    return gates


def _check_threshold(gate: Gate, summary: Mapping[str, Any]) -> GateResult:
    metric, op, threshold = gate.metric, gate.operator, gate.threshold
    if metric is None or op is None or threshold is None:
        raise ValueError(f"gate {gate.text!r} is not an absolute gate")

    def result(status: GateStatus, value: float | None, detail: str) -> GateResult:
        return GateResult(gate.text, status, value, threshold, detail, metric)

    if metric not in summary:
        known = ", ".join(sorted(summary)) or "none"
        return result("failed", None, f"{metric!r} is not in the run summary (known: {known})")
    value = summary_value(summary, metric)
    if value is None:
        return result("failed", None, f"{metric} has no value: no case reported it")
    if OPERATORS[op](value, threshold):
        return result("passed", value, f"{metric} = {value:.6g} {op} {threshold:g}")
    return result("failed", value, f"{metric} = {value:.6g}, not {op} {threshold:g}")


def _interval(delta: MetricDelta, confidence: float) -> str:
    if delta.ci_low is None or delta.ci_high is None:
        return ""
    return f" ({confidence * 100:g}% CI {delta.ci_low:+.6g} … {delta.ci_high:+.6g})"


def _evidence(delta: MetricDelta, alpha: float) -> str:
    """Why the verdict: the exact test's p-value, or the bootstrap interval's position."""
    if delta.p_value is None:
        return "the bootstrap interval excludes zero" if delta.verdict == "regressed" else ""
    test = "exact test" if delta.method == "exact" else "exact test on sampled swaps"
    side = "<" if delta.p_value < alpha else ">="
    return f"{test} p = {delta.p_value:.3g} {side} {alpha:g}"


def _too_few(metric: str, delta: MetricDelta, alpha: float) -> str:
    needed = min_testable_pairs(alpha)
    if delta.pairs < needed:
        cases = f"{delta.pairs} paired case{'s' if delta.pairs != 1 else ''}"
        why = f"on {cases} even a change in every case has p >= {alpha:g}"
        why += f" (at least {needed} needed)"
    else:
        why = f"{delta.pairs} paired cases cannot bound the change"
    return f"{metric}: too few cases to test, {why}"


def _metric_regression(metric: str, comparison: Comparison) -> tuple[GateStatus, float | None, str]:
    delta = comparison.metric(metric)
    if delta is None:
        known = ", ".join(m.metric for m in comparison.metrics if m.per_case)
        return "failed", None, f"{metric} was not compared (per-case metrics: {known})"
    alpha = 1.0 - comparison.confidence
    change = "no change measured" if delta.delta is None else f"delta {delta.delta:+.6g}"
    change += _interval(delta, comparison.confidence)
    evidence = _evidence(delta, alpha)
    change += f", {evidence}" if evidence else ""
    if delta.verdict == "regressed":
        return "failed", delta.delta, f"{metric} regressed: {change}"
    if delta.verdict == "too few cases":
        return "skipped", delta.delta, f"{_too_few(metric, delta, alpha)}; {change}"
    if delta.verdict == "n/a":
        why = (
            "no paired case has a value in both runs"
            if delta.per_case
            else "a run-level value has no confidence interval; gate a per-case metric"
        )
        return "skipped", delta.delta, f"{metric} cannot be tested: {why}"
    return "passed", delta.delta, f"{metric} {delta.verdict}: {change}"


def _check_no_regression(gate: Gate, comparison: Comparison | None) -> GateResult:
    metric = ", ".join(gate.metrics)
    if comparison is None:
        return GateResult(gate.text, "skipped", None, None, "no baseline to compare with", metric)
    checks = [_metric_regression(m, comparison) for m in gate.metrics]
    statuses = {status for status, _, _ in checks}
    # One metric that regressed fails the gate; one that could not be tested keeps it from
    # passing (skipped), so that nothing passes without having been checked.
    status: GateStatus = next(s for s in ("failed", "skipped", "passed") if s in statuses)
    value = checks[0][1] if len(checks) == 1 else None
    detail = "; ".join(detail for _, _, detail in checks)
    return GateResult(gate.text, status, value, None, detail, metric)


def evaluate_gates(
    gates: Sequence[Gate], summary: Mapping[str, Any], comparison: Comparison | None
) -> list[GateResult]:
    """Check every gate against the candidate's summary and the comparison with the baseline.

    Args:
        gates: Parsed gates (:func:`parse_gates`).
        summary: The run summary (``{name: {"value": ...}}`` or ``{name: value}``).
        comparison: The comparison with the baseline, or ``None`` without one.

    Returns:
        One result per gate, in order; a ``no_regression`` gate fails when any of its metrics
        regressed and is skipped when one could not be tested (no pairs, or too few cases).
    """
    results: list[GateResult] = []
    for gate in gates:
        if gate.kind == "threshold":
            results.append(_check_threshold(gate, summary))
        else:
            results.append(_check_no_regression(gate, comparison))
    return results


def gates_passed(results: Sequence[GateResult]) -> bool:
    """Whether no gate failed (skipped gates do not fail a run)."""
    return all(r.status != "failed" for r in results)
