"""Version against version: two stored eval runs compared case by case.

Cases pair across runs by ``case_id``. Per-case metrics (every score metric, its pass rate, the
hallucination/success/error rates, cost, latency and its p50/p95, tokens) get a confidence
interval and a verdict from ``_stats.paired_difference``: an exact paired permutation test with
its p-value below 30 pairs, a paired bootstrap from 30, and ``too few cases`` when even a
unanimous change could not be significant (fewer than 6 pairs at 95%). Run-level aggregates
(totals, cost per 1k tokens, per success) show baseline, candidate and delta only. Cases that
regressed are listed with both trace ids so a reader can open them side by side.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmops.eval._pairing import (
    RUN_LEVEL_METRICS,
    RunData,
    per_case_metrics,
    regressed_cases,
)
from llmops.eval._permutation import min_testable_pairs
from llmops.eval._runstore import connection, latest_common_runs, load_run, rows, runs_of
from llmops.eval._stats import DEFAULT_RESAMPLES, paired_difference, verdict
from llmops.eval._summary import summarize, summary_value

if TYPE_CHECKING:
    import duckdb

    from llmops.eval._stats import Method, Verdict


@dataclass(frozen=True)
class MetricDelta:
    """One metric compared across the two runs.

    Attributes:
        metric: The metric's name (a score metric, ``<metric>_pass_rate``, a case column such
            as ``cost_usd``, or a run-level aggregate such as ``cost_usd_total``).
        baseline: Its value in the baseline (over the paired cases when ``per_case``).
        candidate: Its value in the candidate.
        delta: ``candidate - baseline``.
        ci_low: Lower bound of the confidence interval of ``delta`` (``None`` without one:
            a run-level value, no pairs, or too few pairs to bound the change).
        ci_high: Upper bound.
        verdict: ``improved`` or ``regressed`` (a change was shown), ``unchanged`` (the data
            are consistent with none), ``too few cases`` (no outcome on this few pairs could
            have shown one) or ``n/a`` (nothing to test).
        higher_is_better: The metric's direction.
        per_case: Whether it was compared case by case (and so has an interval).
        pairs: How many paired cases had a value in both runs.
        p_value: Two-sided p-value of the exact test (``None`` when the bootstrap decided).
        method: How the interval and verdict were computed: ``exact``, ``sampled`` (the exact
            test on a fixed-seed sample of swap patterns) or ``bootstrap``.
    """

    metric: str
    baseline: float | None
    candidate: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: Verdict
    higher_is_better: bool
    per_case: bool
    pairs: int = 0
    p_value: float | None = None
    method: Method | None = None


@dataclass(frozen=True)
class CaseDelta:
    """A case that got worse on one metric, with the traces of both runs."""

    case_id: str
    metric: str
    baseline_value: float | None
    candidate_value: float | None
    baseline_trace_id: str | None
    candidate_trace_id: str | None


@dataclass(frozen=True)
class Comparison:
    """A candidate run compared with a baseline run of (ideally) the same suite.

    Attributes:
        suite_hash: The candidate's suite hash (the baseline's is ``baseline_suite_hash``).
        suites_differ: The runs scored different suite versions; ``warnings`` says so.
        paired_cases: Cases present in both runs (only these are compared per case).
        confidence: Coverage of the intervals.
    """

    baseline_run_id: str
    candidate_run_id: str
    baseline_config_name: str | None
    baseline_config_version: str | None
    candidate_config_name: str | None
    candidate_config_version: str | None
    suite_name: str | None
    suite_hash: str | None
    baseline_suite_hash: str | None
    suites_differ: bool
    metrics: list[MetricDelta]
    regressed_cases: list[CaseDelta]
    paired_cases: int
    baseline_only_cases: int = 0
    candidate_only_cases: int = 0
    confidence: float = 0.95
    warnings: list[str] = field(default_factory=list)

    def metric(self, name: str) -> MetricDelta | None:
        """The comparison of metric ``name``, or ``None`` when it was not compared."""
        return next((m for m in self.metrics if m.metric == name), None)

    @property
    def regressions(self) -> list[MetricDelta]:
        """Metrics whose verdict is ``regressed``."""
        return [m for m in self.metrics if m.verdict == "regressed"]

    def too_few_cases_note(self) -> str | None:
        """A sentence explaining the ``too few cases`` verdict, when a metric has it."""
        metrics = [m.metric for m in self.metrics if m.verdict == "too few cases"]
        if not metrics:
            return None
        alpha = 1.0 - self.confidence
        return (
            f"too few cases ({', '.join(metrics)}): no values on this few paired cases could show "
            f"a change at p < {alpha:g}; the exact test's smallest p-value on n cases is 2/2^n, so "
            f"it needs at least {min_testable_pairs(alpha)}. Add cases to the suite."
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable data (for the UI and ``--json`` output)."""
        return dataclasses.asdict(self)


def _directions(*runs: RunData) -> dict[str, bool]:
    directions: dict[str, bool] = {}
    for run in runs:
        for name, entry in (run.summary or {}).items():
            if isinstance(entry, dict) and "higher_is_better" in entry:
                directions.setdefault(name, bool(entry["higher_is_better"]))
    return directions


def _run_level(base: RunData, cand: RunData) -> list[MetricDelta]:
    out = []
    for name, higher_is_better in RUN_LEVEL_METRICS.items():
        values = []
        for run in (base, cand):
            summary = run.summary or {}
            values.append(summary_value(summary, name) if name in summary else None)
        b, c = values
        delta = c - b if b is not None and c is not None else None
        out.append(MetricDelta(name, b, c, delta, None, None, "n/a", higher_is_better, False))
    return out


