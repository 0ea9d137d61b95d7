"""``configure()``, ``flush()``, ``shutdown()``, ``stats()``: the one entry point and its lifecycle.

Each ``configure()`` builds a fresh SDK ``TracerProvider`` (resource, sampler, processors,
exporters) and swaps it in whole; the previous one is flushed and shut down. The global
OpenTelemetry provider is set once, to a proxy that always delegates to the current one, so
libraries that fetched a tracer early still land in llmops.
"""

from __future__ import annotations

import atexit
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased

from llmops._errors import ConfigError
from llmops._exporters import make_exporter
from llmops._internal import STATS, handle_internal_errors
from llmops._settings import Settings, load_settings, resolve_redact_hook
from llmops.tracing._exporters import CountingExporter, RedactingExporter
from llmops.tracing._processors import (
    CountingBatchProcessor,
    ExportPipeline,
    TailPolicy,
    TailSampler,
)
from llmops.tracing._secrets import scrub_secrets
from llmops.tracing._state import RUNTIME, CaptureSettings, RedactHook
from llmops.tracing.backends import OtlpTarget

logger = logging.getLogger("llmops")
_SCOPE = "llmops"


class _Active:
    settings: Settings | None = None
    provider: TracerProvider | None = None
    pipeline: ExportPipeline | None = None
    atexit_registered = False
    global_proxy_set = False


ACTIVE = _Active()


class _DelegatingTracerProvider(trace.TracerProvider):
    """The global provider: forwards to whatever provider ``configure()`` installed last."""

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _DelegatingTracer(args, kwargs)


class _DelegatingTracer(trace.Tracer):
    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._args, self._kwargs = args, kwargs

    def _current(self) -> trace.Tracer:
        provider = ACTIVE.provider
        if provider is None:
            from llmops.tracing._state import get_tracer

            get_tracer()
            provider = ACTIVE.provider
        if provider is None:
            return trace.NoOpTracer()
        return provider.get_tracer(*self._args, **self._kwargs)

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._current().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._current().start_as_current_span(*args, **kwargs)


def following_provider() -> trace.TracerProvider:
    """A tracer provider that follows every later ``configure()``: what an instrumentation that
    takes one provider for good is given (``llmops.instrument()``), whatever the global one is."""
    return _DelegatingTracerProvider()


_BUILTIN_SAMPLERS = frozenset(
    {
        "always_on", "always_off", "traceidratio", "parentbased_always_on",
        "parentbased_always_off", "parentbased_traceidratio",
    }
)  # fmt: skip


def _check_sampler_env() -> None:
    """Reject what the SDK would only warn about (then sample everything): a bad sampler."""
    name = os.environ.get("OTEL_TRACES_SAMPLER", "").strip().lower()
    if not name:
        return
    if name not in _BUILTIN_SAMPLERS:
        from importlib.metadata import entry_points

        if not entry_points(group="opentelemetry_traces_sampler", name=name):
            raise ConfigError(
                f"OTEL_TRACES_SAMPLER: unknown sampler {name!r}; use one of "
                f"{', '.join(sorted(_BUILTIN_SAMPLERS))} or LLMOPS_SAMPLE_RATIO"
            )
    argument = os.environ.get("OTEL_TRACES_SAMPLER_ARG", "").strip()
    if name.endswith("traceidratio") and argument:
        try:
            ratio = float(argument)
        except ValueError:
            ratio = -1.0
        if not 0.0 <= ratio <= 1.0:
            raise ConfigError(
                f"OTEL_TRACES_SAMPLER_ARG: {argument!r} is not a ratio between 0 and 1"
            )


def _sampler(settings: Settings) -> Sampler | None:
    if settings.sample_ratio is None:
        return None  # the SDK reads OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
    return ParentBased(TraceIdRatioBased(settings.sample_ratio))


def _resource(settings: Settings) -> Resource:
    """OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME as the SDK reads them; ``service_name``
    over both, and ``llmops-app`` where neither names the service."""
    if settings.service_name:
        return Resource.create({"service.name": settings.service_name})
    resource = Resource.create()
    if str(resource.attributes.get("service.name", "unknown_service")).startswith(
        "unknown_service"
    ):
        resource = resource.merge(Resource({"service.name": settings.resolved_service_name()}))
    return resource


