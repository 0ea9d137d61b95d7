"""``llmops monitor canary``: should the candidate version be promoted, held or rolled back?

The candidate's traces are compared with the production version's over the same period, metric
by metric: the difference (candidate minus production) with its 95% interval (Newcombe's for
rates, a seeded bootstrap for the p95 latency and the mean cost per trace; ``._drift``).

The verdict:

- **roll back** when any metric is worse with confidence: its interval lies entirely on the
  worse side of zero;
- **promote** when every metric has at least ``min_traces`` observations on both sides and none
  can be worse by more than its margin (the interval's worse end stays within
  :data:`MARGINS`: non-inferiority);
- **hold** otherwise: too few traces, or an interval still too wide to rule a margin out.

``apply`` acts on it through the config registry: a promotion moves the ``production`` alias to
the candidate's version; a rollback sets the candidate's traffic share to 0 (routers made by
``serving.Router.from_registry`` read it within their refresh interval). Every analysis, applied
or not, is recorded in ``monitor_actions``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import orjson

from llmops._errors import ConfigError
from llmops._monitor._check import load_traces, observed, resolve_version
from llmops._monitor._drift import (
    _quantile,
    mean_difference,
    quantile_difference,
    rate_difference,
)

# metric (higher is worse for each) -> (margin, "point" or "relative" to production's value)
MARGINS: dict[str, tuple[float, str]] = {
    "error_rate": (0.02, "point"),
    "hallucination_rate": (0.02, "point"),
    "failure_rate": (0.03, "point"),
    "p95_ms": (0.20, "relative"),
    "cost_per_trace": (0.10, "relative"),
}
DEFAULT_MIN_TRACES = 100


@dataclass(frozen=True)
class Comparison:
    """One metric: candidate and production values, their difference and its interval."""

    metric: str
    candidate: float
    production: float
    difference: float
    low: float
    high: float
    candidate_n: int
    production_n: int
    margin: float  # in the metric's unit
    outcome: str  # worse | within_margin | inconclusive | too_few


@dataclass
class CanaryReport:
    candidate: str  # NAME@VERSION
    production: str
    verdict: str  # promote | hold | rollback
    reasons: list[str] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    applied: str | None = None  # what --apply changed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def analyse(
    candidate: str,
    against: str,
    *,
    since: timedelta = timedelta(days=1),
    min_traces: int = DEFAULT_MIN_TRACES,
) -> CanaryReport:
    """Compare ``candidate`` with ``against`` (``NAME@ALIAS`` or ``NAME@VERSION``) over the
    traces of the last ``since``.

    Raises:
        ConfigError: A reference with no stored traces, or the same version twice.
    """
    since_ns = time.time_ns() - since // timedelta(microseconds=1) * 1000
    versions = load_traces(None, since_ns)
    cand_key, prod_key = resolve_version(candidate, versions), resolve_version(against, versions)
    if cand_key == prod_key:
        raise ConfigError(f"{candidate} and {against} are the same version ({cand_key[1][:12]})")
    cand, prod = versions[cand_key], versions[prod_key]
    report = CanaryReport(
        candidate=f"{cand_key[0]}@{cand_key[1][:12]}",
        production=f"{prod_key[0]}@{prod_key[1][:12]}",
        verdict="hold",
    )
    for metric, (margin, kind) in MARGINS.items():
        if metric == "cost_per_trace":
            a = [c for t in cand if (c := t.cost_usd) is not None]
            b = [c for t in prod if (c := t.cost_usd) is not None]
        else:
            a = [v for _, v in observed(cand, metric)]
            b = [v for _, v in observed(prod, metric)]
        if not a and not b:
            continue  # never observed on either side (nobody scored, no costs)
        report.comparisons.append(_compare(metric, a, b, margin, kind, min_traces))
    _decide(report)
    return report


def _compare(
    metric: str, a: list[Any], b: list[Any], margin: float, kind: str, min_traces: int
) -> Comparison:
    if len(a) < min_traces or len(b) < min_traces:
        mean_a = _value(metric, a)
        mean_b = _value(metric, b)
        return Comparison(
            metric, mean_a, mean_b, mean_a - mean_b, float("nan"), float("nan"),
            len(a), len(b), margin, "too_few",
        )  # fmt: skip
    if metric == "p95_ms":
        diff, low, high = quantile_difference(a, b, q=0.95)
    elif metric == "cost_per_trace":
        diff, low, high = mean_difference(a, b)
    else:
        diff, low, high = rate_difference(sum(a), len(a), sum(b), len(b))
    value_b = _value(metric, b)
    allowed = margin * value_b if kind == "relative" else margin
    if low > 0:
        outcome = "worse"
    elif high <= allowed:
        outcome = "within_margin"
    else:
        outcome = "inconclusive"
    return Comparison(
        metric, _value(metric, a), value_b, diff, low, high, len(a), len(b), allowed, outcome
    )


def _value(metric: str, values: list[Any]) -> float:
    if not values:
        return float("nan")
    if metric == "p95_ms":  # interpolated as the bootstrap's quantiles are (numpy's "linear")
        return _quantile(values, 0.95)
    return float(sum(values)) / len(values)


def _decide(report: CanaryReport) -> None:
    worse = [c for c in report.comparisons if c.outcome == "worse"]
    if worse:
        report.verdict = "rollback"
        report.reasons = [
            f"{c.metric} worse: {c.difference:+.4g} [{c.low:+.4g}, {c.high:+.4g}]" for c in worse
        ]
        return
    pending = [c for c in report.comparisons if c.outcome != "within_margin"]
    if not report.comparisons:
        report.reasons = ["no metric observed on both versions"]
    elif pending:
        report.reasons = [
            f"{c.metric}: too few traces ({c.candidate_n} vs {c.production_n})"
            if c.outcome == "too_few"
            else f"{c.metric}: could still be worse by {c.high:.4g} (margin {c.margin:.4g})"
            for c in pending
        ]
    else:
        report.verdict = "promote"
        report.reasons = ["every metric within its margin of production"]


def apply(report: CanaryReport, candidate: str, against: str) -> str | None:
    """Act on the verdict through the registry; returns what changed (None for hold)."""
    from llmops._registry import configs

    registry = configs()
    name = report.candidate.split("@", 1)[0]
    if report.verdict == "promote":
        target = registry.resolve(candidate)
        alias = against.rpartition("@")[2]
        if alias not in registry.resolve(against).aliases:
            raise ConfigError(f"--apply promotes to an alias: give --against {name}@ALIAS")
        registry.set_alias(name, target.version, alias)
        registry.set_canary_share(name, 0.0)
        return f"{name}@{alias} -> {target.version[:12]}; canary share 0"
    if report.verdict == "rollback":
        registry.set_canary_share(name, 0.0)
        return f"{name} canary share 0 ({candidate} gets no traffic)"
    return None


def record(report: CanaryReport, *, actor: str = "llmops monitor canary") -> None:
    """Append the analysis (and what was applied) to ``monitor_actions``."""
    from llmops._monitor._scoring import append_rows

    append_rows(
        "monitor_actions",
        [
            {
                "action_id": uuid.uuid4().hex,
                "at_ns": time.time_ns(),
                "kind": report.verdict,
                "config_name": report.candidate.split("@", 1)[0],
                "candidate": report.candidate,
                "against": report.production,
                "verdict": report.verdict,
                "applied": report.applied is not None,
                "detail": orjson.dumps(report.to_json()).decode(),
                "actor": actor,
            }
        ],
    )
