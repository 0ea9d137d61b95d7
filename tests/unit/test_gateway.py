"""The gateway through litellm against a stub OpenAI-compatible server: spans, cost, faults."""

from __future__ import annotations

import time
from typing import Any

import pytest
from openai_stub import StubHandler, stub_server
from opentelemetry.trace import StatusCode

import llmops
from llmops import AgentConfig
from llmops.serving import chat, chat_stream
from llmops.testing import SpanRecorder
from llmops.tracing import semconv

# litellm warns on import (pydantic ReadOnly TypedDicts, deprecations) and leaves its own
pytestmark = pytest.mark.litellm


def config(**pricing: Any) -> AgentConfig:
    return AgentConfig(
        name="gw-bot",
        model={"provider": "openai", "id": "stub-model", "served_name": "stub"},
        prompts={
            "system": {"template": "Be brief."},
            "user": {"template": "Q: {{question}}", "variables": ["question"]},
        },
        sampling={"temperature": 0.1, "max_tokens": 16, "seed": 3},
        pricing=pricing or {"input_per_token": 0.001, "output_per_token": 0.002},
    )


def test_chat_records_a_genai_client_span_with_cost(llmops_spans: SpanRecorder) -> None:
    cfg = config()
    with stub_server() as base:
        result = chat(cfg, variables={"question": "hi?"}, api_base=base)
    assert result.text == "Hello from the stub."
    assert (result.input_tokens, result.output_tokens) == (12, 5)
    assert result.cost_usd == pytest.approx(12 * 0.001 + 5 * 0.002)
    assert result.cost_source == "config:per_token"
    sent = StubHandler.calls[0]
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Q: hi?"},
    ]
    assert sent["temperature"] == 0.1
    assert sent["max_tokens"] == 16
    attrs = llmops_spans.attributes("chat stub")
    assert attrs[semconv.GEN_AI_OPERATION_NAME] == "chat"
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == "llama.cpp"
    assert attrs[semconv.GEN_AI_REQUEST_MODEL] == "stub"
    assert attrs[semconv.GEN_AI_REQUEST_TEMPERATURE] == 0.1
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 12
    assert attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert attrs[semconv.LLMOPS_COST_USD] == pytest.approx(0.022)
    assert attrs[semconv.LLMOPS_COST_SOURCE] == "config:per_token"
    assert attrs[semconv.LLMOPS_CONFIG_VERSION] == cfg.version
    assert result.trace_id == f"{llmops_spans.by_name('chat stub').context.trace_id:032x}"


def test_stream_records_time_to_first_token_and_usage(llmops_spans: SpanRecorder) -> None:
    with stub_server() as base:
        pieces = list(chat_stream(config(), variables={"question": "hi"}, api_base=base))
    assert "".join(pieces) == "Hello there"
    attrs = llmops_spans.attributes("chat stub")
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 9
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 3
    assert attrs[semconv.LLMOPS_TIME_TO_FIRST_ITEM_MS] > 0
    assert attrs[semconv.OUTPUT_VALUE] == '"Hello there"'


async def test_async_chat(llmops_spans: SpanRecorder) -> None:
    from llmops.serving import achat

    with stub_server() as base:
        result = await achat(config(), variables={"question": "x"}, api_base=base)
    assert result.output_tokens == 5
    assert llmops_spans.names() == ["chat stub"]


def test_gpu_hour_and_price_map_pricing() -> None:
    from llmops.serving import price

    hourly = config(gpu_hour_usd=3.6)
    assert price(hourly, "openai/stub", 10, 10, 2.0) == (pytest.approx(0.002), "config:gpu_hour")
    hosted = AgentConfig(name="hosted", model={"provider": "openai", "id": "gpt-4o-mini"})
    cost, source = price(hosted, "gpt-4o-mini", 1000, 1000, 1.0)
    assert cost is not None
    assert cost > 0
    assert source.startswith("litellm-price-map:")
    unknown = AgentConfig(name="x", model={"id": "nobody-knows-this-model"})
    assert price(unknown, "openai/nobody-knows-this-model", 1, 1, 1.0) == (None, "unpriced")


@pytest.mark.parametrize(
    ("mode", "error", "message"),
    [
        ("error500", llmops.BackendUnavailable, "stub"),
        ("unknown_model", llmops.ModelCallError, "unknown model"),
        ("too_long", llmops.ContextLengthExceeded, "context"),
    ],
)
def test_server_errors_become_llmops_errors_and_close_the_span(
    llmops_spans: SpanRecorder, mode: str, error: type[Exception], message: str
) -> None:
    with stub_server(mode) as base, pytest.raises(error, match=message):
        chat(config(), variables={"question": "x"}, api_base=base, retries=1)
    span = llmops_spans.by_name("chat stub")
    assert span.status.status_code is StatusCode.ERROR
    assert span.end_time is not None
    expected_calls = 2 if mode == "error500" else 1  # only transient failures are retried
    assert len(StubHandler.calls) == expected_calls


def test_server_not_started_fails_fast(llmops_spans: SpanRecorder) -> None:
    from llmops.serving._local import free_port

    started = time.monotonic()
    with pytest.raises(llmops.BackendUnavailable):
        chat(config(), variables={"question": "x"}, api_base=f"http://127.0.0.1:{free_port()}/v1",
             retries=1, timeout=5)  # fmt: skip
    assert time.monotonic() - started < 20
    assert llmops_spans.by_name("chat stub").status.status_code is StatusCode.ERROR


def test_server_dying_mid_stream_closes_the_span_with_an_error(llmops_spans: SpanRecorder) -> None:
    with stub_server("die_mid_stream") as base, pytest.raises(llmops.LlmopsError):
        list(chat_stream(config(), variables={"question": "x"}, api_base=base, timeout=5))
    span = llmops_spans.by_name("chat stub")
    assert span.status.status_code is StatusCode.ERROR
    assert span.end_time is not None


def test_prompts_must_render() -> None:
    with pytest.raises(llmops.ConfigError, match="missing variable"):
        chat(config(), variables={}, api_base="http://127.0.0.1:9/v1")
