"""An eval suite against the real local model, through the gateway, into DuckDB and MLflow."""

from __future__ import annotations

from pathlib import Path

import pytest

import llmops
from llmops import AgentConfig
from llmops.eval import load_suite, run_suite
from llmops.serving import LocalServer

pytestmark = [pytest.mark.litellm, pytest.mark.filterwarnings("ignore::FutureWarning")]

SUITE = """\
name: local-model
metrics:
  - contains
  - hallucination
  - name: hallucination_judge
    type: hallucination
    judge: judge-bot@production
gates:
  - error_rate <= 0
  - cost_per_case_usd <= 0.01
cases:
  - id: sky
    input: "What colour is the sky on a clear day? Answer in one word."
    context: "On a clear day the sky is blue."
    expected: ["blue"]
  - id: water
    input: "What is water made of?"
    context: "Water is made of hydrogen and oxygen."
    expected: ["hydrogen"]
"""


def bot(name: str, api_base: str | None = None) -> AgentConfig:
    return AgentConfig(
        name=name,
        model={
            "provider": "openai",
            "id": "gemma-3-270m",
            "served_name": "gemma-3-270m",
            "api_base": api_base,
        },
        prompts={
            "system": {"template": "Answer from the context in a few words."},
            "user": {
                "template": "Context: {{context}}\nQuestion: {{question}}\nAnswer:",
                "variables": ["context", "question"],
            },
        },
        sampling={"temperature": 0.0, "max_tokens": 16, "seed": 3},
        pricing={"gpu_hour_usd": 0.36},
    )


def test_a_suite_on_the_real_model_is_stored_priced_and_logged(
    local_server: LocalServer, tmp_path: Path
) -> None:
    registry = llmops.configs()
    candidate = registry.register(bot("local-bot"), aliases=("candidate",))
    # The judge's server is down: its metric must be marked errored, the offline one still runs.
    registry.register(bot("judge-bot", api_base="http://127.0.0.1:9/v1"), aliases=("production",))
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)

    run = run_suite(load_suite(path), config="local-bot@candidate", api_base=local_server.api_base)

    assert run.config_version == candidate.version
    for case in run.cases:
        assert case.status == "ok", case.error
        assert case.output is not None
        assert case.output.text.strip()
        assert case.input_tokens > 10
        assert case.output_tokens > 0
        assert case.cost_usd is not None
        assert case.cost_usd > 0
        assert case.cost_source == "config:gpu_hour"
        offline = case.scores["hallucination"]
        assert offline.status == "ok"
        assert 0.0 <= offline.value <= 1.0
        judge = case.scores["hallucination_judge"]
        assert judge.status == "error"
        assert judge.value is None
        assert "BackendUnavailable" in judge.details["error"]
    assert run.summary["cost_per_case_usd"]["value"] > 0
    assert {g.gate: g.status for g in run.gates}["error_rate <= 0"] == "passed"

    rows = llmops.query(
        "SELECT c.case_id, c.trace_id, c.input_tokens, s.config_version "
        "FROM eval_cases c JOIN spans s ON s.trace_id = c.trace_id "
        "WHERE c.run_id = ? AND s.operation = 'chat' AND s.config_name = 'local-bot' "
        "ORDER BY c.case_index",
        [run.run_id],
    )
    assert [r["case_id"] for r in rows] == ["sky", "water"]
    assert all(r["config_version"] == candidate.version for r in rows)

    assert run.mlflow_run_id is not None
    logged = registry.client.get_run(run.mlflow_run_id)
    assert logged.data.tags["llmops.config.version"] == candidate.version
    assert logged.data.tags["llmops.eval.run_id"] == run.run_id
    assert logged.data.metrics["cases"] == 2
    assert logged.data.metrics["cost_per_case_usd"] > 0
