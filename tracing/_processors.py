"""Span processors: the seams between the decorators and the exporters.

    provider ── ExportPipeline   on start: stamps session/user/tags/config scope, counts
                                 on end: counts → tail sampler → fan-out
                  └─ CountingBatchProcessor × exporter   bounded queue, counted drops
                       └─ RedactingExporter   secrets always, then the redaction hook, on the
                                              export thread (off the application's hot path)

One processor on the provider, not a chain of them: the SDK calls every processor for every
span, and each layer costs on the hot path.
"""

from __future__ import annotations

import inspect
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue

from llmops._internal import STATS, handle_internal_errors, internal_error
from llmops.tracing import semconv
from llmops.tracing._context import context_attributes, stamp
from llmops.tracing._state import RedactHook


class CountingBatchProcessor(BatchSpanProcessor):
    """The SDK's batch processor, with an exact count of the spans a full queue drops.

    It admits a span only while fewer than ``max_queue_size`` wait, counting every refusal as
    ``queue_full:<label>``; the count of waiting spans drops as the worker hands batches to the
    exporter. So the SDK's own queue never overflows silently.
    """

    def __init__(self, exporter: SpanExporter, label: str, **options: Any) -> None:
        self.label = label
        self._capacity = int(options.get("max_queue_size", 2048))
        self._waiting = 0
        self._waiting_lock = threading.Lock()
        self._closed = False
        super().__init__(_Dequeue(self, exporter), **options)
        if hasattr(os, "register_at_fork"):
            # The SDK empties its queue in a forked child; the count of waiting spans (and a
            # lock another thread may have held at the fork) must start afresh with it.
            reset = weakref.WeakMethod(self._after_fork)

            def after_in_child() -> None:
                method = reset()
                if method is not None:
                    method()

            os.register_at_fork(after_in_child=after_in_child)

    def _after_fork(self) -> None:
        self._waiting = 0
        self._waiting_lock = threading.Lock()

    def queue_depth(self) -> int:
        return self._waiting

    def _taken(self, count: int) -> None:
        with self._waiting_lock:
            self._waiting -= count

    def on_end(self, span: ReadableSpan) -> None:
        if self._closed:
            STATS.drop(f"after_shutdown:{self.label}")
            return
        with self._waiting_lock:
            admitted = self._waiting < self._capacity
            if admitted:
                self._waiting += 1
        if not admitted:
            STATS.drop(f"queue_full:{self.label}")
            return
        super().on_end(span)

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        """Export what is queued for at most ``timeout_millis``; count what is left behind.

        The SDK's ``BatchSpanProcessor.shutdown()`` waits 30 s for its worker whatever the
        exporter does (a backend that accepts connections and never answers).
        """
        self._closed = True
        inner = getattr(self, "_batch_processor", None)
        if inner is None:  # another SDK version: its own shutdown, unbounded
            super().shutdown()
        else:
            inner.shutdown(timeout_millis=max(0.0, timeout_millis))
        with self._waiting_lock:
            left, self._waiting = self._waiting, 0
        if left > 0:
            STATS.drop(f"shutdown_timeout:{self.label}", left)
            STATS.log_once_in_a_while(
                f"shutdown:{self.label}",
                "llmops: %s did not take %d spans within the shutdown time; dropped and counted",
                self.label,
                left,
            )


class _Dequeue(SpanExporter):
    """Tells the processor a batch left its queue, then exports it."""

    def __init__(self, processor: CountingBatchProcessor, inner: SpanExporter) -> None:
        self._processor = processor
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self._processor._taken(len(spans))
        return self._inner.export(spans)

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        shutdown_within(self._inner, timeout_millis)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis)


def shutdown_within(exporter: SpanExporter, timeout_millis: float) -> None:
    """``exporter.shutdown``, passing the time left where it takes one (llmops' own do)."""
    try:
        takes_timeout = "timeout_millis" in inspect.signature(exporter.shutdown).parameters
    except (TypeError, ValueError):
        takes_timeout = False
    if takes_timeout:
        exporter.shutdown(timeout_millis=max(0.0, timeout_millis))  # type: ignore[call-arg]
    else:
        exporter.shutdown()


def own_attributes(span: ReadableSpan) -> Any:
    """The span's attributes as the SDK keeps them (``ReadableSpan.attributes`` wraps them in a
    new MappingProxyType on every access)."""
    attributes = getattr(span, "_attributes", None)
    return span.attributes if attributes is None else attributes


def own_events(span: ReadableSpan) -> Sequence[Event]:
    """The span's events as the SDK keeps them (``ReadableSpan.events`` copies them each time)."""
    events = getattr(span, "_events", None)
    return span.events if events is None else events


