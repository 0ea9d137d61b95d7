"""The LLM-judge hallucination metric with the real local model (Gemma 3 270M on llama.cpp).

A 270M base model is a weak judge: these tests assert the mechanics (a result or a clear parse
error, spans in the store under the judge config's version, the cache), not its verdicts.
"""

from __future__ import annotations

import pytest

import llmops
from llmops import AgentConfig
from llmops.eval._judge import Judge, judge_hallucination
from llmops.eval._judge_cache import judge_cache_stats
from llmops.eval._types import HallucinationResult
from llmops.serving import LocalServer

pytestmark = pytest.mark.litellm

CONTEXT = "The Eiffel Tower is in Paris. It was completed in 1889."
ANSWER = "The Eiffel Tower is in Paris. It was completed in 1925."


def judge_config(api_base: str) -> AgentConfig:
    return AgentConfig.model_validate({
        "name": "faithfulness-judge",
        "model": {"provider": "openai", "id": "gemma-3-270m", "served_name": "gemma-3-270m",
                  "api_base": api_base},
        "sampling": {"temperature": 0.0, "max_tokens": 160, "seed": 1},
        "pricing": {"gpu_hour_usd": 0.36},
    })  # fmt: skip


def _score(judge: object) -> HallucinationResult | llmops.ModelCallError:
    """The result, or the clear error a small model's junk reply gives."""
    try:
        return judge_hallucination(ANSWER, [CONTEXT], judge, question="Where is the tower?")
    except llmops.ModelCallError as exc:
        return exc


def _judge_chat_spans(version: str) -> list[dict[str, object]]:
    llmops.flush()
    return llmops.query(
        "SELECT trace_id, config_version, cost_usd FROM spans "
        "WHERE name = 'chat gemma-3-270m' AND config_version = ?",
        [version],
    )


def test_the_real_model_judges_through_the_gateway_and_the_cache(local_server: LocalServer) -> None:
    cfg = judge_config(local_server.api_base)
    before = judge_cache_stats()
    first = _score(Judge(cfg))
    if isinstance(first, HallucinationResult):
        assert first.claims
        assert 0.0 <= first.score <= 1.0
        assert first.detector == "judge:gemma-3-270m"
        assert first.version == cfg.version
        assert first.details["model_calls"] == 2
    else:  # junk from a 270M model must be named as such, with the reply quoted
        assert "judge:gemma-3-270m" in str(first)
        assert "reply starts" in str(first)
    calls = _judge_chat_spans(cfg.version)
    assert 1 <= len(calls) <= 2
    assert all(row["cost_usd"] is not None for row in calls)

    second = _score(Judge(cfg))
    assert len(_judge_chat_spans(cfg.version)) == len(calls)  # served from the cache
    hits = judge_cache_stats()["hits"] - before["hits"]
    assert hits == len(calls)
    if isinstance(first, HallucinationResult):
        assert isinstance(second, HallucinationResult)
        assert second.claims == first.claims
        assert second.details["cache_hits"] == 2
    else:
        assert str(second) == str(first)


def test_a_judge_by_registry_reference(local_server: LocalServer) -> None:
    cfg = judge_config(local_server.api_base)
    llmops.configs().register(cfg, aliases=("production",))
    result = _score("faithfulness-judge@production")
    if isinstance(result, HallucinationResult):
        assert result.version == cfg.version
    assert _judge_chat_spans(cfg.version)


def test_a_judge_that_is_down_is_backend_unavailable() -> None:
    from llmops.serving._local import free_port

    cfg = judge_config(f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(llmops.BackendUnavailable):
        judge_hallucination(ANSWER, [CONTEXT], Judge(cfg, retries=0, timeout=5))
