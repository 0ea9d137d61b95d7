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


def test_otlp_settings_in_the_opentelemetry_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMOPS_OTLP_HEADERS", "Authorization=Basic%20abc, x-team = ml")
    settings = llmops.configure(exporters=["none"])
    assert settings.otlp_headers == {"Authorization": "Basic abc", "x-team": "ml"}
    monkeypatch.setenv("LLMOPS_OTLP_HEADERS", '{"x-mlflow-experiment-id": "3"}')
    assert llmops.configure(exporters=["none"]).otlp_headers == {"x-mlflow-experiment-id": "3"}
    monkeypatch.setenv("LLMOPS_OTLP_HEADERS", "Authorization: Bearer sk-live-SECRET123")
    with pytest.raises(llmops.ConfigError, match=r"otlp_headers.*LLMOPS_OTLP_HEADERS") as error:
        llmops.configure()
    assert "SECRET123" not in str(error.value)  # a header value is often a credential
    monkeypatch.delenv("LLMOPS_OTLP_HEADERS")
    with pytest.raises(llmops.ConfigError, match=r"otlp_endpoint.*http"):
        llmops.configure(otlp_endpoint="localhost:4318")


def test_a_bad_opentelemetry_sampler_is_an_error_and_keeps_the_set_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @llmops.trace(name="kept")
    def kept() -> None:
        return None

    with capture_spans() as spans:
        monkeypatch.setenv("OTEL_TRACES_SAMPLER", "bogus")
        with pytest.raises(llmops.ConfigError, match="OTEL_TRACES_SAMPLER"):
            llmops.configure()
        monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
        monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "abc")
        with pytest.raises(llmops.ConfigError, match="OTEL_TRACES_SAMPLER_ARG"):
            llmops.configure()
        kept()  # the set-up in place before the bad calls still records
    assert spans.names() == ["kept"]
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.5")
    llmops.configure(exporters=["none"])


def test_service_name_from_resource_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmops._configure import ACTIVE

    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=billing,deployment.env=prod")
    llmops.configure(exporters=["none"])
    assert ACTIVE.provider is not None
    attributes = ACTIVE.provider.resource.attributes
    assert attributes["service.name"] == "billing"
    assert attributes["deployment.env"] == "prod"
    llmops.configure(exporters=["none"], service_name="support-bot")
    assert ACTIVE.provider.resource.attributes["service.name"] == "support-bot"
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES")
    llmops.configure(exporters=["none"])
    assert ACTIVE.provider.resource.attributes["service.name"] == "llmops-app"


def test_backend_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmops.tracing import backends

    for name in ("PUBLIC_KEY", "SECRET_KEY", "HOST", "BASE_URL"):
        monkeypatch.delenv(f"LANGFUSE_{name}", raising=False)
    with pytest.raises(llmops.ConfigError, match="LANGFUSE_PUBLIC_KEY"):
        backends.langfuse()
    monkeypatch.setenv("LANGFUSE_BASE_URL", "https://eu.example.com/")
    target = backends.langfuse("pk-1", "sk-1")
    assert target.endpoint == "https://eu.example.com/api/public/otel/v1/traces"
    assert backends.collector("http://c:4318/v1/traces").endpoint == "http://c:4318/v1/traces"
    assert backends.collector("http://c:4318/").endpoint == "http://c:4318/v1/traces"
    for name in ("TOKEN", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"MLFLOW_TRACKING_{name}", raising=False)
    assert "Authorization" not in backends.mlflow("http://m:5000").headers
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ana")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pw")
    assert backends.mlflow("http://m:5000").headers["Authorization"] == "Basic YW5hOnB3"
    secured = backends.mlflow("http://m:5000", experiment_id="4", token="t-1")
    assert secured.headers == {"x-mlflow-experiment-id": "4", "Authorization": "Bearer t-1"}
    monkeypatch.setenv("PHOENIX_CLIENT_HEADERS", "api_key=k%3D1, x-team=ml")
    monkeypatch.delenv("PHOENIX_API_KEY", raising=False)
    assert backends.phoenix().headers == {"api_key": "k=1", "x-team": "ml"}
    monkeypatch.setenv("PHOENIX_CLIENT_HEADERS", "broken")
    with pytest.raises(llmops.ConfigError, match="PHOENIX_CLIENT_HEADERS"):
        backends.phoenix()


