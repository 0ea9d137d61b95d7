"""The decorators on every kind of function, with the in-memory exporter."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

import llmops
from llmops.testing import SpanRecorder
from llmops.tracing import semconv


class Boom(RuntimeError):
    pass


def test_sync_nesting_and_genai_attributes(llmops_spans: SpanRecorder) -> None:
    @llmops.tool
    def search(query: str, k: int = 2) -> list[str]:
        """Search the docs."""
        return ["a", "b"][:k]

    @llmops.llm(model="gemma-3-270m", provider="llama.cpp")
    def complete(prompt: str) -> dict[str, Any]:
        return {
            "id": "cmpl-1",
            "model": "gemma-3-270m-q4",
            "usage": {"prompt_tokens": 11, "completion_tokens": 5},
            "choices": [{"finish_reason": "stop"}],
        }

    @llmops.agent(name="bot", version="v1")
    def answer(question: str) -> str:
        search(question, k=1)
        complete(question)
        return "done"

    assert answer("hi") == "done"
    assert llmops_spans.tree() == [
        (0, "invoke_agent bot"),
        (1, "execute_tool search"),
        (1, "chat gemma-3-270m"),
    ]
    agent = llmops_spans.attributes("invoke_agent bot")
    assert agent[semconv.GEN_AI_OPERATION_NAME] == "invoke_agent"
    assert agent[semconv.GEN_AI_AGENT_NAME] == "bot"
    assert agent[semconv.GEN_AI_AGENT_VERSION] == "v1"
    assert agent[semconv.INPUT_VALUE] == '{"question":"hi"}'
    assert agent[semconv.OUTPUT_VALUE] == '"done"'
    tool = llmops_spans.attributes("execute_tool search")
    assert tool[semconv.GEN_AI_TOOL_NAME] == "search"
    assert tool[semconv.GEN_AI_TOOL_DESCRIPTION] == "Search the docs."
    assert tool[semconv.INPUT_VALUE] == '{"query":"hi","k":1}'
    chat_span = llmops_spans.by_name("chat gemma-3-270m")
    assert chat_span.kind is SpanKind.CLIENT
    chat = dict(chat_span.attributes or {})
    assert chat[semconv.GEN_AI_REQUEST_MODEL] == "gemma-3-270m"
    assert chat[semconv.GEN_AI_RESPONSE_MODEL] == "gemma-3-270m-q4"
    assert chat[semconv.GEN_AI_PROVIDER_NAME] == "llama.cpp"
    assert chat[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 11
    assert chat[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 5
    assert chat[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert chat[semconv.GEN_AI_RESPONSE_ID] == "cmpl-1"


def test_signature_and_metadata_are_kept() -> None:
    def original(a: int, /, b: str = "x", *rest: int, c: float = 1.0, **extra: Any) -> str:
        """Doc."""
        return b

    wrapped = llmops.trace(original)
    assert inspect.signature(wrapped) == inspect.signature(original)
    assert wrapped.__name__ == "original"
    assert wrapped.__doc__ == "Doc."
    assert llmops.trace(name="n")(original).__wrapped__ is original  # type: ignore[attr-defined]


def test_varargs_and_methods_are_captured_without_self(llmops_spans: SpanRecorder) -> None:
    class Agent:
        @llmops.trace
        def run(self, *questions: str, loud: bool = False) -> int:
            return len(questions)

    assert Agent().run("a", "b", loud=True) == 2
    attrs = llmops_spans.attributes(
        "test_varargs_and_methods_are_captured_without_self.<locals>.Agent.run"
    )
    assert attrs[semconv.INPUT_VALUE] == '{"questions":["a","b"],"loud":true}'


def test_exceptions_are_recorded_and_reraised_unchanged(llmops_spans: SpanRecorder) -> None:
    error = Boom("kaput")

    @llmops.tool
    def fails() -> None:
        raise error

    with pytest.raises(Boom) as caught:
        fails()
    assert caught.value is error
    span = llmops_spans.by_name("execute_tool fails")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "Boom: kaput"
    assert (span.attributes or {})[semconv.ERROR_TYPE].endswith("test_decorators.Boom")
    assert [e.name for e in span.events] == ["exception"]
    assert semconv.OUTPUT_VALUE not in (span.attributes or {})


def test_capture_options(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(capture_input=False, capture_output=False, attributes={"team": "search"})
    def secret(password: str) -> str:
        return password

    secret("hunter2")
    attrs = llmops_spans.attributes("test_capture_options.<locals>.secret")
    assert semconv.INPUT_VALUE not in attrs
    assert semconv.OUTPUT_VALUE not in attrs
    assert attrs["team"] == "search"


def test_capture_can_be_switched_off_globally() -> None:
    from llmops.testing import capture_spans

    @llmops.trace
    def f(x: int) -> int:
        return x

    with capture_spans(capture_inputs=False) as spans:
        f(1)
    attrs = spans.attributes("test_capture_can_be_switched_off_globally.<locals>.f")
    assert semconv.INPUT_VALUE not in attrs
    assert attrs[semconv.OUTPUT_VALUE] == "1"


async def test_async_nesting(llmops_spans: SpanRecorder) -> None:
    @llmops.tool
    async def fetch(n: int) -> int:
        await asyncio.sleep(0)
        return n * 2

    @llmops.agent(name="async-bot")
    async def run() -> list[int]:
        return list(await asyncio.gather(fetch(1), fetch(2)))

    assert await run() == [2, 4]
    assert llmops_spans.tree() == [
        (0, "invoke_agent async-bot"),
        (1, "execute_tool fetch"),
        (1, "execute_tool fetch"),
    ]


async def test_async_exception(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="bad")
    async def bad() -> None:
        raise Boom("async")

    with pytest.raises(Boom):
        await bad()
    assert llmops_spans.by_name("bad").status.status_code is StatusCode.ERROR


def test_generator_output_recorded_when_finished(llmops_spans: SpanRecorder) -> None:
    @llmops.tool
    def inner() -> str:
        return "x"

    @llmops.trace(name="stream")
    def stream(n: int):  # type: ignore[no-untyped-def]
        for i in range(n):
            inner()  # runs inside the generator's span
            yield f"t{i} "
        return "summary"

    gen = stream(3)
    assert llmops_spans.spans == []  # nothing starts until iteration does
    assert list(gen) == ["t0 ", "t1 ", "t2 "]
    span = llmops_spans.by_name("stream")
    attrs = dict(span.attributes or {})
    assert attrs[semconv.OUTPUT_VALUE] == '"t0 t1 t2 "'
    assert attrs[semconv.LLMOPS_GENERATOR_COMPLETED] is True
    assert attrs[semconv.LLMOPS_GENERATOR_ITEMS] == 3
    assert llmops_spans.tree() == [(0, "stream")] + [(1, "execute_tool inner")] * 3


def test_generator_abandoned_still_ends_span(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="endless")
    def endless():  # type: ignore[no-untyped-def]
        i = 0
        while True:
            yield i
            i += 1

    gen = endless()
    assert next(gen) == 0
    assert next(gen) == 1
    del gen  # abandoned: closed by garbage collection
    span = llmops_spans.by_name("endless")
    attrs = dict(span.attributes or {})
    assert attrs[semconv.LLMOPS_GENERATOR_COMPLETED] is False
    assert attrs[semconv.LLMOPS_GENERATOR_ITEMS] == 2
    assert span.status.status_code is StatusCode.UNSET


def test_generator_send_and_throw_pass_through(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="echo")
    def echo():  # type: ignore[no-untyped-def]
        received = None
        while True:
            try:
                received = yield received
            except ValueError:
                received = "recovered"

    gen = echo()
    assert next(gen) is None
    assert gen.send("hello") == "hello"
    assert gen.throw(ValueError("x")) == "recovered"
    gen.close()
    assert llmops_spans.by_name("echo").end_time is not None


def test_generator_error_is_recorded(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="breaks")
    def breaks():  # type: ignore[no-untyped-def]
        yield 1
        raise Boom("mid-stream")

    with pytest.raises(Boom):
        list(breaks())
    span = llmops_spans.by_name("breaks")
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})[semconv.LLMOPS_GENERATOR_ITEMS] == 1


async def test_async_generator_nesting_and_partial_consumption(llmops_spans: SpanRecorder) -> None:
    @llmops.tool
    async def lookup(i: int) -> int:
        return i

    @llmops.trace(name="tokens")
    async def tokens(n: int):  # type: ignore[no-untyped-def]
        for i in range(n):
            yield await lookup(i)

    @llmops.agent(name="streamer")
    async def run() -> list[int]:
        out = [t async for t in tokens(3)]
        partial = tokens(10)
        out.append(await partial.__anext__())
        await partial.aclose()
        return out

    assert await run() == [0, 1, 2, 0]
    tree = llmops_spans.tree()
    assert tree[0] == (0, "invoke_agent streamer")
    assert tree[1:5] == [
        (1, "tokens"),
        (2, "execute_tool lookup"),
        (2, "execute_tool lookup"),
        (2, "execute_tool lookup"),
    ]
    assert tree[5:] == [(1, "tokens"), (2, "execute_tool lookup")]
    partial_span = [s for s in llmops_spans.spans if s.name == "tokens"][1]
    assert (partial_span.attributes or {})[semconv.LLMOPS_GENERATOR_COMPLETED] is False


def test_span_context_manager_and_current_span(llmops_spans: SpanRecorder) -> None:
    with llmops.span("step", strategy="bm25", weights={"a": 1}) as span:
        current = llmops.current_span()
        current.set_usage(input_tokens=10, output_tokens=3)
        current.set_model("m1", provider="openai")
        current.set_cost(0.002, source="test")
        current.set_attribute("nested", {"k": [1, 2]})
        assert current.trace_id == span.trace_id
    attrs = llmops_spans.attributes("step")
    assert attrs["strategy"] == "bm25"
    assert attrs["weights"] == '{"a":1}'
    assert attrs["nested"] == '{"k":[1,2]}'
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 10
    assert attrs[semconv.LLMOPS_COST_USD] == 0.002
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == "openai"


def test_span_handle_records_input_and_output_as_bounded_json(llmops_spans: SpanRecorder) -> None:
    with llmops.span("step") as span:
        span.set_input({"question": "hi", "k": 3})
        span.set_output("é" * 40_000)  # over the default 16 KB cap
    attrs = llmops_spans.attributes("step")
    assert attrs[semconv.INPUT_VALUE] == '{"question":"hi","k":3}'
    assert attrs[semconv.OUTPUT_VALUE].startswith('"ééé')
    assert "…[truncated" in attrs[semconv.OUTPUT_VALUE]
    assert attrs[semconv.LLMOPS_TRUNCATED] == (semconv.OUTPUT_VALUE,)


def test_span_context_manager_records_errors(llmops_spans: SpanRecorder) -> None:
    with pytest.raises(Boom), llmops.span("fails"):
        raise Boom("x")
    assert llmops_spans.by_name("fails").status.status_code is StatusCode.ERROR


def test_current_span_outside_any_span_is_a_safe_noop() -> None:
    span = llmops.current_span()
    assert not span.is_recording
    span.set_usage(input_tokens=1)
    span.set_attribute("x", object())


@pytest.mark.parametrize("bad", ["name", 42, b"bytes"])
def test_decorating_a_non_callable_is_a_clear_error(bad: Any) -> None:
    with pytest.raises(llmops.ConfigError, match="llmops decorators take a function"):
        llmops.trace(bad)


def test_non_primitive_static_attribute_is_a_clear_error() -> None:
    with pytest.raises(llmops.ConfigError, match="attribute 'cfg'"):
        llmops.trace(attributes={"cfg": {"a": 1}})(lambda: None)


def test_streamed_llm_response_records_usage_and_time_to_first_chunk(
    llmops_spans: SpanRecorder,
) -> None:
    @llmops.llm(model="m", provider="p")
    def stream(prompt: str):  # type: ignore[no-untyped-def]
        yield {"id": "c1", "choices": [{"delta": {"content": "Hel"}, "finish_reason": None}]}
        yield {"id": "c1", "choices": [{"delta": {"content": "lo"}, "finish_reason": "stop"}]}
        yield {"id": "c1", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2}}

    assert len(list(stream("hi"))) == 3
    attrs = llmops_spans.attributes("chat m")
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 9
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 2
    assert attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert attrs[semconv.LLMOPS_TIME_TO_FIRST_ITEM_MS] >= 0


def test_captured_payloads_skip_the_sdks_second_validation(
    llmops_spans: SpanRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Input and output are valid JSON text already: on this SDK they go straight into the
    span's attribute dict (a renamed SDK internal would silently cost ~4 µs a call)."""
    from opentelemetry.attributes import BoundedAttributes

    calls: list[Any] = []
    original = BoundedAttributes._set_items
    monkeypatch.setattr(
        BoundedAttributes,
        "_set_items",
        lambda self, attributes: (calls.append(dict(attributes)), original(self, attributes)),
    )

    @llmops.trace
    def echo(text: str) -> str:
        return text

    long_text = "é" * 40_000  # over the default 16 KB cap: truncated, marked
    echo(long_text)
    attributes = llmops_spans.attributes(
        "test_captured_payloads_skip_the_sdks_second_validation.<locals>.echo"
    )
    assert [c for c in calls if semconv.INPUT_VALUE in c] == []
    assert attributes[semconv.INPUT_VALUE].startswith('{"text":"ééé')
    assert "…[truncated" in attributes[semconv.OUTPUT_VALUE]
    assert attributes[semconv.LLMOPS_TRUNCATED] == (semconv.INPUT_VALUE, semconv.OUTPUT_VALUE)


