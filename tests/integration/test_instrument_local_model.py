"""llmops.instrument() against the real local model: the OpenAI SDK, called directly (no llmops
decorator on the call), against Gemma 3 270M on llama.cpp's OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

import llmops
from llmops.tracing import semconv

if TYPE_CHECKING:
    from llmops.serving import LocalServer

openai = pytest.importorskip("openai")
pytest.importorskip("opentelemetry.instrumentation.openai_v2")

pytestmark = pytest.mark.litellm

OFFICIAL = "opentelemetry-instrumentation-openai-v2"
# llama.cpp answers any model name with its one model, and names the reply by the request: a
# name priced in litellm's map (registered here) makes the span priced on ingest.
PRICED = "llmops-instrument-test-gemma"
RATES = (1e-6, 2e-6)  # USD per input token, per output token


@pytest.fixture(autouse=True)
def _instrumented() -> Iterator[None]:
    llmops.configure(batch=False)
    assert llmops.instrument("openai") == [OFFICIAL]
    yield
    llmops.uninstrument()


@pytest.fixture
def priced_model() -> Iterator[str]:
    from llmops.serving import _litellm

    litellm = _litellm._litellm()
    litellm.register_model(
        {PRICED: {"input_cost_per_token": RATES[0], "output_cost_per_token": RATES[1],
                  "litellm_provider": "openai", "mode": "chat"}},
        persist_across_reloads=False,
        add_to_provider_model_sets=False,
    )  # fmt: skip
    yield PRICED
    litellm.model_cost.pop(PRICED, None)


def ask(server: LocalServer, model: str) -> Any:
    client = openai.OpenAI(base_url=server.api_base, api_key="x")
    return client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "What colour is the sky? One word."}],
        max_tokens=8,
        temperature=0.0,
    )


def llm_rows() -> list[dict[str, Any]]:
    return llmops.query("SELECT * FROM spans WHERE span_type = 'llm' ORDER BY start_time")


def test_an_sdk_call_inside_an_agent_is_a_child_span_in_the_store(
    local_server: LocalServer,
) -> None:
    @llmops.agent(name="sky-bot")
    def answer() -> Any:
        return ask(local_server, "gemma-3-270m")

    with llmops.session("chat-7"):
        reply = answer()
    assert reply.choices[0].message.content.strip()
    (root,) = llmops.query("SELECT * FROM spans WHERE span_type = 'agent'")
    (row,) = llm_rows()
    assert (row["trace_id"], row["parent_span_id"]) == (root["trace_id"], root["span_id"])
    assert row["session_id"] == "chat-7"
    assert (row["operation"], row["provider"], row["model"]) == ("chat", "openai", "gemma-3-270m")
    assert (row["input_tokens"], row["output_tokens"]) == (
        reply.usage.prompt_tokens,
        reply.usage.completion_tokens,
    )
    assert 0 < row["output_tokens"] <= 8
    # Gemma 3 270M is in no price map: no cost, and the row says why.
    attributes = json.loads(row["attributes"])
    assert row["cost_usd"] is None
    assert attributes[semconv.LLMOPS_COST_SOURCE] == "unpriced"
    (message,) = json.loads(attributes[semconv.GEN_AI_INPUT_MESSAGES])
    assert message["parts"][0]["content"] == "What colour is the sky? One word."

    assert llmops.uninstrument() == [OFFICIAL]
    answer()
    assert len(llm_rows()) == 1  # turned off: the SDK call makes no span


def test_a_model_in_the_price_map_is_priced_on_ingest(
    local_server: LocalServer, priced_model: str
) -> None:
    reply = ask(local_server, priced_model)
    assert reply.model == priced_model
    (row,) = llm_rows()
    assert row["model"] == priced_model
    expected = row["input_tokens"] * RATES[0] + row["output_tokens"] * RATES[1]
    assert row["input_tokens"] > 5
    assert row["cost_usd"] == pytest.approx(expected)
    source = json.loads(row["attributes"])[semconv.LLMOPS_COST_SOURCE]
    assert source.startswith("litellm-price-map:")
