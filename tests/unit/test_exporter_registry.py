"""Exporters are found by name: built-ins, code, and plug-ins' ``llmops.exporters`` entry points."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import llmops
from llmops import _exporters

# The plug-in below hands its spans to this exporter (a module global: the entry point's
# factory lives in another module and finds it here).
PLUGIN_SPANS = InMemorySpanExporter()


def plugin_exporter(settings: llmops.Settings) -> InMemorySpanExporter:
    """The factory a plug-in names in its entry point: settings in, a SpanExporter out."""
    assert isinstance(settings, llmops.Settings)
    return PLUGIN_SPANS


@pytest.fixture
def plugin_distribution(installed_plugin: Callable[..., None]) -> str:
    """An installed distribution whose ``llmops.exporters`` entry point names a factory here."""
    installed_plugin(
        "llmops-fake-exporter",
        {
            "llmops.exporters": {
                "fake": f"{__name__}:plugin_exporter",
                "broken": "llmops_no_such_module:exporter",
            }
        },
    )
    PLUGIN_SPANS.clear()
    return "fake"


def test_an_unknown_exporter_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(llmops.ConfigError, match="exporters") as caught:
        llmops.configure(exporters=["duckdb", "kafka"])
    message = str(caught.value)
    assert "'kafka'" in message
    for known in ("console", "duckdb", "none", "otlp"):
        assert known in message


def test_the_environment_names_exporters_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMOPS_EXPORTERS", "duckdb,clickhouse")
    with pytest.raises(llmops.ConfigError, match=r"LLMOPS_EXPORTERS.*'clickhouse'"):
        llmops.configure()


def test_a_plugin_exporter_from_an_entry_point_gets_the_spans(plugin_distribution: str) -> None:
    settings = llmops.configure(exporters=[plugin_distribution], batch=False)
    assert settings.exporters == ["fake"]
    with llmops.span("work"):
        pass
    assert [span.name for span in PLUGIN_SPANS.get_finished_spans()] == ["work"]
    assert llmops.stats()["spans_exported"] == {"fake": 1}


def test_a_plugin_that_cannot_load_is_a_config_error(plugin_distribution: str) -> None:
    assert "broken" in _exporters.known_exporters()
    with pytest.raises(llmops.ConfigError, match="'broken': cannot load"):
        llmops.configure(exporters=["broken"])


def test_an_exporter_registered_in_code_is_used() -> None:
    memory = InMemorySpanExporter()
    _exporters.register_exporter("memory", lambda settings: memory)
    try:
        llmops.configure(exporters=["memory"], batch=False)
        with llmops.span("step"):
            pass
    finally:
        _exporters.unregister_exporter("memory")
    assert [span.name for span in memory.get_finished_spans()] == ["step"]


def test_none_cannot_be_registered() -> None:
    with pytest.raises(llmops.ConfigError):
        _exporters.register_exporter("none", lambda settings: InMemorySpanExporter())
