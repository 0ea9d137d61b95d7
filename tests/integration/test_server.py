"""``llmops server`` as a real process: stock OTel exporters (Python, Node) send, the store keeps.

Each test starts ``llmops server --port 0`` with its own ``LLMOPS_HOME`` and reads the spans
back from the store, in this process (``llmops.query``) or in a new one (``llmops sql``).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

import llmops

LLMOPS = Path(sys.executable).with_name("llmops")
HERE = Path(__file__).parent
START_TIMEOUT_S = 60.0
PROTOBUF = {"content-type": "application/x-protobuf"}
JSON = {"content-type": "application/json"}


@dataclass
class Server:
    """A running ``llmops server`` and its address."""

    process: subprocess.Popen[str]
    url: str
    stderr: IO[str]
    grpc: str = ""  # host:port of OTLP/gRPC, when started with --grpc-port

    @property
    def traces(self) -> str:
        return f"{self.url}/v1/traces"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        assert self.process.stdout is not None
        self.process.stdout.close()
        self.stderr.close()


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first line the process prints; the rest is read and dropped (a full pipe would
    block the server)."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:
        lines.put(stdout.readline())
        with contextlib.suppress(ValueError, OSError):  # closed by stop()
            for _ in stdout:
                pass

    threading.Thread(target=read, daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return ""


def start_server(*args: str, env: dict[str, str] | None = None) -> Server:
    """``llmops server --port 0 ARGS`` under this test's LLMOPS_HOME, once it listens."""
    stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by Server.stop()
    process = subprocess.Popen(
        [str(LLMOPS), "server", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={**os.environ, **(env or {})},
    )
    line = _first_line(process, START_TIMEOUT_S)
    match = re.search(r"llmops server at (http://\S+?)/ ", line)
    running = Server(process, match.group(1) if match else "", stderr)
    if match is None:
        stderr.seek(0)
        why = stderr.read()
        running.stop()
        pytest.fail(f"llmops server did not start: {line!r}\n{why}")
    running.url = running.url.replace("0.0.0.0", "127.0.0.1")
    grpc_match = re.search(r"OTLP/gRPC (\S+?),", line)
    running.grpc = grpc_match.group(1).replace("0.0.0.0", "127.0.0.1") if grpc_match else ""
    return running


@pytest.fixture
def server() -> Iterator[Server]:
    running = start_server("--no-ui")
    yield running
    running.stop()


def post(
    url: str, body: bytes, headers: dict[str, str], timeout: float = 30.0
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body``; the status, the headers and the body of the answer (errors included)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def stored(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    return llmops.query(sql, list(params), flush=False)


def stored_in_new_process(sql: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(LLMOPS), "sql", "--json", sql], capture_output=True, text=True, timeout=120, check=True
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def sdk_spans(count: int, input_chars: int = 40, service: str = "bench-app") -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("test")
    for i in range(count):
        with tracer.start_as_current_span(f"step-{i}") as span:
            span.set_attribute("input.value", "x" * input_chars)
    provider.shutdown()
    return list(memory.get_finished_spans())


def json_body(name: str = "json-span", span_id: str = "eee19b7ec3c1b174") -> bytes:
    span = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": span_id,
        "name": name,
        "kind": 3,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000500000000",
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-mini"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1000"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 100}},
        ],
        "status": {"code": 1},
    }
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "json-app"}}]}
    document = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [span]}]}]}
    return json.dumps(document).encode()


# --- the stock Python exporter, and each dialect --------------------------------------------------

DIALECT_SPANS: dict[str, dict[str, Any]] = {
    # The GenAI conventions before 1.37: gen_ai.system, prompt/completion token names.
    "genai-old": {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.prompt_tokens": 1000,
        "gen_ai.usage.completion_tokens": 100,
    },
    "openinference": {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o-mini",
        "llm.provider": "openai",
        "llm.system": "openai",
        "llm.token_count.prompt": 1000,
        "llm.token_count.completion": 100,
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "hello",
    },
    # OpenLLMetry before it moved to the GenAI names (traceloop-sdk < 0.50).
    "traceloop": {
        "traceloop.span.kind": "task",
        "llm.request.type": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "llm.usage.prompt_tokens": 1000,
        "llm.usage.completion_tokens": 100,
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "hello",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "hi",
    },
}


