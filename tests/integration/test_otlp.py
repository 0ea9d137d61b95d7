"""OTLP/HTTP export to a real receiver, and a dead backend that must not hurt the app."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

import llmops
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
