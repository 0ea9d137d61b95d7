"""What a span records of an exception: bounded text and time, cancellation not an error."""

from __future__ import annotations

import asyncio
import traceback
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

import llmops
from llmops.testing import SpanRecorder
from llmops.tracing import semconv
from llmops.tracing._spans import STACK_FRAMES


@llmops.trace
def dive(depth: int) -> int:
    if depth == 0:
        raise ValueError("bottom")
    return dive(depth - 1)


def _event(span: object, name: str = "exception") -> dict[str, object]:
    (event,) = [e for e in span.events if e.name == name]  # type: ignore[attr-defined]
    return dict(event.attributes)


def test_a_deep_error_keeps_its_innermost_frames(llmops_spans: SpanRecorder) -> None:
    with pytest.raises(ValueError, match="bottom") as raised:
        dive(120)
    outer = next(s for s in llmops_spans.spans if s.parent is None)
    stacktrace = str(_event(outer)["exception.stacktrace"])
    assert "outer frames not shown" in stacktrace
    assert stacktrace.count("in dive\n") <= STACK_FRAMES  # not the 240 frames it went through
    assert stacktrace.rstrip().endswith("ValueError: bottom")  # where it was raised
    # The exception the caller gets is untouched: its whole traceback is still there.
    frames = 0
    entry = raised.value.__traceback__
    while entry is not None:
        frames, entry = frames + 1, entry.tb_next
    assert frames > 2 * 120


def test_recording_a_deep_error_formats_a_bounded_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each span the error passes formats at most STACK_FRAMES frames, not the whole depth
    (finding every frame's source position made recording the square of the depth)."""
    lengths: list[int] = []
    real = traceback.format_exception

    def counting(exc: Any, *args: Any, **kwargs: Any) -> list[str]:
        entry = args[1] if len(args) >= 2 else exc.__traceback__
        count = 0
        while entry is not None:
            count, entry = count + 1, entry.tb_next
        lengths.append(count)
        return real(exc, *args, **kwargs)

    monkeypatch.setattr(traceback, "format_exception", counting)
    with pytest.raises(ValueError, match="bottom"):
        dive(300)
    assert len(lengths) == 301  # one record per span
    assert max(lengths) <= STACK_FRAMES


def test_a_huge_exception_message_is_capped(llmops_spans: SpanRecorder) -> None:
    @llmops.tool
    def fetch() -> None:
        raise RuntimeError("x" * 2_000_000)

    with pytest.raises(RuntimeError):
        fetch()
    event = _event(llmops_spans.spans[-1])
    limit = 16_384
    assert len(str(event["exception.message"])) < limit + 100
    assert "truncated 2000000 characters" in str(event["exception.message"])
    assert len(str(event["exception.stacktrace"])) < limit + 100


async def test_cancellation_is_not_an_error(llmops_spans: SpanRecorder) -> None:
    @llmops.tool
    async def slow() -> str:
        await asyncio.sleep(10)
        return "late"

    @llmops.tool
    async def failing() -> str:
        await asyncio.sleep(0.01)
        raise KeyError("missing")

    async def fan_out() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(slow())
            group.create_task(failing())

    with pytest.raises(ExceptionGroup):
        await fan_out()
    cancelled = llmops_spans.by_name("execute_tool slow")
    assert cancelled.status.status_code is StatusCode.UNSET
    assert cancelled.attributes[semconv.LLMOPS_CANCELLED] is True
    assert semconv.ERROR_TYPE not in cancelled.attributes
    failed = llmops_spans.by_name("execute_tool failing")
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes[semconv.ERROR_TYPE] == "KeyError"


async def test_an_async_stream_whose_task_is_cancelled(llmops_spans: SpanRecorder) -> None:
    @llmops.trace(name="tokens")
    async def tokens() -> object:
        for i in range(100):
            await asyncio.sleep(0.005)
            yield i

    async def consume() -> None:
        async for _ in tokens():
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.03)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    span = llmops_spans.by_name("tokens")
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes[semconv.LLMOPS_CANCELLED] is True
    assert span.attributes[semconv.LLMOPS_GENERATOR_COMPLETED] is False


@pytest.mark.parametrize("bad", [3.5, True, "12", -1])
def test_a_token_count_that_is_not_a_whole_number_is_not_recorded(
    llmops_spans: SpanRecorder, bad: object
) -> None:
    with llmops.span("call"):
        llmops.current_span().set_usage(input_tokens=bad, output_tokens=7.0)  # type: ignore[arg-type]
    attributes = llmops_spans.attributes("call")
    assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in attributes
    assert attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 7
    assert llmops.stats()["invalid_usage"] == 1


def test_token_counts_of_any_integer_type(llmops_spans: SpanRecorder) -> None:
    numpy = pytest.importorskip("numpy")
    from decimal import Decimal

    with llmops.span("call"):
        llmops.current_span().set_usage(input_tokens=numpy.int64(12), output_tokens=Decimal(7))
    attributes = llmops_spans.attributes("call")
    assert attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 12
    assert attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 7
    assert llmops.stats()["invalid_usage"] == 0