@pytest.mark.slow
def test_the_stock_python_exporter_lands_every_dialect_priced(server: Server) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "dialects"}))
    exporter = OTLPSpanExporter(endpoint=server.traces)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("third.party")
    with tracer.start_as_current_span("agent") as agent:
        agent.set_attribute("openinference.span.kind", "AGENT")
        agent.set_attribute("agent.name", "support")
        for name, attributes in DIALECT_SPANS.items():
            with tracer.start_as_current_span(name, kind=SpanKind.CLIENT) as span:
                span.set_attributes(attributes)
    provider.shutdown()
    rows = {
        row["name"]: row
        for row in stored(
            "SELECT name, service_name, span_type, operation, provider, model, input_tokens,"
            " output_tokens, cost_usd, agent_name, attributes FROM spans"
        )
    }
    assert set(rows) == {"agent", *DIALECT_SPANS}
    assert (rows["agent"]["span_type"], rows["agent"]["agent_name"]) == ("agent", "support")
    expected_cost = stored_cost("gpt-4o-mini", 1000, 100)
    for name in DIALECT_SPANS:
        row = rows[name]
        assert (row["service_name"], row["span_type"], row["operation"]) == (
            "dialects",
            "llm",
            "chat",
        ), name
        assert (row["provider"], row["model"]) == ("openai", "gpt-4o-mini"), name
        assert (row["input_tokens"], row["output_tokens"]) == (1000, 100), name
        assert row["cost_usd"] == pytest.approx(expected_cost), name
        attributes = json.loads(row["attributes"])
        assert attributes["llmops.cost.source"].startswith("litellm-price-map:"), name
    messages = json.loads(json.loads(rows["traceloop"]["attributes"])["gen_ai.input.messages"])
    assert messages == [{"role": "user", "parts": [{"type": "text", "content": "hello"}]}]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
def test_a_span_naming_a_registered_config_is_priced_from_its_prices(server: Server) -> None:
    config = llmops.AgentConfig(
        name="priced-bot",
        model={"provider": "openai", "id": "gpt-4o-mini"},
        pricing={"input_per_token": 1e-6, "output_per_token": 3e-6},
    )
    llmops.configs().register(config)  # the server's registry: the same LLMOPS_HOME
    provider = TracerProvider(resource=Resource.create({"service.name": "priced"}))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("third.party")
    names = {"registered": ("priced-bot", config.version), "unknown": ("priced-bot", "ab" * 32)}
    for span_name, (config_name, version) in names.items():
        with tracer.start_as_current_span(span_name, kind=SpanKind.CLIENT) as span:
            span.set_attributes(
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.usage.input_tokens": 1000,
                    "gen_ai.usage.output_tokens": 100,
                    "llmops.config.name": config_name,
                    "llmops.config.version": version,
                }
            )
    provider.shutdown()
    body = encode_spans(memory.get_finished_spans()).SerializeToString()
    assert post(server.traces, body, PROTOBUF, timeout=120)[0] == 200
    rows = {
        row["name"]: (row["cost_usd"], json.loads(row["attributes"])["llmops.cost.source"])
        for row in stored("SELECT name, cost_usd, attributes FROM spans")
    }
    assert rows["registered"] == (pytest.approx(1000 * 1e-6 + 100 * 3e-6), "config:per_token")
    assert rows["unknown"][0] == pytest.approx(stored_cost("gpt-4o-mini", 1000, 100))
    assert rows["unknown"][1].startswith("litellm-price-map:")


def stored_cost(model: str, input_tokens: int, output_tokens: int) -> float:
    from llmops.serving._litellm import price_from_map

    cost = price_from_map(model, input_tokens, output_tokens)
    assert cost is not None
    return cost


INSTRUMENTATIONS = {
    "openinference": "openinference.instrumentation.openai",
    "otel-genai": "opentelemetry.instrumentation.openai_v2",
    "traceloop": "opentelemetry.instrumentation.openai",
}