def redact_span(span: ReadableSpan, hook: RedactHook, name: str | None = None) -> ReadableSpan:
    """A copy of ``span`` whose attributes, event attributes and status message went through
    ``hook`` (the status message as key ``status.message``: exception text lands there), and
    renamed to ``name`` when one is given.

    The hook gets ``(key, value)`` and returns the value to keep, or None to drop the attribute.
    """

    changed = name is not None and name != span.name

    def clean(attributes: Any) -> dict[str, AttributeValue]:
        nonlocal changed
        out: dict[str, AttributeValue] = {}
        # BoundedAttributes' plain dict: iterating the Mapping interface costs a call per item.
        for key, value in getattr(attributes, "_dict", attributes or {}).items():
            new = hook(key, value)
            if new is not value:
                changed = True
            if new is not None:
                out[key] = new
        return out

    attributes = clean(own_attributes(span))
    events = [Event(e.name, clean(e.attributes), e.timestamp) for e in own_events(span)]
    status = span.status
    if status.description:
        description = hook("status.message", status.description)
        if description is not status.description:
            changed = True
            text = description if isinstance(description, str) else None
            status = Status(status.status_code, text)
    if not changed:
        return span  # nothing to hide: no copy
    return ReadableSpan(
        name=span.name if name is None else name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=events,
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


@dataclass(frozen=True)
class TailPolicy:
    """Which finished traces to keep when tail sampling: errors, slow, costly, and a share."""

    ratio: float = 1.0
    keep_errors: bool = True
    slow_ms: float | None = None
    costly_usd: float | None = None
    max_traces: int = 10_000

    def keep(self, spans: Sequence[ReadableSpan], root: ReadableSpan) -> bool:
        if self.keep_errors and any(s.status.status_code is StatusCode.ERROR for s in spans):
            return True
        if (
            self.slow_ms is not None
            and root.end_time
            and root.start_time
            and (root.end_time - root.start_time) / 1e6 >= self.slow_ms
        ):
            return True
        if self.costly_usd is not None:
            costs = ((s.attributes or {}).get(semconv.LLMOPS_COST_USD) for s in spans)
            cost = sum(c for c in costs if isinstance(c, (int, float)))
            if cost >= self.costly_usd:
                return True
        # Decided from the trace id, so every process of a distributed trace agrees.
        return (root.context.trace_id & 0xFFFFFFFFFFFF) / float(1 << 48) < self.ratio


class TailSampler:
    """Holds a trace's spans until its local root ends, then keeps or drops them together."""

    def __init__(self, policy: TailPolicy) -> None:
        self.policy = policy
        self._pending: OrderedDict[int, list[ReadableSpan]] = OrderedDict()
        self._lock = threading.Lock()

    def offer(self, span: ReadableSpan) -> list[ReadableSpan]:
        """Take one finished span; return the spans to export now (possibly none)."""
        trace_id = span.context.trace_id
        is_local_root = span.parent is None or span.parent.is_remote
        evicted: list[ReadableSpan] = []
        with self._lock:
            spans = self._pending.setdefault(trace_id, [])
            spans.append(span)
            if is_local_root:
                del self._pending[trace_id]
            elif len(self._pending) > self.policy.max_traces:
                _, evicted = self._pending.popitem(last=False)
        if evicted:
            # Too many open traces: export the oldest partial trace rather than lose it.
            STATS.incr("tail_evicted_unfinished")
            return evicted
        if not is_local_root:
            return []
        if self.policy.keep(spans, span):
            return spans
        STATS.drop("tail_sampled_out", len(spans))
        return []

    def take_pending(self) -> list[list[ReadableSpan]]:
        """Remove and return the spans of traces whose root has not ended yet."""
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
        return pending

    def adopt(self, traces: list[list[ReadableSpan]]) -> None:
        """Hold another sampler's unfinished traces until their roots end here."""
        with self._lock:
            for spans in traces:
                self._pending.setdefault(spans[0].context.trace_id, []).extend(spans)


# Callbacks that see every ended span in the process before sampling or export (the eval runner
# sums each case's tokens and cost this way). A tuple, swapped whole: on_end reads it unlocked.
_SPAN_TAPS: tuple[Callable[[ReadableSpan], None], ...] = ()
_TAPS_LOCK = threading.Lock()


def add_span_tap(tap: Callable[[ReadableSpan], None]) -> None:
    """Call ``tap(span)`` for every span that ends in this process, until removed."""
    global _SPAN_TAPS
    with _TAPS_LOCK:
        _SPAN_TAPS = (*_SPAN_TAPS, tap)


def remove_span_tap(tap: Callable[[ReadableSpan], None]) -> None:
    global _SPAN_TAPS
    with _TAPS_LOCK:
        _SPAN_TAPS = tuple(t for t in _SPAN_TAPS if t is not tap)


class _Flush:
    """One flush on a helper thread, which callers wait for at most as long as they choose.

    The SDK's ``force_flush`` ignores its timeout and exports in the calling thread, so a
    backend that never answers would hold the application for as long as its retries last.
    """

    def __init__(self, work: Callable[[], bool]) -> None:
        self.result: bool | None = None
        self._work = work
        self.thread = threading.Thread(target=self._run, name="llmops-flush", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with handle_internal_errors("flush"):
            self.result = self._work()

    def wait(self, timeout_s: float) -> bool:
        """Whether the flush finished, and succeeded, within ``timeout_s``."""
        self.thread.join(max(0.0, timeout_s))
        return not self.thread.is_alive() and bool(self.result)


class ExportPipeline(SpanProcessor):
    """Stamps scope attributes on starting spans; tail-samples and fans out ended ones.

    When ``configure()`` replaces it, :meth:`retire` hands spans that end later (they started
    before the call) to its successor, so a span open across the call is not lost.
    """

    def __init__(
        self,
        processors: Sequence[SpanProcessor],
        *,
        tail: TailSampler | None = None,
        labels: Sequence[str] = (),
    ) -> None:
        self.processors = list(processors)
        self.labels = list(labels)  # the exporter behind each processor: duckdb, otlp, ...
        self.tail = tail
        self._retired = False
        self._successor: ExportPipeline | None = None
        # One flush in flight per set of exporters: a caller that times out leaves its flush
        # running, and the next caller waits for that one instead of starting another.
        self._flushes: dict[tuple[str, ...] | None, _Flush] = {}
        self._flush_lock = threading.Lock()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        STATS.spans_started += 1
        attributes = context_attributes(parent_context)
        if attributes:
            stamp(span, attributes)

    def on_end(self, span: ReadableSpan) -> None:
        if self._retired:
            self._late(span)
            return
        STATS.spans_ended += 1
        try:
            for tap in _SPAN_TAPS:
                tap(span)
            if self.tail is None:
                for processor in self.processors:
                    processor.on_end(span)
                return
            self._fan_out(self.tail.offer(span))
        except Exception:
            internal_error("pipeline")

    def _fan_out(self, spans: Sequence[ReadableSpan]) -> None:
        """Hand ``spans`` to every exporter's processor (with no tail sampler, on_end does this
        inline for its one span: the hot path)."""
        for span in spans:
            for processor in self.processors:
                processor.on_end(span)

    def queue_depth(self) -> int:
        return sum(
            p.queue_depth() for p in self.processors if isinstance(p, CountingBatchProcessor)
        )

    def _late(self, span: ReadableSpan) -> None:
        successor = self._successor
        if successor is None:
            STATS.drop("after_shutdown")
        else:
            successor.on_end(span)

    def _hand_over(
        self, pending: list[list[ReadableSpan]], successor: ExportPipeline | None
    ) -> None:
        """Unfinished traces go to the successor's tail sampler, or are exported as they are."""
        if not pending:
            return
        if successor is not None and successor.tail is not None:
            successor.tail.adopt(pending)
            return
        for spans in pending:
            with handle_internal_errors("pipeline"):
                self._fan_out(spans)

    def retire(self, successor: ExportPipeline | None, timeout_s: float) -> None:
        """Send later spans to ``successor``, then flush and shut down within ``timeout_s``."""
        self._successor = successor
        self._retired = True
        if self.tail is not None:
            self._hand_over(self.tail.take_pending(), successor)
        deadline = time.monotonic() + timeout_s
        self.force_flush(int(timeout_s * 1000))
        self.shutdown(max(0.0, deadline - time.monotonic()) * 1000)

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        deadline = time.monotonic() + timeout_millis / 1000
        for processor in self.processors:
            with handle_internal_errors("shutdown"):
                if isinstance(processor, CountingBatchProcessor):
                    processor.shutdown(max(0.0, deadline - time.monotonic()) * 1000)
                else:
                    processor.shutdown()

    def force_flush(self, timeout_millis: int = 30_000, only: Sequence[str] | None = None) -> bool:
        """Export what every processor (or those of the exporters named in ``only``) holds.

        Returns within ``timeout_millis``: False when an exporter has not finished by then (its
        export goes on in the background).
        """
        chosen = [
            processor
            for index, processor in enumerate(self.processors)
            if only is None or (index < len(self.labels) and self.labels[index] in only)
        ]
        if not chosen:
            return True

        def flush_all() -> bool:
            return all([processor.force_flush(timeout_millis) for processor in chosen])

        deadline = time.monotonic() + timeout_millis / 1000
        key = None if only is None else tuple(sorted(only))
        with self._flush_lock:
            running = self._flushes.get(key)
            if running is None or not running.thread.is_alive():
                running = self._flushes[key] = _Flush(flush_all)
                fresh = True
            else:
                fresh = False
        finished = running.wait(deadline - time.monotonic())
        if fresh or not finished:
            return finished
        # The flush this call waited for began before it: flush again for what ended since.
        return self.force_flush(int(max(0.0, deadline - time.monotonic()) * 1000), only)