def test_a_relative_home_stays_where_configure_found_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "app")
    monkeypatch.setenv("LLMOPS_HOME", ".llmops")
    settings = llmops.configure()
    assert settings.store_dir() == tmp_path / "app" / ".llmops" / "store"

    @llmops.trace(name="after-chdir")
    def traced() -> None:
        return None

    monkeypatch.chdir(tmp_path / "elsewhere")
    traced()
    rows = llmops.query("SELECT name FROM spans")
    assert rows == [{"name": "after-chdir"}]
    assert not (tmp_path / "elsewhere" / ".llmops").exists()


def test_capture_spans_puts_the_users_set_up_back() -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    @llmops.trace(name="f")
    def f() -> int:
        return 1

    mine = InMemorySpanExporter()
    llmops.configure(exporters=["none"], span_exporters=[mine], batch=False)
    with llmops.span("open across the block"), capture_spans() as spans:
        f()
    f()
    assert spans.names() == ["f"]
    assert sorted(s.name for s in mine.get_finished_spans()) == ["f", "open across the block"]

    llmops.configure(enabled=False)
    with capture_spans() as spans:
        f()
    assert spans.names() == ["f"]
    f()
    assert llmops.stats()["spans_started"] == 4  # nothing after the disabled set-up came back


def test_a_misspelled_environment_variable_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LLMOPS_SAMPLE_RATION", "0.5")
    monkeypatch.setenv("LLMOPS_SECRET_SCAN", "python")  # read by the credential scrub
    with caplog.at_level("WARNING", logger="llmops"):
        llmops.configure(exporters=["none"])
        llmops.configure(exporters=["none"])
    messages = [r.getMessage() for r in caplog.records if "not an llmops setting" in r.getMessage()]
    assert messages == [
        "llmops: LLMOPS_SAMPLE_RATION is not an llmops setting and is ignored; "
        "did you mean LLMOPS_SAMPLE_RATIO?"
    ]


def test_the_otlp_protocol_comes_from_the_setting_then_opentelemetrys_variables(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
        OTLPSpanExporter as GrpcSpanExporter,
    )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from llmops.tracing import backends
    from llmops.tracing._exporters import otlp_exporter, otlp_protocol

    for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    assert otlp_protocol(None) == "http/protobuf"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    assert otlp_protocol(None) == "grpc"
    assert otlp_protocol("http/protobuf") == "http/protobuf"  # the setting wins
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")
    with caplog.at_level("WARNING", logger="llmops"):
        assert otlp_protocol(None) == "http/protobuf"  # the traces variable wins; no JSON sender
    assert "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json" in caplog.text
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift")
    with pytest.raises(llmops.ConfigError, match=r"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL.*'thrift'"):
        otlp_protocol(None)
    with pytest.raises(llmops.ConfigError, match="otlp_protocol"):
        llmops.configure(otlp_protocol="udp")

    target = backends.collector(grpc=True)
    assert (target.endpoint, target.protocol) == ("http://127.0.0.1:4317", "grpc")
    assert backends.collector().endpoint == "http://127.0.0.1:4318/v1/traces"
    grpc = otlp_exporter(target.endpoint, {"Authorization": "Bearer t"}, 5.0, protocol="grpc")
    assert isinstance(grpc, GrpcSpanExporter)
    assert dict(grpc._headers) == {"authorization": "Bearer t"}  # gRPC metadata is lower-case
    grpc.shutdown()
    http = otlp_exporter("http://c:4318", {}, 5.0, protocol="http/protobuf")
    assert isinstance(http, OTLPSpanExporter)
    http.shutdown()
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
    settings = llmops.configure(otlp=target, exporters=["otlp"])
    assert settings.otlp_protocol == "grpc"
    llmops.configure(exporters=["none"])