def _exporters(settings: Settings, extra: Sequence[SpanExporter]) -> list[tuple[str, SpanExporter]]:
    """The exporters ``settings`` name (see ``llmops._exporters``), then ``extra``."""
    exporters = [(name, make_exporter(name, settings)) for name in settings.exporter_names()]
    for exporter in extra:
        exporters.append((type(exporter).__name__, exporter))
    return exporters


def configure(
    *,
    otlp: OtlpTarget | None = None,
    span_exporters: Sequence[SpanExporter] = (),
    batch: bool = True,
    **settings: Any,
) -> Settings:
    """Set llmops up: where spans go, what is captured, how traces are sampled.

    Call it once at start-up; calling it again replaces the previous set-up (whose spans are
    flushed first). Without a call, the first traced function configures the defaults. Every
    setting also reads ``LLMOPS_<NAME>`` from the environment; see :class:`llmops.Settings`.

    Args:
        otlp: An OTLP target (``llmops.tracing.backends.langfuse()``…) to export to as well.
        span_exporters: Extra OpenTelemetry exporters (e.g. an in-memory one in tests).
        batch: Export through batching background threads (False: synchronously, for tests).
        **settings: Any :class:`llmops.Settings` field, e.g. ``home``, ``exporters``,
            ``sample_ratio``, ``tail_sample_ratio``, ``max_attribute_bytes``, ``redact``.

    Returns:
        The settings in effect.

    Raises:
        ConfigError: A setting has a bad value; the message names it.

    Example:
        >>> llmops.configure(service_name="support-bot", otlp=llmops.tracing.backends.langfuse())
    """
    resolved, built = _prepare(otlp, span_exporters, batch, settings)
    with RUNTIME.lock:
        previous = _detach_active()
        _switch_to(resolved, built)
    pipeline = None if built is None else built[1]
    # The replaced exporters flush their spans outside the lock: other threads trace meanwhile.
    _retire(previous, pipeline)
    return resolved


Built = tuple[TracerProvider, ExportPipeline]


def _prepare(
    otlp: OtlpTarget | None,
    span_exporters: Sequence[SpanExporter],
    batch: bool,
    settings: dict[str, Any],
) -> tuple[Settings, Built | None]:
    """Check the settings and build their provider, before any lock is taken: threads tracing
    meanwhile wait only for the swap, and a bad value leaves the current set-up as it is."""
    if otlp is not None:
        settings.setdefault("otlp_endpoint", otlp.endpoint)
        settings.setdefault("otlp_headers", otlp.headers)
        if otlp.resource_attributes:
            settings.setdefault("otlp_resource_attributes", otlp.resource_attributes)
        if otlp.peer is not None:
            settings.setdefault("otlp_peer", otlp.peer)
        if otlp.protocol != "http/protobuf":
            settings.setdefault("otlp_protocol", otlp.protocol)
        if settings.get("exporters") is not None and "otlp" not in settings["exporters"]:
            settings["exporters"] = [*settings["exporters"], "otlp"]
    resolved = load_settings(**settings)
    redact = resolve_redact_hook(resolved.redact)
    if resolved.sample_ratio is None:
        _check_sampler_env()
    built = _build(resolved, redact, span_exporters, batch) if resolved.is_enabled() else None
    return resolved, built


def _switch_to(resolved: Settings, built: Built | None) -> None:
    """Make ``built`` (or, disabled, nothing) the active set-up (under ``RUNTIME.lock``)."""
    if built is None:
        RUNTIME.tracer = trace.NoOpTracer()
        ACTIVE.settings = resolved
    else:
        _activate(resolved, *built)


