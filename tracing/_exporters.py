"""Span exporters: the embedded DuckDB store, and OTLP/HTTP to any backend.

Both are wrapped in :class:`CountingExporter`, so a dead backend or a read-only store folder
costs a counter and a log line, never an exception in the application.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import format_span_id, format_trace_id

from llmops._internal import STATS
from llmops.tracing import semconv


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


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _float_or_none(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _plain(attributes: Any) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in (attributes or {}).items()}


def span_to_row(span: ReadableSpan) -> dict[str, Any]:
    """One stored row: the span's fields, typed columns for common questions, and the rest as JSON.

    Legacy GenAI attribute names are mapped to today's here, on ingest.
    """
    attrs = semconv.normalize_attributes(_plain(span.attributes))
    context = span.context
    parent = span.parent
    status = span.status
    resource = _plain(span.resource.attributes) if span.resource else {}
    get = attrs.get
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
        "service_name": _str_or_none(resource.get("service.name")),
        "span_type": _str_or_none(get(semconv.LLMOPS_SPAN_TYPE)),
        "operation": _str_or_none(get(semconv.GEN_AI_OPERATION_NAME)),
        "provider": _str_or_none(get(semconv.GEN_AI_PROVIDER_NAME)),
        "model": _str_or_none(
            get(semconv.GEN_AI_RESPONSE_MODEL) or get(semconv.GEN_AI_REQUEST_MODEL)
        ),
        "input_tokens": _int_or_none(get(semconv.GEN_AI_USAGE_INPUT_TOKENS)),
        "output_tokens": _int_or_none(get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS)),
        "cost_usd": _float_or_none(get(semconv.LLMOPS_COST_USD)),
        "config_name": _str_or_none(get(semconv.LLMOPS_CONFIG_NAME)),
        "config_version": _str_or_none(get(semconv.LLMOPS_CONFIG_VERSION)),
        "agent_name": _str_or_none(get(semconv.GEN_AI_AGENT_NAME)),
        "session_id": _str_or_none(get(semconv.SESSION_ID) or get(semconv.GEN_AI_CONVERSATION_ID)),
        "user_id": _str_or_none(get(semconv.USER_ID)),
        "error_type": _str_or_none(get(semconv.ERROR_TYPE)),
        "attributes": attrs,
        "events": [
            {"name": e.name, "time_ns": e.timestamp, "attributes": _plain(e.attributes)}
            for e in span.events
        ],
        "resource": resource,
    }


class DuckDBSpanExporter(SpanExporter):
    """Writes spans into the embedded store (JSONL batches compacted to Parquet, read by DuckDB).

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
