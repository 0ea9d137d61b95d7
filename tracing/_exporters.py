"""SDK span exporters: the wrappers every exporter runs in, the adapter to span sinks, OTLP.

Each exporter is wrapped in :class:`CountingExporter` (a dead backend or a read-only store
folder costs a counter and a log line, never an exception in the application) and
:class:`RedactingExporter` (credentials never leave). :class:`RecordExporter` hands spans, as
neutral span records (``llmops.tracing.SpanRecord``), to a sink such as the embedded store's
(``llmops.DuckDBSpanExporter``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from llmops._errors import ConfigError, StoreError
from llmops._internal import STATS, logger
from llmops.tracing._capture import clean_text, clean_value
from llmops.tracing._processors import own_attributes, own_events, redact_span, shutdown_within
from llmops.tracing._records import SpanRecord, span_records
from llmops.tracing._secrets import scrub_secrets, span_texts, texts_hold_secrets
from llmops.tracing._state import RedactHook


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


class SpanSink(Protocol):
    """Where a :class:`RecordExporter` delivers span records (the store, or a plug-in's)."""

    def write(self, records: Sequence[SpanRecord]) -> None:
        """Keep ``records``; raise ``OSError`` or ``StoreError`` (saying why) when it cannot."""

    def shutdown(self, timeout_millis: float) -> None:
        """Finish background work within ``timeout_millis``."""


class RecordExporter(SpanExporter):
    """The SDK side of a span sink: hands finished SDK spans to it as records.

    Sinks see only records, never SDK objects, so spans received over OTLP reach them by the
    same road. A sink that cannot write raises; the reason becomes ``last_error`` (read by
    :class:`CountingExporter`, which logs and counts the lost spans). Any other exception goes
    through to that wrapper, which retries a batch that failed on text that is not Unicode.

    Args:
        sink: Has ``write(records)`` and ``shutdown(timeout_millis)``; ``force_flush`` optional.
    """

    def __init__(self, sink: SpanSink) -> None:
        self.sink = sink
        self.last_error: str | None = None  # why the last failed export failed

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if not spans:
            return SpanExportResult.SUCCESS
        try:
            self.sink.write(span_records(spans))
        except (OSError, StoreError) as exc:
            self.last_error = str(exc)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self, timeout_millis: float = 60_000) -> None:
        self.sink.shutdown(timeout_millis)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        flush = getattr(self.sink, "force_flush", None)
        return True if flush is None else bool(flush(timeout_millis))


def otlp_exporter(
    endpoint: str | None,
    headers: dict[str, str],
    timeout_s: float | None,
    *,
    resource_attributes: Mapping[str, str] | None = None,
    peer: str | None = None,
    protocol: str | None = None,
) -> SpanExporter:
    """The OTLP exporter; unset arguments come from ``OTEL_EXPORTER_OTLP_*``.

    ``protocol`` is ``http/protobuf`` or ``grpc``; default ``OTEL_EXPORTER_OTLP_TRACES_PROTOCOL``
    or ``OTEL_EXPORTER_OTLP_PROTOCOL``, else ``http/protobuf`` (``http/json``, which the Python
    SDK does not send, becomes protobuf with a log line). ``resource_attributes`` are added to
    the resource of the spans it sends, and ``peer`` (``mlflow``...) adds that backend's own
    attribute names (see ``_peers``).

    Raises:
        ConfigError: gRPC asked for without its exporter installed, or an unknown protocol.
    """
    from llmops.tracing._peers import PEER_ATTRIBUTES, PeerExporter

    exporter: SpanExporter
    if otlp_protocol(protocol) == "grpc":
        exporter = _grpc_exporter(endpoint, headers, timeout_s)
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        if endpoint and not endpoint.rstrip("/").endswith("/v1/traces"):
            endpoint = endpoint.rstrip("/") + "/v1/traces"
        exporter = OTLPSpanExporter(endpoint=endpoint, headers=headers or None, timeout=timeout_s)
    if resource_attributes or peer in PEER_ATTRIBUTES:
        return PeerExporter(exporter, resource_attributes or {}, peer)
    return exporter


OTLP_PROTOCOLS = ("http/protobuf", "grpc")


def otlp_protocol(configured: str | None) -> str:
    """The OTLP protocol to send with: ``configured``, else OpenTelemetry's environment.

    Raises:
        ConfigError: Not one of :data:`OTLP_PROTOCOLS` (nor ``http/json``).
    """
    where = "otlp_protocol"
    protocol = configured
    for variable in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        if protocol is None and os.environ.get(variable, "").strip():
            where, protocol = variable, os.environ[variable].strip().lower()
    protocol = protocol or "http/protobuf"
    if protocol == "http/json":
        logger.warning("llmops: %s=http/json: sending OTLP as http/protobuf instead", where)
        return "http/protobuf"
    if protocol not in OTLP_PROTOCOLS:
        raise ConfigError(
            f"{where}: unknown OTLP protocol {protocol!r}; expected {' or '.join(OTLP_PROTOCOLS)}"
        )
    return protocol


def _grpc_exporter(endpoint: str | None, headers: dict[str, str], timeout_s: float | None) -> Any:
    try:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcSpanExporter,
        )
    except ImportError:
        raise ConfigError("OTLP over gRPC needs its exporter: pip install 'llmops[grpc]'") from None
    # gRPC metadata keys are lower-case; an http:// endpoint is plain text, https:// is TLS.
    metadata = {key.lower(): value for key, value in headers.items()} or None
    return GrpcSpanExporter(endpoint=endpoint, headers=metadata, timeout=timeout_s)