def _activate(resolved: Settings, provider: TracerProvider, pipeline: ExportPipeline) -> None:
    """Make ``provider`` the one the decorators use (under ``RUNTIME.lock``)."""
    ACTIVE.settings, ACTIVE.provider, ACTIVE.pipeline = resolved, provider, pipeline
    RUNTIME.capture = CaptureSettings(
        inputs=resolved.capture_inputs,
        outputs=resolved.capture_outputs,
        max_attribute_bytes=resolved.max_attribute_bytes,
        messages=resolved.capture_messages,
    )
    RUNTIME.tracer = provider.get_tracer(_SCOPE)
    _install_global_proxy()
    if not ACTIVE.atexit_registered:
        atexit.register(shutdown)
        ACTIVE.atexit_registered = True


def _build(
    resolved: Settings,
    redact: RedactHook | None,
    span_exporters: Sequence[SpanExporter],
    batch: bool,
) -> tuple[TracerProvider, ExportPipeline]:
    """The provider and pipeline for ``resolved``: exporters made, nothing activated yet."""
    provider = TracerProvider(
        resource=_resource(resolved),
        sampler=_sampler(resolved),
        shutdown_on_exit=False,  # llmops' own exit handler shuts down, within a time limit
    )
    processors: list[SpanProcessor] = []
    labels: list[str] = []
    hooks = [scrub_secrets] if redact is None else [scrub_secrets, redact]
    for label, exporter in _exporters(resolved, span_exporters):
        labels.append(label)
        counted = RedactingExporter(CountingExporter(exporter, label), hooks)
        if batch:
            processors.append(
                CountingBatchProcessor(
                    counted,
                    label,
                    max_queue_size=resolved.queue_size,
                    max_export_batch_size=min(resolved.batch_size, resolved.queue_size),
                    schedule_delay_millis=resolved.schedule_delay_ms,
                )
            )
        else:
            processors.append(SimpleSpanProcessor(counted))
    tail = None
    if resolved.tail_sample_ratio < 1.0:
        tail = TailSampler(
            TailPolicy(
                ratio=resolved.tail_sample_ratio,
                keep_errors=resolved.tail_keep_errors,
                slow_ms=resolved.tail_slow_ms,
                costly_usd=resolved.tail_costly_usd,
                max_traces=resolved.tail_max_traces,
            )
        )
    pipeline = ExportPipeline(processors, tail=tail, labels=labels)
    provider.add_span_processor(pipeline)
    return provider, pipeline


def _install_global_proxy() -> None:
    if ACTIVE.global_proxy_set:
        return
    ACTIVE.global_proxy_set = True
    current = trace.get_tracer_provider()
    if isinstance(current, trace.ProxyTracerProvider):
        trace.set_tracer_provider(_DelegatingTracerProvider())
    else:
        logger.info("llmops: a global TracerProvider is already set; llmops keeps its own")


# How long shutdown() and a replacing configure() wait for the old exporters: a backend that
# never answers must not hold the application (or its exit) for its retries' full length.
SHUTDOWN_TIMEOUT_S = 10.0


def _detach_active() -> ExportPipeline | None:
    """Take the active set-up out of service (under ``RUNTIME.lock``); its pipeline to retire."""
    pipeline = ACTIVE.pipeline
    ACTIVE.provider = ACTIVE.pipeline = ACTIVE.settings = None
    RUNTIME.tracer = None
    return pipeline


def _retire(
    pipeline: ExportPipeline | None,
    successor: ExportPipeline | None,
    timeout_s: float | None = None,
) -> None:
    """Flush and shut down a detached pipeline, outside ``RUNTIME.lock``: other threads trace on."""
    if pipeline is not None:
        with handle_internal_errors("shutdown"):
            pipeline.retire(successor, SHUTDOWN_TIMEOUT_S if timeout_s is None else timeout_s)


@dataclass(frozen=True)
class SavedSetup:
    """A set-up put aside by :func:`suspend`, whole: its exporters keep their spans."""

    settings: Settings | None
    provider: TracerProvider | None
    pipeline: ExportPipeline | None
    tracer: trace.Tracer | None
    capture: CaptureSettings


