"""Issue 19: online scoring with an LLM judge at a sampled rate, the real local model judging
(Gemma 3 270M on llama.cpp, through the gateway). A 270M model is a weak judge: the test asserts
the mechanics (which traces are judged, rows linked to them, the judge's calls traced and never
scored themselves), not its verdicts."""

from __future__ import annotations

import pytest

import llmops
from llmops import AgentConfig
from llmops._monitor import OnlineScorer, Rules
from llmops._monitor import _scoring as scoring
from llmops.serving import LocalServer

pytestmark = [
    pytest.mark.litellm,
    pytest.mark.filterwarnings(
        "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"
    ),
]

DOCS = ["The Eiffel Tower is in Paris. It was completed in 1889."]


@llmops.tool
def search(query: str) -> list[str]:
    return DOCS


@llmops.agent
def guide(question: str, *, answer: str) -> str:
    search(question)
    return answer


def test_a_sampled_share_is_judged_by_the_real_model(local_server: LocalServer) -> None:
    judge = AgentConfig.model_validate({
        "name": "faithfulness-judge",
        "model": {"provider": "openai", "id": "gemma-3-270m", "served_name": "gemma-3-270m",
                  "api_base": local_server.api_base},
        "sampling": {"temperature": 0.0, "max_tokens": 160, "seed": 1},
    })  # fmt: skip
    llmops.configs().register(judge, aliases=("production",))
    agent = AgentConfig.model_validate(
        {"name": "guide", "model": {"provider": "openai", "id": "gemma-3-270m"}}
    )
    with llmops.use_config(agent):
        for year in (1889, 1925, 1889, 1930, 1889, 1901):
            guide("When was it completed?", answer=f"It was completed in {year}.")
    llmops.flush()
    ids = [r["trace_id"] for r in llmops.query("SELECT trace_id FROM traces")]
    judged = {t for t in ids if scoring._draw(t, "judge") < 0.5}
    assert 0 < len(judged) < len(ids)  # the seeded draw picks a real share of these ids

    rules = Rules(
        settle_s=0,
        metrics=("hallucination",),
        judge="faithfulness-judge@production",
        judge_rate=0.5,
    )
    stats = OnlineScorer(rules).run_once()
    assert stats.scored == len(ids)
    rows = llmops.query("SELECT * FROM monitor_scores WHERE metric = 'hallucination_judge'")
    assert {r["trace_id"] for r in rows} == judged
    for row in rows:  # a verdict, or an error row naming why the small model's reply failed
        assert row["status"] in ("ok", "error"), row
        assert row["explanation"]
    llmops.flush()
    calls = llmops.query(
        "SELECT DISTINCT trace_id FROM spans WHERE name = 'chat gemma-3-270m' "
        "AND config_name = 'faithfulness-judge'"
    )
    assert calls  # the judge's model calls are traced...
    again = OnlineScorer(rules).run_once()
    assert again.considered == 0  # ...and never scored as production traffic
