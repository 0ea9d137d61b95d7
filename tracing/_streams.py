"""Decorated generators and async generators: a span from the call to the stream's end.

The wrapper is a plain function that starts the span at the call, in the caller's context, and
returns a relay that steps the user's generator inside that span, keeps a bounded record of what
it yields, and ends the span when the stream ends, is closed, or is collected.
"""

from __future__ import annotations

import functools
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Generator
from time import perf_counter_ns, time_ns
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.trace import Span
from typing_extensions import ParamSpec

from llmops._internal import handle_internal_errors, internal_error
from llmops.tracing import semconv
from llmops.tracing._context import policy_in_scope
from llmops.tracing._decorators import (
    _ABANDONED,
    Payload,
    _account,
    _finish,
    _screen_arguments,
    _span_context,
    _SpanSpec,
    _start,
)
from llmops.tracing._spans import record_error

P = ParamSpec("P")
STREAM_MARK = "__llmops_stream__"
_MAX_STREAM_ITEMS = 1000  # the first items a stream's recorded output keeps
# ... and its last ones: where OpenAI-style streams put the finish reason and the usage.
_STREAM_TAIL_ITEMS = 8
STREAM_CUT_MARKER = "…[{dropped} items dropped]"


class _StreamRecorder:
    """Collects what a generator yields, bounded, and records it when the generator ends.

    It keeps the first ``_MAX_STREAM_ITEMS`` items and the last ``_STREAM_TAIL_ITEMS``: the
    output shows both with the number of items dropped between them, and the output hook (usage,
    finish reason) sees both.
    """

    def __init__(self, spec: _SpanSpec, span: Span, payload: Payload | None) -> None:
        self.spec = spec
        self.span = span
        self.payload = payload
        self.items: list[Any] = []
        self.tail: deque[Any] = deque(maxlen=_STREAM_TAIL_ITEMS)
        self.count = 0
        self.completed = False
        self.start_ns = 0  # how long starting the span took (the tracer's own time)
        self.closed = False
        self.started = False  # iterated at least once: its relay ends the span itself
        self.end_ns: int | None = None  # when a never-iterated stream was dropped

    def add(self, item: Any) -> None:
        if self.count == 0:
            start = getattr(self.span, "start_time", None)
            if start and self.span.is_recording():
                elapsed_ms = (time_ns() - start) / 1e6
                self.span.set_attribute(semconv.LLMOPS_TIME_TO_FIRST_ITEM_MS, elapsed_ms)
        self.count += 1
        if len(self.items) < _MAX_STREAM_ITEMS:
            self.items.append(item)
        else:
            self.tail.append(item)

    @property
    def dropped(self) -> int:
        """How many items were left out between the first ones and the last ones."""
        return self.count - len(self.items) - len(self.tail)

    def output(self) -> Any:
        items = self.items
        if self.tail:
            cut = [STREAM_CUT_MARKER.format(dropped=self.dropped)] if self.dropped else []
            items = [*self.items, *cut, *self.tail]
        if items and all(isinstance(i, str) for i in items):
            return "".join(items)
        return items

    def close(self, exc: BaseException | None) -> None:
        if self.closed:  # the generator's end, then its collection: one end of the span
            return
        self.closed = True
        started = perf_counter_ns()
        try:
            self._close(exc)
        finally:
            # Starting (in _start_stream) and closing are the tracer's own work on a stream.
            _account(started - self.start_ns, 0)

    def _close(self, exc: BaseException | None) -> None:
        span = self.span
        if exc is not None and not isinstance(exc, GeneratorExit):
            record_error(span, exc)
        if span.is_recording():
            span.set_attribute(semconv.LLMOPS_GENERATOR_COMPLETED, self.completed)
            span.set_attribute(semconv.LLMOPS_GENERATOR_ITEMS, self.count)
            hook = self.spec.output_hook
            if hook is not None:
                # Streamed model responses: each chunk may carry the id, finish reason or usage
                # (OpenAI-style streams send usage on the last chunk).
                with handle_internal_errors("decorator.stream_hook"):
                    for item in (*self.items, *self.tail):
                        hook(span, item)
        # The span was made current step by step, never left attached: nothing to detach.
        _finish(
            self.spec,
            span,
            None,
            self.payload,
            self.output(),
            has_result=exc is None or self.count > 0,
            run_hook=False,
            result_cut=self.dropped > 0,
            end_ns=self.end_ns,
        )


