"""Gates: parsing the suite's forms, absolute thresholds, and no-regression rules."""

from __future__ import annotations

from typing import Any

import pytest

from llmops._errors import EvalDatasetError
from llmops.eval._compare import Comparison, MetricDelta
from llmops.eval._gates import evaluate_gates, gates_passed, parse_gate, parse_gates


def _summary(**values: float | None) -> dict[str, dict[str, Any]]:
    return {name: {"value": value, "higher_is_better": False} for name, value in values.items()}


def _delta(
    metric: str,
    verdict: str,
    delta: float,
    per_case: bool = True,
    *,
    pairs: int = 30,
    p_value: float | None = None,
) -> MetricDelta:
    bounded = per_case and verdict not in ("n/a", "too few cases")
    ci = (delta - 0.01, delta + 0.01) if bounded else (None, None)
    return MetricDelta(
        metric=metric,
        baseline=0.1,
        candidate=0.1 + delta,
        delta=delta,
        ci_low=ci[0],
        ci_high=ci[1],
        verdict=verdict,  # type: ignore[arg-type]
        higher_is_better=False,
        per_case=per_case,
        pairs=pairs if verdict != "n/a" else 0,
        p_value=p_value,
        method=None if not per_case else "bootstrap" if p_value is None else "exact",
    )


def _comparison(*metrics: MetricDelta) -> Comparison:
    return Comparison(
        baseline_run_id="a",
        candidate_run_id="b",
        baseline_config_name="bot",
        baseline_config_version="v1",
        candidate_config_name="bot",
        candidate_config_version="v2",
        suite_name="support",
        suite_hash="h",
        baseline_suite_hash="h",
        suites_differ=False,
        metrics=list(metrics),
        regressed_cases=[],
        paired_cases=30,
    )


@pytest.mark.parametrize(
    ("text", "metric", "op", "threshold"),
    [
        ("hallucination_rate <= 0.05", "hallucination_rate", "<=", 0.05),
        ("cost_per_case_usd<0.002", "cost_per_case_usd", "<", 0.002),
        ("  p95_latency_ms >= 3e3 ", "p95_latency_ms", ">=", 3000.0),
        ("success_rate > 0.9", "success_rate", ">", 0.9),
        ("cases == 30", "cases", "==", 30.0),
    ],
)
def test_threshold_gates_parse(text: str, metric: str, op: str, threshold: float) -> None:
    gate = parse_gate(text)
    assert (gate.kind, gate.metric, gate.operator, gate.threshold) == (
        "threshold",
        metric,
        op,
        threshold,
    )


def test_no_regression_forms_parse_to_the_same_gate() -> None:
    from_mapping = parse_gate({"no_regression": ["hallucination", "cost_usd"]})
    from_string = parse_gate("no_regression: hallucination, cost_usd")
    from_list_string = parse_gate("no_regression: [hallucination, cost_usd]")
    assert from_mapping == from_string == from_list_string
    assert from_mapping.metrics == ("hallucination", "cost_usd")
    assert parse_gate({"no_regression": "cost_usd"}).metrics == ("cost_usd",)


@pytest.mark.parametrize(
    "bad",
    [
        "hallucination_rate =< 0.05",
        "hallucination_rate <= lots",
        "hallucination_rate <= inf",
        "<= 0.05",
        "no_regression:",
        {"no_regression": []},
        {"no_regresion": ["x"]},
        {"no_regression": 3},
        42,
    ],
)
def test_unparsable_gates_name_the_gate(bad: Any) -> None:
    with pytest.raises(EvalDatasetError, match="gate") as info:
        parse_gate(bad)
    if isinstance(bad, str) and bad.strip(": "):
        assert bad.split()[0] in str(info.value)


def test_parse_gates_says_which_entry_is_bad() -> None:
    assert parse_gates(None) == []
    with pytest.raises(EvalDatasetError, match=r"gates\[1\]"):
        parse_gates(["cases >= 1", "cases >>= 1"])
    with pytest.raises(EvalDatasetError, match="must be a list"):
        parse_gates("cases >= 1")


