"""Exporters by name: what ``exporters=[...]`` (``LLMOPS_EXPORTERS``) may list.

Built in: ``duckdb`` (the embedded store), ``otlp`` (OTLP/HTTP to any backend, see
``otlp_endpoint``) and ``console`` (one JSON document per span on stdout); ``none`` lists no
exporter. Another exporter (ClickHouse, Kafka...) is a plug-in: a function that takes the
:class:`~llmops.Settings` and returns an OpenTelemetry ``SpanExporter``, named in the
``llmops.exporters`` entry-point group of its distribution::

    [project.entry-points."llmops.exporters"]
    clickhouse = "llmops_clickhouse:exporter"

after which ``llmops.configure(exporters=["duckdb", "clickhouse"])`` uses it. Code can also
call :func:`register_exporter`, which may also replace a built-in. Entry points are read only
for a name that is neither registered nor built in (so the default set-up never scans the
installed distributions), and cannot replace a built-in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from llmops._errors import ConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from llmops._settings import Settings

ExporterFactory = Callable[["Settings"], "SpanExporter"]

ENTRY_POINT_GROUP = "llmops.exporters"
NO_EXPORTER = "none"

_registered: dict[str, ExporterFactory] = {}
_lock = threading.Lock()


def _duckdb(settings: Settings) -> SpanExporter:
    from llmops._spansink import DuckDBSpanExporter

    return DuckDBSpanExporter(settings.store_dir(), compact_threshold=settings.compact_threshold)


def _otlp(settings: Settings) -> SpanExporter:
    from llmops.tracing._exporters import otlp_exporter

    return otlp_exporter(
        settings.otlp_endpoint,
        settings.otlp_headers,
        settings.otlp_timeout_s,
        resource_attributes=settings.otlp_resource_attributes,
        peer=settings.otlp_peer,
        protocol=settings.otlp_protocol,
    )


def _console(settings: Settings) -> SpanExporter:
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    return ConsoleSpanExporter()


BUILTIN_EXPORTERS: dict[str, ExporterFactory] = {
    "console": _console,
    "duckdb": _duckdb,
    "otlp": _otlp,
}


def register_exporter(name: str, factory: ExporterFactory) -> None:
    """Make ``name`` an exporter: ``factory(settings)`` returns its ``SpanExporter``.

    Example:
        >>> register_exporter("memory", lambda settings: InMemorySpanExporter())
        >>> llmops.configure(exporters=["memory"])
    """
    if not name or name == NO_EXPORTER:
        raise ConfigError(f"{name!r} cannot name an exporter")
    with _lock:
        _registered[name] = factory


def unregister_exporter(name: str) -> None:
    """Forget an exporter registered in code (tests)."""
    with _lock:
        _registered.pop(name, None)


def _entry_point(name: str) -> ExporterFactory | None:
    from importlib.metadata import entry_points

    found = entry_points(group=ENTRY_POINT_GROUP, name=name)
    entry = next(iter(found), None)
    if entry is None:
        return None
    try:
        factory = entry.load()
    except Exception as exc:
        raise ConfigError(
            f"exporter {name!r}: cannot load {entry.value!r} (entry point group "
            f"{ENTRY_POINT_GROUP}): {type(exc).__name__}: {exc}"
        ) from exc
    if not callable(factory):
        raise ConfigError(f"exporter {name!r}: {entry.value!r} is not callable")
    return factory


def known_exporters() -> list[str]:
    """Every exporter name: built in, registered, and from installed entry points."""
    from importlib.metadata import entry_points

    with _lock:
        names = set(BUILTIN_EXPORTERS) | set(_registered)
    names.update(entry.name for entry in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def exporter_factory(name: str) -> ExporterFactory:
    """The factory of exporter ``name``.

    Raises:
        ConfigError: No exporter has that name (the message lists the known ones), or its
            entry point cannot be loaded.
    """
    with _lock:
        factory = _registered.get(name)
    if factory is None:
        factory = BUILTIN_EXPORTERS.get(name) or _entry_point(name)
    if factory is None:
        known = ", ".join([*known_exporters(), NO_EXPORTER])
        raise ConfigError(f"unknown exporter {name!r}; known exporters: {known}")
    return factory


def is_known(name: str) -> bool:
    """Whether ``name`` names an exporter (or ``none``), without loading it."""
    if name == NO_EXPORTER or name in BUILTIN_EXPORTERS:
        return True
    with _lock:
        if name in _registered:
            return True
    return name in known_exporters()


def make_exporter(name: str, settings: Settings) -> SpanExporter:
    """A new exporter ``name`` for ``settings``."""
    return exporter_factory(name)(settings)
