"""``--executor ray`` on a local Ray: the same results as the local executor."""

from __future__ import annotations

from pathlib import Path

import pytest

import llmops
from llmops.eval import load_suite, run_suite

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning",
    "ignore::ResourceWarning",
    "ignore::FutureWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",
)

SUITE = """\
name: ray
target: eval_agents_ray:faq_bot
metrics: [contains, exact_match]
gates: [error_rate <= 0.5]
cases:
  - {id: a, input: "one", context: "Alpha is first. Beta next.", expected: "Alpha is first."}
  - {id: b, input: "two", context: "Beta is second.", expected: "Gamma"}
  - {id: c, input: "explode", context: "x.", expected: "x"}
  - {id: d, input: "four", context: "Delta is fourth.", expected: "Delta"}
"""

AGENT = """
import llmops

@llmops.agent(name="faq-bot")
def faq_bot(question, context):
    if question == "explode":
        raise RuntimeError("the agent exploded")
    with llmops.span("chat fake-model") as span:
        span.set_usage(input_tokens=len(question) + 10, output_tokens=5)
        span.set_cost(0.002, source="test")
    return {"answer": context.split(".")[0] + ".", "contexts": [context]}
"""


@pytest.mark.slow
def test_ray_and_local_executors_give_identical_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "eval_agents_ray.py").write_text(AGENT)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    suite = load_suite(path)

    local = run_suite(suite, log_to_mlflow=False, fresh=True)
    on_ray = run_suite(suite, executor="ray", log_to_mlflow=False, fresh=True)

    def outcome(run: llmops.eval.EvalRun) -> list[tuple[object, ...]]:
        return [
            (
                c.case.id,
                c.status,
                c.output.text if c.output else None,
                c.input_tokens,
                c.output_tokens,
                c.cost_usd,
                c.attempts,
                sorted((n, s.value, s.passed) for n, s in c.scores.items()),
            )
            for c in run.cases
        ]

    assert outcome(on_ray) == outcome(local)
    assert on_ray.executor == "ray"
    assert {k: v["value"] for k, v in on_ray.summary.items() if "latency" not in k} == {
        k: v["value"] for k, v in local.summary.items() if "latency" not in k
    }
    # The workers traced into the same store: every case's trace is there.
    traces = llmops.query(
        "SELECT count(DISTINCT s.trace_id) AS n FROM eval_cases c JOIN spans s "
        "ON s.trace_id = c.trace_id WHERE c.run_id = ?",
        [on_ray.run_id],
    )
    assert traces[0]["n"] == 4