def _warnings(base: RunData, cand: RunData, suites_differ: bool) -> list[str]:
    notes = []
    if suites_differ:
        notes.append(
            f"the runs scored different suites ({base.run.get('suite_hash')} vs "
            f"{cand.run.get('suite_hash')}); only cases with the same id are compared"
        )
    for label, run in (("baseline", base), ("candidate", cand)):
        status = run.run.get("status")
        if status == "failed":
            notes.append(
                f"the {label} run {run.run['run_id']!r} is {status}, its results may be incomplete"
            )
    return notes


def compare_runs(
    baseline_run_id: str,
    candidate_run_id: str,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
) -> Comparison:
    """Compare two stored eval runs metric by metric and case by case.

    Args:
        baseline_run_id: The run to compare against (e.g. the production config's).
        candidate_run_id: The run under review.
        con: A connection with the store's views; default: open the configured store.
        confidence: Coverage of the intervals; changes count at ``p < 1 - confidence``.
        seed: Seed of the bootstrap and of sampled swap patterns, so that the same runs give
            the same intervals.
        resamples: Bootstrap resamples per metric (from 30 pairs).

    Returns:
        The comparison: per-metric deltas with intervals and verdicts, and regressed cases.

    Raises:
        EvalDatasetError: A run id is not in the store, or its summary is unreadable.
        StoreError: The store cannot be read.

    Example:
        >>> cmp = compare_runs("run-prod", "run-cand")
        >>> [m.metric for m in cmp.regressions]
        ['hallucination']
    """
    with connection(con) as opened:
        base = load_run(opened, baseline_run_id)
        cand = load_run(opened, candidate_run_id)
    directions = _directions(cand, base)
    for run in (base, cand):
        if run.summary is None:
            run.summary = summarize(run.cases, run.scores, directions)
    paired = sorted(set(base.case_map) & set(cand.case_map))
    metrics: list[MetricDelta] = []
    for spec in per_case_metrics(base, cand, directions):
        b_values, c_values = spec.paired_values(base, cand, paired)
        diff = paired_difference(
            b_values,
            c_values,
            confidence=confidence,
            resamples=resamples,
            seed=seed,
            quantile=spec.quantile,
        )
        metrics.append(
            MetricDelta(
                metric=spec.name,
                baseline=diff.baseline,
                candidate=diff.candidate,
                delta=diff.delta,
                ci_low=diff.ci_low,
                ci_high=diff.ci_high,
                verdict=verdict(diff, spec.higher_is_better),
                higher_is_better=spec.higher_is_better,
                per_case=True,
                pairs=diff.n,
                p_value=diff.p_value,
                method=diff.method,
            )
        )
    metrics.extend(_run_level(base, cand))
    regressed_metrics = {m.metric for m in metrics if m.verdict == "regressed"}
    base_hash, cand_hash = base.run.get("suite_hash"), cand.run.get("suite_hash")
    suites_differ = base_hash != cand_hash
    return Comparison(
        baseline_run_id=baseline_run_id,
        candidate_run_id=candidate_run_id,
        baseline_config_name=base.run.get("config_name"),
        baseline_config_version=base.run.get("config_version"),
        candidate_config_name=cand.run.get("config_name"),
        candidate_config_version=cand.run.get("config_version"),
        suite_name=cand.run.get("suite_name") or base.run.get("suite_name"),
        suite_hash=cand_hash,
        baseline_suite_hash=base_hash,
        suites_differ=suites_differ,
        metrics=metrics,
        regressed_cases=[
            CaseDelta(**row)
            for row in regressed_cases(base, cand, paired, regressed_metrics, directions)
        ],
        paired_cases=len(paired),
        baseline_only_cases=len(set(base.case_map) - set(cand.case_map)),
        candidate_only_cases=len(set(cand.case_map) - set(base.case_map)),
        confidence=confidence,
        warnings=_warnings(base, cand, suites_differ),
    )


def compare_configs(
    config_a: str,
    config_b: str,
    *,
    suite_hash: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    confidence: float = 0.95,
    seed: int = 0,
) -> Comparison:
    """Compare the latest completed runs of two config versions on a suite both ran.

    Args:
        config_a: The baseline: ``"name@version"`` or ``"version"`` (a unique prefix will do),
            matched against ``eval_runs.config_version`` (and ``config_name`` when given).
        config_b: The candidate, in the same form.
        suite_hash: Compare on this suite version; default: the one either config ran last.
        con: A connection with the store's views; default: open the configured store.
        confidence: Coverage of the intervals.
        seed: Seed of the bootstrap and of sampled swap patterns.

    Returns:
        The comparison of the two runs found, as :func:`compare_runs` gives it.

    Raises:
        EvalDatasetError: A config has no completed run, the prefix is ambiguous, or the two
            have no suite in common.
    """
    with connection(con) as opened:
        runs = rows(
            opened,
            "SELECT run_id, config_name, config_version, suite_hash, "
            "coalesce(finished_ns, started_ns, 0) AS finished "
            "FROM eval_runs WHERE status = 'completed'",
            [],
        )
        run_a, run_b = latest_common_runs(
            runs_of(runs, config_a), runs_of(runs, config_b), suite_hash
        )
        return compare_runs(run_a, run_b, con=opened, confidence=confidence, seed=seed)
