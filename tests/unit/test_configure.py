"""configure(): settings from arguments and environment, clear errors, safe reconfiguration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import llmops
from llmops.testing import capture_spans
from llmops.tracing import semconv


def test_bad_setting_values_name_the_field() -> None:
    with pytest.raises(llmops.ConfigError, match="sample_ratio"):
        llmops.configure(sample_ratio=2)
    with pytest.raises(llmops.ConfigError, match="exporters"):
        llmops.configure(exporters=["kafka"])
    with pytest.raises(llmops.ConfigError, match="no_such_setting"):
        llmops.configure(no_such_setting=1)
    with pytest.raises(llmops.ConfigError, match="redact"):
        llmops.configure(redact="not-an-import-path")


def test_bad_environment_values_name_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMOPS_MAX_ATTRIBUTE_BYTES", "tiny")
    with pytest.raises(llmops.ConfigError, match="max_attribute_bytes"):
        llmops.configure()


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LLMOPS_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("LLMOPS_SAMPLE_RATIO", "0.25")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "svc-from-otel")
    settings = llmops.configure()
    assert settings.sample_ratio == 0.25
    assert settings.store_dir() == tmp_path / "h" / "store"
    assert settings.resolved_service_name() == "svc-from-otel"
    assert settings.exporter_names() == ["duckdb"]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert llmops.configure().exporter_names() == ["duckdb", "otlp"]
    monkeypatch.setenv("LLMOPS_EXPORTERS", "otlp, console")
    assert llmops.configure().exporter_names() == ["otlp", "console"]
    monkeypatch.setenv("LLMOPS_EXPORTERS", '["none"]')
    assert llmops.configure().exporter_names() == []


def test_configure_twice_keeps_tracing_working() -> None:
    @llmops.trace(name="f")
    def f() -> int:
        return 1

    llmops.configure(exporters=["none"])
    assert f() == 1
    with capture_spans() as spans:
        assert f() == 1
    assert spans.names() == ["f"]


def test_disabled_tracing_is_a_noop() -> None:
    llmops.configure(enabled=False)

    @llmops.trace
    def g() -> str:
        return "ok"

    assert g() == "ok"
    assert llmops.stats()["spans_started"] == 0


def test_otel_environment_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    @llmops.trace(name="h")
    def h() -> None:
        pass

    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    with capture_spans() as spans:
        h()
    assert spans.spans == []
    monkeypatch.delenv("OTEL_TRACES_SAMPLER")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    llmops.configure()
    h()
    assert llmops.stats()["spans_started"] == 0


def redact_digits(key: str, value: Any) -> Any:
    if key == "drop.me":
        return None
    return value.replace("4111", "####") if isinstance(value, str) else value


def test_redaction_hook_screens_attributes_and_events() -> None:
    @llmops.trace(name="pay")
    def pay(card: str) -> str:
        llmops.current_span().set_attribute("drop.me", "x")
        llmops.current_span().add_event("charged", {"card": card})
        return card

    for hook in (redact_digits, "test_configure:redact_digits"):
        with capture_spans(redact=hook) as spans:
            pay("4111 1111")
        span = spans.by_name("pay")
        attrs = dict(span.attributes or {})
        assert "4111" not in str(attrs)
        assert "drop.me" not in attrs
        assert dict(span.events[0].attributes or {})["card"] == "#### 1111"


def test_failing_redaction_hook_drops_the_span_not_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(key: str, value: Any) -> Any:
        raise RuntimeError("hook bug")

    with capture_spans(redact=broken) as spans, llmops.span("s") as span:
        span.set_attribute(semconv.INPUT_VALUE, "secret")
    assert spans.spans == []
    assert llmops.stats()["spans_dropped"]["redaction_error"] == 1


def test_import_is_light() -> None:
    code = (
        "import sys, llmops\n"
        "heavy = [m for m in ('opentelemetry.sdk', 'duckdb', 'pydantic', 'litellm', 'typer') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
