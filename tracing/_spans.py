"""The span handle users get from ``llmops.span()`` and ``llmops.current_span()``."""

from __future__ import annotations

import contextlib
import operator
import traceback
from collections import deque
from collections.abc import Iterable, Mapping
from time import perf_counter_ns
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from llmops._internal import STATS, handle_internal_errors
from llmops.tracing import semconv
from llmops.tracing._capture import TEXT_TRUNCATION_MARKER, clean_text, to_attribute, to_json
from llmops.tracing._state import RUNTIME, get_tracer

# The exception event's attributes, named as the SDK's ``Span.record_exception`` names them
# (OpenTelemetry semantic conventions; that package is not a dependency of the API).
_EXCEPTION_TYPE = "exception.type"
_EXCEPTION_MESSAGE = "exception.message"
_EXCEPTION_STACKTRACE = "exception.stacktrace"
_EXCEPTION_ESCAPED = "exception.escaped"


def error_type_name(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


# Frames kept of the traceback: the innermost ones, where the error was raised. Every span an
# exception passes through records it, so formatting every frame would cost the square of the
# depth (a second for an error 200 traced calls deep). A chained cause keeps as many frames, but
# format_exception still walks all of its own.
STACK_FRAMES = 48


def _stacktrace(exc: BaseException) -> str:
    """The formatted exception with its ``STACK_FRAMES`` innermost frames.

    ``format_exception(limit=-n)`` still finds the source position of every frame (linear in
    the depth, for every span the error passes): the traceback is cut to the last frames first,
    as a new chain of the same frames (the exception itself is left as it is).
    """
    tail: deque[TracebackType] = deque(maxlen=STACK_FRAMES)
    entry, depth = exc.__traceback__, 0
    while entry is not None:
        tail.append(entry)
        entry, depth = entry.tb_next, depth + 1
    if depth <= STACK_FRAMES:
        return "".join(traceback.format_exception(exc, limit=-STACK_FRAMES))
    cut: TracebackType | None = None
    for kept in reversed(tail):
        cut = TracebackType(cut, kept.tb_frame, kept.tb_lasti, kept.tb_lineno)
    lines = traceback.format_exception(type(exc), exc, cut, limit=-STACK_FRAMES)
    return f"({depth - STACK_FRAMES} outer frames not shown)\n" + "".join(lines)


def _exception_text(exc: BaseException) -> tuple[str, str]:
    """The exception's message and traceback as valid UTF-8 (a path may hold lone surrogates),
    each at most ``max_attribute_bytes`` characters: the message's head, the traceback's tail."""
    try:
        message = str(exc)
    except Exception:
        message = f"<unprintable {type(exc).__qualname__}>"
    stacktrace = _stacktrace(exc)
    limit = RUNTIME.capture.max_attribute_bytes
    if len(message) > limit:
        message = message[:limit] + TEXT_TRUNCATION_MARKER.format(total=len(message))
    if len(stacktrace) > limit:
        marker = TEXT_TRUNCATION_MARKER.format(total=len(stacktrace)) + "\n"
        stacktrace = marker + stacktrace[-limit:]
    return clean_text(message), clean_text(stacktrace)


_CANCELLED_MODULES = frozenset({"asyncio.exceptions"})


def _is_cancellation(exc: BaseException) -> bool:
    """Whether ``exc`` is asyncio's ``CancelledError`` (found by name: asyncio is not imported
    by ``import llmops``)."""
    return any(
        cls.__name__ == "CancelledError" and cls.__module__ in _CANCELLED_MODULES
        for cls in type(exc).__mro__
    )


def record_error(span: Span, exc: BaseException) -> None:
    """Mark ``span`` failed by ``exc``: ``error.type``, an ERROR status and an exception event.

    A cancellation (``asyncio.CancelledError``) is not an error of the span: it gets
    ``llmops.cancelled = true`` and keeps an unset status.

    The event is the one the SDK's ``record_exception`` adds, its text made valid UTF-8 first:
    an exporter drops an attribute it cannot encode.
    """
    if not span.is_recording():
        return
    with handle_internal_errors("record_error"):
        if _is_cancellation(exc):
            # Not a failure of this span's work: the caller gave up (a client that went away,
            # a task group cancelling the siblings of a task that failed, a timeout above).
            span.set_attribute(semconv.LLMOPS_CANCELLED, True)
            return
        type_name = clean_text(error_type_name(exc))
        message, stacktrace = _exception_text(exc)
        span.set_attribute(semconv.ERROR_TYPE, type_name)
        span.add_event(
            "exception",
            {
                _EXCEPTION_TYPE: type_name,
                _EXCEPTION_MESSAGE: message,
                _EXCEPTION_STACKTRACE: stacktrace,
                _EXCEPTION_ESCAPED: "True",
            },
        )
        status = f"{clean_text(type(exc).__name__)}: {message}"
        span.set_status(Status(StatusCode.ERROR, status[:1024]))


def _token_count(value: Any) -> int | None:
    """A whole number of tokens from any integer type (numpy's included) or an integral float."""
    if value is None:
        return None
    count: int | None = None
    if not isinstance(value, (bool, str, bytes)):
        try:
            count = operator.index(value)
        except TypeError:
            with contextlib.suppress(TypeError, ValueError, OverflowError):
                number = float(value)
                count = int(number) if number.is_integer() else None
    if count is not None and count >= 0:
        return count
    STATS.incr("invalid_usage")
    STATS.log_once_in_a_while(
        "invalid-usage",
        "llmops: a token count must be a whole number >= 0; got %s %.40r (not recorded)",
        type(value).__name__,
        value,
    )
    return None


def set_clean_attributes(span: Span, attributes: Mapping[str, str | tuple[str, ...]]) -> None:
    """Set attributes whose values are already valid: text (valid UTF-8) or tuples of text.

    The SDK's ``set_attributes`` validates each value again, a recursive pass that costs more
    than the capture it records (~4 µs for two values). On an SDK span with room for them and
    no value-length limit, the values go into its attribute dict directly, under the span's
    lock, as ``set_attributes`` would store them; on any other span (another SDK version, a
    length limit, a full dict) through ``set_attributes``.
    """
    sdk_span: Any = span
    try:
        bounded = sdk_span._attributes
        values = bounded._dict
        fast = bounded.max_value_len is None and not bounded._immutable
        room = bounded.maxlen is None or len(values) + len(attributes) <= bounded.maxlen
        lock = sdk_span._lock
    except AttributeError:
        fast = False
    if not (fast and room):
        span.set_attributes(attributes)
        return
    with lock:
        if sdk_span._end_time is None:
            values.update(attributes)


def set_payload(span: Span, key: str, value: Any) -> None:
    """Record ``value`` as bounded JSON under ``key`` (``input.value`` or ``output.value``)."""
    text, truncated = to_json(value, RUNTIME.capture.max_attribute_bytes)
    set_clean_attributes(span, {key: text})
    if truncated:
        mark_truncated(span, key)


def mark_truncated(span: Span, key: str) -> None:
    attributes = getattr(span, "attributes", None) or {}
    previous = tuple(attributes.get(semconv.LLMOPS_TRUNCATED, ()))
    if key not in previous:
        span.set_attribute(semconv.LLMOPS_TRUNCATED, [*previous, key])


class LlmopsSpan:
    """A thin handle on an OpenTelemetry span with helpers for GenAI attributes.

    Every method is safe to call on a span that is not recording (it does nothing) and never
    raises: values OpenTelemetry cannot hold are stored as JSON text, and a wrong argument (a
    cost that is not a number, tags that are not a list) is counted as an internal error.

    Example:
        >>> with llmops.span("rerank", strategy="bm25") as span:
        ...     span.set_usage(input_tokens=120, output_tokens=8)
    """

    __slots__ = ("_span",)

    def __init__(self, span: Span) -> None:
        self._span = span

    @property
    def otel_span(self) -> Span:
        """The underlying OpenTelemetry span."""
        return self._span

    @property
    def is_recording(self) -> bool:
        return self._span.is_recording()

    @property
    def trace_id(self) -> str:
        """The trace id as 32 hex digits (as stored and shown by ``llmops traces``)."""
        return f"{self._span.get_span_context().trace_id:032x}"

    @property
    def span_id(self) -> str:
        return f"{self._span.get_span_context().span_id:016x}"

    def set_attribute(self, key: str, value: Any) -> None:
        """Set one attribute; non-primitive values are stored as bounded JSON text."""
        if value is None or not self._span.is_recording():
            return
        with handle_internal_errors("set_attribute"):
            key = clean_text(key)
            converted, truncated = to_attribute(value, RUNTIME.capture.max_attribute_bytes)
            self._span.set_attribute(key, converted)
            if truncated:
                mark_truncated(self._span, key)

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        """Set several attributes, as :meth:`set_attribute` does each."""
        if not self._span.is_recording():
            return
        with handle_internal_errors("set_attributes"):
            for key, value in attributes.items():
                self.set_attribute(key, value)

    def set_usage(
        self, *, input_tokens: int | None = None, output_tokens: int | None = None
    ) -> None:
        """Record token usage (``gen_ai.usage.input_tokens`` / ``output_tokens``).

        A count that is not a whole number of tokens (``3.5``, ``True``, ``"12"``, negative) is
        not recorded: counted as ``invalid_usage`` in ``llmops.stats()`` and logged.
        """
        self.set_attribute(semconv.GEN_AI_USAGE_INPUT_TOKENS, _token_count(input_tokens))
        self.set_attribute(semconv.GEN_AI_USAGE_OUTPUT_TOKENS, _token_count(output_tokens))

    def set_model(
        self,
        request: str | None = None,
        *,
        response: str | None = None,
        provider: str | None = None,
    ) -> None:
        """Record the requested model, the model that answered, and the provider."""
        self.set_attribute(semconv.GEN_AI_REQUEST_MODEL, request)
        self.set_attribute(semconv.GEN_AI_RESPONSE_MODEL, response)
        self.set_attribute(semconv.GEN_AI_PROVIDER_NAME, provider)

    def set_cost(
        self,
        usd: float,
        *,
        source: str | None = None,
        input_usd: float | None = None,
        output_usd: float | None = None,
    ) -> None:
        """Record the cost of this span in US dollars, and where the price came from.

        ``input_usd`` / ``output_usd``: the input and output tokens' shares, where the price
        has them (an MLflow target shows a span's cost only with both).
        """
        if not self._span.is_recording():
            return
        with handle_internal_errors("set_cost"):
            self.set_attribute(semconv.LLMOPS_COST_USD, float(usd))
            self.set_attribute(semconv.LLMOPS_COST_SOURCE, source)
            if input_usd is not None and output_usd is not None:
                self.set_attribute(semconv.LLMOPS_COST_INPUT_USD, float(input_usd))
                self.set_attribute(semconv.LLMOPS_COST_OUTPUT_USD, float(output_usd))

    def set_input(self, value: Any) -> None:
        if self._span.is_recording():
            with handle_internal_errors("set_input"):
                set_payload(self._span, semconv.INPUT_VALUE, value)

    def set_output(self, value: Any) -> None:
        if self._span.is_recording():
            with handle_internal_errors("set_output"):
                set_payload(self._span, semconv.OUTPUT_VALUE, value)

    def add_event(self, name: str, attributes: Mapping[str, Any] | None = None) -> None:
        if not self._span.is_recording():
            return
        with handle_internal_errors("add_event"):
            limit = RUNTIME.capture.max_attribute_bytes
            converted = {
                clean_text(k): to_attribute(v, limit)[0] for k, v in (attributes or {}).items()
            }
            self._span.add_event(clean_text(name), converted)

    def record_exception(self, exc: BaseException) -> None:
        record_error(self._span, exc)

    def set_tags(self, tags: Iterable[str]) -> None:
        """Tag this span (``llmops.tags``); a single string is one tag."""
        if not self._span.is_recording():
            return
        with handle_internal_errors("set_tags"):
            names = [tags] if isinstance(tags, str) else [str(t) for t in tags]
            self.set_attribute(semconv.LLMOPS_TAGS, names)


def current_span() -> LlmopsSpan:
    """A handle on the active span (a no-op handle when none is active)."""
    return LlmopsSpan(trace.get_current_span())


class span:
    """Start a span with ``with`` or ``async with``; it is the active span inside the block.

    Args:
        name: The span name.
        kind: The OpenTelemetry span kind (default INTERNAL).
        **attributes: Attributes to set at start (non-primitive values become JSON).

    Example:
        >>> with llmops.span("retrieve", k=4) as s:
        ...     s.set_attribute("hits", 3)
        >>> async with llmops.span("fetch") as s:
        ...     s.set_attribute("status", 200)
    """

    __slots__ = ("_attributes", "_handle", "_kind", "_name", "_spent_ns", "_token")

    def __init__(self, name: str, *, kind: SpanKind = SpanKind.INTERNAL, **attributes: Any):
        self._name = name
        self._kind = kind
        self._attributes = attributes
        self._token: object | None = None
        self._handle: LlmopsSpan | None = None
        self._spent_ns = 0  # the tracer's own time in __enter__, for stats()["overhead"]

    def __enter__(self) -> LlmopsSpan:
        started = perf_counter_ns()
        otel_span: Span = trace.INVALID_SPAN
        with handle_internal_errors("span.start"):
            otel_span = get_tracer().start_span(clean_text(self._name), kind=self._kind)
            self._token = otel_context.attach(trace.set_span_in_context(otel_span))
        self._handle = LlmopsSpan(otel_span)
        if self._attributes:
            self._handle.set_attributes(self._attributes)
        self._spent_ns = perf_counter_ns() - started
        return self._handle

    async def __aenter__(self) -> LlmopsSpan:
        # Attaching here sets the context of the task that awaits this: the same as ``with``.
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        handle = self._handle
        if handle is None:
            return
        started = perf_counter_ns()
        if exc is not None and not isinstance(exc, GeneratorExit):
            record_error(handle.otel_span, exc)
        with handle_internal_errors("span.end"):
            if self._token is not None:
                otel_context.detach(self._token)  # type: ignore[arg-type]
            handle.otel_span.end()
        STATS.overhead_ns += self._spent_ns + perf_counter_ns() - started
        STATS.overhead_calls += 1