def push(
    *, span_exporters: Sequence[SpanExporter] = (), batch: bool = True, **settings: Any
) -> SavedSetup:
    """Configure a temporary set-up (tests), putting the active one aside, not shut down.

    The swap is one step under the lock: no traced call in between sets up the defaults.
    """
    resolved, built = _prepare(None, span_exporters, batch, settings)
    with RUNTIME.lock:
        saved = SavedSetup(
            ACTIVE.settings, ACTIVE.provider, ACTIVE.pipeline, RUNTIME.tracer, RUNTIME.capture
        )
        _detach_active()
        _switch_to(resolved, built)
    return saved


def resume(saved: SavedSetup) -> None:
    """Shut the temporary set-up down and bring ``saved`` back, as it was.

    Spans of the temporary set-up that end later are dropped and counted (``after_shutdown``),
    not sent to the exporters of the one brought back.
    """
    with RUNTIME.lock:
        temporary = _detach_active()
        ACTIVE.settings, ACTIVE.provider, ACTIVE.pipeline = (
            saved.settings,
            saved.provider,
            saved.pipeline,
        )
        RUNTIME.tracer, RUNTIME.capture = saved.tracer, saved.capture
    _retire(temporary, None)


def flush(timeout_millis: int = 30_000, *, exporters: Sequence[str] | None = None) -> bool:
    """Export every finished span now, waiting at most ``timeout_millis``.

    Args:
        timeout_millis: The longest wait; an exporter still busy then goes on in the background.
        exporters: Only these exporters (``duckdb``, ``otlp``, ...); default all.

    Returns:
        Whether every exporter finished within the time.
    """
    from llmops.tracing._decorators import end_abandoned_streams

    pipeline = ACTIVE.pipeline
    if pipeline is None:
        return True
    ok = False
    with handle_internal_errors("flush"):
        end_abandoned_streams()
        ok = pipeline.force_flush(timeout_millis, only=exporters)
    return ok


def shutdown(timeout_s: float | None = None) -> None:
    """Flush and stop exporting, within ``timeout_s`` (default ``SHUTDOWN_TIMEOUT_S``, 10 s).

    A later traced call configures llmops again.

    Spans an exporter has not taken by then are dropped and counted (``shutdown_timeout:*``).
    """
    with RUNTIME.lock:
        previous = _detach_active()
    _retire(previous, None, timeout_s)


def stats() -> dict[str, Any]:
    """Counters of the tracer itself.

    Returns:
        ``spans_started``, ``spans_ended``, ``spans_exported`` (per exporter), ``spans_dropped``
        (per reason, e.g. ``queue_full:otlp``, ``export_failed:duckdb``, ``tail_sampled_out``),
        ``queue_depth``, ``internal_errors``, ``capture_fallbacks``, ``invalid_usage`` (token
        counts that were not whole numbers, not recorded), ``compaction_errors`` (the
        store's, each leaving its batch files readable as they are), ``store_files_damaged``
        (files the store cannot read, left out of reads), ``store_files_quarantined`` (those
        moved to ``quarantine/``) and ``overhead`` (the
        decorators' own measured time per call).
    """
    snapshot = STATS.snapshot()
    pipeline = ACTIVE.pipeline
    snapshot["queue_depth"] = pipeline.queue_depth() if pipeline is not None else 0
    return snapshot


def worker_settings() -> dict[str, Any] | None:
    """The settings in effect, for a worker process that did not inherit them (spawned).

    Only what pickles as data: a redaction hook given as a callable stays behind (a
    ``module:function`` path travels). None when ``configure()`` has not run.
    """
    settings = ACTIVE.settings
    if settings is None:
        return None
    values = settings.model_dump(exclude_defaults=True)
    if callable(values.get("redact")):
        del values["redact"]
    return values


def configure_worker(settings: dict[str, Any] | None) -> None:
    """In a worker process: take the submitter's settings, unless llmops is configured here."""
    if settings is not None and ACTIVE.settings is None:
        with handle_internal_errors("worker.configure"):
            configure(**settings)


def active_settings() -> Settings:
    """The settings in effect (the environment's defaults when ``configure()`` was not called)."""
    return ACTIVE.settings or load_settings()