def _start_stream(
    spec: _SpanSpec, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[_StreamRecorder, Context] | None:
    """Start a generator's span; it is made current only while the generator body runs."""
    began = perf_counter_ns()
    try:
        span, token, payload = _start(spec, args, kwargs)
        otel_context.detach(token)  # type: ignore[arg-type]
        recorder = _StreamRecorder(spec, span, payload)
        span_context = _span_context(spec, span)
        recorder.start_ns = perf_counter_ns() - began
        return recorder, span_context
    except Exception:
        internal_error("decorator.start")
        return None


def wrap_stream(func: Callable[P, Any], spec: _SpanSpec, kind: str) -> Callable[P, Any]:
    """Wrap a generator (``kind`` "sync") or async generator ("async") function.

    The wrapper is a plain function, not a generator function: the span starts at the call, in
    the caller's context (its parent, session and tags), as the arguments are bound; the stream
    it returns may be iterated much later (a streaming HTTP response).
    """
    relay = _async_relay if kind == "async" else _relay

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        started = _start_stream(spec, args, kwargs)
        if started is None:
            return func(*args, **kwargs)
        recorder, span_context = started
        generator = _create(recorder, span_context, func, args, kwargs)
        return _ends_unstarted(relay(generator, recorder, span_context), recorder)

    setattr(wrapper, STREAM_MARK, kind)
    return wrapper


def _create(
    recorder: _StreamRecorder,
    span_context: Context,
    func: Callable[..., Any],
    args: Any,
    kwargs: Any,
) -> Any:
    """The user's generator, made in its span; a call that fails ends the span with the error."""
    try:
        return _in_context(span_context, recorder, func, args, kwargs)
    except BaseException as exc:
        recorder.close(exc)
        raise


def _ends_unstarted(stream: Any, recorder: _StreamRecorder) -> Any:
    """A generator never iterated runs no ``finally``: end its span once it is collected.

    A started one ends its span itself (its ``finally`` runs when it is closed or collected).
    """
    weakref.finalize(stream, _abandoned, recorder).atexit = False
    return stream


def _abandoned(recorder: _StreamRecorder) -> None:
    if not recorder.started:
        _ABANDONED.append((recorder, time_ns()))


class _StreamScope:
    """The context a stream's steps run in: its span's at first, then whatever the generator
    left current at its last step (a span it opened across a ``yield`` stays the parent of what
    it starts next). Entered around each step and around the generator's cleanup."""

    __slots__ = ("_token", "ctx")

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._token: object = None

    def __enter__(self) -> None:
        self._token = otel_context.attach(self.ctx)

    def __exit__(self, *exc_info: object) -> None:
        self.ctx = otel_context.get_current()
        otel_context.detach(self._token)  # type: ignore[arg-type]


def _relay(
    generator: Generator[Any, Any, Any], recorder: _StreamRecorder, span_context: Context
) -> Generator[Any, Any, Any]:
    """Step ``generator`` inside its span, recording what it yields; end the span with it."""
    error: BaseException | None = None
    recorder.started = True
    scope = _StreamScope(span_context)
    try:
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            try:
                with scope:
                    if to_throw is not None:
                        item = generator.throw(to_throw)
                    else:
                        item = generator.send(to_send)
            except StopIteration as stop:
                recorder.completed = True
                return stop.value
            recorder.add(item)
            to_send, to_throw = None, None
            try:
                to_send = yield item
            except GeneratorExit:
                with scope:  # its cleanup runs inside its span
                    generator.close()
                raise
            except BaseException as exc:
                to_throw = exc
    except BaseException as exc:
        error = exc
        raise
    finally:
        recorder.close(error)


def _in_context(
    ctx: Any, recorder: _StreamRecorder, func: Callable[..., Any], args: Any, kwargs: Any
) -> Any:
    """Create the generator inside its span, its arguments screened by the policy in scope."""
    token = otel_context.attach(ctx)
    try:
        spec = recorder.spec
        if spec.screens is not None and policy_in_scope():
            args, kwargs, recorder.payload = _screen_arguments(spec, args, kwargs, recorder.payload)
        return func(*args, **kwargs)
    finally:
        otel_context.detach(token)


async def _async_relay(
    generator: Any, recorder: _StreamRecorder, span_context: Context
) -> AsyncIterator[Any]:
    """:func:`_relay` for async generators."""
    error: BaseException | None = None
    recorder.started = True
    scope = _StreamScope(span_context)
    try:
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            try:
                with scope:
                    if to_throw is not None:
                        item = await generator.athrow(to_throw)
                    else:
                        item = await generator.asend(to_send)
            except StopAsyncIteration:
                recorder.completed = True
                return
            recorder.add(item)
            to_send, to_throw = None, None
            try:
                to_send = yield item
            except GeneratorExit:
                with scope:  # its cleanup runs inside its span
                    await generator.aclose()
                raise
            except BaseException as exc:
                to_throw = exc
    except BaseException as exc:
        error = exc
        raise
    finally:
        recorder.close(error)
