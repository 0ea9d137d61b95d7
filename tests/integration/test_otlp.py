"""OTLP/HTTP export to a real receiver, and a dead backend that must not hurt the app."""

from __future__ import annotations

import gc
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import llmops
from llmops import _configure as llmops_configure
from llmops.tracing import backends


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, str], ExportTraceServiceRequest]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, request))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, dict[str, str], ExportTraceServiceRequest]]]]:
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Receiver.received
    server.shutdown()
    server.server_close()


@llmops.llm(model="gemma-3-270m", provider="llama.cpp")
def complete(prompt: str) -> dict[str, object]:
    return {"usage": {"prompt_tokens": 4, "completion_tokens": 2}}


def _attributes(request: ExportTraceServiceRequest) -> list[dict[str, object]]:
    out = []
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                values = {a.key: a.value for a in span.attributes}
                out.append({"name": span.name, **values})
    return out


def test_spans_reach_an_otlp_backend_and_the_store(receiver) -> None:  # type: ignore[no-untyped-def]
    base, received = receiver
    llmops.configure(otlp=backends.mlflow(base, experiment_id="7"))
    complete("hi")
    assert llmops.flush()
    path, headers, request = received[0]
    assert path == "/v1/traces"
    assert headers["x-mlflow-experiment-id"] == "7"
    spans = _attributes(request)
    assert spans[0]["name"] == "chat gemma-3-270m"
    assert spans[0]["gen_ai.usage.input_tokens"].int_value == 4  # type: ignore[attr-defined]
    assert llmops.query("SELECT count(*) AS n FROM spans") == [{"n": 1}]
    assert llmops.stats()["spans_exported"] == {"duckdb": 1, "otlp": 1}


def _resource(request: ExportTraceServiceRequest) -> dict[str, str]:
    return {a.key: a.value.string_value for a in request.resource_spans[0].resource.attributes}


def test_phoenix_project_rides_on_the_resource_and_a_header(  # type: ignore[no-untyped-def]
    receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Phoenix files spans by the resource attribute ``openinference.project.name`` (its
    ``x-project-name`` header, in versions that read one, wins): both go, to Phoenix only."""
    base, received = receiver
    llmops.configure(otlp=backends.phoenix(base, project="support-bot"), service_name="bot-svc")
    complete("hi")
    assert llmops.flush()
    path, headers, request = received[0]
    assert path == "/v1/traces"
    assert headers["x-project-name"] == "support-bot"
    resource = _resource(request)
    assert resource["openinference.project.name"] == "support-bot"
    assert resource["service.name"] == "bot-svc"  # the app's own resource is kept
    stored = llmops.query("SELECT resource FROM spans")[0]["resource"]
    assert "openinference.project.name" not in stored  # the store keeps the app's resource

    monkeypatch.setenv("PHOENIX_PROJECT_NAME", "from-env")
    llmops.configure(otlp=backends.phoenix(base), exporters=["none"])
    complete("hi")
    assert llmops.flush()
    assert _resource(received[-1][2])["openinference.project.name"] == "from-env"


def test_mlflow_target_names_cost_and_messages_as_mlflow_reads_them(  # type: ignore[no-untyped-def]
    receiver,
) -> None:
    base, received = receiver
    llmops.configure(otlp=backends.mlflow(base), exporters=["none"])
    ask([{"role": "user", "content": "Capital of France?"}], system="Be brief.")
    assert llmops.flush()
    (span,) = _attributes(received[0][2])
    cost = json.loads(span["mlflow.llm.cost"].string_value)  # type: ignore[attr-defined]
    assert cost == {"input_cost": 0.003, "output_cost": 0.0012, "total_cost": 0.0042}
    inputs = json.loads(span["mlflow.spanInputs"].string_value)  # type: ignore[attr-defined]
    assert inputs == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Capital of France?"}]},
    ]  # the system prompt given apart comes first
    outputs = json.loads(span["mlflow.spanOutputs"].string_value)  # type: ignore[attr-defined]
    assert outputs[0]["parts"][0]["content"] == "Paris."


@llmops.llm(model="gemma-3-270m", provider="llama.cpp")
def ask(messages: list[dict[str, str]], system: str) -> dict[str, object]:
    llmops.current_span().set_cost(0.0042, source="config:per_token", input_usd=0.003,
                                   output_usd=0.0012)  # fmt: skip
    answer = {"role": "assistant", "content": "Paris."}
    return {
        "id": "resp-1",
        "model": "gemma-3-270m",
        "usage": {"prompt_tokens": 30, "completion_tokens": 6},
        "choices": [{"finish_reason": "stop", "message": answer}],
    }


@llmops.agent(name="geo-bot")
def geo_agent(question: str) -> dict[str, object]:
    return ask([{"role": "user", "content": question}], system="Be brief.")


@pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"
)
def test_a_real_mlflow_server_shows_tokens_cost_and_messages(mlflow_server: str) -> None:
    """Read back through MLflow's own client: the trace's token usage and cost, the chat
    span's kind, usage, cost and messages."""
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_server)
    experiment = client.create_experiment(f"otlp-{time.time_ns()}")
    llmops.configure(otlp=backends.mlflow(mlflow_server, experiment_id=experiment))
    with llmops.session("mlflow-session"):
        geo_agent("Capital of France?")
    assert llmops.flush()
    assert llmops.stats()["spans_exported"]["otlp"] == 2
    traces = client.search_traces(locations=[experiment])
    assert len(traces) == 1
    info, spans = traces[0].info, traces[0].data.spans
    assert info.token_usage == {"input_tokens": 30, "output_tokens": 6, "total_tokens": 36}
    assert info.cost == pytest.approx(
        {"input_cost": 0.003, "output_cost": 0.0012, "total_cost": 0.0042}
    )
    chat = next(s for s in spans if s.name == "chat gemma-3-270m")
    assert chat.span_type == "CHAT_MODEL"
    assert chat.attributes["mlflow.llm.cost"]["total_cost"] == pytest.approx(0.0042)
    assert chat.attributes["mlflow.chat.tokenUsage"]["input_tokens"] == 30
    assert [m["role"] for m in chat.inputs] == ["system", "user"]
    assert chat.outputs[0]["parts"][0]["content"] == "Paris."
    assert next(s for s in spans if s.parent_id is None).span_type == "AGENT"
    assert info.trace_metadata.get("mlflow.trace.session") == "mlflow-session"