def test_payloads_go_through_the_sdk_when_it_limits_value_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    from llmops.tracing._spans import set_clean_attributes

    monkeypatch.setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "5")
    span = TracerProvider().get_tracer("t").start_span("s")
    set_clean_attributes(span, {semconv.INPUT_VALUE: '"abcdefgh"'})
    assert span.attributes[semconv.INPUT_VALUE] == '"abcd'  # the SDK's own limit applied
    span.end()
    set_clean_attributes(span, {semconv.OUTPUT_VALUE: '"late"'})  # ended: nothing changes
    assert semconv.OUTPUT_VALUE not in span.attributes


class _AsyncTool:
    async def __call__(self, query: str) -> str:
        await asyncio.sleep(0)
        raise RuntimeError(f"no result for {query}")


class _Doubler:
    def __call__(self, x: int) -> int:
        return 2 * x


async def test_a_callable_instance_with_an_async_call(llmops_spans: SpanRecorder) -> None:
    search = llmops.tool(_AsyncTool())
    with pytest.raises(RuntimeError, match="no result for cats"):
        await search("cats")
    span = llmops_spans.by_name("execute_tool _AsyncTool")  # the work ran inside the span
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[semconv.ERROR_TYPE] == "RuntimeError"
    assert span.attributes[semconv.GEN_AI_TOOL_NAME] == "_AsyncTool"


def test_partials_and_instances_are_named_without_addresses(llmops_spans: SpanRecorder) -> None:
    import functools

    def add(a: int, b: int) -> int:
        return a + b

    assert llmops.trace(_Doubler())(2) == 4
    assert llmops.tool(functools.partial(add, 1))(2) == 3
    assert llmops_spans.names() == ["_Doubler", "execute_tool add"]
    assert " at 0x" not in "".join(llmops_spans.names())


def test_a_wrapper_class_keeps_the_wrapped_functions_name(llmops_spans: SpanRecorder) -> None:
    import functools

    class Retry:
        def __init__(self, func: Any) -> None:
            functools.update_wrapper(self, func)
            self.func = func

        def __call__(self, *args: Any) -> Any:
            return self.func(*args)

    @llmops.trace
    @Retry
    def fetch_user(user_id: int) -> int:
        return user_id

    assert fetch_user(3) == 3
    (name,) = llmops_spans.names()
    assert name.endswith("fetch_user")
