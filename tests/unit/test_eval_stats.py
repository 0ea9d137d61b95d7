"""Paired bootstrap, the small-n exact test and verdicts; the summary aggregates of a run."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from llmops.eval._stats import (
    MIN_BOOTSTRAP_PAIRS,
    MIN_PAIRS,
    paired_bootstrap,
    paired_difference,
    percentile,
    verdict,
)
from llmops.eval._summary import summarize


def _noisy_pairs(
    n: int, shift: float, seed: int, noise: float = 0.1
) -> tuple[list[float], list[float]]:
    """Cases of varying difficulty; the candidate moves by ``shift`` plus per-case noise."""
    rng = random.Random(seed)
    difficulty = [rng.uniform(0.0, 1.0) for _ in range(n)]
    baseline = [d + rng.gauss(0.0, noise) for d in difficulty]
    candidate = [d + shift + rng.gauss(0.0, noise) for d in difficulty]
    return baseline, candidate


def test_known_shift_is_detected_in_the_right_direction() -> None:
    baseline, candidate = _noisy_pairs(60, shift=0.1, seed=3)
    diff = paired_bootstrap(baseline, candidate, seed=0)
    assert diff.n == 60
    assert diff.ci_low is not None
    assert diff.ci_high is not None
    assert 0.0 < diff.ci_low < 0.1 < diff.ci_high
    assert diff.delta == pytest.approx(sum(candidate) / 60 - sum(baseline) / 60)
    assert verdict(diff, higher_is_better=True) == "improved"
    assert verdict(diff, higher_is_better=False) == "regressed"


def test_pairing_finds_a_shift_that_unpaired_spread_would_hide() -> None:
    # Case difficulty spreads values over [0, 1]; the shift (0.05) is far below that spread, but
    # the paired differences are tight, so the interval still excludes zero.
    baseline, candidate = _noisy_pairs(80, shift=0.05, seed=11, noise=0.02)
    diff = paired_bootstrap(baseline, candidate, seed=1)
    assert diff.ci_low is not None
    assert diff.ci_low > 0.0
    # The same values paired with the wrong cases: the spread swamps the shift.
    shuffled = candidate[1:] + candidate[:1]
    unpaired = paired_bootstrap(baseline, shuffled, seed=1)
    assert verdict(unpaired, higher_is_better=True) == "unchanged"


def test_noise_only_differences_are_rarely_flagged() -> None:
    flagged = 0
    for seed in range(40):
        baseline, candidate = _noisy_pairs(40, shift=0.0, seed=seed)
        diff = paired_bootstrap(baseline, candidate, seed=seed, resamples=1000)
        if verdict(diff, higher_is_better=True) != "unchanged":
            flagged += 1
    # A 95% interval flags about 2 of 40 noise-only comparisons; 6 would be far out of line.
    assert flagged <= 6


def test_same_seed_same_interval_other_seed_other_interval() -> None:
    baseline, candidate = _noisy_pairs(30, shift=0.02, seed=5)
    first = paired_bootstrap(baseline, candidate, seed=42)
    again = paired_bootstrap(baseline, candidate, seed=42)
    other = paired_bootstrap(baseline, candidate, seed=43)
    assert first == again
    assert (other.ci_low, other.ci_high) != (first.ci_low, first.ci_high)


def test_no_pairs_is_not_applicable_and_one_pair_is_too_few() -> None:
    for compare in (paired_bootstrap, paired_difference):
        empty = compare([], [])
        assert empty.n == 0
        assert empty.delta is None
        assert verdict(empty, higher_is_better=True) == "n/a"
        single = compare([0.2], [0.9])
        assert single.delta == pytest.approx(0.7)
        assert single.ci_low is None
        assert single.ci_high is None
        assert verdict(single, higher_is_better=True) == "too few cases"
    assert MIN_PAIRS == 2


def test_constant_difference_has_a_zero_width_interval() -> None:
    same = paired_bootstrap([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert (same.ci_low, same.ci_high) == (0.0, 0.0)
    moved = paired_bootstrap([1.0, 2.0, 3.0], [1.5, 2.5, 3.5])
    assert (moved.ci_low, moved.ci_high) == (pytest.approx(0.5), pytest.approx(0.5))
    # The bootstrap's zero-width interval excludes zero, but three pairs prove nothing.
    assert verdict(moved, higher_is_better=False) == "too few cases"
    assert verdict(same, higher_is_better=False) == "too few cases"
    six = paired_difference([1.0, 2.0, 3.0] * 2, [1.5, 2.5, 3.5] * 2)
    assert (six.ci_low, six.ci_high) == (pytest.approx(0.5), pytest.approx(0.5))
    assert six.p_value == pytest.approx(2 / 64)
    assert verdict(six, higher_is_better=False) == "regressed"


# -- the method by number of pairs -----------------------------------------------------------


def test_known_large_difference_at_moderate_n_regresses_with_a_small_exact_p() -> None:
    baseline, candidate = _noisy_pairs(12, shift=0.3, seed=4)
    diff = paired_difference(baseline, candidate)
    assert (diff.n, diff.method) == (12, "exact")
    assert diff.p_value is not None
    # Eleven cases moved up and one down by 0.015, less than any other moved: as extreme are the
    # observed signs, those with that one case flipped too, and the mirror images of both.
    moved = sorted(c - b for b, c in zip(baseline, candidate, strict=True))
    assert moved[0] == pytest.approx(-0.015, abs=5e-4)
    assert moved[1] > 0.08
    assert diff.p_value == pytest.approx(4 / 2**12)
    assert diff.ci_low is not None
    assert diff.ci_high is not None
    assert 0.0 < diff.ci_low < 0.3 < diff.ci_high
    assert verdict(diff, higher_is_better=False) == "regressed"
    assert verdict(diff, higher_is_better=True) == "improved"


def test_no_difference_is_unchanged() -> None:
    values = [0.1, 0.5, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4]
    same = paired_difference(values, values)
    assert (same.p_value, same.ci_low, same.ci_high) == (1.0, 0.0, 0.0)
    assert verdict(same, higher_is_better=True) == "unchanged"
    baseline, candidate = _noisy_pairs(20, shift=0.0, seed=8)
    noise = paired_difference(baseline, candidate)
    assert noise.method == "sampled"  # above 16 pairs the swap patterns are sampled
    assert noise.p_value is not None
    assert noise.p_value >= 0.05
    assert noise.ci_low is not None
    assert noise.ci_high is not None
    assert noise.ci_low < 0.0 < noise.ci_high
    assert verdict(noise, higher_is_better=True) == "unchanged"


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_tiny_suites_are_too_few_cases_never_regressed(n: int) -> None:
    # The most extreme data there is: every case failed in the candidate.
    diff = paired_difference([1.0] * n, [0.0] * n)
    assert diff.p_value == pytest.approx(2 / 2**n)
    assert (diff.ci_low, diff.ci_high) == (None, None)  # no shift can be ruled out
    assert verdict(diff, higher_is_better=True) == "too few cases"
    # And on bounded scores with a huge, consistent change.
    scores = paired_difference([0.1 * i for i in range(n)], [0.1 * i + 0.9 for i in range(n)])
    assert verdict(scores, higher_is_better=False) == "too few cases"


def test_noise_on_few_cases_is_not_flagged_more_than_alpha() -> None:
    # The bootstrap flags about 13% of these (see _stats); the exact test at most 5%.
    flagged = 0
    for seed in range(100):
        baseline, candidate = _noisy_pairs(8, shift=0.0, seed=seed)
        diff = paired_difference(baseline, candidate)
        flagged += verdict(diff, higher_is_better=True) != "unchanged"
    assert flagged <= 9


def test_from_min_bootstrap_pairs_the_bootstrap_decides() -> None:
    baseline, candidate = _noisy_pairs(MIN_BOOTSTRAP_PAIRS, shift=0.1, seed=3)
    diff = paired_difference(baseline, candidate, seed=5)
    assert diff == paired_bootstrap(baseline, candidate, seed=5)
    assert (diff.method, diff.p_value) == ("bootstrap", None)
    below = paired_difference(baseline[:-1], candidate[:-1])
    assert below.method == "sampled"


def test_quantiles_on_few_cases_use_the_exact_swap_test() -> None:
    rng = random.Random(6)
    baseline = [rng.uniform(100, 200) for _ in range(10)]
    slower = [v + 500 for v in baseline]
    p95 = paired_difference(baseline, slower, quantile=0.95)
    assert p95.method == "exact"
    assert p95.delta == pytest.approx(500)
    assert p95.p_value is not None
    assert p95.p_value < 0.05
    assert verdict(p95, higher_is_better=False) == "regressed"
    same = paired_difference(baseline, baseline, quantile=0.5)
    assert same.p_value == 1.0
    assert verdict(same, higher_is_better=False) != "regressed"


def test_pass_indicators_compare_pass_rates() -> None:
    baseline = [1.0] * 45 + [0.0] * 5  # 90% pass
    candidate = [1.0] * 25 + [0.0] * 25  # the first 20 of the passing cases now fail
    diff = paired_bootstrap(baseline, candidate, seed=0)
    assert diff.baseline == pytest.approx(0.9)
    assert diff.candidate == pytest.approx(0.5)
    assert verdict(diff, higher_is_better=True) == "regressed"


def test_quantile_difference_tracks_the_tail() -> None:
    rng = random.Random(2)
    baseline = [rng.uniform(100, 200) for _ in range(200)]
    # Only the slowest tenth of cases gets slower: the mean barely moves, p95 does.
    candidate = [v + 400 if v > 190 else v for v in baseline]
    p95 = paired_bootstrap(baseline, candidate, quantile=0.95, seed=0)
    assert p95.baseline == pytest.approx(float(np.quantile(baseline, 0.95)))
    assert p95.candidate == pytest.approx(float(np.quantile(candidate, 0.95)))
    assert verdict(p95, higher_is_better=False) == "regressed"


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        paired_bootstrap([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap([1.0, 2.0], [1.0, 2.0], confidence=1.5)


@pytest.mark.parametrize("q", [0, 5, 50, 95, 100])
def test_percentile_matches_numpy_linear(q: int) -> None:
    values = [3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert percentile([], q) is None


def _case(case_id: str, status: str = "ok", **values: object) -> dict[str, Any]:
    row: dict[str, Any] = {"case_id": case_id, "status": status}
    row.update(values)
    return row


def _score(
    case_id: str, metric: str, value: float | None, passed: bool | None, status: str = "ok"
) -> dict[str, object]:
    return {
        "case_id": case_id,
        "metric": metric,
        "value": value,
        "passed": passed,
        "status": status,
    }


def test_summarize_computes_every_aggregate() -> None:
    cases = [
        _case("a", latency_ms=100.0, input_tokens=100, output_tokens=50, cost_usd=0.001),
        _case("b", latency_ms=200.0, input_tokens=200, output_tokens=50, cost_usd=0.003),
        _case("c", "error", latency_ms=900.0, error="boom"),
        _case("d", latency_ms=300.0, input_tokens=100, output_tokens=0, cost_usd=0.002),
    ]
    scores = [
        _score("a", "hallucination", 0.0, True),
        _score("b", "hallucination", 0.5, False),
        _score("d", "hallucination", None, None, status="error"),
        _score("a", "exact_match", 1.0, True),
        _score("b", "exact_match", 1.0, True),
        _score("d", "exact_match", 0.0, False),
        _score("c", "exact_match", None, None, status="skipped"),
        _score("a", "length", 12.0, None),
    ]
    s = summarize(cases, scores, {"hallucination": False, "exact_match": True})
    value = {name: entry["value"] for name, entry in s.items()}
    assert value["hallucination"] == pytest.approx(0.25)  # the errored score has no value
    assert s["hallucination"]["higher_is_better"] is False
    assert value["hallucination_pass_rate"] == pytest.approx(1 / 3)  # errored counts as failed
    assert value["hallucination_rate"] == pytest.approx(2 / 3)
    assert value["exact_match_pass_rate"] == pytest.approx(2 / 3)  # skipped row left out
    assert value["length"] == 12.0
    assert value["length_pass_rate"] is None
    assert value["success_rate"] == pytest.approx(0.25)  # only "a": ok and nothing failed
    assert value["error_rate"] == pytest.approx(0.25)
    assert value["cases"] == 4
    assert value["cost_usd_total"] == pytest.approx(0.006)
    assert value["cost_per_case_usd"] == pytest.approx(0.002)  # over the 3 cases with a cost
    assert value["cost_per_1k_tokens_usd"] == pytest.approx(0.006 / 0.5)
    assert value["cost_per_success_usd"] == pytest.approx(0.006)
    assert value["input_tokens_total"] == 400
    assert value["output_tokens_total"] == 100
    assert value["p50_latency_ms"] == pytest.approx(float(np.percentile([100, 200, 900, 300], 50)))
    assert value["p95_latency_ms"] == pytest.approx(float(np.percentile([100, 200, 900, 300], 95)))
    assert value["guardrail_findings_total"] == 0
    assert s["cost_per_case_usd"]["higher_is_better"] is False


def test_summarize_without_costs_or_cases_gives_none_not_zero() -> None:
    s = summarize([_case("a", latency_ms=5.0)], [], {})
    assert s["cost_usd_total"]["value"] is None
    assert s["cost_per_case_usd"]["value"] is None
    assert "hallucination_rate" in s
    assert s["hallucination_rate"]["value"] is None
    empty = summarize([], [], {})
    assert empty["cases"]["value"] == 0
    assert empty["success_rate"]["value"] is None
    assert empty["p95_latency_ms"]["value"] is None
