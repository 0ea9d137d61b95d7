"""A model call's messages on its span (gen_ai.input.messages / output.messages): the gateway
and ``@llm`` against the stub OpenAI server, the opt-outs, the size cap, and redaction."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai_stub import stub_server

import llmops
from llmops import AgentConfig
from llmops.testing import SpanRecorder, capture_spans
from llmops.tracing import semconv
from llmops.tracing._messages import bounded_json, input_messages

# The gateway calls litellm, which warns on import and leaks its own event loop and sockets.
pytestmark = pytest.mark.litellm

SYSTEM = {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]}
ANSWER = {
    "role": "assistant",
    "parts": [{"type": "text", "content": "Hello from the stub."}],
    "finish_reason": "stop",
}


def _messages(attributes: dict[str, Any], key: str) -> Any:
    return json.loads(attributes[key])


def config() -> AgentConfig:
    return AgentConfig(
        name="msg-bot",
        model={"provider": "openai", "id": "stub-model", "served_name": "stub"},
        prompts={
            "system": {"template": "Be brief."},
            "user": {"template": "Q: {{question}}", "variables": ["question"]},
        },
        pricing={"input_per_token": 0.001, "output_per_token": 0.002},
    )


def test_gateway_chat_records_the_messages_sent_and_the_answer(
    llmops_spans: SpanRecorder,
) -> None:
    from llmops.serving import chat

    with stub_server() as base:
        chat(config(), variables={"question": "hi?"}, api_base=base)
    attrs = llmops_spans.attributes("chat stub")
    user = {"role": "user", "parts": [{"type": "text", "content": "Q: hi?"}]}
    # The config's system prompt is sent in the chat history: it stays there, as the
    # conventions ask (gen_ai.system_instructions is for instructions given apart).
    assert _messages(attrs, semconv.GEN_AI_INPUT_MESSAGES) == [SYSTEM, user]
    assert _messages(attrs, semconv.GEN_AI_OUTPUT_MESSAGES) == [ANSWER]
    assert semconv.GEN_AI_SYSTEM_INSTRUCTIONS not in attrs
    # The cost's input and output shares go with it (MLflow shows them).
    assert attrs[semconv.LLMOPS_COST_INPUT_USD] == pytest.approx(12 * 0.001)
    assert attrs[semconv.LLMOPS_COST_OUTPUT_USD] == pytest.approx(5 * 0.002)


async def test_gateway_streams_and_async_calls_record_the_messages(
    llmops_spans: SpanRecorder,
) -> None:
    from llmops.serving import achat, achat_stream, chat_stream

    messages = [{"role": "user", "content": "Say hello"}]
    with stub_server() as base:
        assert "".join(chat_stream(config(), messages, api_base=base)) == "Hello there"
        await achat(config(), messages, api_base=base)
        assert "".join([p async for p in achat_stream(config(), messages, api_base=base)])
    spans = [s for s in llmops_spans.spans if s.name == "chat stub"]
    assert len(spans) == 3
    outputs = [_messages(dict(s.attributes or {}), semconv.GEN_AI_OUTPUT_MESSAGES) for s in spans]
    streamed = {"role": "assistant", "parts": [{"type": "text", "content": "Hello there"}]}
    assert outputs == [
        [{**streamed, "finish_reason": "stop"}],
        [ANSWER],
        [{**streamed, "finish_reason": "stop"}],
    ]
    for span in spans:
        sent = _messages(dict(span.attributes or {}), semconv.GEN_AI_INPUT_MESSAGES)
        assert sent == [{"role": "user", "parts": [{"type": "text", "content": "Say hello"}]}]


def test_llm_decorator_reads_messages_from_the_arguments_and_the_openai_response(
    llmops_spans: SpanRecorder,
) -> None:
    openai = pytest.importorskip("openai")

    @llmops.llm(model="stub", provider="openai")
    def ask(client: Any, messages: list[dict[str, Any]], **params: Any) -> Any:
        return client.chat.completions.create(model="stub", messages=messages, **params)

    history = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What is 6 x 7?"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call-1",
                    "type": "function",
                    "function": {"name": "multiply", "arguments": '{"a": 6, "b": 7}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call-1", "content": "42"},
    ]
    with stub_server() as base:
        client = openai.OpenAI(base_url=base, api_key="test-key", max_retries=0)
        ask(client, history, temperature=0)
        client.close()
    attrs = llmops_spans.attributes("chat stub")
    assert _messages(attrs, semconv.GEN_AI_INPUT_MESSAGES) == [
        SYSTEM,
        {"role": "user", "parts": [{"type": "text", "content": "What is 6 x 7?"}]},
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "name": "multiply",
                    "id": "call-1",
                    "arguments": '{"a": 6, "b": 7}',
                }
            ],
        },
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "call-1", "response": "42"}],
        },
    ]
    assert _messages(attrs, semconv.GEN_AI_OUTPUT_MESSAGES) == [ANSWER]
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 12


def test_a_system_prompt_given_apart_is_system_instructions(llmops_spans: SpanRecorder) -> None:
    @llmops.llm(model="claude")
    def ask(messages: list[dict[str, Any]], system: str) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": "ok"}]}  # not OpenAI-style: no output

    ask([{"role": "user", "content": "hi"}], system="You are terse.")
    attrs = llmops_spans.attributes("chat claude")
    instructions = _messages(attrs, semconv.GEN_AI_SYSTEM_INSTRUCTIONS)
    assert instructions == [{"type": "text", "content": "You are terse."}]
    assert semconv.GEN_AI_OUTPUT_MESSAGES not in attrs


@pytest.mark.parametrize(
    ("settings", "options", "has_input", "has_output"),
    [
        ({}, {}, True, True),
        ({"capture_messages": False}, {}, False, False),
        ({"capture_inputs": False}, {}, False, True),
        ({"capture_outputs": False}, {}, True, False),
        ({}, {"capture_output": False}, True, False),
        ({}, {"capture_input": False}, False, True),
        ({"capture_inputs": False}, {"capture_input": True}, True, True),
    ],
)
def test_messages_follow_the_capture_settings(
    settings: dict[str, Any], options: dict[str, Any], has_input: bool, has_output: bool
) -> None:
    @llmops.llm(model="m", **options)
    def ask(messages: list[dict[str, Any]]) -> dict[str, Any]:
        return {"choices": [{"message": {"role": "assistant", "content": "yes"}}]}

    with capture_spans(**settings) as spans:
        ask([{"role": "user", "content": "ok?"}])
    attrs = spans.attributes("chat m")
    assert (semconv.GEN_AI_INPUT_MESSAGES in attrs) is has_input
    assert (semconv.GEN_AI_OUTPUT_MESSAGES in attrs) is has_output
    if has_output:
        output = _messages(attrs, semconv.GEN_AI_OUTPUT_MESSAGES)
        assert output[0]["finish_reason"] == "unknown"  # required by the conventions


def test_capture_messages_reads_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LLMOPS_CAPTURE_MESSAGES", "false")

    @llmops.llm(model="m")
    def ask(messages: list[dict[str, Any]]) -> str:
        return "yes"

    with capture_spans() as spans:
        ask([{"role": "user", "content": "ok?"}])
    assert semconv.GEN_AI_INPUT_MESSAGES not in spans.attributes("chat m")


def test_messages_stay_valid_json_within_the_size_cap() -> None:
    @llmops.llm(model="m")
    def ask(messages: list[dict[str, Any]]) -> str:
        return "yes"

    long = [
        {"role": "system", "content": "s" * 5000},
        {"role": "user", "content": "é" * 3000},
        {"role": "assistant", "content": "short"},
    ]
    with capture_spans(max_attribute_bytes=512) as spans:
        ask(long)
        ask([{"role": "user", "content": f"turn {i} " + "z" * 40} for i in range(500)])
    first, second = (dict(s.attributes or {}) for s in spans.spans)
    for attrs in (first, second):
        text = attrs[semconv.GEN_AI_INPUT_MESSAGES]
        assert len(text.encode()) <= 512
        assert semconv.GEN_AI_INPUT_MESSAGES in attrs[semconv.LLMOPS_TRUNCATED]
    cut = json.loads(first[semconv.GEN_AI_INPUT_MESSAGES])
    assert [m["role"] for m in cut] == ["system", "user", "assistant"]
    assert cut[0]["parts"][0]["content"].endswith("…[truncated 5000 characters]")
    assert cut[1]["parts"][0]["content"].endswith("…[truncated 3000 characters]")
    assert cut[2]["parts"][0]["content"] == "short"  # short texts are kept whole
    latest = json.loads(second[semconv.GEN_AI_INPUT_MESSAGES])
    assert latest[-1]["parts"][0]["content"].startswith("turn 499 ")  # the newest are kept
    assert 1 < len(latest) < 500


def test_bounded_json_keeps_what_fits_as_it_is() -> None:
    messages = input_messages([{"role": "user", "content": "hi"}], 1024)
    assert messages is not None
    assert bounded_json(messages, 1024) == (
        '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
        False,
    )
    assert input_messages("not messages", 1024) is None
    assert input_messages([{"content": "no role"}], 1024) is None


def test_a_credential_in_a_message_never_leaves_and_a_redact_hook_sees_messages() -> None:
    key = "sk-proj-abcdefghijklmnop1234"

    @llmops.llm(model="m")
    def ask(messages: list[dict[str, Any]]) -> dict[str, Any]:
        return {"choices": [{"message": {"role": "assistant", "content": f"use {key}"}}]}

    def no_emails(attribute: str, value: Any) -> Any:
        return value.replace("ana@example.com", "<email>") if isinstance(value, str) else value

    with capture_spans(redact=no_emails) as spans:
        ask([{"role": "user", "content": f"my key is {key}, mail ana@example.com"}])
    attrs = spans.attributes("chat m")
    sent = attrs[semconv.GEN_AI_INPUT_MESSAGES]
    answer = attrs[semconv.GEN_AI_OUTPUT_MESSAGES]
    assert key not in sent
    assert key not in answer
    assert "ana@example.com" not in sent
    assert "<email>" in sent
    assert json.loads(sent)[0]["role"] == "user"  # still the messages, scrubbed in place


def test_a_guardrail_redaction_reaches_the_recorded_messages(llmops_spans: SpanRecorder) -> None:
    cfg = AgentConfig(
        name="redacting-bot",
        model={"id": "m"},
        guardrails={
            "input": {"checks": ["pii"], "action": "redact", "pii_entities": ["EMAIL_ADDRESS"]}
        },
    )

    @llmops.llm(model="m")
    def ask(messages: list[dict[str, Any]]) -> str:
        return "ok"

    @llmops.agent(config=cfg)
    def run() -> str:
        return ask([{"role": "user", "content": "write to ana@example.com"}])

    run()
    sent = llmops_spans.attributes("chat m")[semconv.GEN_AI_INPUT_MESSAGES]
    assert "ana@example.com" not in sent
    assert json.loads(sent)[0]["parts"][0]["content"].startswith("write to ")
