"""The eval runner on a callable target: stored rows, resume, failures, timeouts, cost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import eval_agents
import pytest

import llmops
from llmops.eval import Score, load_suite, metric, run_suite

SUITE = """\
name: runner
target: eval_agents:faq_bot
plugins: [test_eval_runner]
metrics:
  - contains
  - name: short
    threshold: 10
gates:
  - error_rate <= 0
  - contains_pass_rate >= 0.5
settings:
  concurrency: 3
  retries: 1
  timeout_s: 0.5
cases:
  - id: paris
    input: "capital of France?"
    context: "Paris is the capital. It is big."
    expected: "Paris"
  - {id: berlin, input: "capital of Germany?", context: "Berlin is the capital.", expected: "Rome"}
  - {id: flaky, input: "flaky question", context: "Flaky passes.", expected: "Flaky"}
  - {id: boom, input: "explode please", context: "x.", expected: "x"}
  - {id: slow, input: "stall now", context: "slow.", expected: "slow"}
"""


@metric("short", higher_is_better=False)
def short(case: object, output: llmops.eval.CaseOutput) -> float:
    return float(len(output.text.split()))


@pytest.fixture(autouse=True)
def _fresh_counts() -> Iterator[None]:
    eval_agents.CALLS.clear()
    eval_agents.RELEASE.clear()
    yield
    # A timed-out case keeps running in its thread: let it end before the next test's store.
    eval_agents.RELEASE.set()
    for thread in threading.enumerate():
        if thread.name == "llmops-eval-case":
            thread.join(10)


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    return path


def test_a_run_stores_every_case_and_survives_failures(suite_file: Path) -> None:
    run = run_suite(load_suite(suite_file), log_to_mlflow=False)
    by_id = {c.case.id: c for c in run.cases}
    assert [c.case.id for c in run.cases] == ["paris", "berlin", "flaky", "boom", "slow"]
    assert by_id["paris"].passed
    assert by_id["paris"].scores["contains"].passed
    assert by_id["berlin"].scores["contains"].passed is False
    assert by_id["flaky"].status == "ok"
    assert by_id["flaky"].attempts == 2
    assert by_id["boom"].status == "error"
    assert "exploded" in (by_id["boom"].error or "")
    assert by_id["boom"].attempts == 2
    assert by_id["boom"].scores == {}
    assert by_id["slow"].status == "timeout"
    paris = by_id["paris"]
    assert (paris.input_tokens, paris.output_tokens, paris.cost_usd) == (
        13,
        5,
        pytest.approx(0.001),
    )
    assert run.summary["error_rate"]["value"] == pytest.approx(0.4)
    assert run.passed is False, "error_rate <= 0 failed"
    failed = [g.gate for g in run.gates if g.status == "failed"]
    assert failed == ["error_rate <= 0"]

    stored = llmops.query(
        "SELECT case_id, status, trace_id, cost_usd FROM eval_cases WHERE run_id = ? "
        "ORDER BY case_index",
        [run.run_id],
    )
    assert [r["case_id"] for r in stored] == ["paris", "berlin", "flaky", "boom", "slow"]
    # Every case ran in its own trace, and the trace is in the store with the agent's spans.
    spans = llmops.query(
        "SELECT name FROM spans WHERE trace_id = ? ORDER BY start_time", [stored[0]["trace_id"]]
    )
    assert [s["name"] for s in spans] == [
        "eval.case",
        "invoke_agent faq-bot",
        "chat fake-model",
        "eval.score",
    ]
    scores = llmops.query(
        "SELECT metric, value, passed FROM eval_scores WHERE run_id = ? AND case_id = 'paris' "
        "ORDER BY metric",
        [run.run_id],
    )
    assert scores == [
        {"metric": "contains", "value": 1.0, "passed": True},
        {"metric": "short", "value": 4.0, "passed": True},
    ]
    row = llmops.query("SELECT status, summary FROM eval_runs WHERE run_id = ?", [run.run_id])
    assert row[0]["status"] == "completed"
    assert '"error_rate"' in row[0]["summary"]


def test_a_rerun_resumes_and_only_runs_what_is_not_scored(suite_file: Path) -> None:
    suite = load_suite(suite_file)
    first = run_suite(suite, log_to_mlflow=False)
    calls_before = sum(eval_agents.CALLS.values())
    second = run_suite(suite, log_to_mlflow=False)
    assert second.run_id == first.run_id
    assert second.resumed_cases == 3  # paris, berlin, flaky; boom and slow run again
    ran_again = sum(eval_agents.CALLS.values()) - calls_before
    assert ran_again == 3  # boom twice (retry), slow once
    fresh = run_suite(suite, log_to_mlflow=False, fresh=True)
    assert fresh.run_id != first.run_id
    assert fresh.resumed_cases == 0


def test_a_metric_that_raises_is_an_error_not_a_zero(tmp_path: Path) -> None:
    @metric("fragile")
    def fragile(case: object, output: object) -> Score:
        raise ValueError("the scorer broke")

    path = tmp_path / "s.yaml"
    path.write_text(
        "name: f\ntarget: eval_agents:faq_bot\nmetrics: [fragile, contains]\n"
        "cases: [{id: a, input: q, context: 'A b.', expected: A}]\n"
    )
    run = run_suite(load_suite(path), log_to_mlflow=False)
    score = run.cases[0].scores["fragile"]
    assert score.status == "error"
    assert score.value is None
    assert "the scorer broke" in score.details["error"]
    assert run.cases[0].scores["contains"].passed is True
    assert run.summary["fragile"]["value"] is None


def test_baseline_comparison_flags_a_known_regression(tmp_path: Path) -> None:
    cases = "\n".join(
        f"  - {{id: c{i}, input: 'question {i}', context: 'Answer {i} here.', "
        f"expected: 'Answer {i}'}}"
        for i in range(12)
    )
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: cmp\nmetrics: [contains]\ngates:\n  - no_regression: [contains]\ncases:\n{cases}\n"
    )
    suite = load_suite(path)

    def good(question: str, context: str) -> str:
        return context

    def bad(question: str, context: str) -> str:
        return "nothing useful"

    baseline = run_suite(suite, good, log_to_mlflow=False)
    candidate = run_suite(suite, bad, baseline=baseline, log_to_mlflow=False)
    assert candidate.comparison is not None
    verdicts = {m.metric: m.verdict for m in candidate.comparison.metrics}
    assert verdicts["contains"] == "regressed"
    assert candidate.passed is False
    same = run_suite(suite, good, baseline=baseline, log_to_mlflow=False, fresh=True)
    assert {m.metric: m.verdict for m in same.comparison.metrics}["contains"] == "unchanged"
    assert same.passed is True


def test_stored_gates_read_back_in_the_ui(suite_file: Path) -> None:
    import orjson
    from starlette.testclient import TestClient

    from llmops._ui import create_app

    run = run_suite(load_suite(suite_file), log_to_mlflow=False)
    row = llmops.query("SELECT gates FROM eval_runs WHERE run_id = ?", [run.run_id])[0]
    stored = {g["gate"]: (g["status"], g["passed"]) for g in orjson.loads(row["gates"])}
    assert stored == {
        "error_rate <= 0": ("failed", False),
        "contains_pass_rate >= 0.5": ("passed", True),
    }
    with TestClient(create_app()) as client:
        listing = client.get("/evals").text
        detail = client.get(f"/evals/{run.run_id}").text
    assert "1 failed" in listing
    assert detail.count('badge badge-error">fail<') == 1
    assert detail.count('badge badge-ok">pass<') == 1
