"""What one OTLP peer reads beyond the GenAI conventions, added on the way to it.

Spans leave llmops named by the OpenTelemetry GenAI conventions; most peers read those. Some
read a few names of their own, and :class:`PeerExporter` adds them to the spans sent to that
peer only (the store and other exporters never see them):

* resource attributes: Phoenix files spans under the project named by the resource attribute
  ``openinference.project.name`` (its ``x-project-name`` header, in the versions that read
  one, wins; ``backends.phoenix(project=…)`` sends both);
* ``mlflow``: MLflow reads a span's cost from ``mlflow.llm.cost`` (JSON
  ``{"input_cost", "output_cost", "total_cost"}`` in USD; the trace's cost is their sum, and its
  UI shows a span's cost only with all three keys) and shows ``mlflow.spanInputs`` /
  ``mlflow.spanOutputs`` as a chat when they hold GenAI messages. Token usage it reads from
  ``gen_ai.usage.*`` itself (as ``mlflow.chat.tokenUsage``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeGuard

import orjson
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from llmops.tracing import semconv
from llmops.tracing._processors import own_attributes, shutdown_within

MLFLOW_COST = "mlflow.llm.cost"
MLFLOW_SPAN_INPUTS = "mlflow.spanInputs"
MLFLOW_SPAN_OUTPUTS = "mlflow.spanOutputs"

Attributes = Mapping[str, Any]


def mlflow_attributes(attributes: Attributes) -> dict[str, Any]:
    """MLflow's names for what ``attributes`` hold: cost, and messages to show as a chat."""
    added: dict[str, Any] = {}
    total = attributes.get(semconv.LLMOPS_COST_USD)
    if _is_number(total) and MLFLOW_COST not in attributes:
        cost = {"total_cost": float(total)}
        parts = (
            attributes.get(semconv.LLMOPS_COST_INPUT_USD),
            attributes.get(semconv.LLMOPS_COST_OUTPUT_USD),
        )
        if _is_number(parts[0]) and _is_number(parts[1]):
            cost = {"input_cost": float(parts[0]), "output_cost": float(parts[1]), **cost}
        added[MLFLOW_COST] = orjson.dumps(cost).decode()
    inputs = _messages(attributes.get(semconv.GEN_AI_INPUT_MESSAGES))
    system = _messages(attributes.get(semconv.GEN_AI_SYSTEM_INSTRUCTIONS))
    if inputs is not None and MLFLOW_SPAN_INPUTS not in attributes:
        if system:
            inputs = [{"role": "system", "parts": system}, *inputs]
        added[MLFLOW_SPAN_INPUTS] = orjson.dumps(inputs).decode()
    outputs = attributes.get(semconv.GEN_AI_OUTPUT_MESSAGES)
    if _messages(outputs) is not None and MLFLOW_SPAN_OUTPUTS not in attributes:
        added[MLFLOW_SPAN_OUTPUTS] = outputs
    return added


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _messages(value: Any) -> list[Any] | None:
    """A JSON list (of messages or parts); None for anything else, a cut one included."""
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, list) and parsed else None


# A peer's names, by the peer's name as ``backends`` gives it (``otlp_peer``).
PEER_ATTRIBUTES: dict[str, Callable[[Attributes], dict[str, Any]]] = {
    "mlflow": mlflow_attributes,
}


class PeerExporter(SpanExporter):
    """Sends spans on to ``inner`` with the peer's own names and resource attributes added.

    Args:
        inner: The OTLP exporter.
        resource_attributes: Added to each span's resource (over what it holds).
        peer: A key of ``PEER_ATTRIBUTES``, or None.
    """

    def __init__(
        self, inner: SpanExporter, resource_attributes: Attributes, peer: str | None = None
    ) -> None:
        self.inner = inner
        self.resource_attributes = dict(resource_attributes)
        self.extra = PEER_ATTRIBUTES.get(peer or "")
        self._resources: tuple[Resource, Resource] | None = None  # (as made, as sent): one a run

    @property
    def last_error(self) -> str | None:
        return getattr(self.inner, "last_error", None)

    def _resource(self, resource: Resource) -> Resource:
        if not self.resource_attributes:
            return resource
        known = self._resources
        if known is not None and known[0] is resource:
            return known[1]
        merged = resource.merge(Resource(self.resource_attributes))
        self._resources = (resource, merged)
        return merged

    def _adapted(self, span: ReadableSpan) -> ReadableSpan:
        resource = self._resource(span.resource)
        attributes = own_attributes(span)
        added = self.extra(attributes) if self.extra is not None else None
        if not added and resource is span.resource:
            return span
        return ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=resource,
            attributes={**attributes, **added} if added else attributes,
            events=span.events,
            links=span.links,
            kind=span.kind,
            status=span.status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([self._adapted(span) for span in spans])

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        shutdown_within(self.inner, timeout_millis)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))
