"""OTLP ingest: spans per second into ``llmops server`` through the stock Python exporter.

N finished GenAI spans (model, provider, tokens, cost, a 400-byte ``input.value``…) are built in
memory first, untimed. The stock ``OTLPSpanExporter`` (protobuf over HTTP, as an app configured
with ``OTEL_EXPORTER_OTLP_ENDPOINT`` sends it) exports them in batches of 500, one request after
another as the batch span processor does, to a real ``llmops server`` process (UI off) on this
machine: each 200 means the batch file is in the store. The baseline is the same exporter
against a bare HTTP sink on the same server stack (uvicorn) that only reads each body and answers
200: the cost of the client's encoding and of HTTP, without decoding or storing. The in-process
exporter (``DuckDBSpanExporter``, no network) and 18 KB inputs are information rows. OTLP/gRPC
(``--grpc-port``): the stock gRPC exporter into the same server, against the same exporter into a
bare gRPC sink (grpcio's asyncio server, answering an empty response to every call). The client
and the server share this machine's cores.

Anchor: the same batches sent to a real Phoenix (``phoenix serve``, its OTLP/HTTP receiver) when
its virtualenv exists (``.venv-phoenix``, made by ``make test-peers``; ``$LLMOPS_PHOENIX_BIN``
names another ``phoenix``). Phoenix answers 200 once a batch is queued in memory, before its
database has it: its rate is an upper bound of what it stores.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import REPO_ROOT, BenchResult, Row

BATCH = 500
LLMOPS = Path(sys.executable).with_name("llmops")
_TEXT = (
    "You are a support assistant for ACME Cloud. Answer from the retrieved documents only. "
    "Question: how do I rotate the API key of project {p} without downtime, and do scheduled "
    "jobs keep working with the old key until it expires? Retrieved: doc-{d} 'Rotating keys'. "
    "Request {i}. "
)

# A bare sink on the same server stack: reads each request's body, answers an empty 200.
_BARE_SINK = textwrap.dedent(
    """
    import socket, sys, uvicorn

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/x-protobuf"),
                                (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(f"bare sink at http://127.0.0.1:{sock.getsockname()[1]}/ ", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(
        sockets=[sock]
    )
    """
)


# A bare gRPC sink: the OTLP trace service answering every call with an empty response.
_BARE_GRPC_SINK = textwrap.dedent(
    """
    import asyncio, grpc, grpc.aio

    async def export(request, context):
        return b""

    async def main():
        server = grpc.aio.server(options=[("grpc.max_receive_message_length", 64 << 20)])
        handler = grpc.unary_unary_rpc_method_handler(export)
        service = "opentelemetry.proto.collector.trace.v1.TraceService"
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(service, {"Export": handler}),)
        )
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        print(f"bare sink at http://127.0.0.1:{port}/ (OTLP/gRPC 127.0.0.1:{port},", flush=True)
        await server.wait_for_termination()

    asyncio.run(main())
    """
)


def make_spans(n: int, input_bytes: int = 400) -> list[Any]:
    """``n`` finished SDK spans: an agent span and three LLM calls per trace, ~14 attributes."""
    from opentelemetry.attributes import BoundedAttributes
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import SpanContext, SpanKind, TraceFlags

    resource = Resource.create({"service.name": "remote-app", "service.version": "2.0.1"})
    scope = InstrumentationScope("my.instrumentation", "1.0")
    flags = TraceFlags(TraceFlags.SAMPLED)
    t0 = time.time_ns()
    spans: list[Any] = []
    root: Any = None
    for i in range(n):
        context = SpanContext(
            0x7EED0000000000000000000000000000 + i // 4, 0x2000000000000000 + i, False, flags
        )
        is_root = i % 4 == 0
        if is_root:
            root = context
        text = _TEXT.format(p=i % 89, d=i % 113, i=i)
        text = (text * (input_bytes // len(text) + 1))[:input_bytes]
        attributes = {
            "gen_ai.operation.name": "invoke_agent" if is_root else "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.response.id": f"chatcmpl-{i:012d}",
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.request.temperature": 0.2,
            "gen_ai.usage.input_tokens": 200 + (i * 37) % 1800,
            "gen_ai.usage.output_tokens": 20 + (i * 13) % 400,
            "llmops.cost.usd": 0.0004,
            "session.id": f"session-{i // 40}",
            "user.id": f"user-{i % 997}",
            "input.value": text,
        }
        start = t0 + i * 1_000_000
        spans.append(
            ReadableSpan(
                name="invoke_agent support" if is_root else "chat gpt-4o-mini",
                context=context,
                parent=None if is_root else root,
                resource=resource,
                attributes=BoundedAttributes(128, attributes, immutable=True),
                kind=SpanKind.INTERNAL if is_root else SpanKind.CLIENT,
                start_time=start,
                end_time=start + 250_000_000,
                instrumentation_scope=scope,
            )
        )
    return spans


class _Process:
    """A child process that prints ``... at http://HOST:PORT/ ...`` once it listens."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.search(r" at (http://\S+?)/ ", line)
        if match is None:
            self.stop()
            raise RuntimeError(f"{command[0]} did not start: {line!r}")
        self.url = match.group(1)
        grpc = re.search(r"OTLP/gRPC (\S+?),", line)
        self.grpc = grpc.group(1) if grpc else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def export_all(spans: list[Any], url: str, grpc: str = "") -> float:
    """Seconds to export ``spans`` in batches with the stock exporter, each acknowledged: the
    HTTP one to ``url``, or the gRPC one to ``grpc`` (``host:port``) when given."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    exporter: SpanExporter
    if grpc:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcSpanExporter,
        )

        exporter = GrpcSpanExporter(endpoint=grpc, insecure=True, timeout=60)
    else:
        exporter = OTLPSpanExporter(endpoint=f"{url}/v1/traces", timeout=60)
    exporter.export(spans[:BATCH])  # a first connection and request, untimed
    t0 = time.perf_counter()
    for start in range(0, len(spans), BATCH):
        if exporter.export(spans[start : start + BATCH]) is not SpanExportResult.SUCCESS:
            raise RuntimeError(f"the export to {url} failed")
    elapsed = time.perf_counter() - t0
    exporter.shutdown()
    return elapsed


def encode_only(spans: list[Any]) -> float:
    """Seconds the exporter's encoding alone takes (the client's share of every request)."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    t0 = time.perf_counter()
    for start in range(0, len(spans), BATCH):
        encode_spans(spans[start : start + BATCH]).SerializePartialToString()
    return time.perf_counter() - t0


