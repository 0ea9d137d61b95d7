"""Regressions from the tracing API audit: long streams, usage, size markers, big ints, misuse."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
import pytest

import llmops
from llmops.testing import SpanRecorder, capture_spans
from llmops.tracing import semconv
from llmops.tracing._capture import to_attribute, to_json

# --- 5. streams longer than the kept items ---------------------------------------------------


def test_long_llm_stream_keeps_usage_and_shows_truncation(llmops_spans: SpanRecorder) -> None:
    @llmops.llm(model="m")
    def stream(prompt: str) -> Iterator[Any]:
        for _ in range(5000):
            yield "ab"
        yield {"id": "c1", "choices": [{"finish_reason": "stop"}]}
        yield {"id": "c1", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 5000}}

    assert len(list(stream("hi"))) == 5002
    attrs = llmops_spans.attributes("chat m")
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 3
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 5000
    assert attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert attrs[semconv.GEN_AI_RESPONSE_ID] == "c1"
    assert attrs[semconv.LLMOPS_GENERATOR_ITEMS] == 5002
    assert semconv.OUTPUT_VALUE in attrs[semconv.LLMOPS_TRUNCATED]
    output = orjson.loads(attrs[semconv.OUTPUT_VALUE])
    assert output[:1000] == ["ab"] * 1000
    assert any(isinstance(item, str) and "items dropped]" in item for item in output)
    assert output[-1]["usage"]["completion_tokens"] == 5000  # the end of the stream is shown


async def test_long_async_text_stream_marks_the_cut(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="tokens")
    async def tokens() -> AsyncIterator[str]:
        for i in range(1500):
            yield "x" if i < 1499 else "END"

    assert len([t async for t in tokens()]) == 1500
    attrs = llmops_spans.attributes("tokens")
    output = orjson.loads(attrs[semconv.OUTPUT_VALUE])
    assert output.startswith("x" * 1000 + "…[")
    assert output.endswith("END")
    assert attrs[semconv.LLMOPS_TRUNCATED] == (semconv.OUTPUT_VALUE,)


def test_short_stream_is_recorded_whole(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="short")
    def short() -> Iterator[str]:
        yield from ["a"] * 1000

    assert len(list(short())) == 1000
    attrs = llmops_spans.attributes("short")
    assert attrs[semconv.OUTPUT_VALUE] == '"' + "a" * 1000 + '"'
    assert semconv.LLMOPS_TRUNCATED not in attrs


# --- 6. zero token counts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": 0, "completion_tokens": 0},
        {"input_tokens": 0, "output_tokens": 0},
    ],
)
def test_zero_token_counts_are_recorded(llmops_spans: SpanRecorder, usage: dict[str, int]) -> None:
    @llmops.llm(model="m")
    def complete(prompt: str) -> dict[str, Any]:
        return {"usage": usage}

    complete("")
    attrs = llmops_spans.attributes("chat m")
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 0
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 0


# --- 7. the truncation marker reports the real size ------------------------------------------


def test_truncation_marker_of_a_huge_string_reports_its_real_length() -> None:
    text, truncated = to_json("x" * 10_000_000, 256)
    assert truncated
    assert text.startswith('"' + "x" * 255)
    assert text.endswith("…[truncated 10000000 characters]")
    text, truncated = to_json("é" * 1000, 256)
    assert truncated
    assert text.endswith("…[truncated 1000 characters]")
    text.encode("utf-8")
    data, _ = to_json({"k": "x" * 1000}, 256)
    assert data.endswith("…[truncated 1008 bytes]")  # other values: the size of their JSON


# --- 8. ints beyond 64 bits ---------------------------------------------------------------------


def test_big_ints_become_text_and_the_rest_stays_json() -> None:
    text, truncated = to_json({"n": 2**70, "rest": [1, "a", {"m": -(2**64)}]}, 10_000)
    assert not truncated
    assert orjson.loads(text) == {
        "n": str(2**70),
        "rest": [1, "a", {"m": str(-(2**64))}],
    }
    assert to_json([2**64 - 1, -(2**63)], 1000)[0] == f"[{2**64 - 1},{-(2**63)}]"
    huge = orjson.loads(to_json({"n": 10**5000}, 10_000)[0])["n"]
    assert huge.startswith("<int: 16610 bits")
    # Attributes: OTLP ints are int64, so beyond that the digits go as text.
    assert to_attribute(2**63, 100) == (str(2**63), False)
    assert to_attribute(-(2**63), 100) == (-(2**63), False)


def test_big_int_argument_keeps_the_input_json(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="power")
    def power(base: int, note: str) -> int:
        return base**2

    power(2**70, "big")
    attrs = llmops_spans.attributes("power")
    assert orjson.loads(attrs[semconv.INPUT_VALUE]) == {"base": str(2**70), "note": "big"}
    assert orjson.loads(attrs[semconv.OUTPUT_VALUE]) == str(2**140)


# --- 9. misuse at decoration time is a ConfigError -------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: llmops.trace(attributes=["a"]), "attributes"),  # type: ignore[call-overload]
        (lambda: llmops.trace(name=123), "name"),  # type: ignore[call-overload]
        (lambda: llmops.tool(name=b"t"), "name"),  # type: ignore[call-overload]
        (lambda: llmops.llm(attributes="a=b"), "attributes"),  # type: ignore[call-overload]
        (lambda: llmops.agent(name=1.5), "name"),  # type: ignore[call-overload]
        (lambda: llmops.agent(config=object()), "config"),
        (lambda: llmops.agent(config={"name": "x", "version": "1"}), "config"),
    ],
)
def test_decorator_misuse_is_a_config_error(make: Any, message: str) -> None:
    with pytest.raises(llmops.ConfigError, match=message):
        make()


def test_use_config_with_a_non_config_is_a_config_error() -> None:
    with pytest.raises(llmops.ConfigError, match="config"), llmops.use_config(object()):
        pass


def test_valid_options_still_work() -> None:
    with capture_spans() as spans:

        @llmops.trace(name="n", attributes={"a": 1})
        def f() -> int:
            return 1

        f()
    assert spans.attributes("n")["a"] == 1
