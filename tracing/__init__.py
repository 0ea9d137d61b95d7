"""llmops.tracing: decorators and context that turn application code into OpenTelemetry spans.

Importing this package needs only ``opentelemetry-api``; the SDK, exporters and the store load
when ``llmops.configure()`` runs (or the first traced call configures the defaults).
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
    from llmops.tracing._exporters import CountingExporter, DuckDBSpanExporter, span_to_row
    from llmops.tracing._processors import (
        ExportPipeline,
        TailPolicy,
        TailSampler,
    )

_LAZY = {
    "CountingExporter": "llmops.tracing._exporters",
    "DuckDBSpanExporter": "llmops.tracing._exporters",
    "ExportPipeline": "llmops.tracing._processors",
    "TailPolicy": "llmops.tracing._processors",
    "TailSampler": "llmops.tracing._processors",
    "span_to_row": "llmops.tracing._exporters",
}

__all__ = [
    "CaptureSettings",
    "CountingExporter",
    "DuckDBSpanExporter",
    "ExportPipeline",
    "LlmopsSpan",
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
    "span_to_row",
    "tags",
    "tool",
    "trace",
    "use_config",
    "user",
    "with_attributes",
    "wrap_executor",
]


__getattr__ = _lazy_attributes("llmops.tracing", _LAZY, globals())