def in_process(spans: list[Any], store: Path) -> float:
    from opentelemetry.sdk.trace.export import SpanExportResult

    from llmops import DuckDBSpanExporter

    exporter = DuckDBSpanExporter(store)
    t0 = time.perf_counter()
    for start in range(0, len(spans), BATCH):
        if exporter.export(spans[start : start + BATCH]) is not SpanExportResult.SUCCESS:
            raise RuntimeError("DuckDBSpanExporter.export failed")
    elapsed = time.perf_counter() - t0
    exporter.shutdown()
    return elapsed


def phoenix_python() -> Path | None:
    """The Python of the virtualenv that holds ``phoenix`` (``make test-peers`` makes it)."""
    configured = os.environ.get("LLMOPS_PHOENIX_BIN")
    phoenix = Path(configured) if configured else REPO_ROOT / ".venv-phoenix" / "bin" / "phoenix"
    python = phoenix.with_name("python")
    return python if phoenix.exists() and python.exists() else None


def phoenix_rate(spans: list[Any], folder: Path) -> tuple[float | None, str]:
    """Spans/s into a real Phoenix through the same exporter, or None and why not."""
    python = phoenix_python()
    if python is None:
        return None, "no Phoenix virtualenv (make test-peers makes .venv-phoenix)"
    sys.path.insert(0, str(REPO_ROOT / "tests" / "peers"))
    from conftest import _LAUNCH, free_port  # its gRPC receiver on loopback, as the tests run it

    port = free_port()
    env = {**os.environ, "PHOENIX_WORKING_DIR": str(folder / "phoenix"), "PHOENIX_PORT": str(port),
           "PHOENIX_HOST": "127.0.0.1", "PHOENIX_GRPC_PORT": str(free_port()),
           "PHOENIX_TELEMETRY_ENABLED": "false", "DO_NOT_TRACK": "1"}  # fmt: skip
    (folder / "phoenix").mkdir()
    process = subprocess.Popen(
        [str(python), "-c", _LAUNCH, "serve"], env=env, cwd=folder / "phoenix",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    return None, "phoenix serve did not start"
                time.sleep(0.5)
        try:
            return len(spans) / export_all(spans, url), ""
        except RuntimeError:  # Phoenix answers 503 while its in-memory queue is full
            return None, "Phoenix refused batches after the exporter's retries (503, queue full)"
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def server_metric(url: str, name: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=30) as reply:
        text = reply.read().decode()
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else float("nan")


def stored_spans(home: Path) -> int:
    env = {**os.environ, "LLMOPS_HOME": str(home)}
    done = subprocess.run(
        [str(LLMOPS), "sql", "--json", "SELECT count(*) AS n FROM spans"],
        capture_output=True, text=True, timeout=300, check=True, env=env,
    )  # fmt: skip
    return int(re.search(r'"n":\s*(\d+)', done.stdout).group(1))  # type: ignore[union-attr]


def run(quick: bool = False) -> BenchResult:
    """Stock exporter → llmops server, against the same exporter → a bare HTTP sink."""
    n = 10_000 if quick else 100_000
    result = BenchResult(
        "ingest",
        f"OTLP ingest (HTTP and gRPC), stock Python exporters, {n:,} spans in batches of {BATCH}",
    )
    spans = make_spans(n)
    long_spans = make_spans(n // 20, input_bytes=18_000)
    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    env = {**os.environ, "LLMOPS_HOME": str(folder / "home")}
    env.pop("LLMOPS_SERVER_TOKEN", None)
    try:
        bare = _Process([sys.executable, "-c", _BARE_SINK], env)
        try:
            bare_s = export_all(spans, bare.url)
            bare_long_s = export_all(long_spans, bare.url)
        finally:
            bare.stop()
        bare_grpc = _Process([sys.executable, "-c", _BARE_GRPC_SINK], env)
        try:
            bare_grpc_s = export_all(spans, bare_grpc.url, bare_grpc.grpc)
        finally:
            bare_grpc.stop()
        command = [str(LLMOPS), "server", "--port", "0", "--no-ui", "--grpc-port", "0"]
        server = _Process(command, env)
        try:
            server_s = export_all(spans, server.url)
            server_long_s = export_all(long_spans, server.url)
            server_grpc_s = export_all(spans, server.url, server.grpc)
            write_s = server_metric(server.url, "llmops_server_write_seconds_total")
            written = server_metric(server.url, "llmops_server_spans_written_total")
        finally:
            server.stop()
        stored = stored_spans(folder / "home")
        phoenix, phoenix_skipped = phoenix_rate(spans, folder)
        encode_s = encode_only(spans)
        local_s = in_process(spans, folder / "local-store")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    expected = 2 * (n + BATCH) + len(long_spans) + min(BATCH, len(long_spans))  # + warm-ups
    rate, bare_rate = n / server_s, n / bare_s
    result.rows = [
        Row("llmops server: stock exporter, each batch durable before its 200", rate, "spans/s",
            bare_rate, "bare HTTP sink", 10_000.0, ">="),
        Row("llmops server over OTLP/gRPC: stock gRPC exporter, each batch durable before OK",
            n / server_grpc_s, "spans/s", n / bare_grpc_s, "bare gRPC sink", 10_000.0, ">="),
        Row("the same, 18 KB inputs", len(long_spans) / server_long_s, "spans/s",
            len(long_spans) / bare_long_s, "bare HTTP sink, 18 KB inputs"),
        Row("server time per span: decode, map, write (its own clock)",
            write_s / written * 1e6, "µs", server_s / n * 1e6, "end to end per span"),
        Row("exporter's protobuf encoding alone (client side)", n / encode_s, "spans/s",
            rate, "through llmops server"),
        Row("in-process DuckDBSpanExporter, no network", n / local_s, "spans/s", rate,
            "through llmops server"),
        Row("Phoenix's receiver: the same exporter and batches (200 when queued)", phoenix,
            "spans/s", rate, "through llmops server",
            note=f"skipped: {phoenix_skipped}" if phoenix is None else ""),
        Row("spans in the store after the run", stored, "spans", expected, "spans sent",
            1.0, ">=", "ratio", note="every acknowledged span is there"),
    ]  # fmt: skip
    result.details = {
        "spans": n,
        "batch": BATCH,
        "server_s": server_s,
        "bare_s": bare_s,
        "server_grpc_s": server_grpc_s,
        "bare_grpc_s": bare_grpc_s,
        "server_write_s": write_s,
        "cpu_count": os.cpu_count(),
    }
    return result
