"""compare_runs / compare_configs over eval rows written to a real (temporary) store."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from llmops._errors import EvalDatasetError
from llmops._spanstore import open_store
from llmops._store import Store
from llmops.eval._compare import compare_configs, compare_runs
from llmops.eval._summary import summarize

DIRECTIONS = {"hallucination": False, "exact_match": True}
FLIPPED = {f"case-{i:02d}" for i in range(0, 30, 3)}  # 10 cases the candidate gets wrong


def _rows(run_id: str, candidate: bool, n: int = 30) -> tuple[list[dict[str, Any]], ...]:
    rng = random.Random(run_id)
    cases, scores = [], []
    for i in range(n):
        case_id = f"case-{i:02d}"
        hallucinated = candidate and case_id in FLIPPED
        cost = 0.002 + 0.0001 * (i % 5) + (0.001 if candidate else 0.0)
        cases.append(
            {
                "run_id": run_id,
                "case_id": case_id,
                "case_index": i,
                "status": "ok",
                "latency_ms": 200.0 + 10 * (i % 7) + rng.gauss(0.0, 5.0),
                "input_tokens": 100,
                "output_tokens": 40,
                "cost_usd": cost,
                "trace_id": f"{run_id}-trace-{i:02d}",
                "finished_ns": 1,
            }
        )
        value = 0.8 if hallucinated else 0.1 * (i % 3)
        scores.append(_score(run_id, case_id, "hallucination", value, value <= 0.5))
        scores.append(_score(run_id, case_id, "exact_match", 1.0, True))
    return cases, scores


def _score(run_id: str, case_id: str, metric: str, value: float, passed: bool) -> dict[str, Any]:
    row = {"run_id": run_id, "case_id": case_id, "metric": metric, "value": value}
    return {**row, "passed": passed, "status": "ok", "details": "{}", "written_ns": 1}


def _write_run(
    store: Store,
    run_id: str,
    *,
    candidate: bool,
    version: str,
    suite_hash: str = "suite-1",
    finished_ns: int = 100,
    n: int = 30,
    with_summary: bool = True,
) -> None:
    cases, scores = _rows(run_id, candidate, n)
    store.table("eval_cases").append(cases)
    store.table("eval_scores").append(scores)
    summary = summarize(cases, scores, DIRECTIONS) if with_summary else None
    store.table("eval_runs").append(
        [
            {
                "run_id": run_id,
                "suite_name": "support",
                "suite_hash": suite_hash,
                "config_name": "bot",
                "config_version": version,
                "status": "completed",
                "started_ns": finished_ns - 10,
                "finished_ns": finished_ns,
                "written_ns": finished_ns,
                "case_count": n,
                "summary": orjson.dumps(summary).decode() if summary else None,
            }
        ]
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "store")
    _write_run(store, "run-base", candidate=False, version="aaaa1111")
    _write_run(store, "run-cand", candidate=True, version="bbbb2222")
    return store


def test_known_regressions_are_detected_and_noise_is_not(store: Store) -> None:
    with store.connection() as con:
        cmp = compare_runs("run-base", "run-cand", con=con)
    assert cmp.paired_cases == 30
    assert not cmp.suites_differ
    assert cmp.warnings == []
    assert (cmp.baseline_config_version, cmp.candidate_config_version) == ("aaaa1111", "bbbb2222")
    hallucination = cmp.metric("hallucination")
    assert hallucination is not None
    assert hallucination.per_case
    assert hallucination.verdict == "regressed"
    assert hallucination.ci_low is not None
    assert hallucination.ci_low > 0.0
    rate = cmp.metric("hallucination_rate")
    assert rate is not None
    assert rate.verdict == "regressed"
    assert rate.delta == pytest.approx(10 / 30)
    cost = cmp.metric("cost_usd")
    assert cost is not None
    assert cost.verdict == "regressed"
    assert cost.delta == pytest.approx(0.001)
    # Unchanged metric and noise-only latency are not flagged.
    exact = cmp.metric("exact_match")
    assert exact is not None
    assert exact.verdict == "unchanged"
    latency = cmp.metric("latency_ms")
    assert latency is not None
    assert latency.verdict == "unchanged"
    # Run-level aggregates carry no interval.
    total = cmp.metric("cost_usd_total")
    assert total is not None
    assert not total.per_case
    assert total.ci_low is None
    assert total.verdict == "n/a"
    assert total.delta == pytest.approx(0.03)
    assert {m.metric for m in cmp.regressions} >= {"hallucination", "cost_usd"}


def test_regressed_cases_name_the_flipped_cases_with_both_traces(store: Store) -> None:
    with store.connection() as con:
        cmp = compare_runs("run-base", "run-cand", con=con)
    flipped = [c for c in cmp.regressed_cases if c.metric == "hallucination"]
    assert {c.case_id for c in flipped} == FLIPPED
    first = next(c for c in flipped if c.case_id == "case-03")
    assert first.candidate_value == pytest.approx(0.8)
    assert first.baseline_trace_id == "run-base-trace-03"
    assert first.candidate_trace_id == "run-cand-trace-03"
    # cost regressed for every case: listed under cost_usd, worst first.
    costs = [c for c in cmp.regressed_cases if c.metric == "cost_usd"]
    assert len(costs) == 30


def test_identical_runs_flag_nothing(store: Store) -> None:
    _write_run(store, "run-base-2", candidate=False, version="aaaa1111", finished_ns=200)
    with store.connection() as con:
        cmp = compare_runs("run-base", "run-base-2", con=con)
    assert cmp.regressions == []
    assert [c for c in cmp.regressed_cases] == []


def test_same_seed_gives_the_same_comparison(store: Store) -> None:
    with store.connection() as con:
        first = compare_runs("run-base", "run-cand", con=con, seed=7)
        again = compare_runs("run-base", "run-cand", con=con, seed=7)
    assert first.to_dict() == again.to_dict()


def test_missing_run_is_named(store: Store) -> None:
    with store.connection() as con, pytest.raises(EvalDatasetError, match="'run-nope'"):
        compare_runs("run-base", "run-nope", con=con)


def test_different_suites_and_a_single_pair_warn_and_are_too_few_cases(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "other")
    _write_run(store, "one-a", candidate=False, version="v1", suite_hash="s1", n=1)
    _write_run(store, "one-b", candidate=True, version="v2", suite_hash="s2", n=1)
    with store.connection() as con:
        cmp = compare_runs("one-a", "one-b", con=con)
    assert cmp.suites_differ
    assert "different suites" in cmp.warnings[0]
    hallucination = cmp.metric("hallucination")
    assert hallucination is not None
    assert hallucination.verdict == "too few cases"
    assert hallucination.pairs == 1
    assert cmp.regressions == []


@pytest.mark.parametrize(
    ("n", "verdict", "p_value"),
    [
        (4, "too few cases", 2 / 2**2),  # 2 of 4 cases got worse: no 4 cases could show it
        (12, "unchanged", 2 / 2**4),  # 4 of 12 got worse, the others did not move: p = 0.125
        (16, "regressed", 2 / 2**6),  # 6 of 16 got worse, none better: p = 0.031
    ],
)
def test_small_suites_are_decided_by_the_exact_test(
    tmp_path: Path, n: int, verdict: str, p_value: float
) -> None:
    store = open_store(tmp_path / "small")
    _write_run(store, "small-a", candidate=False, version="v1", n=n)
    _write_run(store, "small-b", candidate=True, version="v2", n=n)
    with store.connection() as con:
        cmp = compare_runs("small-a", "small-b", con=con)
    rate = cmp.metric("hallucination_rate")
    assert rate is not None
    assert (rate.pairs, rate.method, rate.verdict) == (n, "exact", verdict)
    # Only the flipped cases (every third) moved, all the same way; a zero's sign is free.
    flipped = len(range(0, n, 3))
    assert rate.p_value == pytest.approx(2 / 2**flipped)
    assert rate.p_value == pytest.approx(p_value)
    exact = cmp.metric("exact_match")
    assert exact is not None
    expected = "too few cases" if n < 6 else "unchanged"
    assert (exact.verdict, exact.p_value) == (expected, 1.0)
    note = cmp.too_few_cases_note()
    assert (note is not None) == (n < 6)
    if note:
        assert "hallucination_rate" in note
        assert "at least 6" in note


def test_run_without_stored_summary_is_summarised_from_its_rows(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s")
    _write_run(store, "a", candidate=False, version="v1")
    _write_run(store, "b", candidate=True, version="v2", with_summary=False)
    with store.connection() as con:
        cmp = compare_runs("a", "b", con=con)
    total = cmp.metric("cost_usd_total")
    assert total is not None
    assert total.candidate == pytest.approx(30 * 0.0032)


def test_compare_configs_picks_latest_completed_runs_on_a_common_suite(store: Store) -> None:
    _write_run(store, "run-base-new", candidate=False, version="aaaa1111", finished_ns=500)
    _write_run(store, "run-cand-other", candidate=True, version="bbbb2222", suite_hash="s9")
    with store.connection() as con:
        cmp = compare_configs("bot@aaaa1111", "bbbb", con=con)
        assert (cmp.baseline_run_id, cmp.candidate_run_id) == ("run-base-new", "run-cand")
        pinned = compare_configs("aaaa1111", "bbbb2222", suite_hash="suite-1", con=con)
        assert pinned.suite_hash == "suite-1"
        with pytest.raises(EvalDatasetError, match="no completed eval run"):
            compare_configs("bot@cccc", "bbbb2222", con=con)
        with pytest.raises(EvalDatasetError, match="no completed eval run"):
            compare_configs("other-bot@aaaa1111", "bbbb2222", con=con)
        with pytest.raises(EvalDatasetError, match="common suite"):
            compare_configs("aaaa1111", "bbbb2222", suite_hash="s9", con=con)


def test_compare_configs_rejects_an_ambiguous_prefix(store: Store) -> None:
    _write_run(store, "run-x", candidate=False, version="aaaa9999")
    with store.connection() as con, pytest.raises(EvalDatasetError, match="ambiguous"):
        compare_configs("aaaa", "bbbb2222", con=con)


def test_default_connection_reads_the_configured_store() -> None:
    from llmops._configure import active_settings

    store = open_store(active_settings().store_dir())
    _write_run(store, "home-a", candidate=False, version="v1")
    _write_run(store, "home-b", candidate=True, version="v2")
    cmp = compare_runs("home-a", "home-b")
    assert cmp.metric("hallucination_rate") is not None
    assert compare_configs("bot@v1", "bot@v2").candidate_run_id == "home-b"