@pytest.mark.slow
@pytest.mark.parametrize("dialect", sorted(INSTRUMENTATIONS))
def test_real_instrumentations_of_the_openai_client(server: Server, dialect: str) -> None:
    pytest.importorskip(INSTRUMENTATIONS[dialect])
    subprocess.run(
        [sys.executable, str(HERE / "instrumented_app.py"), dialect, server.traces],
        check=True,
        timeout=120,
        capture_output=True,
    )
    rows = stored(
        "SELECT service_name, span_type, provider, model, input_tokens, output_tokens, cost_usd,"
        " attributes FROM spans WHERE span_type = 'llm'"
    )
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["service_name"] == f"app-{dialect}"
    assert (row["provider"], row["model"]) == ("openai", "gpt-4o-mini")
    assert (row["input_tokens"], row["output_tokens"]) == (12, 5)
    assert row["cost_usd"] == pytest.approx(stored_cost("gpt-4o-mini", 12, 5))
    attributes = json.loads(row["attributes"])
    messages = json.loads(attributes["gen_ai.input.messages"])
    assert messages[0]["role"] == "user"
    assert messages[0]["parts"][0]["content"] == "Say hi"


# --- JSON and gzip, as other clients send them ---------------------------------------------------


def test_json_and_gzip_bodies(server: Server) -> None:
    protobuf = encode_spans(sdk_spans(3)).SerializeToString()
    replies = [
        post(server.traces, json_body("plain-json"), JSON),
        post(
            server.traces,
            gzip.compress(json_body("gzip-json", "aaa19b7ec3c1b174")),
            {**JSON, "content-encoding": "gzip"},
        ),
        post(server.traces, gzip.compress(protobuf), {**PROTOBUF, "content-encoding": "gzip"}),
    ]
    assert [status for status, _, _ in replies] == [200, 200, 200]
    assert replies[0][2] == b"{}"
    assert replies[2][1]["content-type"] == "application/x-protobuf"
    names = {row["name"] for row in stored("SELECT name FROM spans")}
    assert names == {"plain-json", "gzip-json", "step-0", "step-1", "step-2"}


def test_received_credentials_are_never_recorded(server: Server) -> None:
    key = "sk-proj-" + "A1b2C3d4E5f6G7h8" * 3  # an OpenAI-style key, inside a prompt
    document = json.loads(json_body("leaky"))
    span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["attributes"] = [
        {"key": "input.value", "value": {"stringValue": f"my key is {key}, help"}},
        {"key": "api_key", "value": {"stringValue": "anything at all"}},
    ]
    assert post(server.traces, json.dumps(document).encode(), JSON)[0] == 200
    (row,) = stored("SELECT attributes FROM spans WHERE name = 'leaky'")
    assert key not in row["attributes"]
    attributes = json.loads(row["attributes"])
    assert attributes["input.value"].startswith("my key is ")
    assert "anything at all" not in row["attributes"]


def test_the_project_header_selects_the_project_and_the_ui_filters_by_it() -> None:
    running = start_server()  # with the UI
    try:
        headers = {**JSON, "x-llmops-project": "team-a"}
        assert post(running.traces, json_body(), headers)[0] == 200
        other = json_body(span_id="bbb19b7ec3c1b174").replace(
            b"5b8efff798038103d269b633813fc60c", b"6b8efff798038103d269b633813fc60c"
        )
        assert post(running.traces, other, JSON)[0] == 200  # project: its service.name
        rows = stored("SELECT service_name, resource FROM spans ORDER BY service_name")
        assert [row["service_name"] for row in rows] == ["json-app", "team-a"]
        assert json.loads(rows[1]["resource"])["llmops.original.service.name"] == "json-app"
        with urllib.request.urlopen(f"{running.url}/api/traces?project=team-a") as reply:
            listed = json.loads(reply.read())
        assert listed["total"] == 1
        assert listed["traces"][0]["service_name"] == "team-a"
        with urllib.request.urlopen(f"{running.url}/?project=json-app") as reply:
            page = reply.read().decode()
        assert page.count('class="trace-link"') == 1
        assert 'href="/?project=team-a"' not in page
    finally:
        running.stop()


# --- acknowledged means durable ------------------------------------------------------------------


@pytest.mark.slow
def test_kill_9_right_after_a_200_loses_nothing(server: Server) -> None:
    batches = 20
    bodies = [encode_spans(sdk_spans(50)).SerializeToString() for _ in range(batches)]
    for body in bodies:
        status, _, _ = post(server.traces, body, PROTOBUF)
        assert status == 200
    server.process.send_signal(signal.SIGKILL)  # at once: no shutdown, no flush
    server.process.wait(10)
    (row,) = stored_in_new_process(
        "SELECT count(*) AS n, count(DISTINCT span_id) AS ids FROM spans"
    )
    assert row == {"n": batches * 50, "ids": batches * 50}


