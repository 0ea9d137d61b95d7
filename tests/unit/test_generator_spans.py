"""A generator's span starts at the call, in the caller's context, as streaming responses need."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator

import pytest

import llmops
from llmops.testing import SpanRecorder
from llmops.tracing import semconv
from llmops.tracing._decorators import _ABANDONED


@llmops.llm(model="gemma-3-270m", provider="llama.cpp")
def stream_tokens(prompt: str) -> Iterator[str]:
    yield from prompt.split()


@llmops.llm(model="gemma-3-270m", provider="llama.cpp")
async def astream_tokens(prompt: str) -> AsyncIterator[str]:
    for token in prompt.split():
        yield token


@llmops.agent(name="streamer")
def answer(question: str) -> Iterator[str]:
    # Returns the stream unconsumed, as an endpoint returning a StreamingResponse does.
    return stream_tokens(question)


def test_stream_consumed_after_the_agent_returned_keeps_its_parent_and_session(
    llmops_spans: SpanRecorder,
) -> None:
    with llmops.session("chat-1"):
        stream = answer("reset my password")
    assert list(stream) == ["reset", "my", "password"]  # outside the agent and the session
    agent = llmops_spans.by_name("invoke_agent streamer")
    chat = llmops_spans.by_name("chat gemma-3-270m")
    assert chat.parent is not None
    assert chat.parent.span_id == agent.context.span_id
    assert (chat.attributes or {})[semconv.SESSION_ID] == "chat-1"
    assert (chat.attributes or {})[semconv.OUTPUT_VALUE] == '"resetmypassword"'


def test_arguments_are_bound_and_checked_at_the_call(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="items")
    def items(values: list[int]) -> Iterator[int]:
        yield from values

    values = [1]
    stream = items(values)
    values.append(2)  # after the call: not what the call received
    assert list(stream) == [1, 2]
    recorded = (llmops_spans.by_name("items").attributes or {})[semconv.INPUT_VALUE]
    assert recorded == '{"values":[1]}'
    with pytest.raises(TypeError):
        items(1, 2, 3)  # type: ignore[call-arg]  # wrong arity fails at the call, as undecorated
    failed = [s for s in llmops_spans.spans if s.name == "items"][-1]
    assert failed.status.is_ok is False


def test_a_stream_never_iterated_still_ends_its_span(llmops_spans: SpanRecorder) -> None:
    stream = stream_tokens("never read")
    assert llmops_spans.spans == []
    del stream
    gc.collect()
    assert len(_ABANDONED) == 1  # queued by the finalizer, never ended inside a GC pass
    llmops.flush()  # the next traced call, a flush or the recorder's read ends it
    assert not _ABANDONED
    span = llmops_spans.by_name("chat gemma-3-270m")
    attributes = dict(span.attributes or {})
    assert attributes[semconv.LLMOPS_GENERATOR_COMPLETED] is False
    assert attributes[semconv.LLMOPS_GENERATOR_ITEMS] == 0
    assert len(llmops_spans.spans) == 1  # ended once


async def test_async_stream_keeps_the_callers_context(llmops_spans: SpanRecorder) -> None:
    with llmops.session("chat-2"), llmops.span("request") as request:
        stream = astream_tokens("a b")
    assert [token async for token in stream] == ["a", "b"]
    chat = llmops_spans.by_name("chat gemma-3-270m")
    assert chat.parent is not None
    assert f"{chat.parent.span_id:016x}" == request.span_id
    assert (chat.attributes or {})[semconv.SESSION_ID] == "chat-2"
    unread = astream_tokens("x")
    del unread
    gc.collect()
    assert list(stream_tokens("the next traced call ends the dropped one first"))
    assert len([s for s in llmops_spans.spans if s.name == "chat gemma-3-270m"]) == 3


def test_stacked_decorators_on_a_generator(llmops_spans: SpanRecorder) -> None:
    @llmops.agent(name="outer")
    @llmops.tool
    def numbers() -> Iterator[int]:
        yield from (1, 2)

    assert list(numbers()) == [1, 2]
    assert llmops_spans.tree() == [(0, "invoke_agent outer"), (1, "execute_tool numbers")]
    outer = llmops_spans.attributes("invoke_agent outer")
    assert outer[semconv.OUTPUT_VALUE] == "[1,2]"
    assert outer[semconv.LLMOPS_GENERATOR_COMPLETED] is True


def test_a_dropped_stream_whose_cleanup_fails_is_an_error(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="leaky")
    def leaky() -> Iterator[int]:
        try:
            yield 1
            yield 2
        finally:
            raise RuntimeError("cleanup failed")

    stream = leaky()
    assert next(stream) == 1
    with pytest.raises(RuntimeError, match="cleanup failed"):
        stream.close()
    span = llmops_spans.by_name("leaky")
    assert span.status.is_ok is False
    assert len(llmops_spans.spans) == 1


def _parent_name(recorder: SpanRecorder, name: str) -> str | None:
    span = recorder.by_name(name)
    if span.parent is None:
        return None
    parents = [s.name for s in recorder.spans if s.context.span_id == span.parent.span_id]
    return parents[0] if parents else None


def test_a_span_open_across_a_yield_stays_the_parent(llmops_spans: SpanRecorder) -> None:
    @llmops.trace
    def rows() -> Iterator[int]:
        with llmops.span("cursor"):
            for i in range(2):
                yield i
                with llmops.span(f"fetch{i}"):
                    pass

    assert list(rows()) == [0, 1]
    assert _parent_name(llmops_spans, "fetch0") == "cursor"  # as without the decorator
    assert _parent_name(llmops_spans, "fetch1") == "cursor"
    assert _parent_name(llmops_spans, "cursor").endswith("rows")  # type: ignore[union-attr]


async def test_an_async_span_open_across_a_yield_stays_the_parent(
    llmops_spans: SpanRecorder,
) -> None:
    @llmops.trace
    async def rows() -> AsyncIterator[int]:
        with llmops.span("cursor"):
            for i in range(2):
                yield i
                with llmops.span(f"fetch{i}"):
                    pass

    assert [i async for i in rows()] == [0, 1]
    assert _parent_name(llmops_spans, "fetch1") == "cursor"


def test_a_closed_streams_cleanup_runs_in_its_span(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="stream")
    def stream() -> Iterator[int]:
        try:
            yield from range(5)
        finally:
            with llmops.span("release"):
                pass

    with llmops.session("s-1"):
        tokens = stream()
    assert next(tokens) == 0
    with llmops.span("consumer"):
        tokens.close()
    assert _parent_name(llmops_spans, "release") == "stream"
    assert llmops_spans.by_name("release").attributes[semconv.SESSION_ID] == "s-1"


async def test_an_async_streams_cleanup_runs_in_its_span(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="stream")
    async def stream() -> AsyncIterator[int]:
        try:
            for i in range(5):
                yield i
        finally:
            with llmops.span("release"):
                pass

    with llmops.session("s-2"):
        tokens = stream()
    async for _ in tokens:
        break
    await tokens.aclose()  # a client that went away
    assert _parent_name(llmops_spans, "release") == "stream"
    assert llmops_spans.by_name("release").attributes[semconv.SESSION_ID] == "s-2"


def test_the_recorder_shows_a_dropped_streams_span(llmops_spans: SpanRecorder) -> None:
    stream_tokens("never read")  # dropped at once, never iterated
    span = llmops_spans.by_name("chat gemma-3-270m")
    assert span.attributes[semconv.LLMOPS_GENERATOR_COMPLETED] is False
