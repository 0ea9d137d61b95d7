"""Span exporters: the embedded DuckDB store, and OTLP/HTTP to any backend.

Both are wrapped in :class:`CountingExporter`, so a dead backend or a read-only store folder
costs a counter and a log line, never an exception in the application.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import format_span_id, format_trace_id

from llmops._internal import STATS
from llmops.tracing import semconv
from llmops.tracing._state import RedactHook


class CountingExporter(SpanExporter):
    """Counts what an exporter delivered or lost; contains its exceptions."""

    def __init__(self, inner: SpanExporter, label: str) -> None:
        self.inner = inner
        self.label = label

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.inner.export(spans)
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
                "llmops: %s export failed; %d spans dropped and counted",
                self.label,
                len(spans),
            )
        return result

    def shutdown(self) -> None:
        try:
            self.inner.shutdown()
        except Exception:
            STATS.incr("internal_errors")

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        try:
            return bool(self.inner.force_flush(timeout_millis))
        except Exception:
            return False


class RedactingExporter(SpanExporter):
    """Screens every span before the exporter sees it, on the batch worker's thread.

    Each hook gets ``(key, value)`` for every attribute and event attribute and returns the value
    to keep, or None to drop it. A span whose screening fails is dropped and counted
    (``redaction_error``): it never leaves unscreened.
    """

    def __init__(self, inner: SpanExporter, hooks: Sequence[RedactHook]) -> None:
        self.inner = inner
        self.hooks = list(hooks)

    def _screen(self, key: str, value: Any) -> Any:
        for hook in self.hooks:
            if value is None:
                return None
            value = hook(key, value)
        return value

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        from llmops.tracing._processors import redact_span

        screened = []
        for span in spans:
            try:
                screened.append(redact_span(span, self._screen))
            except Exception:
                STATS.drop("redaction_error")
                STATS.log_once_in_a_while(
                    "redact", "llmops: redaction failed; span dropped", exc_info=True
                )
        return self.inner.export(screened) if screened else SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.inner.shutdown()

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


def _attributes(attributes: Any) -> dict[str, Any]:
    # The SDK's BoundedAttributes is read-only once a span ends; its plain dict serialises in C,
    # where iterating the Mapping interface would run a Python loop per attribute.
    raw = getattr(attributes, "_dict", None)
    if type(raw) is not dict:
        raw = dict(attributes or {})
    return semconv.normalize_attributes(raw)


def span_to_row(span: ReadableSpan) -> dict[str, Any]:
    """One stored row: the span's own fields, attributes and events as JSON.

    Legacy GenAI attribute names are mapped to today's here, on ingest; typed columns (model,
    tokens, cost…) are extracted by DuckDB from the attributes when batches are compacted.
    """
    context = span.context
    parent = span.parent
    status = span.status
    events = span.events
    attributes = _attributes(span.attributes)
    get = attributes.get
    return {
        "trace_id": format_trace_id(context.trace_id),
        "span_id": format_span_id(context.span_id),
        "parent_span_id": format_span_id(parent.span_id) if parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status_code": status.status_code.name,
        "status_message": status.description,
        "attributes": attributes,
        "events": [
            {"name": e.name, "time_ns": e.timestamp, "attributes": _attributes(e.attributes)}
            for e in events
        ]
        if events
        else [],
        "resource": _resource_json(span.resource),
        "_typed": [get(key) for key in semconv.STORE_TYPED_ATTRIBUTES],
    }


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
        self._compact_threshold = compact_threshold
        self._fsync = fsync
        self._batches = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if not spans:
            return SpanExportResult.SUCCESS
        rows = [span_to_row(s) for s in spans]
        try:
            self._table.append(rows, fsync=self._fsync)
        except OSError as exc:
            STATS.log_once_in_a_while(
                "duckdb-store",
                "llmops: cannot write spans to %s (%s)",
                self.store_dir,
                exc,
            )
            return SpanExportResult.FAILURE
        self._batches += 1
        if self._batches % 4 == 0:
            self._maybe_compact()
        return SpanExportResult.SUCCESS

    def _maybe_compact(self) -> None:
        try:
            if self._table.pending() >= self._compact_threshold:
                self._table.compact(threshold=self._compact_threshold)
        except Exception:
            # A compaction that fails leaves the batch files in place: nothing is lost.
            STATS.incr("compaction_errors")
            STATS.log_once_in_a_while("compact", "llmops: store compaction failed", exc_info=True)

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def otlp_exporter(endpoint: str | None, headers: dict[str, str], timeout_s: float) -> SpanExporter:
    """The OTLP/HTTP (protobuf) exporter; unset arguments come from ``OTEL_EXPORTER_OTLP_*``."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if endpoint and not endpoint.rstrip("/").endswith("/v1/traces"):
        endpoint = endpoint.rstrip("/") + "/v1/traces"
    return OTLPSpanExporter(endpoint=endpoint, headers=headers or None, timeout=timeout_s)
