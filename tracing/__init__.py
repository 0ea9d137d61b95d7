"""llmops.tracing: decorators and context that turn application code into OpenTelemetry spans.

Importing this package needs only ``opentelemetry-api``; the SDK, exporters and the store load
when ``llmops.configure()`` runs (or the first traced call configures the defaults).

Tracing stands on the ground floor alone: it never imports the store, the settings or
``configure()``. Where it needs them (the automatic set-up, a worker process's settings, span
screening) it calls a hook the upper floors register (``llmops._hooks``). Span sinks get
finished spans as neutral :class:`SpanRecord` values through :class:`RecordExporter`; the
embedded store's is ``llmops.DuckDBSpanExporter``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops._internal import lazy_attributes as _lazy_attributes
from llmops.tracing import backends, semconv
from llmops.tracing._context import (
    bind_context,
    config_attributes,
    context_attributes,
    continue_trace,
    current_config,
    inject,
    inject_env,
    session,
    tags,
    use_config,
    user,
    with_attributes,
    wrap_executor,
)
from llmops.tracing._decorators import agent, llm, record_model_response, tool, trace
from llmops.tracing._spans import LlmopsSpan, current_span, span
from llmops.tracing._state import CaptureSettings

if TYPE_CHECKING:
    from llmops.tracing._exporters import CountingExporter, RecordExporter, SpanSink
    from llmops.tracing._processors import (
        ExportPipeline,
        TailPolicy,
        TailSampler,
    )
    from llmops.tracing._records import SpanEventRecord, SpanRecord, span_records

_LAZY = {
    "CountingExporter": "llmops.tracing._exporters",
    "ExportPipeline": "llmops.tracing._processors",
    "RecordExporter": "llmops.tracing._exporters",
    "SpanEventRecord": "llmops.tracing._records",
    "SpanRecord": "llmops.tracing._records",
    "SpanSink": "llmops.tracing._exporters",
    "TailPolicy": "llmops.tracing._processors",
    "TailSampler": "llmops.tracing._processors",
    "span_records": "llmops.tracing._records",
}

__all__ = [
    "CaptureSettings",
    "CountingExporter",
    "ExportPipeline",
    "LlmopsSpan",
    "RecordExporter",
    "SpanEventRecord",
    "SpanRecord",
    "SpanSink",
    "TailPolicy",
    "TailSampler",
    "agent",
    "backends",
    "bind_context",
    "config_attributes",
    "context_attributes",
    "continue_trace",
    "current_config",
    "current_span",
    "inject",
    "inject_env",
    "llm",
    "record_model_response",
    "semconv",
    "session",
    "span",
    "span_records",
    "tags",
    "tool",
    "trace",
    "use_config",
    "user",
    "with_attributes",
    "wrap_executor",
]


__getattr__ = _lazy_attributes("llmops.tracing", _LAZY, globals())