def test_langfuse_target_sends_basic_auth(receiver) -> None:  # type: ignore[no-untyped-def]
    base, received = receiver
    llmops.configure(otlp=backends.langfuse("pk-lf-1", "sk-lf-2", host=base), exporters=["none"])
    complete("hi")
    llmops.flush()
    path, headers, _ = received[0]
    assert path == "/api/public/otel/v1/traces"
    assert headers["authorization"] == "Basic cGstbGYtMTpzay1sZi0y"
    assert "sk-lf-2" not in repr(backends.langfuse("pk", "sk-lf-2", host=base))


def test_dead_backend_never_blocks_or_breaks_the_app() -> None:
    llmops.configure(otlp_endpoint="http://127.0.0.1:9", otlp_timeout_s=0.5, schedule_delay_ms=50)
    started = time.perf_counter()
    for _ in range(50):
        complete("hi")
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0  # export happens off the application's thread
    llmops.flush()
    stats = llmops.stats()
    assert stats["spans_dropped"]["export_failed:otlp"] == 50
    assert stats["spans_exported"]["duckdb"] == 50


@pytest.fixture
def silent_backend() -> Iterator[str]:
    """A backend that accepts connections and never answers (the worst kind of dead)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # never accepted: connections wait in the backlog, requests go unanswered
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def _slow_otlp(endpoint: str) -> None:
    llmops.configure(otlp_endpoint=endpoint, otlp_timeout_s=30, schedule_delay_ms=10, batch_size=64)


def test_a_silent_backend_never_holds_flush_query_configure_or_shutdown(
    silent_backend: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setattr(llmops_configure, "SHUTDOWN_TIMEOUT_S", 3.0)
    # The bounds below are about waiting for exporters, not the collector: in the whole suite's
    # process (torch, spaCy, litellm and the instrumentations loaded) one full collection paused
    # every thread for ~2.6 s. Frozen objects are not scanned again.
    gc.collect()
    gc.freeze()
    request.addfinalizer(gc.unfreeze)
    _slow_otlp(silent_backend)
    for _ in range(300):
        complete("hi")
    started = time.perf_counter()
    assert llmops.flush(timeout_millis=500) is False  # the OTLP exporter is still waiting
    assert time.perf_counter() - started < 2.0
    for _ in range(20):  # a flush per request, against a backend still not answering
        assert llmops.flush(timeout_millis=20) is False
    flushing = [t for t in threading.enumerate() if t.name == "llmops-flush"]
    assert len(flushing) <= 2  # they wait for the flush in flight; they do not pile up
    started = time.perf_counter()
    assert llmops.query("SELECT count(*) AS n FROM spans")[0]["n"] == 300  # the store flushed
    assert time.perf_counter() - started < 2.0

    # Another configure() while a thread traces: that thread never waits for the old exporters.
    stop = threading.Event()
    slowest: list[float] = []

    def trace_on() -> None:
        while not stop.is_set():
            begun = time.perf_counter()
            complete("from a thread")
            slowest.append(time.perf_counter() - begun)

    worker = threading.Thread(target=trace_on)
    worker.start()
    time.sleep(0.05)
    started = time.perf_counter()
    _slow_otlp(silent_backend)
    reconfigure_s = time.perf_counter() - started
    stop.set()
    worker.join()
    # Waiting for the old exporters would take 3 s (SHUTDOWN_TIMEOUT_S); a loaded machine's
    # garbage collection or scheduling can pause a thread for a fraction of that.
    assert max(slowest) < 1.5
    assert reconfigure_s < 5.0

    for _ in range(300):
        complete("hi")
    started = time.perf_counter()
    llmops.shutdown(timeout_s=1.0)
    assert time.perf_counter() - started < 4.0
    dropped = llmops.stats()["spans_dropped"]
    assert dropped.get("shutdown_timeout:otlp", 0) > 0  # counted, not silently lost


def test_a_span_open_across_configure_reaches_the_new_exporters() -> None:
    first, second = InMemorySpanExporter(), InMemorySpanExporter()
    llmops.configure(exporters=["none"], span_exporters=[first], batch=False)
    with llmops.span("outer"):
        llmops.configure(exporters=["none"], span_exporters=[second], batch=False)
        with llmops.span("inner"):
            pass
    assert [s.name for s in first.get_finished_spans()] == []
    assert sorted(s.name for s in second.get_finished_spans()) == ["inner", "outer"]
    assert "after_shutdown" not in llmops.stats()["spans_dropped"]