def test_server_processes_side_by_side_share_the_store_and_a_port() -> None:
    first = start_server("--no-ui", "--reuse-port")
    port = first.url.rsplit(":", 1)[1]
    second = start_server("--no-ui", "--reuse-port", "--port", port)
    try:
        assert second.url == first.url
        bodies = [encode_spans(sdk_spans(10)).SerializeToString() for _ in range(12)]
        for body in bodies:  # a new connection each: the kernel picks the process
            assert post(first.traces, body, PROTOBUF)[0] == 200
    finally:
        first.stop()
        second.stop()
    (row,) = stored("SELECT count(*) AS n FROM spans")
    assert row["n"] == 120


# --- refusals ------------------------------------------------------------------------------------


def test_garbage_gets_400_and_the_server_lives_on(server: Server) -> None:
    for body, headers in [
        (b"\x0a\xff\xff", PROTOBUF),
        (b"{not json", JSON),
        (b'{"resourceSpans": [{"scopeSpans": 5}]}', JSON),
        (b"not gzip", {**JSON, "content-encoding": "gzip"}),
        (os.urandom(2000), PROTOBUF),
    ]:
        status, _, reply = post(server.traces, body, headers)
        assert status == 400, reply
    status, _, reply = post(server.traces, b"{}", JSON)
    assert status == 200
    assert server.process.poll() is None
    metrics = urllib.request.urlopen(f"{server.url}/metrics", timeout=10).read().decode()
    assert 'llmops_server_requests_total{code="400"} 5' in metrics
    assert 'llmops_server_malformed_total{what="json"} 2' in metrics


def test_bodies_over_the_limit_get_413() -> None:
    running = start_server("--no-ui", "--max-body-mib", "0.01")  # 10 KiB
    try:
        big = encode_spans(sdk_spans(20, input_chars=1000)).SerializeToString()
        assert len(big) > 10_240
        assert post(running.traces, big, PROTOBUF)[0] == 413
        bomb = gzip.compress(b'{"resourceSpans": []' + b" " * 1_000_000 + b"}")
        assert post(running.traces, bomb, {**JSON, "content-encoding": "gzip"})[0] == 413
        assert post(running.traces, json_body(), JSON)[0] == 200
    finally:
        running.stop()


def test_a_busy_server_answers_429_with_retry_after() -> None:
    running = start_server("--no-ui", "--slots", "1", "--queue-wait", "0.3")
    host, port = running.url.removeprefix("http://").split(":")
    try:
        # A slow client holds the only slot: it sends its headers and part of its body.
        with socket.create_connection((host, int(port)), timeout=10) as slow:
            slow.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{"
            )
            time.sleep(0.5)
            status, headers, _ = post(running.traces, json_body(), JSON)
        assert status == 429
        assert headers["retry-after"] == "1"
        time.sleep(0.5)  # the slow client went away: its slot is free again
        assert post(running.traces, json_body(), JSON)[0] == 200
    finally:
        running.stop()


# --- security ------------------------------------------------------------------------------------