def test_absolute_gates_pass_fail_and_missing_metric_fails() -> None:
    gates = parse_gates(
        [
            "hallucination_rate <= 0.05",
            "cost_per_case_usd <= 0.002",
            "p95_latency_ms <= 3000",
            "halucination_rate <= 0.05",
            "cost_usd_total <= 1",
        ]
    )
    summary = _summary(
        hallucination_rate=0.04,
        cost_per_case_usd=0.0025,
        p95_latency_ms=3000.0,
        cost_usd_total=None,
    )
    results = evaluate_gates(gates, summary, None)
    assert [r.status for r in results] == ["passed", "failed", "passed", "failed", "failed"]
    assert results[1].value == pytest.approx(0.0025)
    assert results[1].threshold == 0.002
    assert "not <= 0.002" in results[1].detail
    assert "'halucination_rate' is not in the run summary" in results[3].detail
    assert "no value" in results[4].detail
    assert not gates_passed(results)
    assert gates_passed(results[:1] + results[2:3])


def test_plain_value_summaries_are_accepted() -> None:
    results = evaluate_gates(parse_gates(["cases >= 10"]), {"cases": 12}, None)
    assert results[0].status == "passed"


def test_no_regression_without_baseline_is_skipped_not_passed() -> None:
    results = evaluate_gates(parse_gates([{"no_regression": ["hallucination"]}]), {}, None)
    assert results[0].status == "skipped"
    assert "no baseline" in results[0].detail
    assert results[0].to_row()["passed"] is None
    assert gates_passed(results)


def test_no_regression_fails_only_when_the_interval_excludes_zero() -> None:
    comparison = _comparison(
        _delta("hallucination", "regressed", 0.2),
        _delta("cost_usd", "unchanged", 0.0001),
        _delta("latency_ms", "improved", -20.0),
    )
    gates = parse_gates(
        [
            "no_regression: cost_usd, latency_ms",
            "no_regression: hallucination",
            "no_regression: hallucination, cost_usd",
        ]
    )
    results = evaluate_gates(gates, {}, comparison)
    assert [r.status for r in results] == ["passed", "failed", "failed"]
    assert [r.gate for r in results] == [g.text for g in gates]
    assert results[1].value == pytest.approx(0.2)
    assert "regressed" in results[1].detail
    assert "95% CI" in results[1].detail
    assert "the bootstrap interval excludes zero" in results[1].detail
    assert results[1].to_row() == {
        "gate": "no_regression: hallucination",
        "status": "failed",
        "passed": False,
        "value": pytest.approx(0.2),
        "threshold": None,
        "detail": results[1].detail,
    }


def test_no_regression_on_untestable_or_unknown_metrics() -> None:
    comparison = _comparison(
        _delta("hallucination", "n/a", 0.5),
        _delta("cost_usd_total", "n/a", 0.1, per_case=False),
    )
    results = evaluate_gates(
        parse_gates(
            [
                "no_regression: hallucination",
                "no_regression: cost_usd_total",
                "no_regression: toxicity",
            ]
        ),
        {},
        comparison,
    )
    assert [r.status for r in results] == ["skipped", "skipped", "failed"]
    assert "no paired case" in results[0].detail
    assert "run-level" in results[1].detail
    assert "toxicity was not compared" in results[2].detail


def test_no_regression_on_few_cases_fails_on_a_significant_exact_test_only() -> None:
    comparison = _comparison(
        _delta("hallucination", "regressed", 0.5, pairs=6, p_value=2 / 64),
        _delta("contains", "unchanged", 0.2, pairs=6, p_value=0.25),
        _delta("cost_usd", "too few cases", 0.4, pairs=4, p_value=2 / 16),
    )
    results = evaluate_gates(
        parse_gates(
            [
                "no_regression: hallucination",
                "no_regression: contains",
                "no_regression: cost_usd",
                "no_regression: contains, cost_usd",
            ]
        ),
        {},
        comparison,
    )
    assert [r.status for r in results] == ["failed", "passed", "skipped", "skipped"]
    assert "exact test p = 0.0312 < 0.05" in results[0].detail
    assert "exact test p = 0.25 >= 0.05" in results[1].detail
    # Too few cases fails nothing, and says why in the gate's line.
    too_few = results[2].detail
    assert "too few cases to test" in too_few
    assert "on 4 paired cases even a change in every case has p >= 0.05" in too_few
    assert "at least 6 needed" in too_few
    assert "regressed" not in too_few
    assert not gates_passed(results)
    assert gates_passed(results[1:])
