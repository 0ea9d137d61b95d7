"""What one OTLP peer reads beyond the GenAI conventions: Phoenix's project, MLflow's names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import llmops
from llmops._exporters import make_exporter
from llmops._settings import load_settings
from llmops.tracing import backends
from llmops.tracing._peers import PeerExporter, mlflow_attributes


def test_backends_name_their_peer_and_phoenix_its_project(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert backends.mlflow("http://m:5000").peer == "mlflow"
    assert backends.langfuse("pk", "sk", host="http://l").peer == "langfuse"
    assert backends.collector().peer is None
    plain = backends.phoenix()
    assert (plain.peer, plain.resource_attributes) == ("phoenix", {})
    assert "x-project-name" not in plain.headers
    target = backends.phoenix("http://p:6006", project="support-bot")
    assert target.resource_attributes == {"openinference.project.name": "support-bot"}
    assert target.headers["x-project-name"] == "support-bot"
    monkeypatch.setenv("PHOENIX_PROJECT_NAME", "from-env")
    assert backends.phoenix().resource_attributes["openinference.project.name"] == "from-env"
    accented = backends.phoenix(project="équipe")
    assert accented.resource_attributes["openinference.project.name"] == "équipe"
    assert "x-project-name" not in accented.headers  # not a valid header value; the resource is


def test_otlp_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMOPS_OTLP_RESOURCE_ATTRIBUTES", "openinference.project.name=ops,team=ml")
    monkeypatch.setenv("LLMOPS_OTLP_PEER", "mlflow")
    settings = load_settings()
    assert settings.otlp_resource_attributes == {"openinference.project.name": "ops", "team": "ml"}
    assert settings.otlp_peer == "mlflow"
    exporter = make_exporter("otlp", settings)
    assert isinstance(exporter, PeerExporter)
    monkeypatch.setenv("LLMOPS_OTLP_PEER", "zipkin")
    with pytest.raises(llmops.ConfigError, match="unknown peer 'zipkin'"):
        load_settings()


def test_a_plain_otlp_target_is_the_stock_exporter() -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exporter = make_exporter("otlp", load_settings(otlp_endpoint="http://127.0.0.1:4318"))
    assert type(exporter) is OTLPSpanExporter
    exporter.shutdown()


def test_mlflow_names_need_both_shares_for_a_split_cost_and_skip_cut_messages() -> None:
    assert mlflow_attributes({"llmops.cost.usd": 0.5}) == {"mlflow.llm.cost": '{"total_cost":0.5}'}
    split = mlflow_attributes(
        {"llmops.cost.usd": 0.5, "llmops.cost.input_usd": 0.2, "llmops.cost.output_usd": 0.3}
    )
    assert json.loads(split["mlflow.llm.cost"]) == {
        "input_cost": 0.2,
        "output_cost": 0.3,
        "total_cost": 0.5,
    }
    assert mlflow_attributes({"llmops.cost.usd": True}) == {}
    assert mlflow_attributes({"llmops.cost.usd": 1.0, "mlflow.llm.cost": "{}"}) == {}
    cut = '[{"role": "user", "parts": [{"type": "text", "content": "hi…[truncated 9 bytes]'
    assert mlflow_attributes({"gen_ai.input.messages": cut}) == {}
    assert mlflow_attributes({"gen_ai.output.messages": "[]"}) == {}


def test_peer_exporter_adds_to_what_it_sends_only() -> None:
    sent, stored = InMemorySpanExporter(), InMemorySpanExporter()
    peer = PeerExporter(sent, {"openinference.project.name": "ops"}, "mlflow")
    llmops.configure(exporters=["none"], span_exporters=[peer, stored], batch=False)

    @llmops.llm(model="m")
    def ask(messages: list[dict[str, Any]]) -> str:
        llmops.current_span().set_cost(0.25)
        return "ok"

    ask([{"role": "user", "content": "hi"}])
    ask([{"role": "user", "content": "again"}])
    first, second = sent.get_finished_spans()
    assert first.resource.attributes["openinference.project.name"] == "ops"
    assert first.resource is second.resource  # merged once, not once a span
    assert first.attributes is not None
    assert json.loads(str(first.attributes["mlflow.llm.cost"])) == {"total_cost": 0.25}
    assert "mlflow.spanInputs" in first.attributes
    kept = stored.get_finished_spans()[0]
    assert "openinference.project.name" not in kept.resource.attributes
    assert "mlflow.llm.cost" not in (kept.attributes or {})
    llmops.shutdown()