def test_a_non_loopback_bind_without_a_token_is_refused() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LLMOPS_SERVER_TOKEN"}
    done = subprocess.run(
        [str(LLMOPS), "server", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "without a token" in done.stderr
    assert done.stdout == ""


def test_a_token_is_required_on_every_request() -> None:
    running = start_server("--host", "0.0.0.0", env={"LLMOPS_SERVER_TOKEN": "s3cret-token"})
    try:
        assert post(running.traces, json_body(), JSON)[0] == 401
        wrong = {**JSON, "authorization": "Bearer s3cret-tokem"}
        assert post(running.traces, json_body(), wrong)[0] == 401
        good = {**JSON, "authorization": "Bearer s3cret-token"}
        assert post(running.traces, json_body(), good)[0] == 200
        for path in ("/metrics", "/", "/api/traces"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"{running.url}{path}", timeout=10)
            refused.value.close()
            assert refused.value.code == 401, path
        request = urllib.request.Request(
            f"{running.url}/api/traces", headers={"x-llmops-token": "s3cret-token"}
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            assert json.loads(reply.read())["total"] == 1
        # The stock exporter sends the token as a header it is given.
        exporter = OTLPSpanExporter(
            endpoint=running.traces, headers={"authorization": "Bearer s3cret-token"}
        )
        assert exporter.export(sdk_spans(2)) is SpanExportResult.SUCCESS
        exporter.shutdown()
    finally:
        running.stop()


# --- OTLP/gRPC ----------------------------------------------------------------------------------

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def grpc_export(target: str, body: bytes, metadata: Sequence[tuple[str, str]] = ()) -> Any:
    """One raw ``Export`` call; the gRPC error when refused, else the response bytes."""
    import grpc

    with grpc.insecure_channel(target) as channel:
        export = channel.unary_unary(EXPORT)  # bytes in, bytes out
        try:
            return export(body, metadata=tuple(metadata), timeout=30)
        except grpc.RpcError as error:
            return error


@pytest.mark.slow
def test_the_stock_grpc_exporter_lands_every_dialect_priced_and_durable() -> None:
    from grpc import Compression
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
        OTLPSpanExporter as GrpcSpanExporter,
    )

    running = start_server("--no-ui", "--grpc-port", "0")
    try:
        provider = TracerProvider(resource=Resource.create({"service.name": "grpc-app"}))
        exporter = GrpcSpanExporter(
            endpoint=running.grpc,
            insecure=True,
            compression=Compression.Gzip,
            headers={"x-llmops-project": "team-grpc"},
        )
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracer = provider.get_tracer("third.party")
        for name, attributes in DIALECT_SPANS.items():
            with tracer.start_as_current_span(name, kind=SpanKind.CLIENT) as span:
                span.set_attributes(attributes)
        provider.shutdown()
        running.process.send_signal(signal.SIGKILL)  # acknowledged means durable, as over HTTP
        running.process.wait(10)
    finally:
        running.stop()
    rows = stored_in_new_process(
        "SELECT name, service_name, span_type, input_tokens, output_tokens, cost_usd FROM spans"
    )
    assert sorted(row["name"] for row in rows) == sorted(DIALECT_SPANS)
    for row in rows:
        assert (row["service_name"], row["span_type"]) == ("team-grpc", "llm"), row
        assert (row["input_tokens"], row["output_tokens"]) == (1000, 100), row
        assert row["cost_usd"] == pytest.approx(stored_cost("gpt-4o-mini", 1000, 100))


_GRPC_APP = """
import llmops

@llmops.agent(name="grpc-agent")
def run(question):
    return lookup(question)

@llmops.tool
def lookup(question):
    return question.upper()

print(run("where do spans go?"))
llmops.shutdown()
"""


@pytest.mark.slow
def test_an_app_traced_by_llmops_sends_over_grpc_from_opentelemetrys_variables() -> None:
    running = start_server("--no-ui", "--grpc-port", "0")
    try:
        env = {
            **os.environ,
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{running.grpc}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_SERVICE_NAME": "grpc-traced-app",
            "LLMOPS_EXPORTERS": "otlp",  # the server's store only
        }
        done = subprocess.run(
            [sys.executable, "-c", _GRPC_APP], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "WHERE DO SPANS GO?"
        metrics = urllib.request.urlopen(f"{running.url}/metrics", timeout=10).read().decode()
    finally:
        running.stop()
    assert 'llmops_server_grpc_requests_total{code="OK"}' in metrics
    rows = stored("SELECT name, span_type, service_name FROM spans ORDER BY start_time")
    assert [(r["name"], r["span_type"]) for r in rows] == [
        ("invoke_agent grpc-agent", "agent"),
        ("execute_tool lookup", "tool"),
    ]
    assert {r["service_name"] for r in rows} == {"grpc-traced-app"}


def test_grpc_refusals_carry_the_otlp_status_codes() -> None:
    import grpc

    token = {"LLMOPS_SERVER_TOKEN": "s3cret-token"}
    running = start_server("--host", "0.0.0.0", "--grpc-port", "0", "--slots", "1",
                           "--queue-wait", "0.3", "--max-body-mib", "0.01", env=token)  # fmt: skip
    good = [("authorization", "Bearer s3cret-token")]
    body = encode_spans(sdk_spans(3)).SerializeToString()
    try:
        assert grpc_export(running.grpc, body).code() == grpc.StatusCode.UNAUTHENTICATED
        wrong = [("authorization", "Bearer s3cret-tokem")]
        assert grpc_export(running.grpc, body, wrong).code() == grpc.StatusCode.UNAUTHENTICATED
        refused = grpc_export(running.grpc, b"\x0a\xff\xff", good)
        assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
        big = encode_spans(sdk_spans(20, input_chars=1000)).SerializeToString()
        assert grpc_export(running.grpc, big, good).code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        # A slow HTTP client holds the only writer slot: gRPC shares the slots, and is told
        # when to retry.
        host, port = running.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as slow:
            slow.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer s3cret-token\r\nContent-Length: 1000\r\n\r\n{"
            )
            time.sleep(0.5)
            busy = grpc_export(running.grpc, body, good)
        assert busy.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "google.rpc.retryinfo-bin" in dict(busy.trailing_metadata())
        time.sleep(0.5)
        reply = grpc_export(running.grpc, body, good)
        assert isinstance(reply, bytes), reply  # an ExportTraceServiceResponse
        assert running.process.poll() is None
        request = urllib.request.Request(f"{running.url}/metrics", headers=dict(good))
        with urllib.request.urlopen(request, timeout=10) as answer:
            metrics = answer.read().decode()
    finally:
        running.stop()
    for code, count in [("UNAUTHENTICATED", 2), ("INVALID_ARGUMENT", 1), ("OK", 1)]:
        assert f'llmops_server_grpc_requests_total{{code="{code}"}} {count}' in metrics
    assert 'llmops_server_malformed_total{what="protobuf"} 1' in metrics
    assert [row["n"] for row in stored("SELECT count(*) AS n FROM spans")] == [3]


def test_a_grpc_port_in_use_is_a_one_line_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(LLMOPS), "server", "--port", "0", "--grpc-port", str(port), "--no-ui"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stdout == ""
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert f"127.0.0.1:{port}" in error
    assert "--grpc-port" in error


# --- fuzz, against the process --------------------------------------------------------------------


def test_a_fuzzed_stream_never_gets_a_500(server: Server) -> None:
    import random

    rng = random.Random(7)
    seeds = [encode_spans(sdk_spans(5)).SerializeToString(), json_body()]
    statuses: dict[int, int] = {}
    for _ in range(150):
        seed = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(0, 6)):
            seed[rng.randrange(len(seed))] = rng.randrange(256)
        body = bytes(seed[: rng.randrange(1, len(seed) + 1)])
        headers = rng.choice([PROTOBUF, JSON])
        if rng.random() < 0.3:
            body, headers = (
                gzip.compress(body)[: rng.randrange(10, 400)],
                {
                    **headers,
                    "content-encoding": "gzip",
                },
            )
        status = post(server.traces, body, headers)[0]
        statuses[status] = statuses.get(status, 0) + 1
    assert set(statuses) <= {200, 400}, statuses
    assert server.process.poll() is None
    assert post(server.traces, json_body(), JSON)[0] == 200


# --- the stock Node exporter ---------------------------------------------------------------------


@pytest.mark.slow
def test_the_stock_node_exporters_land_a_genai_span(tmp_path: Path) -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("needs node and npm (.ci/run installs them from Debian)")
    app = tmp_path / "js"
    shutil.copytree(HERE / "js", app, ignore=shutil.ignore_patterns("node_modules"))
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=app,
        check=True,
        timeout=600,
        capture_output=True,
    )
    server = start_server("--no-ui", "--grpc-port", "0")
    try:
        for protocol, endpoint in (("http", server.traces), ("grpc", f"http://{server.grpc}")):
            for compression in ("none", "gzip"):
                done = subprocess.run(
                    [node, "send.mjs", endpoint, compression, protocol],
                    cwd=app,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                assert done.returncode == 0, (protocol, compression, done.stderr)
    finally:
        server.stop()
    rows = stored(
        "SELECT name, service_name, span_type, provider, model, input_tokens, cost_usd,"
        " parent_span_id FROM spans ORDER BY name"
    )
    chats = [row for row in rows if row["span_type"] == "llm"]
    agents = [row for row in rows if row["span_type"] == "agent"]
    assert (len(chats), len(agents)) == (4, 4)
    for chat in chats:
        assert (chat["service_name"], chat["provider"], chat["model"]) == (
            "js-app",
            "openai",
            "gpt-4o-mini",
        )
        assert chat["input_tokens"] == 100
        assert chat["cost_usd"] == pytest.approx(stored_cost("gpt-4o-mini", 100, 20))
        assert chat["parent_span_id"] is not None
