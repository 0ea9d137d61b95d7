"""Span exporters: the embedded DuckDB store, and OTLP/HTTP to any backend.

Both are wrapped in :class:`CountingExporter`, so a dead backend or a read-only store folder
costs a counter and a log line, never an exception in the application.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

from llmops._internal import STATS
from llmops.tracing import semconv
from llmops.tracing._capture import clean_text, clean_value
from llmops.tracing._processors import own_attributes, own_events, redact_span, shutdown_within
from llmops.tracing._secrets import scrub_secrets, span_texts, texts_hold_secrets
from llmops.tracing._state import RedactHook

if TYPE_CHECKING:
    from llmops._store import Table


class CountingExporter(SpanExporter):
    """Counts what an exporter delivered or lost; contains its exceptions."""

    def __init__(self, inner: SpanExporter, label: str) -> None:
        self.inner = inner
        self.label = label

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            try:
                result = self.inner.export(spans)
            except (UnicodeError, TypeError) as exc:
                if not _invalid_text(exc):
                    raise
                # Text that is not valid Unicode (lone surrogates, from a raw OpenTelemetry
                # set_attribute or a span name) fails a whole batch's encoding: send the batch
                # again with that text repaired, rather than lose every span in it.
                result = self.inner.export([_repaired(span) for span in spans])
        except Exception as exc:
            STATS.drop(f"export_failed:{self.label}", len(spans))
            STATS.log_once_in_a_while(
                f"export:{self.label}",
                "llmops: %s export failed (%s: %s); %d spans dropped and counted",
                self.label,
                type(exc).__name__,
                exc,
                len(spans),
            )
            return SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            STATS.export_ok(self.label, len(spans))
        else:
            STATS.drop(f"export_failed:{self.label}", len(spans))
            STATS.log_once_in_a_while(
                f"export:{self.label}",
                "llmops: %s export failed (%s); %d spans dropped and counted",
                self.label,
                getattr(self.inner, "last_error", None) or "the exporter gave no reason",
                len(spans),
            )
        return result

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        try:
            shutdown_within(self.inner, timeout_millis)
        except Exception:
            STATS.incr("internal_errors")

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        try:
            return bool(self.inner.force_flush(timeout_millis))
        except Exception:
            return False


def _invalid_text(exc: BaseException) -> bool:
    """Whether an encoder failed on text that is not valid Unicode (and nothing else)."""
    return isinstance(exc, UnicodeError) or "UTF-8" in str(exc) or "surrogate" in str(exc)


def _repaired(span: ReadableSpan) -> ReadableSpan:
    """``span`` with lone surrogates replaced in its name, attributes, events and status."""
    name = span.name if span.name.isascii() else clean_text(span.name)
    return redact_span(span, _valid_text, name=name)


def _valid_text(key: str, value: Any) -> Any:
    """``value`` with lone surrogates replaced, so every encoder accepts it."""
    return clean_value(value)


# The credential scrub searches several spans' texts at once, up to about this many characters:
# one search per group instead of one per span (a fixed ~1-2 µs each), while the group's text
# still fits in the CPU's cache (one search over a whole batch of long prompts is slower).
_SCRUB_GROUP_CHARS = 32_768


class RedactingExporter(SpanExporter):
    """Screens every span before the exporter sees it, on the batch worker's thread.

    Each hook gets ``(key, value)`` for every attribute and event attribute and returns the value
    to keep, or None to drop it. A span whose screening fails is dropped and counted
    (``redaction_error``): it never leaves unscreened.
    """

    def __init__(self, inner: SpanExporter, hooks: Sequence[RedactHook]) -> None:
        self.inner = inner
        self.hooks = list(hooks)
        # The always-on credential scrub first: skipped for spans that hold nothing it could
        # change, found by one search over a group of spans' texts (most spans hold no secret).
        self._scrub_first = bool(self.hooks) and self.hooks[0] is scrub_secrets
        self._after_scrub = self.hooks[1:] if self._scrub_first else self.hooks

    @staticmethod
    def _chain(hooks: Sequence[RedactHook]) -> RedactHook:
        def screen(key: str, value: Any) -> Any:
            for hook in hooks:
                if value is None:
                    return None
                value = hook(key, value)
            return value

        return screen

    def _redact(self, span: ReadableSpan, hooks: Sequence[RedactHook]) -> ReadableSpan:
        if not hooks:
            return span
        return redact_span(span, hooks[0] if len(hooks) == 1 else self._chain(hooks))

    @staticmethod
    def _dropped() -> None:
        STATS.drop("redaction_error")
        STATS.log_once_in_a_while("redact", "llmops: redaction failed; span dropped", exc_info=True)

    def _scrub_group(
        self, group: list[tuple[ReadableSpan, list[str] | None]], out: list[ReadableSpan]
    ) -> None:
        """Screen spans whose texts were searched together: all clean, or each looked at alone."""
        try:
            texts = [text for _, own in group if own for text in own]
            group_clean = not texts_hold_secrets(texts)
        except Exception:
            group_clean = False  # each span's own search decides, or drops it
        for span, own in group:
            try:
                dirty = own is None or (
                    not group_clean and (len(group) == 1 or texts_hold_secrets(own))
                )
                out.append(self._redact(span, self.hooks if dirty else self._after_scrub))
            except Exception:
                self._dropped()

    def _scrub(self, spans: Sequence[ReadableSpan], out: list[ReadableSpan]) -> None:
        group: list[tuple[ReadableSpan, list[str] | None]] = []
        size = 0
        for span in spans:
            try:
                events = own_events(span)
                maps = [own_attributes(span)]
                if events:
                    maps.extend(e.attributes for e in events)
                texts = span_texts(maps, span.status.description)
            except Exception:
                self._dropped()
                continue
            group.append((span, texts))
            if texts:
                size += sum(map(len, texts))
            if size >= _SCRUB_GROUP_CHARS:
                self._scrub_group(group, out)
                group, size = [], 0
        if group:
            self._scrub_group(group, out)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        screened: list[ReadableSpan] = []
        if self._scrub_first:
            self._scrub(spans, screened)
        else:
            for span in spans:
                try:
                    screened.append(self._redact(span, self.hooks))
                except Exception:
                    self._dropped()
        return self.inner.export(screened) if screened else SpanExportResult.SUCCESS

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        shutdown_within(self.inner, timeout_millis)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))


_RESOURCE_CACHE: dict[int, tuple[Any, orjson.Fragment]] = {}


def _resource_json(resource: Any) -> orjson.Fragment:
    """The resource as pre-serialised JSON: one resource is shared by every span of a process."""
    cached = _RESOURCE_CACHE.get(id(resource))
    if cached is not None and cached[0] is resource:
        return cached[1]
    fragment = orjson.Fragment(orjson.dumps(dict(resource.attributes) if resource else {}))
    if len(_RESOURCE_CACHE) > 64:
        _RESOURCE_CACHE.clear()
    _RESOURCE_CACHE[id(resource)] = (resource, fragment)
    return fragment


_KIND_NAMES = {kind: kind.name for kind in SpanKind}
_STATUS_NAMES = {code: code.name for code in StatusCode}
_LEGACY_KEYS = tuple(semconv.LEGACY_ATTRIBUTES)
_TYPED_KEYS = semconv.STORE_TYPED_ATTRIBUTES


def _attributes(attributes: Any) -> dict[str, Any]:
    # The SDK's BoundedAttributes is read-only once a span ends; its plain dict serialises in C,
    # where iterating the Mapping interface would run a Python loop per attribute.
    raw = getattr(attributes, "_dict", attributes)
    if type(raw) is not dict:
        raw = dict(attributes or {})
    for key in _LEGACY_KEYS:  # a handful of lookups: cheaper than a set operation per span
        if key in raw:
            return semconv.normalize_attributes(raw)
    return raw


def spans_to_rows(spans: Sequence[ReadableSpan]) -> list[dict[str, Any]]:
    """Stored rows for a batch: each span's own fields, attributes and events as JSON.

    Legacy GenAI attribute names are mapped to today's here, on ingest; the attributes behind
    the typed columns (model, tokens, cost…) are copied out as they are and typed by DuckDB when
    batches are compacted. This loop is the exporter's hot path (it bounds the store's
    throughput), hence the local names and the trace id formatted once per run of spans.
    """
    rows: list[dict[str, Any]] = []
    append = rows.append
    kinds, statuses, typed_keys = _KIND_NAMES, _STATUS_NAMES, _TYPED_KEYS
    last_trace, last_trace_hex = -1, ""
    for span in spans:
        context = span.context
        if context.trace_id != last_trace:
            last_trace = context.trace_id
            last_trace_hex = format(last_trace, "032x")
        parent = span.parent
        status = span.status
        events = own_events(span)
        attributes = _attributes(own_attributes(span))
        append(
            {
                "trace_id": last_trace_hex,
                "span_id": format(context.span_id, "016x"),
                "parent_span_id": format(parent.span_id, "016x") if parent else None,
                "name": span.name,
                "kind": kinds[span.kind],
                "start_ns": span.start_time,
                "end_ns": span.end_time,
                "status_code": statuses[status.status_code],
                "status_message": status.description,
                "attributes": attributes,
                "events": [
                    {
                        "name": e.name,
                        "time_ns": e.timestamp,
                        "attributes": _attributes(e.attributes),
                    }
                    for e in events
                ]
                if events
                else [],
                "resource": _resource_json(span.resource),
                "_typed": list(map(attributes.get, typed_keys)),
            }
        )
    return rows


def span_to_row(span: ReadableSpan) -> dict[str, Any]:
    """One stored row (see :func:`spans_to_rows`)."""
    return spans_to_rows((span,))[0]


class _Compactor:
    """Runs the store's compactions on a thread of its own, off the export path.

    A compaction is DuckDB work (JSON batches → Parquet) that releases the GIL, so on a second
    core it overlaps with the batch worker converting the next spans, and the export path never
    stalls (nor fills its queue) while a segment is written. Requests coalesce: the thread
    compacts whenever woken and enough batch files wait. Nothing is lost if it never runs: batch
    files are durable and readers see them.
    """

    def __init__(self, table: Table, threshold: int) -> None:
        self._table = table
        self._threshold = threshold
        self._wake = threading.Event()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._closed = False

    def request(self) -> None:
        thread = self._thread
        if thread is None or self._pid != os.getpid() or not thread.is_alive():
            with self._guard:  # first request, or the first after a fork
                if self._closed:
                    return
                if self._thread is thread:
                    self._pid = os.getpid()
                    self._thread = threading.Thread(
                        target=self._run, name="llmops-compactor", daemon=True
                    )
                    self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            # A compaction that fails is counted and leaves the batch files in place.
            self._table.compact_if_due(self._threshold)

    def close(self, timeout_s: float = 60.0) -> None:
        """Stop the thread, letting a compaction in progress finish (so exit never cuts it)."""
        with self._guard:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None and self._pid == os.getpid() and thread.is_alive():
            thread.join(timeout_s)


class DuckDBSpanExporter(SpanExporter):
    """Writes spans into the embedded store (JSON batch files compacted to Parquet, read by DuckDB).

    Safe with many processes at once: see :mod:`llmops._store` for the design.

    Args:
        store_dir: The store folder (default ``$LLMOPS_HOME/store``).
        compact_threshold: Pending batch files that trigger a compaction from this process.
        fsync: Also survive power loss, not only a killed process (slower).
    """

    def __init__(self, store_dir: Path, *, compact_threshold: int = 64, fsync: bool = False):
        from llmops._spanstore import open_store

        self.store_dir = Path(store_dir)
        self._table = open_store(self.store_dir).table("spans")
        self._fsync = fsync
        self._batches = 0
        self.last_error: str | None = None  # why the last failed export failed
        self._compactor = _Compactor(self._table, compact_threshold)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if not spans:
            return SpanExportResult.SUCCESS
        rows = spans_to_rows(spans)
        try:
            self._table.append(rows, fsync=self._fsync)
        except OSError as exc:
            # Logged with the count of lost spans by the CountingExporter around this one.
            self.last_error = f"cannot write spans to {self.store_dir}: {exc}"
            return SpanExportResult.FAILURE
        self._batches += 1
        if self._batches % 4 == 0:
            self._compactor.request()
        return SpanExportResult.SUCCESS

    def shutdown(self, timeout_millis: float = 60_000) -> None:
        """Let a compaction in progress finish, for at most ``timeout_millis``: one cut short by
        exit is undone or completed by the next one (see :mod:`llmops._store`)."""
        self._compactor.close(timeout_s=timeout_millis / 1000)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def otlp_exporter(
    endpoint: str | None, headers: dict[str, str], timeout_s: float | None
) -> SpanExporter:
    """The OTLP/HTTP (protobuf) exporter; unset arguments come from ``OTEL_EXPORTER_OTLP_*``."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if endpoint and not endpoint.rstrip("/").endswith("/v1/traces"):
        endpoint = endpoint.rstrip("/") + "/v1/traces"
    return OTLPSpanExporter(endpoint=endpoint, headers=headers or None, timeout=timeout_s)
